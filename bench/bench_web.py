"""The studio's speed, measured in-process (no network): page and live-update times.

    .venv/bin/python bench/bench_web.py            # --runs 200 by default

Goals (2-core machine): a page at p50 <= 30 ms, a live advice update at p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")  # a note, not a fault

from starlette.testclient import TestClient  # noqa: E402

from advisor.core.rulebase import questionnaire as qmod  # noqa: E402
from advisor.web.app import create_app  # noqa: E402


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    safe = {q.id: "false" for q in qmod.load("fitter").questions if q.id.startswith("rf_")}
    with tempfile.TemporaryDirectory() as tmp:
        # Each live update keeps the client's draft, as at the studio: in this run's own folder.
        os.environ["ADVISOR_DATA_DIR"] = str(Path(tmp) / "data")
        client = TestClient(create_app(str(Path(tmp) / "studio.db")), base_url="http://127.0.0.1")
        page = client.get("/consult").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        answers = {"csrf": token, "client": "Bench", **safe, "passive_slr_deg": "62", "low_back_pain": "long_rides"}
        for n in range(20):  # a studio with some history
            client.post("/consult/save", data={**answers, "client": f"Rider {n}", "date": "2026-11-30"})
        print(f"Python {sys.version.split()[0]}, {args.runs} requests each, in-process")
        for name, call in (
            ("GET /  (20 clients)", lambda: client.get("/")),
            ("GET /consult", lambda: client.get("/consult")),
            ("live advice update", lambda: client.post("/consult/advice", data=answers)),
            (
                "live advice, red flag",
                lambda: client.post("/consult/advice", data={**answers, "rf_chest_pain": "true"}),
            ),
        ):
            call()  # warm up
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
            print(f"{name:24} {percentiles(times)}")


if __name__ == "__main__":
    main()
