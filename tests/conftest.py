"""Hypothesis profiles, and the stores the records tests run against.

`HYPOTHESIS_PROFILE=ci` (set by .ci/run) runs the safety promises over 300 generated
answer sets (each assessed twice, with and without a previous visit half the time); the
default runs 150 so the suite stays quick while developing. The whole CI run of the suite,
both stores, the browser and the Dask cluster included, takes about two and a half minutes
on a 2-core machine.

A records test that takes `store_at` runs twice: on a SQLite file and on a fresh schema
of a throw-away PostgreSQL server (tests/postgres_server.py), started once per session.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests import postgres_server

# The browser-test harness's fixtures (browser, device, touch_page, axe_script): tests/browser.py.
pytest_plugins = ["tests.browser"]

settings.register_profile("dev", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Reports default to the locale's paper; tests that do not choose one expect A4 on any machine.
os.environ["LC_ALL"] = "C.UTF-8"
os.environ.pop("LC_PAPER", None)
# The start-up cache of the knowledge base goes to a folder of the test run's own, never
# the user's; each run starts without one, so the suite also exercises building it.
if "ADVISOR_CACHE_DIR" not in os.environ:
    os.environ["ADVISOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="advisor-test-cache-")
    atexit.register(shutil.rmtree, os.environ["ADVISOR_CACHE_DIR"], ignore_errors=True)
# Drafts (the CLI's and the studio's) go to a folder of the test run's own too, never the user's.
if "ADVISOR_DATA_DIR" not in os.environ:
    os.environ["ADVISOR_DATA_DIR"] = tempfile.mkdtemp(prefix="advisor-test-data-")
    atexit.register(shutil.rmtree, os.environ["ADVISOR_DATA_DIR"], ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[postgres_server.PostgresServer]:
    bindir = postgres_server.binaries()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb, no initdb on PATH)")
    server = postgres_server.PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's records live: a SQLite file, or the URL of a new, empty PostgreSQL store."""
    if request.param == "sqlite":
        return str(tmp_path / "studio.db")
    server: postgres_server.PostgresServer = request.getfixturevalue("postgres")
    return server.new_store()
