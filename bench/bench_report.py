"""Benchmark report writing: median time to write each format for a bundled example.

Run: python bench/bench_report.py [--runs 20]
Prints figures; asserts nothing. Target: a PDF report in at most 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from advisor.core.advice.pipeline import assess
    from advisor.core.intake import answers
    from advisor.output import formats as report

    result = assess(answers.load(str(EXAMPLE)))
    with tempfile.TemporaryDirectory() as tmp:
        print(f"Python {sys.version.split()[0]}, {args.runs} runs each, example {EXAMPLE.name}")
        for suffix in (".pdf", ".html", ".md", ".json"):
            target = Path(tmp) / f"report{suffix}"
            report.write(report.report_for(result), str(target))  # first write loads templates and fonts
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                report.write(report.report_for(result), str(target))
                times.append(time.perf_counter() - t0)
            size = target.stat().st_size
            print(f"write {suffix:5} report   median {statistics.median(times) * 1000:7.1f} ms   ({size:,} bytes)")


if __name__ == "__main__":
    main()
