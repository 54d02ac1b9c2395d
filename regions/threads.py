"""Both cores for long loops over chunks of regions: :func:`over_chunks`, and BLAS in one
thread meanwhile (:func:`one_blas_thread`).

A layer's maps are built a chunk of regions at a time, each chunk's passes independent of the
others' (:mod:`regions.region_maps`). Their compiled loops and numpy's matrix products release
the GIL, so threads, each with its own run of chunks, share the cores; BLAS's own threads
would only compete with them, so it runs in one thread while they do. Each chunk's floats are
the same whichever thread computes it, and what the threads gather (extremes) merges by exact
maxima and minima, so results are identical bit for bit in any number of threads.

The decomposition, lines, point location and certification hold BLAS in one thread
throughout: their products are many and small, and waking BLAS's threads for each, after
anything else ran, cost a small net's decomposition 2 to 3 times its time at the median
(BLAS's floats then no longer depend on its threads either).

Only the main thread starts threads or limits BLAS: OpenBLAS ignores a limit set from another
thread once the main thread has set one (seen with OpenBLAS 0.3.31), so a loop run from any
other thread (:func:`regions.count`'s strips among them) stays in that thread. The
environment variable ``REGIONS_THREADS`` caps the threads (``1``: none); by default as many as
the process may use cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from threadpoolctl import ThreadpoolController

__all__ = ["MIN_CHUNKS", "THREADS", "one_blas_thread", "over_chunks"]

T = TypeVar("T")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _threads() -> int:
    cores, cap = _cores(), os.environ.get("REGIONS_THREADS", "")
    if not cap:
        return cores
    if not cap.isdigit() or int(cap) < 1:
        raise ValueError(f"regions.threads: REGIONS_THREADS must be an integer >= 1, got {cap!r}")
    return min(cores, int(cap))


THREADS = _threads()
"""Threads for a long loop (the cores this process may use, or fewer by ``REGIONS_THREADS``);
tests switch it."""

MIN_CHUNKS = 8
"""Chunks a thread takes at least: shorter loops run in the caller's thread, where starting
threads and limiting BLAS would cost more than they gain."""

_blas: dict[str, object] = {"depth": 0, "libraries": None}
_pool: dict[tuple[int, int], ThreadPoolExecutor] = {}


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS in one thread inside the block (blocks nest), its own threads restored after; in
    any thread but the main one, BLAS is left as it is.

    Each BLAS library's thread count is set directly (about 1 us a library, where
    threadpoolctl's ``limit`` takes some 20 us: a small net's decomposition enters once)."""
    if not _in_main_thread():
        yield
        return
    restore = []  # the outermost block's: each library and its threads before
    if _blas["depth"] == 0:
        if _blas["libraries"] is None:  # finding the libraries takes 0.1 ms, once
            _blas["libraries"] = ThreadpoolController().select(user_api="blas").lib_controllers
        restore = [(lib, lib.get_num_threads()) for lib in _blas["libraries"]]
    entered = False
    try:  # a Ctrl-C anywhere after the counts are read still restores them and the depth
        for lib, _ in restore:
            lib.set_num_threads(1)
        _blas["depth"] += 1
        entered = True
        yield
    finally:
        if entered:
            _blas["depth"] -= 1
        for lib, n in restore:
            lib.set_num_threads(n)


def over_chunks(n: int, step: int, run: Callable[[int, int], T]) -> list[T]:
    """``run(lo, hi)`` over consecutive runs of items that cover ``0..n``, each run whole
    chunks of ``step`` items (but the last), in as many threads as pay.

    Parameters
    ----------
    n : int
        Items (regions) in all.
    step : int
        Items per chunk; a run's bounds are multiples of it (but ``n``).
    run : callable
        ``run(lo, hi)`` does items ``lo..hi`` chunk by chunk and returns what it gathered.

    Returns
    -------
    list
        What each run returned, in the order of the runs: one run (``run(0, n)``, in this
        thread) for short loops, with ``REGIONS_THREADS=1`` or outside the main thread.

    Examples
    --------
    >>> from regions.threads import over_chunks
    >>> sum(over_chunks(10, 3, lambda lo, hi: sum(range(lo, hi))))
    45
    """
    chunks = -(-n // max(step, 1))
    threads = min(THREADS, chunks // MIN_CHUNKS)
    if threads <= 1 or not _in_main_thread():
        return [run(0, n)]
    bounds = [min(n, step * (chunks * i // threads)) for i in range(threads + 1)]
    # Keyed by process too: a forked child inherits the pool but not its threads.
    key = (os.getpid(), threads)
    if key not in _pool:
        _pool[key] = ThreadPoolExecutor(threads - 1, thread_name_prefix="regions")
    pool = _pool[key]
    with one_blas_thread():
        # The caller's thread takes the first run, the pool's threads the others.
        others = [pool.submit(run, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True)]
        try:
            return [run(bounds[0], bounds[1]), *(future.result() for future in others)]
        finally:
            for future in others:  # an error in one run: wait for the others to end
                future.cancel() or future.exception()
