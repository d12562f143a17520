"""The knowledge base kept between runs: used when trusted and current, rebuilt otherwise."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.core.datafiles import resources, startup_cache
from advisor.core.rulebase import knowledge

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "routine-knee-pain.yaml"


def _entries(base: Path) -> list[Path]:
    return sorted(base.glob("*/*.pickle"))


def _assess(cache: Path, rules: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, startup_cache.ENV_CACHE_DIR: str(cache)}
    if rules is not None:
        env[resources.ENV_RULES_DIR] = str(rules)
    return subprocess.run(
        [sys.executable, "-m", "advisor", "assess", str(EXAMPLE), "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_run_writes_owner_only_entries_and_the_next_gives_the_same_advice(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _assess(cache)
    assert first.returncode == 0, first.stderr
    entries = _entries(cache)
    assert {e.name for e in entries} >= {"knowledge.pickle", "questionnaire-fitter.pickle"}
    for path in [cache, *{e.parent for e in entries}]:
        assert path.stat().st_mode & 0o777 == 0o700
    for entry in entries:
        assert entry.stat().st_mode & 0o777 == 0o600
    second = _assess(cache)
    assert second.stdout == first.stdout


def test_a_broken_entry_is_rebuilt_and_never_fatal(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _assess(cache).returncode == 0
    expected = _assess(tmp_path / "fresh").stdout
    for entry in _entries(cache):
        entry.write_bytes(b"\x80\x05not a pickle")
    again = _assess(cache)
    assert again.returncode == 0, again.stderr
    assert again.stdout == expected
    assert all(pickle.loads(e.read_bytes()) for e in _entries(cache))  # rewritten whole


def test_an_entry_others_could_write_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(startup_cache.ENV_CACHE_DIR, str(tmp_path))
    built = startup_cache.cached("probe", lambda: {"made": 1})
    (entry,) = tmp_path.glob("*/probe.pickle")
    entry.write_bytes(pickle.dumps({"made": "by someone else"}))
    assert startup_cache.cached("probe", lambda: {"made": 2}) == {"made": "by someone else"}  # trusted: ours
    entry.chmod(0o666)
    assert startup_cache.cached("probe", lambda: {"made": 3}) == {"made": 3}  # writable by others: rebuilt
    assert entry.stat().st_mode & 0o777 == 0o600 and pickle.loads(entry.read_bytes()) == {"made": 3}
    entry.parent.chmod(0o777)
    assert startup_cache.cached("probe", lambda: {"made": 4}) == {"made": 4}  # its folder too
    assert built == {"made": 1}


def test_an_edited_rule_finds_no_entry_and_is_read_afresh(tmp_path: Path) -> None:
    """The key is a hash of the files themselves: an edit is never answered from an old entry."""
    cache = tmp_path / "cache"
    rules = tmp_path / "rules"
    subprocess.run(["cp", "-r", str(resources.rules_dir()), str(rules)], check=True)
    assert _assess(cache, rules).returncode == 0
    triage = rules / "triage.yaml"
    triage.write_text(
        triage.read_text(encoding="utf-8").replace(
            "No answer, alone or with the others, calls for a doctor first.", "Nothing alarming."
        ),
        encoding="utf-8",
    )
    edited = _assess(cache, rules)
    assert edited.returncode == 0, edited.stderr
    assert "Nothing alarming." in edited.stdout
    assert len({e.parent for e in _entries(cache)}) == 2  # one entry per version of the files


def test_off_builds_every_time_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(startup_cache.ENV_CACHE_DIR, "off")
    monkeypatch.chdir(tmp_path)
    assert startup_cache.cached("probe", lambda: 5) == 5
    assert list(tmp_path.iterdir()) == []
    assert knowledge.load_dir(resources.rules_dir()).rules


def test_two_rule_folders_alike_keep_their_own_paths_and_others_files_are_left(tmp_path: Path) -> None:
    """An entry holds file paths (for messages), so a copy of a rules folder gets its own; a
    folder in the cache that is not an entry is never removed."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    stranger = cache / ("0" * 32)
    stranger.mkdir()
    (stranger / "notes.txt").write_text("not the advisor's", encoding="utf-8")
    os.utime(stranger, (0, 0))  # written long ago
    for folder in (tmp_path / "a", tmp_path / "b"):
        subprocess.run(["cp", "-r", str(resources.rules_dir()), str(folder)], check=True)
        env = {**os.environ, startup_cache.ENV_CACHE_DIR: str(cache), resources.ENV_RULES_DIR: str(folder)}
        shown = subprocess.run(
            [sys.executable, "-m", "advisor", "rules", "show", "fnd-saddle-high-dynamic"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert str(folder / "findings.yaml") in shown.stdout
    assert (stranger / "notes.txt").exists()
