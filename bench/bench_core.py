"""Benchmark the core: rule loading and compiling, per-assessment engine time, whole process.

Run: python bench/bench_core.py [--sets 1000] [--runs 7]
Prints figures; asserts nothing. Targets (2-core machine): engine median <= 10 ms per
assessment, whole `advisor assess` process <= 0.6 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"


def random_answers(rng: random.Random, form: Any) -> dict[str, Any]:
    """A varied, valid answer set drawn from the questionnaire definition itself."""
    values: dict[str, Any] = {}
    for q in form.questions:
        if q.required:
            values[q.id] = rng.random() < 0.05
            continue
        if rng.random() < 0.3:
            continue
        if q.type == "bool":
            # A warning sign in the screen is as rare as the required ones; other yes/no questions are even.
            values[q.id] = rng.random() < (0.05 if q.section == "safety" else 0.5)
        elif q.type == "int":
            values[q.id] = rng.randint(int(q.min), int(q.max))
        elif q.type == "number":
            values[q.id] = round(rng.uniform(q.min, q.max), 1)
        elif q.type == "choice":
            values[q.id] = rng.choice(q.values)
        else:
            values[q.id] = [v for v in q.values if rng.random() < 0.3]
    return values


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, default=1000, help="answer sets for the engine timing")
    parser.add_argument("--runs", type=int, default=7, help="whole-process runs")
    args = parser.parse_args()

    from advisor.core import knowledge, resources
    from advisor.core import questionnaire as qmod
    from advisor.core.answers import Answers
    from advisor.core.assemble import assemble
    from advisor.core.engine import Engine

    load_times, compile_times = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        kb = knowledge.load_dir(resources.rules_dir())
        t1 = time.perf_counter()
        engine = Engine(kb)
        t2 = time.perf_counter()
        load_times.append(t1 - t0)
        compile_times.append(t2 - t1)

    rng = random.Random(20261124)
    forms = {q: qmod.load(q) for q in qmod.available()}
    sets = []
    for _ in range(args.sets):
        qid = rng.choice(sorted(forms))
        values = random_answers(rng, forms[qid])
        sets.append((forms[qid], Answers(questionnaire=qid, date=dt.date(2026, 11, 24), values=values)))
    engine_ms: list[float] = []
    total_ms: list[float] = []
    tiers: dict[str, int] = {}
    for form, answers in sets:
        t0 = time.perf_counter()
        firings = engine.run(answers.values)
        t1 = time.perf_counter()
        result = assemble(kb, form, answers, firings)
        t2 = time.perf_counter()
        engine_ms.append((t1 - t0) * 1000)
        total_ms.append((t2 - t0) * 1000)
        tiers[result.referral.urgency] = tiers.get(result.referral.urgency, 0) + 1

    beside = Path(sys.executable).parent / "advisor"
    exe = str(beside) if beside.exists() else (shutil.which("advisor") or "")
    cmd = [exe] if exe else [sys.executable, "-m", "advisor"]
    process_s = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([*cmd, "assess", str(EXAMPLE)], check=True, stdout=subprocess.DEVNULL)
        process_s.append(time.perf_counter() - t0)

    print(f"Python {sys.version.split()[0]}, {len(kb.rules)} rules, {args.sets} answer sets ({tiers})")
    print(f"load rules (parse + validate)     median {statistics.median(load_times) * 1000:7.1f} ms")
    print(f"compile into experta engine       median {statistics.median(compile_times) * 1000:7.1f} ms")
    print(
        f"engine per assessment (reused)    median {statistics.median(engine_ms):7.2f} ms"
        f"   p95 {percentile(engine_ms, 95):6.2f} ms"
    )
    print(
        f"engine + assembly per assessment  median {statistics.median(total_ms):7.2f} ms"
        f"   p95 {percentile(total_ms, 95):6.2f} ms"
    )
    print(f"`advisor assess` whole process    median {statistics.median(process_s):7.3f} s  ({args.runs} runs)")


if __name__ == "__main__":
    main()
