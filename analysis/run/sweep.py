"""The sweep runner: compute the missing results of a list of jobs, on any executor.

:func:`run_sweep` computes ``fn(job)`` for every :class:`~analysis.lab.jobs.Job` whose
result file is missing and loads the others, so an interrupted sweep resumes where it
stopped and a finished one can be re-plotted without recomputing anything::

    results = run_sweep(jobs, partial(run_job, cache_dir="out/cache"), "out/cache/sweeps")

Results must be JSON-able (dicts, lists, strings, numbers, booleans, None). Every result,
fresh or loaded, is returned as it reads back from its JSON file, so the output is identical
whether a job ran now or earlier, serially, in a local pool or on a cluster.

Executors
---------
``executor=None`` with ``n_jobs=1`` runs serially in this process; ``n_jobs > 1`` starts a
local :func:`process_pool` and ends it afterwards. Any other
:class:`concurrent.futures.Executor` may be passed and is left running, e.g. a Dask
cluster's (:func:`analysis.run.cluster.dask_executor`). ``fn`` and the jobs must then be
picklable (module-level functions, or :func:`functools.partial` of them). Result files are
written by the calling process as futures complete, so workers need no shared file system
for them. Scripts that use process pools must guard their entry point with
``if __name__ == "__main__"``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import TextIO

from tqdm.auto import tqdm

import regions
from analysis.lab.files import remove_partial
from analysis.lab.jobs import JSON, Job, load_result, save_result

__all__ = ["process_pool", "run_sweep", "show_warning"]


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A ``warnings.showwarning`` that prints ``Category: message`` on one line (stderr).

    The command line and every pool worker use it, so a retrained cache entry is one line
    however the run is spread.

    Examples
    --------
    >>> import io
    >>> from analysis.lab.cache import CacheWarning
    >>> from analysis.run.sweep import show_warning
    >>> out = io.StringIO()
    >>> show_warning(CacheWarning("retraining"), CacheWarning, "cache.py", 1, out)
    >>> out.getvalue()
    'CacheWarning: retraining\\n'
    """
    print(f"{category.__name__}: {message}", file=sys.stderr if file is None else file)


def _init_worker() -> None:
    """Pool worker initializer: Ctrl-C is for the main process, which ends the workers;
    warnings print on one line; freed memory is kept for the worker's next decompositions
    (:func:`regions.keep_freed_memory`: the worker is a process of our own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated)
    regions.keep_freed_memory()
    warnings.showwarning = show_warning
    # tqdm's default lock is a multiprocessing lock, which a terminated worker would leave
    # behind (the resource tracker then warns at exit); a worker's bars need only a thread lock.
    tqdm.set_lock(threading.RLock())


def _terminated(signum: int, frame: object) -> None:
    """A worker's SIGTERM (:func:`_end_workers`): its writes in progress removed, then the
    exit SIGTERM gives, without unwinding the job."""
    remove_partial()
    os._exit(128 + signum)


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
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A local pool of ``workers`` spawned processes that Ctrl-C cannot leave behind.

    Workers start with the ``spawn`` method (safe with torch's threads) and ignore SIGINT,
    so a Ctrl-C in a terminal interrupts only the main process. Leaving the ``with`` block
    normally waits for the workers; leaving it by an exception, ``KeyboardInterrupt``
    included, terminates them at once (a second Ctrl-C meanwhile is ignored) and re-raises.

    Parameters
    ----------
    workers : int
        Worker processes (>= 1).

    Yields
    ------
    ProcessPoolExecutor

    Examples
    --------
    >>> from analysis.run.sweep import process_pool
    >>> with process_pool(2) as pool:
    ...     print(sorted(pool.map(abs, [-3, 2, -1])))
    [1, 2, 3]
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
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


def run_sweep(
    jobs: Sequence[Job],
    fn: Callable[[Job], JSON],
    out_dir: str | os.PathLike[str],
    executor: Executor | None = None,
    progress: bool = True,
    *,
    n_jobs: int = 1,
    desc: str = "sweep",
) -> list[JSON]:
    """Compute (or load) ``fn(job)`` for every job; results in job order.

    Parameters
    ----------
    jobs : sequence of Job
        What to compute. Jobs with equal keys are computed once and share a result.
    fn : callable
        ``fn(job) -> JSON-able result``; must be picklable when a process pool runs it.
    out_dir : path
        Directory of the result files (created on demand), one ``<key>.json`` per job.
    executor : concurrent.futures.Executor, optional
        Where to run the missing jobs; left running afterwards. ``None``: serially in this
        process when ``n_jobs == 1``, otherwise a private :func:`process_pool` of ``n_jobs``
        workers.
    progress : bool
        Show a tqdm bar over jobs done (loaded results count as done from the start).
    n_jobs : int
        Worker processes of the private pool (ignored when ``executor`` is given).
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        ``results[i]`` is job ``i``'s result as read back from its JSON file.

    Raises
    ------
    Exception
        The first exception raised by ``fn``. Jobs finished before it (and, in a pool,
        those already running) keep their result files, so a rerun computes only the rest.

    Examples
    --------
    A second sweep over the same directory computes only the jobs it has not seen:

    >>> import tempfile
    >>> import dataclasses
    >>> from analysis.run.sweep import Job
    >>> @dataclasses.dataclass(frozen=True)
    ... class Square(Job):
    ...     n: int
    >>> from analysis.run.sweep import run_sweep
    >>> computed = []
    >>> def square(job):
    ...     computed.append(job.n)
    ...     return {"square": job.n**2, "pair": (job.n, job.n)}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = run_sweep([Square(2), Square(3), Square(2)], square, tmp, progress=False)
    ...     second = run_sweep([Square(3), Square(4)], square, tmp, progress=False)
    >>> first  # in job order; tuples come back as lists, as from the JSON file
    [{'pair': [2, 2], 'square': 4}, {'pair': [3, 3], 'square': 9}, {'pair': [2, 2], 'square': 4}]
    >>> second, computed  # Square(2) ran once, Square(3) was loaded the second time
    ([{'pair': [3, 3], 'square': 9}, {'pair': [4, 4], 'square': 16}], [2, 3, 4])
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    unique: dict[str, Job] = {}
    for job in jobs:
        unique.setdefault(job.key(), job)
    done: dict[str, JSON] = {}
    for key, job in unique.items():
        found, result = load_result(out_dir, job)
        if found:
            done[key] = result
    todo = [(key, job) for key, job in unique.items() if key not in done]
    with tqdm(total=len(unique), initial=len(done), desc=desc, disable=not progress) as bar:
        if executor is None and (n_jobs == 1 or not todo):
            for key, job in todo:
                done[key] = save_result(out_dir, job, fn(job))
                bar.update()
        elif executor is not None:
            _run_pool(executor, todo, fn, out_dir, done, bar)
        else:
            with process_pool(min(n_jobs, len(todo))) as pool:
                _run_pool(pool, todo, fn, out_dir, done, bar)
    return [done[job.key()] for job in jobs]


def _run_pool(
    executor: Executor,
    todo: list[tuple[str, Job]],
    fn: Callable[[Job], JSON],
    out_dir: str | os.PathLike[str],
    done: dict[str, JSON],
    bar: tqdm,
) -> None:
    """Submit ``todo`` to ``executor``, saving each result as its future completes."""
    futures: dict[Future[JSON], tuple[str, Job]] = {
        executor.submit(fn, job): (key, job) for key, job in todo
    }
    error: BaseException | None = None
    for future in as_completed(futures):
        key, job = futures[future]
        if future.cancelled():
            continue
        exc = future.exception()
        if exc is not None:
            if error is None:
                error = exc
                # Stop queued jobs; running ones still finish and are saved below.
                for other in futures:
                    other.cancel()
            continue
        done[key] = save_result(out_dir, job, future.result())
        bar.update()
    if error is not None:
        raise error
