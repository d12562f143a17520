"""Benchmark the core: rule loading, both engines, a rule base 8x larger, the whole process.

Run: python bench/bench_core.py [--sets 1000] [--runs 9]
Prints figures; asserts nothing. Targets (2-core machine): experta, the engine every command
runs, at most 5 ms per assessment; a rule base 8x larger at most 8x slower; `advisor assess
FILE` (experta) at most 18x a bare `python -c pass`, both timed side by side in this run, with bytecode caching on (as
an installed package has it) in a folder of the benchmark's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def scaled(kb: Any, times: int) -> Any:
    """The rule base with every rule copied ``times`` times; each copy chains its own findings."""
    from dataclasses import replace

    from advisor.core.rulebase.conditions import Group, HasFinding

    def rename(cond: Any, k: int) -> Any:
        if isinstance(cond, HasFinding):
            return replace(cond, finding=f"{cond.finding}-x{k}")
        if isinstance(cond, Group):
            return replace(cond, items=tuple(rename(c, k) for c in cond.items))
        return cond

    rules = {}
    for k in range(times):
        for rule in kb.rules.values():
            then = {rule.action: f"{rule.target}-x{k}"} if rule.action == "finding" else rule.then
            copy = rule.model_copy(
                update={"id": f"{rule.id}-x{k}", "then": then, "condition": rename(rule.condition, k)}
            )
            rules[copy.id] = copy
    return replace(kb, rules=rules)


def engine_times(engine: Any, sets: list[Any]) -> list[float]:
    # Every engine is timed on the same heap: the collector would otherwise charge the
    # engines built later for walking the networks built earlier.
    gc.collect()
    gc.freeze()
    times = []
    for _form, answers in sets:
        t0 = time.perf_counter()
        engine.run(answers.values)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def paired_times(small: Any, large: Any, sets: list[Any]) -> tuple[list[float], list[float]]:
    """Both engines on each answer set in turn, so a busy moment of the machine hits both."""
    gc.collect()
    gc.freeze()
    a, b = [], []
    for _form, answers in sets:
        t0 = time.perf_counter()
        small.run(answers.values)
        t1 = time.perf_counter()
        large.run(answers.values)
        t2 = time.perf_counter()
        a.append((t1 - t0) * 1000)
        b.append((t2 - t1) * 1000)
    return a, b


# The libraries the design fixes, imported and nothing else: how close to `python -c pass`
# any command that uses them can start.
LIBRARIES = "import typer, yaml; from pydantic import BaseModel"


def process_times(runs: int) -> tuple[list[float], list[float], list[float]]:
    """`python -c pass`, `advisor assess EXAMPLE` (terminal output to a pipe) and an import of
    the fixed libraries alone, interleaved."""
    beside = Path(sys.executable).parent / "advisor"
    exe = str(beside) if beside.exists() else (shutil.which("advisor") or "")
    cmd = [exe] if exe else [sys.executable, "-m", "advisor"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        bare, assess, libraries = [], [], []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
            t1 = time.perf_counter()
            subprocess.run([*cmd, "assess", str(EXAMPLE)], check=True, stdout=subprocess.DEVNULL, env=env)
            t2 = time.perf_counter()
            subprocess.run([sys.executable, "-c", LIBRARIES], check=True, env=env)
            t3 = time.perf_counter()
            if i:  # the first run writes the bytecode and the rule-base cache
                bare.append(t1 - t0)
                assess.append(t2 - t1)
                libraries.append(t3 - t2)
    return bare, assess, libraries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, default=1000, help="answer sets for the engine timing")
    parser.add_argument("--runs", type=int, default=9, help="whole-process runs")
    parser.add_argument(
        "--experta-8x-sets", type=int, default=300, help="answer sets for both engines on the 8x rule base"
    )
    args = parser.parse_args()

    from advisor.core.advice.assemble import assemble
    from advisor.core.datafiles import resources
    from advisor.core.engines import engine as engines
    from advisor.core.intake.answers import Answers
    from advisor.core.rulebase import knowledge, questionnaire as qmod

    load_times, compile_times = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        kb = knowledge.load_dir(resources.rules_dir())
        t1 = time.perf_counter()
        engines.build(kb, "experta")
        t2 = time.perf_counter()
        load_times.append(t1 - t0)
        compile_times.append(t2 - t1)
    t0 = time.perf_counter()
    knowledge.load()
    cached_load = time.perf_counter() - t0

    rng = random.Random(20261124)
    forms = {q: qmod.load(q) for q in qmod.available()}
    sets = []
    for _ in range(args.sets):
        qid = rng.choice(sorted(forms))
        values = random_answers(rng, forms[qid])
        sets.append((forms[qid], Answers(questionnaire=qid, date=dt.date(2026, 11, 24), values=values)))

    direct, experta = engines.build(kb, "direct"), engines.build(kb, "experta")
    big = scaled(kb, 8)
    b0 = time.perf_counter()
    big_direct = engines.build(big, "direct")
    b1 = time.perf_counter()
    big_experta = engines.build(big, "experta")
    b2 = time.perf_counter()
    few = sets[: args.experta_8x_sets]
    figures = {"experta": engine_times(experta, sets)}
    figures["direct"], figures["direct 8x"] = paired_times(direct, big_direct, sets)
    figures["experta 1x, same sets"], figures["experta 8x"] = paired_times(experta, big_experta, few)
    total_ms: list[float] = []
    tiers: dict[str, int] = {}
    for form, answers in sets:
        t0 = time.perf_counter()
        result = assemble(kb, form, answers, experta.run(answers.values))
        total_ms.append((time.perf_counter() - t0) * 1000)
        tiers[result.referral.urgency] = tiers.get(result.referral.urgency, 0) + 1
    bare, assess, libraries = process_times(args.runs)

    med = {name: statistics.median(times) for name, times in figures.items()}
    print(f"Python {sys.version.split()[0]}, {len(kb.rules)} rules, {args.sets} answer sets ({tiers})")
    print(f"load rules from YAML (parse + validate)  median {statistics.median(load_times) * 1000:7.1f} ms")
    print(f"load rules from the start-up cache               {cached_load * 1000:7.1f} ms")
    print(f"compile into experta                     median {statistics.median(compile_times) * 1000:7.1f} ms")
    print(f"compile 8x rules: direct {(b1 - b0) * 1000:.1f} ms, experta {(b2 - b1) * 1000:.1f} ms")
    for name, times in figures.items():
        print(f"engine per assessment, {name:<22} median {med[name]:7.3f} ms   p95 {percentile(times, 95):7.3f} ms")
    print(
        f"8x rules / 1x rules: direct {med['direct 8x'] / med['direct']:.1f}x, "
        f"experta {med['experta 8x'] / med['experta 1x, same sets']:.1f}x"
    )
    print(
        f"experta + assembly per assessment        median {statistics.median(total_ms):7.2f} ms"
        f"   p95 {percentile(total_ms, 95):6.2f} ms"
    )
    pass_ms = statistics.median(bare) * 1000
    assess_ms, libraries_ms = statistics.median(assess) * 1000, statistics.median(libraries) * 1000
    print(
        f"`python -c pass` median {pass_ms:.0f} ms; `advisor assess` whole process median {assess_ms:.0f} ms"
        f" = {assess_ms / pass_ms:.1f}x; `{LIBRARIES}` alone {libraries_ms:.0f} ms = {libraries_ms / pass_ms:.1f}x"
        f"  ({args.runs} runs each, interleaved)"
    )


if __name__ == "__main__":
    main()
