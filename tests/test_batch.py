"""advisor batch: many riders, one report each; bad rows, resume after a kill, same as assess."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from advisor import executors
from advisor.cli import app
from advisor.core.rulebase import questionnaire as qmod

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SAFETY = [q.id for q in qmod.load("rider").questions if q.id.startswith("rf_")]
runner = CliRunner()


def riders_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = ["client", "date", "questionnaire", *SAFETY, "knee_pain", "passive_slr_deg", "low_back_pain"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({**dict.fromkeys(SAFETY, "false"), **row})
    return path


ANA = {"client": "Ana", "date": "2026-11-30", "questionnaire": "fitter", "knee_pain": "front;inside"}
ROWS = [
    {**ANA, "passive_slr_deg": "62"},
    {"client": "Ben", "rf_chest_pain": "true", "knee_pain": "[]"},
    {"client": "Cy", "knee_pain": "elbow"},
    {"client": "Zoë Ødegård", "low_back_pain": "long_rides"},
]


def summary(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_bad_row_does_not_stop_the_batch(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["batch", str(riders_csv(tmp_path / "r.csv", ROWS)), "--out", str(out), "-f", "json", "-j", "1"]
    )
    assert result.exit_code == 2
    rows = summary(out)
    assert [r["report"] for r in rows] == ["0001-ana.json", "0002-ben.json", "", "0004-zoe-odegard.json"]
    assert rows[2]["client"] == "Cy" and "answers.knee_pain" in rows[2]["error"] and "'elbow'" in rows[2]["error"]
    assert [r["urgency"] for r in rows] == ["routine", "emergency", "", "routine"]
    assert "4 riders: 1 emergency" in result.stdout and "1 row with errors" in result.stdout
    overview = (out / "overview.html").read_text(encoding="utf-8")
    assert "Who needs care first" in overview and "Ben" in overview
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(r["report"] for r in rows if r["report"]), "summary.csv", "overview.html"]
    )


def test_csv_and_jsonl_give_the_same_results(tmp_path: Path) -> None:
    good = [r for r in ROWS if r["client"] != "Cy"]
    runner.invoke(
        app, ["batch", str(riders_csv(tmp_path / "r.csv", good)), "--out", str(tmp_path / "a"), "-f", "json", "-j", "1"]
    )
    lines = []
    for row in good:
        answers: dict[str, object] = {qid: False for qid in SAFETY}
        if row.get("rf_chest_pain"):
            answers["rf_chest_pain"] = True
        if row.get("knee_pain"):
            answers["knee_pain"] = [] if row["knee_pain"] == "[]" else row["knee_pain"].split(";")
        if row.get("passive_slr_deg"):
            answers["passive_slr_deg"] = int(row["passive_slr_deg"])
        if row.get("low_back_pain"):
            answers["low_back_pain"] = row["low_back_pain"]
        doc = {"client": row["client"], "questionnaire": row.get("questionnaire") or "rider", "answers": answers}
        if row.get("date"):
            doc["date"] = row["date"]
        lines.append(json.dumps(doc, ensure_ascii=False))
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (
        runner.invoke(
            app, ["batch", str(tmp_path / "r.jsonl"), "--out", str(tmp_path / "b"), "-f", "json", "-j", "1"]
        ).exit_code
        == 0
    )
    for name in (r["report"] for r in summary(tmp_path / "a")):
        first = json.loads((tmp_path / "a" / name).read_text(encoding="utf-8"))
        second = json.loads((tmp_path / "b" / name).read_text(encoding="utf-8"))
        first.pop("date"), second.pop("date")  # a row without a date is dated the day it runs
        assert first == second


def test_each_report_is_what_assess_gives_for_the_same_answers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["batch", str(EXAMPLES), "--out", str(out), "-f", "json", "-j", "2"]).exit_code == 0
    for row, example in zip(summary(out), sorted(EXAMPLES.glob("*.yaml")), strict=True):
        alone = runner.invoke(app, ["assess", str(example), "--format", "json"])
        assert json.loads((out / row["report"]).read_text(encoding="utf-8")) == json.loads(alone.stdout)


def test_running_again_finishes_the_rest_and_rewrites_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["batch", str(EXAMPLES), "--out", str(out), "-f", "md", "-j", "1"]
    assert runner.invoke(app, args).exit_code == 0
    reports = sorted(out.glob("*.md"))
    stamps = {p.name: p.stat().st_mtime_ns for p in reports}
    reports[2].unlink()
    (out / f".{reports[4].name}.k1ll3d00.tmp").write_text("half", encoding="utf-8")  # a killed writer's file
    time.sleep(0.05)
    assert runner.invoke(app, args).exit_code == 0
    assert reports[2].exists()
    assert {p.name: p.stat().st_mtime_ns for p in reports if p != reports[2]} == {
        n: s for n, s in stamps.items() if n != reports[2].name
    }
    assert not list(out.glob(".*.tmp"))
    assert [r["urgency"] for r in summary(out)].count("") == 0  # urgencies of the reports done before


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is POSIX")
def test_a_killed_batch_leaves_no_half_report_and_finishes_on_the_next_run(tmp_path: Path) -> None:
    RIDERS = 32  # enough that a report a few tens of milliseconds long leaves most to do at the kill
    folder = tmp_path / "riders"
    folder.mkdir()
    example = yaml.safe_load((EXAMPLES / "routine-low-back-tight-hamstrings.yaml").read_text(encoding="utf-8"))
    for n in range(RIDERS):
        (folder / f"{n:03d}.yaml").write_text(
            yaml.safe_dump({**example, "client": f"Rider {n}"}, allow_unicode=True), encoding="utf-8"
        )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "advisor", "batch", str(folder), "--out", str(out), "-f", "pdf", "-j", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.pdf"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, mid-write
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    assert 2 <= len(before) < RIDERS
    for pdf in out.glob("*.pdf"):  # whatever has its final name is whole
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), pdf.name
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    assert len(after) == RIDERS and all(after[n] == s for n, s in before.items())
    assert not list(out.glob(".*.tmp"))


def test_a_dask_cluster_gives_the_same_reports_as_the_local_pool(tmp_path: Path) -> None:
    """The federation path: the same rows on a running Dask cluster (here one on 127.0.0.1)."""
    distributed = pytest.importorskip("dask.distributed")
    local, on_dask = tmp_path / "local", tmp_path / "dask"
    source = riders_csv(tmp_path / "riders.csv", ROWS)
    assert runner.invoke(app, ["batch", str(source), "--out", str(local), "-f", "json"]).exit_code == 2
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        args = ["batch", str(source), "--out", str(on_dask), "-f", "json", "--executor", "dask"]
        result = runner.invoke(app, [*args, "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 2, result.output  # the bad row counts the same on both
    assert summary(on_dask) == summary(local)
    for row in summary(local):
        if row["report"]:
            assert (on_dask / row["report"]).read_bytes() == (local / row["report"]).read_bytes()


def test_an_unknown_executor_or_an_unreachable_scheduler_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(EXAMPLES), "--out", str(out), "--executor", "spark"])
    assert result.exit_code == 2
    assert "unknown executor 'spark'; allowed: local, dask" in result.output
    result = runner.invoke(app, ["batch", str(EXAMPLES), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "--scheduler: is for --executor dask" in result.output
    if pytest.importorskip("dask.distributed"):
        args = ["batch", str(EXAMPLES), "--out", str(out), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "could not reach tcp://127.0.0.1:9" in result.output
        for scheme, words in (("tls", "needs Dask's TLS settings"), ("ucx", "needs UCX for Dask")):
            args[-1] = f"{scheme}://127.0.0.1:9"
            result = runner.invoke(app, args)
            assert result.exit_code == 2 and words in result.output and "internal error" not in result.output


def test_a_red_flag_is_never_lost_behind_a_bad_cell(tmp_path: Path) -> None:
    """A row that answers a red flag yes but has another bad cell is reported as needing care
    first, with its error; yes/no cells are read as answer files read them."""
    rows = [
        {"client": "Dee", "rf_chest_pain": "yes", "passive_slr_deg": "200"},  # out of range
        {"client": "Eli", "rf_fever_or_unwell": "true", "low_back_pain": "sometimes"},  # not a choice
        {"client": "Fay", "rf_weight_loss": "no", "low_back_pain": "none"},
        {"client": "Gus", "passive_slr_deg": "200"},  # no red flag: no urgency claimed
    ]
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(riders_csv(tmp_path / "r.csv", rows)), "--out", str(out), "-f", "json"])
    assert result.exit_code == 2
    got = summary(out)
    assert [r["urgency"] for r in got] == ["emergency", "urgent", "routine", ""]
    assert got[0]["report"] == "" and "needs emergency care" in got[0]["error"] and "passive_slr_deg" in got[0]["error"]
    assert "needs urgent care" in got[1]["error"] and "low_back_pain" in got[1]["error"]
    assert got[3]["error"] and "care" not in got[3]["error"]
    overview = (out / "overview.html").read_text(encoding="utf-8")
    assert "No rider needs emergency or urgent care" not in overview
    assert "Dee" in overview and "Eli" in overview and "the row has an error" in overview


def test_a_resumed_batch_rewrites_a_report_whose_row_changed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = tmp_path / "r.csv"
    riders_csv(source, [{"client": "Hal", "low_back_pain": "long_rides"}, {"client": "Ivy"}])
    args = ["batch", str(source), "--out", str(out), "-f", "json", "-j", "1"]
    assert runner.invoke(app, args).exit_code == 0
    assert [r["urgency"] for r in summary(out)] == ["routine", "routine"]
    ivy = out / "0002-ivy.json"
    stamp = ivy.stat().st_mtime_ns
    riders_csv(source, [{"client": "Hal", "low_back_pain": "long_rides", "rf_chest_pain": "true"}, {"client": "Ivy"}])
    time.sleep(0.05)
    assert runner.invoke(app, args).exit_code == 0
    again = summary(out)
    assert [r["urgency"] for r in again] == ["emergency", "routine"]
    assert json.loads((out / "0001-hal.json").read_text(encoding="utf-8"))["referral"]["urgency"] == "emergency"
    assert ivy.stat().st_mtime_ns == stamp  # the unchanged row is not rewritten
    assert again[0]["input"] != again[1]["input"] and all(len(r["input"]) == 16 for r in again)


def test_hostile_and_awkward_csv_files_are_read_or_refused_in_words(tmp_path: Path) -> None:
    header = "client," + ",".join(SAFETY)
    no = ",".join(["false"] * len(SAFETY))
    cases = {
        # A spreadsheet's "CSV UTF-8" (a byte-order mark) and old Mac line ends (CR only).
        "bom.csv": ("\ufeff" + header + "\nAna," + no + "\n", 0, None),
        "cr.csv": (header + "\rAna," + no + "\r", 0, None),
        # A column named twice would silently keep the last value.
        "twice.csv": (header + ",rf_chest_pain\nAna," + no + ",true\n", 2, "names a column twice: rf_chest_pain"),
        # A cell longer than the csv module takes.
        "big.csv": (header + "\nAna," + "x" * 140_000 + "\n", 2, "a cell is longer than"),
    }
    for name, (text, code, words) in cases.items():
        source = tmp_path / name
        source.write_bytes(text.encode("utf-8"))
        result = runner.invoke(app, ["batch", str(source), "--out", str(tmp_path / f"out-{name}"), "-f", "json"])
        assert result.exit_code == code, (name, result.output)
        assert "internal error" not in result.output and "Traceback" not in result.output
        if words:
            assert words in result.stderr, (name, result.stderr)
        else:
            assert summary(tmp_path / f"out-{name}")[0]["urgency"] == "routine"
            assert "1 rider: " in result.stdout


def test_a_formula_in_a_name_is_written_to_the_summary_as_text(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = [{"client": "=cmd|' /C calc'!A0"}, {"client": "@SUM(1+1)", "knee_pain": "elbow"}]
    runner.invoke(app, ["batch", str(riders_csv(tmp_path / "r.csv", rows)), "--out", str(out), "-f", "json"])
    got = summary(out)
    assert got[0]["client"] == "'=cmd|' /C calc'!A0" and got[1]["client"] == "'@SUM(1+1)"


def test_a_folder_batch_never_reads_its_own_reports_or_macos_leftovers(tmp_path: Path) -> None:
    folder = tmp_path / "riders"
    folder.mkdir()
    for example in sorted(EXAMPLES.glob("*.yaml"))[:2]:
        (folder / example.name).write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "._routine.yaml").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (folder / "gone.yaml").symlink_to(folder / "missing.yaml")  # a dangling link is reported, not dropped
    args = ["batch", str(folder), "--out", str(folder), "-f", "json"]
    first = runner.invoke(app, args)
    again = runner.invoke(app, args)
    assert first.exit_code == again.exit_code == 2  # the dangling link
    rows = summary(folder)
    gone = next(r for r in rows if r["client"] == "gone")
    assert len(rows) == 3 and "no such file" in gone["error"]
    assert all(not r["client"].startswith("0") for r in rows)  # no report read back as a rider


def test_a_line_separator_inside_a_json_string_does_not_split_a_jsonl_row(tmp_path: Path) -> None:
    answers = dict.fromkeys(SAFETY, False)
    source = tmp_path / "r.jsonl"
    source.write_text(json.dumps({"client": "A\u2028B", "answers": answers}, ensure_ascii=False) + "\n", "utf-8")
    result = runner.invoke(app, ["batch", str(source), "--out", str(tmp_path / "out"), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert [r["client"] for r in summary(tmp_path / "out")] == ["A\u2028B"]


def test_an_output_folder_below_a_file_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    source = riders_csv(tmp_path / "r.csv", [{"client": "Ana"}])
    result = runner.invoke(app, ["batch", str(source), "--out", str(tmp_path / "afile" / "sub"), "-f", "json"])
    assert result.exit_code == 2 and "cannot be used as the output folder" in result.stderr
    assert "internal error" not in result.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_batch_killed_alone_takes_its_workers_with_it(tmp_path: Path) -> None:
    """kill -9 of the batch process only (not its group): its workers end too."""
    folder = tmp_path / "riders"
    folder.mkdir()
    example = yaml.safe_load((EXAMPLES / "routine-low-back-tight-hamstrings.yaml").read_text(encoding="utf-8"))
    for n in range(40):
        (folder / f"{n:03d}.yaml").write_text(yaml.safe_dump({**example, "client": f"R {n}"}), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "advisor", "batch", str(folder), "--out", str(out), "-f", "pdf", "-j", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(out.glob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.05)
    children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    assert children  # the pool's workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for _ in range(100):
        alive = [c for c in children if Path(f"/proc/{c}").exists() and "Z" not in _state(c)]
        if not alive:
            break
        time.sleep(0.05)
    assert not alive, f"workers still running: {alive}"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_a_second_batch_into_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running batch holds it
        source = riders_csv(tmp_path / "r.csv", [{"client": "Ana"}])
        result = runner.invoke(app, ["batch", str(source), "--out", str(out), "-f", "json"])
        assert result.exit_code == 2 and "another batch is writing into this folder" in result.stderr
    finally:
        os.close(fd)
    assert runner.invoke(app, ["batch", str(source), "--out", str(out), "-f", "json"]).exit_code == 0


def test_a_summary_resaved_by_a_spreadsheet_in_windows_1252_does_not_stop_a_resume(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = riders_csv(tmp_path / "r.csv", [{"client": "Zoë"}, {"client": "Ana"}])
    args = ["batch", str(source), "--out", str(out), "-f", "json"]
    assert runner.invoke(app, args).exit_code == 0
    summary_file = out / "summary.csv"
    summary_file.write_bytes(summary_file.read_text(encoding="utf-8").encode("cp1252"))  # 'ë' as one byte
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert [r["urgency"] for r in summary(out)] == ["routine", "routine"]


def test_the_report_format_has_its_own_name_and_the_earlier_one_still_works(tmp_path: Path) -> None:
    source = riders_csv(tmp_path / "r.csv", [{"client": "Ana"}])
    new = runner.invoke(app, ["batch", str(source), "--out", str(tmp_path / "a"), "--report-format", "md"])
    old = runner.invoke(app, ["batch", str(source), "--out", str(tmp_path / "b"), "-f", "md"])
    assert new.exit_code == old.exit_code == 0
    assert (tmp_path / "a" / "0001-ana.md").read_bytes() == (tmp_path / "b" / "0001-ana.md").read_bytes()
    wrong = runner.invoke(app, ["batch", str(source), "--out", str(tmp_path / "c"), "--report-format", "docx"])
    assert wrong.exit_code == 2 and "--report-format" in wrong.stderr


def test_a_jsonl_row_nested_a_hundred_thousand_deep_is_an_error_row(tmp_path: Path) -> None:
    source = tmp_path / "deep.jsonl"
    source.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(source), "--out", str(tmp_path / "out"), "-f", "json"])
    assert result.exit_code == 2 and "internal error" not in result.output
    assert "not valid JSON" in summary(tmp_path / "out")[0]["error"]
