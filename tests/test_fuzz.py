"""Fuzzing the three ways data comes in: answer files, command lines and import files.

Whatever comes in, the advisor answers with a result or with exit code 2 and a message;
never a traceback, an internal error or a hang. CI runs a short pass (under a minute);
for a long one:

    FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import json
import os
import shlex
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.advice.pipeline import assess
from advisor.core.errors import AdvisorError
from advisor.core.intake import answers as answers_mod
from advisor.core.rulebase import questionnaire as qmod
from advisor.exchange import transfer
from advisor.records import paths

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FORM = qmod.load("fitter")
IDS = FORM.ids()
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "routine-low-back-tight-hamstrings.yaml"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["033", "1:02", "0x1f", "1e400", "2026-02-30", "9999-12-31", "yes", "~", ".nan", "\x1b[2J"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
keys = st.one_of(st.sampled_from(IDS), st.text(max_size=12))
documents = st.fixed_dictionaries(
    {},
    optional={
        "questionnaire": st.one_of(st.sampled_from(["rider", "fitter"]), scalars),
        "client": st.one_of(st.text(max_size=40), scalars),
        "date": st.one_of(st.dates().map(str), scalars),
        "answers": st.one_of(st.dictionaries(keys, values, max_size=25), values),
        "extra": values,
    },
)


def _serialise(doc: dict, how: str, cut: int) -> str:
    text = json.dumps(doc, default=str) if how == "json" else yaml.safe_dump(doc, allow_unicode=True)
    return text[:cut] if how == "truncated" else text


@pytest.fixture(autouse=True)
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "data"))
    monkeypatch.setenv(paths.ENV_CONFIG_DIR, str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@FUZZ
@given(
    st.one_of(
        st.builds(_serialise, documents, st.sampled_from(["json", "yaml", "truncated"]), st.integers(0, 400)),
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    )
)
def test_any_answer_file_is_assessed_or_refused_clearly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        answers = answers_mod.load(str(path))
    except AdvisorError as err:
        assert err.problems and all(p.file == str(path) for p in err.problems)
        return
    assess(answers)  # whatever was accepted can be assessed


WORDS = ["assess", "ask", "consult", "clients", "history", "report", "export", "import", "config", "rules",
         "exercises", "questionnaires", "list", "show", "check", "get", "set", "studio.name", "--format", "json",
         "text", "pdf", "--report", "r.pdf", "r.txt", "--db", "c.db", "--client", "Zoë", "--answers",
         str(EXAMPLE), "--out", "o.json", "--consultation", "1", "-1", "x", "--paper", "a4", "--explain",
         "--resume", "--decline", "deadbug", "--note", "n", "--accept-all", "--force", "-", "", "\x1b[2J",
         "fitter", "rider", "deadbug", "--help"]  # fmt: skip


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet=string.printable, max_size=10)), max_size=7))
def test_any_command_line_ends_cleanly(tmp_path: Path, argv: list[str]) -> None:
    result = CliRunner().invoke(app, argv, input="")
    assert result.exit_code in (0, 1, 2, 130), (shlex.join(argv), result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output, shlex.join(argv)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        shlex.join(argv),
        result.exception,
    )


@pytest.fixture(scope="module")
def export_doc(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("export")
    db, out = folder / "c.db", folder / "z.json"
    runner = CliRunner()
    env = {paths.ENV_DATA_DIR: str(folder / "data"), paths.ENV_CONFIG_DIR: str(folder / "config")}
    assert runner.invoke(app, ["consult", "--consent", "--client", "Zoë", "--answers", str(EXAMPLE), "--accept-all",
                               "--db", str(db)], env=env).exit_code == 0  # fmt: skip
    assert runner.invoke(app, ["export", "Zoë", "--out", str(out), "--db", str(db)], env=env).exit_code == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _mutate(doc: dict, data: st.DataObject) -> dict:
    """Replace one value somewhere in the export with something else."""
    node: object = json.loads(json.dumps(doc))
    root = node
    for _ in range(data.draw(st.integers(0, 5))):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node)))
            if data.draw(st.booleans()) or not isinstance(node[key], (dict, list)):
                node[key] = data.draw(values)
                return root  # type: ignore[return-value]
            node = node[key]
        elif isinstance(node, list) and node:
            node = node[data.draw(st.integers(0, len(node) - 1))]
    return root  # type: ignore[return-value]


@FUZZ
@given(st.data())
def test_any_import_file_is_stored_whole_or_refused_clearly(tmp_path: Path, export_doc: dict, data) -> None:
    path = tmp_path / "import.json"
    path.write_text(json.dumps(_mutate(export_doc, data), default=str), encoding="utf-8")
    try:
        client, visits, _carried = transfer.read_export(str(path))
    except AdvisorError as err:
        assert err.problems and all(p.file == str(path) for p in err.problems)
        return
    runner = CliRunner()
    db = tmp_path / "fuzz.db"
    assert runner.invoke(app, ["import", str(path), "--db", str(db), "--consent"]).exit_code == 0
    # What was accepted reads back: history and a report of every visit.
    assert runner.invoke(app, ["history", client, "--db", str(db)]).exit_code == 0
    for n in range(1, len(visits) + 1):
        out = tmp_path / f"v{n}.md"
        result = runner.invoke(app, ["report", "--consultation", str(n), "--out", str(out), "--db", str(db)])
        assert result.exit_code == 0, result.output
