"""Many riders at once: answer sets in (CSV, JSON lines or a folder of answer files), one report
each out, a summary and a one-page overview for the organiser.

Each row's work is a pure function from an answer document to report bytes (`render_row`), run
in a process pool whose workers build the engine and the PDF machinery once, or on a Dask
cluster (executors.py). Reports are written
atomically under their final names, so a report that has its final name is complete: after a
crash or a kill the same command finishes the rest and rewrites nothing that was done.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import html
import io
import itertools
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from advisor.core.advice.pipeline import assess
from advisor.core.datafiles.files import remove_leftovers, write_atomic
from advisor.core.datafiles.yamlio import parse, read_text
from advisor.core.engines import engine, triage
from advisor.core.errors import EXIT_INTERNAL, AdvisorError, Problem
from advisor.core.intake import answers as answers_mod
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.executors import check, ordered_results
from advisor.output import formats
from advisor.records import config

FORMATS = ("pdf", "html", "md", "json")
# 'input' is a digest of the row's answers: a resumed batch rewrites a report whose row changed.
SUMMARY_FIELDS = ("row", "client", "urgency", "report", "error", "input")
URGENCY_ORDER = ("emergency", "urgent", "soon", "routine")
MAX_INPUT = 200_000_000
# The engine a batch runs unless told otherwise: the compiled rules (engine.py), held to
# experta's firings by the tests, because a club's thousands of riders make its speed count.
BATCH_ENGINE = "direct"


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, in the order of the input
    client: str
    doc: Any  # an answer document, or None when the row could not be read at all
    source: str  # where the row is, for messages: "riders.csv:row 12"
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    row: int
    client: str
    urgency: str
    report: str
    error: str


# --- reading ---------------------------------------------------------------------------------
def read_rows(path: Path, own: Collection[Path] = ()) -> list[Row]:
    """The rows of a CSV, a JSON-lines file or a folder of answer files, in order; ``own``, the
    batch's reports already written (a folder given as --out too), are never read as input."""
    if path.is_dir():
        # macOS leaves '._name' files beside copied ones.
        own = {p.absolute() for p in own}
        files = sorted(
            p
            for p in path.iterdir()
            if p.suffix.lower() in (".yaml", ".yml", ".json")
            and not p.name.startswith("._")
            and (p.is_file() or p.is_symlink())
            and p.absolute() not in own
        )
        return [_file_row(n, p) for n, p in enumerate(files, 1)]
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise AdvisorError(
            [Problem(str(path), "is not a batch input; give a .csv, a .jsonl or a folder of answer files")]
        )
    text = read_text(str(path), limit=MAX_INPUT)
    return list(_csv_rows(path, text) if suffix == ".csv" else _jsonl_rows(path, text))


def _file_row(n: int, path: Path) -> Row:
    try:
        doc = parse(read_text(str(path)), str(path))
    except AdvisorError as err:
        return Row(n, path.stem, None, str(path), "; ".join(p.message for p in err.problems))
    client = str(doc.get("client") or path.stem) if isinstance(doc, dict) else path.stem
    return Row(n, client, doc, str(path))


def _jsonl_rows(path: Path, text: str) -> Iterator[Row]:
    n = 0
    # Only a line feed ends a record: str.splitlines() would also split at U+2028 or U+0085,
    # which may stand inside a JSON string.
    for line_no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        n += 1
        where = f"{path}:{line_no}"
        try:
            doc = json.loads(line)
        except (ValueError, RecursionError) as err:  # RecursionError: nesting deeper than Python goes
            yield Row(n, "", None, where, f"not valid JSON ({str(err)[:80]})")
            continue
        client = str(doc.get("client") or "") if isinstance(doc, dict) else ""
        yield Row(n, client, doc, where)


def _csv_rows(path: Path, text: str) -> Iterator[Row]:
    # A spreadsheet's "CSV UTF-8" starts with a byte-order mark; newline="" lets the csv module
    # take CR, LF and CRLF line ends alike (a CR-only file, a stray CR in a cell).
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as err:
        raise _csv_problem(path, reader, err) from None
    if "client" not in header:
        raise AdvisorError([Problem(str(path), "the first line must name the columns, starting with 'client'", 1)])
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        # csv.DictReader would keep the last of two columns of one name without a word.
        raise AdvisorError([Problem(str(path), f"names a column twice: {', '.join(twice)}; keep one of each", 1)])
    forms = {name: qmod.load(name) for name in qmod.available()}
    records = iter(reader)
    for n in itertools.count(1):
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as err:
            raise _csv_problem(path, reader, err) from None
        where = f"{path}:{reader.line_num}"
        questionnaire = (record.get("questionnaire") or "rider").strip()
        form = forms.get(questionnaire)
        answers: dict[str, Any] = {}
        for column, cell in record.items():
            if column in ("client", "date", "questionnaire") or column is None:
                continue
            cell = (cell or "").strip()
            if cell:
                question = form.get(column) if form else None
                answers[column] = _cell(cell, question.type if question else "")
        doc: dict[str, Any] = {"questionnaire": questionnaire, "answers": answers}
        client = (record.get("client") or "").strip()
        if client:
            doc["client"] = client
        if (record.get("date") or "").strip():
            doc["date"] = record["date"].strip()
        yield Row(n, client, doc, where)


def _csv_problem(path: Path, reader: Any, err: csv.Error) -> AdvisorError:
    if "field larger than field limit" in str(err):
        message = f"a cell is longer than {csv.field_size_limit():,} characters; no answer is that long"
    else:
        message = f"is not a readable CSV file ({err})"
    return AdvisorError([Problem(str(path), message, reader.line_num or None)])


def _cell(text: str, kind: str) -> Any:
    """A CSV cell as an answer file would hold it: a;b and [] for multi-choice, true/false, numbers."""
    if kind == "multi":
        return [] if text == "[]" else [part.strip() for part in text.split(";") if part.strip()]
    if kind == "bool":
        # As an answer file and `advisor ask` take them: true/false and yes/no.
        return {"true": True, "false": False, "yes": True, "no": False}.get(text.lower(), text)
    if kind in ("int", "number"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


# --- one row ---------------------------------------------------------------------------------
def render_row(doc: Any, source: str, fmt: str, paper: str, engine_kind: str) -> tuple[bytes | None, str, str]:
    """(report bytes, urgency, error) for one answer document: the pure per-row work."""
    try:
        answers = answers_mod.validate(doc, source)
    except AdvisorError as err:
        error = "; ".join(f"{p.field + ': ' if p.field else ''}{p.message}" for p in err.problems[:5])
        care = care_first(doc, engine_kind)
        if care:
            # A red flag answered yes is never lost behind another error: the row is reported
            # as needing care first, with its error.
            error = f"needs {care} care on the answers that could be read; fix the row for a full report: {error}"
        return None, care, error
    result = assess(answers, engine_kind=engine_kind)
    if fmt == "json":  # the result itself: no report model to build
        return formats.assessment_json(result), result.referral.urgency, ""
    report = formats.report_for(result, paper, fit=answers.fit, settings=_studio_settings())
    return formats.render(report, f".{fmt}"), result.referral.urgency, ""


def care_first(doc: Any, engine_kind: str | None = None) -> str:
    """'emergency' or 'urgent' when the answers of a row that cannot be read whole already
    settle one of those tiers; else ''. Each answer that is valid on its own counts; a bad one
    is left out (never read as no), so a skipped-question rule may fire: the safer reading."""
    if not isinstance(doc, dict) or not isinstance(doc.get("answers"), dict):
        return ""
    form = qmod.load(doc.get("questionnaire") if doc.get("questionnaire") in qmod.available() else "rider")
    values = {}
    for qid, raw in doc["answers"].items():
        q = form.get(qid) if isinstance(qid, str) else None
        if q is not None:
            value, problem = answers_mod.check_value(q, raw)
            if problem is None:
                values[qid] = value
    kb = knowledge.load()
    tier = triage.settled_tier(kb, values, engine_kind=engine_kind)
    return tier.id if tier.fit == "stop" else ""


@cache
def _studio_settings() -> dict[str, str]:
    """The studio's name, contact and logo, read once per worker rather than once per report."""
    return config.load()


def _warm_up(fmt: str, engine_kind: str) -> None:
    """Each worker builds the engine and the report machinery once, before its first row."""
    knowledge.load()
    engine.shared(engine_kind)
    _studio_settings()
    if fmt in ("pdf", "html"):
        formats.render_ready(f".{fmt}")


def _work(job: tuple[Any, str, str, str, str]) -> tuple[bytes | None, str, str]:
    return render_row(*job)


# --- the batch -------------------------------------------------------------------------------
def report_name(row: Row, width: int, fmt: str) -> str:
    return f"{row.number:0{width}d}-{slug(row.client)}.{fmt}"


# Letters that do not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "ß": "ss", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d"})


def slug(name: str) -> str:
    """A file-name-safe form of a client's name: 'Zoë Ødegård' -> 'zoe-odegard'."""
    spelled = name.translate(_LETTERS)
    ascii_text = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:60] or "rider"


def run(
    source: Path,
    out: Path,
    fmt: str = "pdf",
    jobs: int | None = None,
    paper: str = "a4",
    progress: Callable[[int, int], None] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    engine_kind: str | None = None,
) -> list[Outcome]:
    """Write every row's report into ``out`` (skipping those already there), then the summary
    and the overview; returns one outcome per row. ``executor`` and ``scheduler``: see
    executors.py (a local process pool by default, or a Dask cluster). ``engine_kind``: the
    engine that runs the rules; by default ``ADVISOR_ENGINE``, else the compiled rules, which
    the tests hold to experta's firings and which a batch of thousands runs several times faster."""
    check(executor, scheduler)
    kind = engine.checked(engine_kind, "--engine") if engine_kind else engine.chosen(default=BATCH_ENGINE)
    earlier = _earlier(out)
    rows = read_rows(source, [out / name for name in earlier])
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file where a folder should be, a read-only file system
        raise AdvisorError([Problem(str(out), f"cannot be used as the output folder: {err.strerror or err}")]) from None
    with _only_batch_in(out):
        remove_leftovers(out)  # half-written reports of a killed run never had their final names
        width = max(4, len(str(len(rows))))
        outcomes: dict[int, Outcome] = {}
        todo: list[Row] = []
        digests = {row.number: digest(row.doc) for row in rows if row.doc is not None}
        for row in rows:
            name = report_name(row, width, fmt)
            if row.doc is None:
                outcomes[row.number] = Outcome(row.number, row.client, "", "", row.error)
            elif (out / name).exists() and earlier.get(name, ("", ""))[1] in ("", digests[row.number]):
                outcomes[row.number] = Outcome(row.number, row.client, "", name, "")  # done before: not rewritten
            else:
                todo.append(row)
        done = len(rows) - len(todo)
        if progress:
            progress(done, len(rows))
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
        results = ordered_results(
            _work,
            ((row.doc, row.source, fmt, paper, kind) for row in todo),
            workers=workers,
            warm_up=functools.partial(_warm_up, fmt, kind),
            executor=executor,
            scheduler=scheduler,
        )
        try:
            for row, (data, urgency, error) in zip(todo, _reported(results), strict=True):
                name = report_name(row, width, fmt)
                if data is not None:
                    write_atomic(out / name, data, sweep=False)  # remove_leftovers ran above
                outcomes[row.number] = Outcome(row.number, row.client, urgency, name if data is not None else "", error)
                done += 1
                if progress:
                    progress(done, len(rows))
        finally:
            results.close()  # stop the workers at once if this loop ends early (an interrupt)
        ordered = [outcomes[row.number] for row in rows]
        _fill_urgencies(ordered, rows, earlier, kind)
        write_atomic(out / "summary.csv", _summary_csv(ordered, digests))
        write_atomic(out / "overview.html", _overview(ordered, source))
        return ordered


@contextlib.contextmanager
def _only_batch_in(out: Path) -> Iterator[None]:
    """Hold the output folder for this batch alone: a second batch into it would clear the
    first one's half-written reports as a killed run's leftovers and race for its summary."""
    if fcntl is None:  # Windows has no flock: it runs without the lock
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AdvisorError(
                [Problem(str(out), "another batch is writing into this folder; wait for it, or give another --out")]
            ) from None
        yield
    finally:
        os.close(fd)  # closing the folder's descriptor releases the lock


def _reported(results: Iterator[tuple[bytes | None, str, str]]) -> Iterator[tuple[bytes | None, str, str]]:
    """The results, with a worker that died (killed, out of memory) said in words, not a traceback."""
    try:
        yield from results
    except BrokenProcessPool:
        raise AdvisorError(
            [
                Problem(
                    "batch", "a worker process died (killed, or out of memory); run the same command again to finish"
                )
            ],
            exit_code=EXIT_INTERNAL,
        ) from None


def _fill_urgencies(
    outcomes: list[Outcome], rows: list[Row], earlier: dict[str, tuple[str, str]], engine_kind: str
) -> None:
    """Reports done by an earlier run: their urgency read back cheaply from the summary it wrote."""
    for i, o in enumerate(outcomes):
        if o.report and not o.urgency:
            urgency = earlier.get(o.report, ("", ""))[0] or _urgency_of(rows[i], engine_kind)
            outcomes[i] = Outcome(o.row, o.client, urgency, o.report, o.error)


def _urgency_of(row: Row, engine_kind: str) -> str:
    try:
        return assess(answers_mod.validate(row.doc, row.source), engine_kind=engine_kind).referral.urgency
    except AdvisorError:
        return ""


def digest(doc: Any) -> str:
    """A short fingerprint of a row's answers, the same for the same answers in any key order."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _earlier(out: Path) -> dict[str, tuple[str, str]]:
    """Report name -> (urgency, digest of the row it was written from), as the last summary
    recorded them. A report done by a run killed before its summary has neither: it is kept,
    and its urgency is worked out again."""
    try:
        with (out / "summary.csv").open(encoding="utf-8", newline="") as handle:
            return {
                r["report"]: (r.get("urgency") or "", r.get("input") or "")
                for r in csv.DictReader(handle)
                if r.get("report")
            }
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}


def _summary_csv(outcomes: list[Outcome], digests: dict[int, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_FIELDS)
    for o in outcomes:
        writer.writerow([o.row, _cell_text(o.client), o.urgency, o.report, _cell_text(o.error), digests.get(o.row, "")])
    return buffer.getvalue()


def _cell_text(text: str) -> str:
    """Text a spreadsheet will show as text: a cell starting with = + - @, a tab or a CR could
    be run as a formula (OWASP's CSV injection), so it gets a leading apostrophe."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _overview(outcomes: list[Outcome], source: Path) -> str:
    """One page for the organiser: how many at each urgency, and who needs care first."""
    counts = Counter(o.urgency for o in outcomes if o.urgency)
    bad = [o for o in outcomes if o.error]
    first = [o for o in outcomes if o.urgency in ("emergency", "urgent")]
    first.sort(key=lambda o: (URGENCY_ORDER.index(o.urgency), o.row))
    esc = html.escape
    rows = "".join(
        f"<tr><td>{o.row}</td><td>{esc(o.client)}</td><td>{o.urgency}</td>"
        f"<td>{esc(o.report) if o.report else 'no report: the row has an error (see summary.csv)'}</td></tr>"
        for o in first
    )
    tiers = "".join(f"<li>{u}: {counts.get(u, 0)}</li>" for u in URGENCY_ORDER)
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>Batch overview</title>"
        "<style>body{font:15px/1.5 sans-serif;max-width:60em;margin:2em auto}td,th{padding:4px 8px;text-align:left}"
        "table{border-collapse:collapse}tr{border-bottom:1px solid #ccc}</style>"
        f"<h1>Batch overview: {esc(source.name)}</h1><p>{len(outcomes)} riders; {len(bad)} rows could not be read."
        f"</p><h2>At each urgency</h2><ul>{tiers}</ul><h2>Who needs care first</h2>"
        + (
            f"<table><tr><th>Row</th><th>Rider</th><th>Urgency</th><th>Report</th></tr>{rows}</table>"
            if first
            else "<p>No rider needs emergency or urgent care.</p>"
        )
        + "<p>This overview is not medical advice; each rider's report says what to do.</p></html>\n"
    )
