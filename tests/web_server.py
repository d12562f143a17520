"""A real studio server on 127.0.0.1 for the browser and load tests: started in a thread, stopped after;
over HTTPS when given a certificate and its key."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import uvicorn

from advisor.web.app import create_app


def serve_process(port: int, env: dict[str, str], *options: str) -> subprocess.Popen[str]:
    """`advisor serve` in a process of its own, as a fitter starts it, with its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "advisor", "serve", "--port", str(port), *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(db: Path | str, password: str | None = None, tls: Sequence[Path] | None = None) -> Iterator[str]:
    """The studio serving ``db`` (a file or a database URL); yields its base URL. With ``tls``
    (a certificate file and its key file) it serves HTTPS, its cookie Secure."""
    port = free_port()
    cert, key = tls if tls else (None, None)
    config = uvicorn.Config(
        create_app(str(db), password, https=tls is not None),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=cert,
        ssl_keyfile=key,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the studio did not start")
        time.sleep(0.02)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
