"""The fit record: the bike's settings before and after, stored with each visit, compared in
`history` and shown in the report, where a recommended change not made stays open."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from pypdf import PdfReader

from advisor.core import fitrecord
from advisor.core import questionnaire as qmod
from advisor.core.conditions import holds
from advisor.records.store import Store
from tests.spec_ids import SAFETY
from tests.test_consult import folders, run  # noqa: F401  (the studio's folders, autouse)

ROOT = Path(__file__).resolve().parent.parent
FIRST = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"


def visit(tmp_path: Path, name: str, date: str, fit: dict) -> Path:
    doc = yaml.safe_load(FIRST.read_text(encoding="utf-8"))
    doc["date"], doc["fit"] = date, fit
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_two_visits_record_the_bike_and_show_what_changed_and_what_is_open(tmp_path: Path) -> None:
    first = visit(
        tmp_path,
        "one.yaml",
        "2026-11-24",
        {
            "before": {"saddle_height_mm": 720, "bar_drop_mm": 80, "saddle_tilt_deg": 0, "cleat_left": "neutral"},
            "after": {"saddle_height_mm": 720, "bar_drop_mm": 65, "saddle_tilt_deg": 0, "cleat_left": "neutral"},
        },
    )
    second = visit(
        tmp_path,
        "two.yaml",
        "2027-01-10",
        {"before": {"bar_drop_mm": 65, "saddle_tilt_deg": 0}, "after": {"bar_drop_mm": 65, "saddle_tilt_deg": -1.5}},
    )
    for path in (first, second):
        assert run("consult", "--client", "Zoë", "--answers", str(path), "--accept-all").exit_code == 0

    history = run("history", "Zoë")
    assert "bike: bar drop 80 mm -> 65 mm" in history.stdout
    assert "bike: saddle tilt 0° -> -1.5°" in history.stdout
    data = json.loads(run("history", "Zoë", "--format", "json").stdout)
    assert data[0]["fit"]["changed"] == ["bar_drop_mm"] and data[1]["fit"]["changed"] == ["saddle_tilt_deg"]

    # Visit 1: the bars came down 15 mm (raise-handlebar made); the tilt did not change (open).
    assert run("report", "--consultation", "1", "--out", "one.md").exit_code == 0
    md = (tmp_path / "one.md").read_text(encoding="utf-8")
    assert "## Fit record: the bike before and after" in md
    assert "| Bar drop | 80 mm | 65 mm | changed |" in md and "| Saddle height | 720 mm | 720 mm |  |" in md
    assert "Raise the handlebar: made" in md
    assert "Trial a slightly nose-down saddle: still open" in md
    # Visit 2: the tilt was made; the bars were measured and left.
    assert run("report", "--consultation", "2", "--out", "two.html").exit_code == 0
    html = (tmp_path / "two.html").read_text(encoding="utf-8")
    assert "Fit record: the bike before and after" in html
    assert '<li class="made">Trial a slightly nose-down saddle: made' in html
    assert '<li class="open">Raise the handlebar: still open' in html
    assert run("report", "--consultation", "2", "--out", "two.pdf").exit_code == 0
    pages = [page.extract_text() for page in PdfReader(tmp_path / "two.pdf").pages]
    for first, last in (("Fit record", "Saddle tilt"), ("Agreed in this consultation", "Bird dog (exercise)")):
        # A table is never split across pages: its heading and its last row share a page.
        assert any(first in page and last in page for page in pages), (first, last)


def test_a_bad_fit_record_names_the_setting_and_what_is_allowed(tmp_path: Path) -> None:
    path = visit(tmp_path, "bad.yaml", "2026-11-24", {"before": {"saddle_height_mm": 2000, "sadle_tilt_deg": 1}})
    result = run("assess", str(path))
    assert result.exit_code == 2
    assert "fit.before.saddle_height_mm: 2000 is out of range; allowed: a number from 400 to 1000 mm" in result.stderr
    assert "fit.before.sadle_tilt_deg: is not a fit-record setting" in result.stderr


def test_the_fitter_types_the_settings_after_the_advice(tmp_path: Path) -> None:
    """Before defaults to last visit's after, after to before: only what changed is typed."""
    last = {"saddle_height_mm": 720, "saddle_setback_mm": 80}
    one = visit(tmp_path, "one.yaml", "2026-11-24", {"before": last, "after": dict(last)})
    recorded = run("consult", "--client", "Ana", "--answers", str(one), "--accept-all")
    assert recorded.exit_code == 0, recorded.output
    first = yaml.safe_load(FIRST.read_text(encoding="utf-8"))["answers"]
    lines = []
    for q in qmod.load("fitter").questions:
        if q.id in SAFETY:
            lines.append("n")
        elif holds(q.condition, {**first, **dict.fromkeys(SAFETY, False)}):
            lines.append("")  # Enter keeps last visit's answer
    count = len(fitrecord.form().settings)
    lines += [""]  # every recommendation agreed
    lines += ["y", "1999", ""] + [""] * (count - 1)  # before: 1999 mm is refused, then Enter keeps 720
    lines += ["724"] + [""] * (count - 1)  # after: the saddle up 4 mm, the rest as before
    result = run("consult", "--client", "Ana", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output[-2000:]
    assert "out of range" in result.stdout and "[720 mm]" in result.stdout
    with Store() as store:
        fit = store.history("Ana")[-1].fit
    assert fit["before"] == {"saddle_height_mm": 720, "saddle_setback_mm": 80}
    assert fit["after"] == {"saddle_height_mm": 724, "saddle_setback_mm": 80}


def test_a_database_from_before_fit_records_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(ROOT / "tests" / "data" / "store-v1.sqlite3", db)  # written by the release before fit records
    with Store(db) as store:
        assert [v.fit for v in store.history("Zoë Ødegård")] == [{}, {}]
