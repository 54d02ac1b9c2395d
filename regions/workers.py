"""Local worker processes that Ctrl-C cannot leave behind: :func:`process_pool`.

:func:`regions.count` decomposes strips of a box in such a pool, and the lab's sweeps
(:mod:`analysis.run.sweep`) run their jobs in one.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from tqdm.auto import tqdm

__all__ = ["process_pool"]


def _start(initializer: Callable[..., object] | None, *initargs: object) -> None:
    """Every worker's initializer: Ctrl-C is for the main process, which ends the workers;
    then the caller's own ``initializer(*initargs)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # tqdm's default lock is a multiprocessing lock, which a terminated worker would leave
    # behind (the resource tracker then warns at exit); a worker's bars need only a thread lock.
    tqdm.set_lock(threading.RLock())
    if initializer is not None:
        initializer(*initargs)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and terminate the workers without waiting for their jobs."""
    # ``_processes`` is private; Python 3.14's ``terminate_workers()`` does the same.
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=10)


@contextmanager
def process_pool(
    workers: int,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[object, ...] = (),
) -> Iterator[ProcessPoolExecutor]:
    """A local pool of ``workers`` spawned processes that Ctrl-C cannot leave behind.

    Workers start with the ``spawn`` method (safe with torch's and BLAS's threads, and the
    same on every platform) and ignore SIGINT, so a Ctrl-C in a terminal interrupts only the
    main process. Leaving the ``with`` block normally waits for the workers; leaving it by an
    exception, ``KeyboardInterrupt`` included, terminates them at once (a second Ctrl-C
    meanwhile is ignored) and re-raises.

    Parameters
    ----------
    workers : int
        Worker processes (>= 1).
    initializer : callable, optional
        Called as ``initializer(*initargs)`` in every worker as it starts; module-level, so
        that it pickles.
    initargs : tuple
        Its arguments.

    Yields
    ------
    ProcessPoolExecutor

    Examples
    --------
    >>> from regions.workers import process_pool
    >>> with process_pool(2) as pool:
    ...     print(sorted(pool.map(abs, [-3, 2, -1])))
    [1, 2, 3]
    """
    if workers < 1:
        raise ValueError(f"regions.workers.process_pool: workers must be >= 1, got {workers}")
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, *initargs),
    )
    try:
        yield pool
    except BaseException:
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            _end_workers(pool)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        raise
    pool.shutdown()
