"""A throw-away PostgreSQL server for the tests: started once per session, removed after.

A new cluster in a temporary folder, listening on 127.0.0.1 on a free port only, with
password authentication (scram-sha-256) for every connection, so a wrong password is
refused as a studio's server would refuse it. The store's role is an ordinary one that
owns the database ``studio``; each test that asks gets a new schema of its own there.
Durability is off (fsync and friends): the cluster lives for a few seconds. As root
(PostgreSQL refuses to run as root) the server runs as the ``postgres`` user. Without
PostgreSQL installed the tests that need it are skipped, saying so; CI installs it
(``.ci/run``).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

ADMIN = "postgres"
ADMIN_PASSWORD = "admin-pw-for-tests"
USER = "fitter"
# Characters a URL must encode, so redaction is tested on the encoded and the decoded form.
PASSWORD = "Velo p@ss/7:ø"
DATABASE = "studio"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout, else initdb on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
        self.data = self.folder / "data"
        self._numbers = itertools.count(1)
        # PostgreSQL will not run as root: then the postgres user owns the cluster and runs it.
        self._as: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr or proc.stdout}")

    def start(self) -> None:
        pwfile = self.folder / "admin-password"
        pwfile.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
        if self._as:
            shutil.chown(pwfile, "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            ADMIN,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        pwfile.unlink()
        settings = [
            "-c listen_addresses=127.0.0.1",
            f"-p {self.port}",
            "-c unix_socket_directories=''",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ]
        log = self.folder / "server.log"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", " ".join(settings), "-l", str(log), "-w", "start"
        )
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(USER), PASSWORD))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(USER)))

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=ADMIN, password=ADMIN_PASSWORD, dbname=database, autocommit=True
        )

    def url(self, database: str = DATABASE, password: str | None = PASSWORD, schema: str | None = None) -> str:
        """postgresql://fitter:PASSWORD@127.0.0.1:PORT/DATABASE, the password URL-encoded; with
        ``schema``, the tables go there (libpq's options: the search path)."""
        secret = f":{quote(password, safe='')}" if password is not None else ""
        where = f"?options={quote(f'-csearch_path={schema}', safe='')}" if schema else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}{where}"

    def new_store(self) -> str:
        """The URL of a new, empty place for a store: a schema of its own in the test database
        (milliseconds, where a new database takes a few tenths of a second)."""
        schema = f"studio_{next(self._numbers)}"
        with self.admin(DATABASE) as conn:
            conn.execute(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(sql.Identifier(schema), sql.Identifier(USER))
            )
        return self.url(schema=schema)

    def run_sql(self, url: str, statement: str) -> None:
        """A statement as the store's own role, in the store at ``url`` (to set up odd cases)."""
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]
