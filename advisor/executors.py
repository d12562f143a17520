"""Where a batch's rows are worked: a process pool on this machine, or a Dask cluster.

A row's work is a pure function of its job (answer document in, report bytes out), so any
executor that can call a function on many inputs can run it. Both executors here yield the
results in the order of the jobs, and both keep only a bounded number of rows in flight, so
a batch of half a million rows never holds them all in memory at once.

Dask is an optional extra (``pip install 'bikefit-advisor[dask]'``): with ``scheduler`` it
joins an existing cluster (every worker needs the advisor installed, the same version), and
without one it starts a local cluster of ``workers`` processes on 127.0.0.1, talking TLS
with certificates of its own. A cluster of one's own carries the answers (health data) over
its network: configure Dask's TLS for it (``tls://`` addresses, the ``distributed.comm.tls``
settings) before pointing ``--scheduler`` at it.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import itertools
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from advisor.core.errors import AdvisorError, Problem, missing_extra

EXECUTORS = ("local", "dask")
CONNECT_TIMEOUT = "10s"  # how long to wait for a Dask scheduler named by --scheduler
T = TypeVar("T")


def ordered_results(
    work: Callable[[Any], T],
    jobs: Iterable[Any],
    *,
    workers: int,
    warm_up: Callable[[], None],
    executor: str = "local",
    scheduler: str | None = None,
) -> Generator[T, None, None]:
    """``work(job)`` for every job, in order; ``warm_up`` runs once in each worker first."""
    check(executor, scheduler)
    if executor == "dask":
        yield from _dask(work, jobs, workers, warm_up, scheduler)
        return
    if workers == 1:
        warm_up()
        yield from map(work, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_start, initargs=(warm_up, os.getpid())) as pool:
        try:
            # Chunks of up to 8 rows save round trips yet keep every worker busy to the end (and
            # a small batch's progress smooth); a window keeps memory bounded.
            def start_window(chunk: list[Any]) -> Iterator[T]:
                return pool.map(work, chunk, chunksize=max(1, min(8, len(chunk) // (4 * workers))))

            yield from _windowed(start_window, jobs, 64 * workers)
        finally:
            pool.shutdown(cancel_futures=True)


def _worker_start(warm_up: Callable[[], None], parent: int) -> None:
    """A worker dies with the batch that started it, even when that is killed with kill -9
    (which gives the pool no chance to stop its workers); then it warms up."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)
    warm_up()


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def _protocol_needs(scheduler: str) -> str:
    if scheduler.startswith("tls://"):
        return (
            f"{scheduler} needs Dask's TLS settings (the CA, certificate and key under distributed.comm.tls "
            "in a Dask config file, or DASK_DISTRIBUTED__COMM__TLS__CA_FILE and its siblings)"
        )
    if scheduler.startswith("ucx://"):
        return f"{scheduler} needs UCX for Dask (the ucxx package and its libraries); use tcp:// or tls:// otherwise"
    return f"{scheduler} cannot be used: give tcp://HOST:PORT or tls://HOST:PORT"


def check(executor: str, scheduler: str | None) -> None:
    """Refuse an executor or scheduler that cannot run, before any work is done."""
    if executor not in EXECUTORS:
        raise AdvisorError([Problem("--executor", f"unknown executor '{executor}'; allowed: {', '.join(EXECUTORS)}")])
    if scheduler and executor != "dask":
        raise AdvisorError([Problem("--scheduler", "is for --executor dask")])
    if executor == "dask":  # before any folder is made or row read
        for module in ("distributed", "cryptography"):
            try:
                found = importlib.util.find_spec(module) is not None
            except ImportError:
                found = False
            if not found:
                raise missing_extra("dask", ModuleNotFoundError(module, name=module), "--executor")


def _windowed(start: Callable[[list[Any]], Iterable[T]], jobs: Iterable[Any], size: int) -> Iterator[T]:
    """``start`` each window of ``size`` jobs in turn, the next one before the last is read."""
    it = iter(jobs)
    pending: deque[Iterator[T]] = deque()
    while True:
        chunk = list(itertools.islice(it, size))
        if chunk:
            pending.append(iter(start(chunk)))
        if not pending:
            return
        if chunk and len(pending) < 2:  # keep one window queued behind the one being read
            continue
        yield from pending.popleft()


def _dask(
    work: Callable[[Any], T], jobs: Iterable[Any], workers: int, warm_up: Callable[[], None], scheduler: str | None
) -> Iterator[T]:
    try:
        from dask.distributed import Client, LocalCluster  # noqa: PLC0415  an optional extra, for this path only

        if importlib.util.find_spec("cryptography") is None:  # makes the local cluster's TLS certificates
            raise ImportError("cryptography", name="cryptography")
    except ImportError as err:
        raise missing_extra("dask", err, "--executor") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        else:
            # TLS with certificates made for this cluster alone: another user of the machine
            # can neither send it work nor read the answers going to its workers.
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                security=True,
            )
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as err:  # ValueError: an address Dask cannot read
        where = scheduler or "a local cluster"
        raise AdvisorError([Problem("--scheduler", f"could not reach {where}: {err}")]) from None
    except TypeError:  # Dask's own complaint when a protocol's settings or package are missing
        raise AdvisorError([Problem("--scheduler", _protocol_needs(scheduler or ""))]) from None
    try:
        client.run(warm_up)
        in_flight = max(64, 64 * len(client.scheduler_info().get("workers", {}) or [None]))

        def start_window(chunk: list[Any]) -> Iterator[T]:
            futures = client.map(work, chunk, pure=False)  # submitted now, read in order later
            return (future.result() for future in futures)

        yield from _windowed(start_window, jobs, in_flight)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
