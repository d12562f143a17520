"""`advisor batch`: a club's or an event's riders at once, one report each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from advisor import batch
from advisor.cli.common import PAPER_HELP, AdvisorError, Paper, app, handled, paper_size, say
from advisor.core.errors import Problem


@app.command("batch")
@handled
def batch_command(
    source: Annotated[
        str, typer.Argument(metavar="INPUT", help="A .csv, a .jsonl, or a folder of answer files (.yaml, .json).")
    ],
    out: Annotated[str, typer.Option("--out", "-o", metavar="DIR", help="The folder for the reports and summary.")],
    report_format: Annotated[
        str, typer.Option("--report-format", metavar="pdf|html|md|json", help="The reports' format.")
    ] = "pdf",
    # The earlier spelling: --format picks what is printed everywhere else, so here it is kept
    # only as a hidden alias for scripts that used it.
    format: Annotated[str | None, typer.Option("--format", "-f", hidden=True)] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, metavar="N", help="Processes (default: every core).")
    ] = None,
    paper: Annotated[Paper | None, typer.Option("--paper", metavar="a4|letter", help=PAPER_HELP)] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor", metavar="local|dask", help="local: a process pool here; dask: a Dask cluster (extra 'dask')."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="With --executor dask: a running scheduler (tcp://host:8786); default: a local cluster.",
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            metavar="experta|direct",
            help="The rules engine (default: ADVISOR_ENGINE, else direct: the rules compiled to Python, "
            "held to experta's results by the tests and faster for many riders).",
        ),
    ] = None,
) -> None:
    """One report per rider, DIR/summary.csv and DIR/overview.html; run again to finish after a stop.

    A CSV's header is client, optional date and questionnaire, then one column per question id
    (multi-choice cells as a;b, [] for none; an empty cell is not answered). A bad row gets an
    error in the summary and no report; the exit code is then 2.

    Example: advisor batch examples --out reports --report-format json
    """
    given = format if format is not None else report_format
    chosen = given.strip().lower().lstrip(".")
    if chosen not in batch.FORMATS:
        raise AdvisorError(
            [Problem("--report-format", f"'{given}' is not a report format; allowed: pdf, html, md, json")]
        )
    path = Path(source)
    if not path.exists():
        raise AdvisorError([Problem(source, "no such file or folder")])
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise AdvisorError([Problem(out, "is a file; give a folder for the reports", field="--out")])
    bar = _progress()
    try:
        outcomes = batch.run(
            path,
            target,
            chosen,
            jobs,
            paper_size(paper),
            progress=bar.update if bar else None,
            executor=executor.strip().lower(),
            scheduler=scheduler,
            engine_kind=engine.strip().lower() if engine is not None else None,
        )
    finally:
        if bar:
            bar.close()
    bad = [o for o in outcomes if o.error]
    counts = {u: sum(1 for o in outcomes if o.urgency == u) for u in batch.URGENCY_ORDER}
    say(
        f"{len(outcomes)} rider{'s' if len(outcomes) != 1 else ''}: "
        + ", ".join(f"{n} {u}" for u, n in counts.items())
        + f"; {len(bad)} row{'s' if len(bad) != 1 else ''} with errors. Summary: {target / 'summary.csv'}"
    )
    for o in bad[:10]:
        say(f"row {o.row}: {o.error}", err=True)
    if bad:
        raise typer.Exit(2)


class _Bar:
    """A progress bar on a terminal only (rich), nothing when the output is a file or a pipe."""

    def __init__(self) -> None:
        self.progress: Any = Progress(transient=True)
        self.task = self.progress.add_task("Reports", total=None)
        self.progress.start()

    def update(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        self.progress.stop()


def _progress() -> _Bar | None:
    return _Bar() if sys.stdout.isatty() else None
