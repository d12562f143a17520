"""Mutation check: break the knowledge base in ways that would harm a rider; the suite must fail.

Each mutation edits a copy of rules/ (ADVISOR_RULES_DIR points every test at it) and runs
the clinical tests: scenarios, safety properties and the knowledge-base checks. A mutation
the suite survives means a safety promise is untested. First the unmutated copy must pass,
so a failure below is the mutation's doing. Run by .ci/run; prints one line per mutation.

    python tests/mutation_check.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = ["tests/test_scenarios.py", "tests/test_safety_properties.py", "tests/test_knowledge_base.py"]


@dataclass(frozen=True)
class Mutation:
    what: str
    file: str
    after: str  # the edit applies to the first `old` after this text
    old: str
    new: str


MUTATIONS = [
    Mutation(
        "flip a red-flag tier: saddle numbness off the bike becomes 'soon'",
        "triage.yaml",
        "- id: triage-saddle-numbness-off-bike",
        "then: {refer: emergency}",
        "then: {refer: soon}",
    ),
    Mutation(
        "shift a cut-off: straight-leg raise 'tight' below 60° instead of 80°",
        "findings.yaml",
        "",
        "{answer: passive_slr_deg, below: 80}",
        "{answer: passive_slr_deg, below: 60}",
    ),
    Mutation(
        "drop a safety rule: the strap stretch with pain below the knee",
        "safety.yaml",
        "",
        "    then: {withhold_exercise: strap-stretch}\n",
        "    then: {exercise: strap-stretch}\n",
    ),
    Mutation(
        "loosen a tier: exercises allowed in an emergency",
        "triage.yaml",
        "- id: emergency",
        "exercises: none",
        "exercises: all",
    ),
    Mutation(
        "lower a guideline's grade: upper back pain goes from urgent to soon",
        "triage.yaml",
        "- id: triage-thoracic-pain",
        "then: {refer: urgent}",
        "then: {refer: soon}",
    ),
    Mutation(
        "read a skipped pain question as no pain: sexual dysfunction with pain skipped",
        "triage.yaml",
        "- id: triage-sexual-dysfunction-pain-not-answered",
        "then: {refer: emergency}",
        "then: {refer: urgent}",
    ),
    Mutation(
        "drop a reached progression at a follow-up",
        "follow-up.yaml",
        "- id: fu-keep-braced-deadbug",
        "then: {exercise: braced-deadbug}",
        "then: {note_exercise: braced-deadbug}",
    ),
    Mutation(
        "drop a safety hold: exercises lying on the back in pregnancy",
        "safety.yaml",
        "",
        "then: {withhold_position: lying-on-back}",
        "then: {note_exercise: deadbug}",
    ),
]


def run_suite(rules: Path) -> tuple[int, str]:
    env = dict(os.environ, ADVISOR_RULES_DIR=str(rules), HYPOTHESIS_PROFILE="dev")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *SUITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    failed = re.findall(r"^FAILED (\S+)", proc.stdout, re.M)
    return proc.returncode, failed[0] if failed else proc.stdout.strip().splitlines()[-1]


def apply(rules: Path, m: Mutation) -> None:
    path = rules / m.file
    text = path.read_text(encoding="utf-8")
    start = text.index(m.after) if m.after else 0
    at = text.index(m.old, start)
    path.write_text(text[:at] + m.new + text[at + len(m.old) :], encoding="utf-8")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "rules"
        shutil.copytree(ROOT / "rules", base)
        code, summary = run_suite(base)
        if code != 0:
            print(f"mutation check: the unmutated copy fails ({summary}); fix the suite first")
            return 1
        survived = 0
        for m in MUTATIONS:
            rules = Path(tmp) / f"mutant-{MUTATIONS.index(m)}"
            shutil.copytree(ROOT / "rules", rules)
            apply(rules, m)
            t0 = time.perf_counter()
            code, caught_by = run_suite(rules)
            took = time.perf_counter() - t0
            if code == 0:
                survived += 1
                print(f"SURVIVED  {m.what}")
            else:
                print(f"caught    {m.what}  ({took:.0f} s, by {caught_by})")
    print(f"mutation check: {len(MUTATIONS) - survived} of {len(MUTATIONS)} mutations caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
