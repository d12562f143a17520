"""advisor batch throughput: N generated riders to JSON and to PDF, with every core.

    .venv/bin/python bench/bench_batch.py --riders 5000              # the goal, as stated
    .venv/bin/python bench/bench_batch.py --riders 200 --executor dask

Prints the time of each run (the whole `batch.run`: reading the rows, starting the workers,
every report written, the summary and the overview) and what it means for 5,000 riders
(goal: 5,000 PDFs in at most 3 minutes, JSON in at most 20 s, on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from advisor import batch
from advisor.core.rulebase import questionnaire as qmod


def riders(n: int, seed: int = 7) -> list[dict[str, object]]:
    """Varied riders: warning signs rare (as in a club), every other answer drawn at random."""
    rng = random.Random(seed)
    form = qmod.load("fitter")
    out = []
    for i in range(n):
        answers: dict[str, object] = {}
        for q in form.questions:
            if q.id.startswith("rf_"):
                answers[q.id] = rng.random() < 0.02
            elif rng.random() < 0.5:
                continue
            elif q.type == "bool":
                answers[q.id] = rng.random() < 0.3
            elif q.type == "choice":
                answers[q.id] = rng.choice(q.values)
            elif q.type == "multi":
                answers[q.id] = rng.sample(q.values, rng.randint(0, min(2, len(q.values))))
            elif q.min is not None and q.max is not None:
                value = rng.uniform(q.min, q.max)
                answers[q.id] = round(value) if q.type == "int" else round(value, 1)
        out.append({"client": f"Rider {i}", "questionnaire": "fitter", "answers": answers})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--riders", type=int, default=200)
    parser.add_argument("--executor", choices=("local", "dask"), default="local")
    parser.add_argument("--formats", default="json,pdf", help="comma-separated, from json, pdf, html, md")
    parser.add_argument("--engine", choices=("direct", "experta"), default=None, help="default: the batch's own")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "riders.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in riders(args.riders)), encoding="utf-8")
        engine = args.engine or batch.BATCH_ENGINE
        print(
            f"Python {sys.version.split()[0]}, {args.riders} generated riders, {cores} cores, {args.executor}, "
            f"engine {engine}"
        )
        for fmt in args.formats.split(","):
            t0 = time.perf_counter()
            outcomes = batch.run(source, Path(tmp) / fmt, fmt, jobs=cores, executor=args.executor, engine_kind=engine)
            took = time.perf_counter() - t0
            bad = sum(1 for o in outcomes if o.error)
            per = took / args.riders
            print(
                f"{fmt:4} {took:7.1f} s   {per * 1000:6.1f} ms per rider   5,000 riders ~ {per * 5000:6.0f} s"
                f"   ({bad} rows refused)"
            )


if __name__ == "__main__":
    main()
