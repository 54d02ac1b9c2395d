"""A small resumable job runner: one JSON result file per job, any ``concurrent.futures`` pool.

A *job* is a frozen dataclass deriving from :class:`Job`; its :meth:`Job.key` hashes the
class name, a version and the fields' canonical JSON, so the same job always maps to the same
file. :func:`run_sweep` computes ``fn(job)`` for every job whose result file is missing and
loads the others, so an interrupted sweep resumes where it stopped and a finished one can be
re-plotted without recomputing anything::

    results = run_sweep(jobs, count_regions, "out/cache/sweeps/depth-vs-width")

Results must be JSON-able (dicts, lists, strings, numbers, booleans, None). Every result,
fresh or loaded, is returned as it reads back from its JSON file, so the output is identical
whether a job ran now or earlier, serially or in a pool.

Executors
---------
``executor=None`` with ``jobs=1`` runs serially in this process; ``jobs > 1`` starts a local
:class:`~concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method (safe with
torch's threads) and shuts it down afterwards. Any other
:class:`concurrent.futures.Executor` may be passed and is left running, e.g. a Dask
cluster's ``distributed.Client(...).get_executor()``. ``fn`` and the jobs must then be
picklable (module-level functions, or :func:`functools.partial` of them). Result files are
written by the calling process as futures complete, so workers need no shared file system.
Scripts that use process pools must guard their entry point with
``if __name__ == "__main__"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, ClassVar

from tqdm.auto import tqdm

from analysis.files import atomic_write_text

__all__ = ["Job", "SweepWarning", "load_result", "result_path", "run_sweep"]

JSON = Any
"""A JSON-able value: dict, list, str, int, float, bool or None."""


class SweepWarning(UserWarning):
    """Emitted when an unreadable or mismatched result file is ignored and recomputed.

    Examples
    --------
    >>> import tempfile, warnings
    >>> import dataclasses
    >>> from analysis.sweeps import Job
    >>> @dataclasses.dataclass(frozen=True)
    ... class Square(Job):
    ...     n: int
    >>> from analysis.sweeps import SweepWarning, result_path, run_sweep
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = result_path(tmp, Square(3)).write_text("{ truncated")
    ...     with warnings.catch_warnings(record=True) as caught:
    ...         warnings.simplefilter("always")
    ...         results = run_sweep([Square(3)], lambda job: job.n**2, tmp, progress=False)
    >>> results, [w.category is SweepWarning for w in caught]
    ([9], [True])
    """


@dataclasses.dataclass(frozen=True)
class Job:
    """Base class of sweep jobs: subclass it as a frozen dataclass of JSON-able fields.

    Bump the subclass's ``version`` when a code change alters what its jobs compute, so old
    result files are no longer picked up.

    Examples
    --------
    >>> import dataclasses
    >>> from analysis.sweeps import Job
    >>> @dataclasses.dataclass(frozen=True)
    ... class Square(Job):
    ...     n: int
    >>> job = Square(3)
    >>> job.to_dict()
    {'n': 3}
    >>> job.key()  # sha256 of the type name, version and fields: stable across runs
    '00247edc3ba6b4ef'
    >>> Square(3).key() == job.key() != Square(4).key()
    True
    """

    version: ClassVar[int] = 1

    def to_dict(self) -> dict[str, JSON]:
        """The fields as JSON-able data (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def key(self) -> str:
        """Stable 16-hex-digit key: sha256 of the job type, version and canonical field JSON."""
        canonical = json.dumps(
            {"type": type(self).__name__, "version": self.version, "fields": self.to_dict()},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def result_path(out_dir: str | os.PathLike[str], job: Job) -> Path:
    """Where the result of ``job`` lives: ``<out_dir>/<key>.json``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's result directory (need not exist).
    job : Job
        The job.

    Returns
    -------
    Path
        The result file's path; nothing is created.

    Examples
    --------
    >>> import dataclasses
    >>> from analysis.sweeps import Job
    >>> @dataclasses.dataclass(frozen=True)
    ... class Square(Job):
    ...     n: int
    >>> from analysis.sweeps import result_path
    >>> result_path("sweeps", Square(3)).as_posix()
    'sweeps/00247edc3ba6b4ef.json'
    """
    return Path(out_dir) / f"{job.key()}.json"


def _record(job: Job, result: JSON) -> dict[str, JSON]:
    return {"key": job.key(), "type": type(job).__name__, "job": job.to_dict(), "result": result}


def _save(out_dir: str | os.PathLike[str], job: Job, result: JSON) -> JSON:
    """Write the result file; returns the result as it reads back from JSON."""
    text = json.dumps(_record(job, result), indent=1, sort_keys=True, allow_nan=True) + "\n"
    atomic_write_text(result_path(out_dir, job), text)
    return json.loads(text)["result"]


def load_result(out_dir: str | os.PathLike[str], job: Job) -> tuple[bool, JSON]:
    """``(True, result)`` if a usable result file exists for ``job``, else ``(False, None)``.

    A file that cannot be parsed or that belongs to a different job gives a
    :class:`SweepWarning` and ``(False, None)``, so the job is recomputed and the file
    overwritten.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's result directory.
    job : Job
        The job whose result to read.

    Returns
    -------
    (bool, JSON)
        Whether a usable result exists, and the result as read back from JSON (``None``
        when there is none).

    Examples
    --------
    >>> import tempfile
    >>> import dataclasses
    >>> from analysis.sweeps import Job
    >>> @dataclasses.dataclass(frozen=True)
    ... class Square(Job):
    ...     n: int
    >>> from analysis.sweeps import load_result, run_sweep
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = run_sweep([Square(3)], lambda job: {"square": job.n**2}, tmp, progress=False)
    ...     print(load_result(tmp, Square(3)), load_result(tmp, Square(4)))
    (True, {'square': 9}) (False, None)
    """
    path = result_path(out_dir, job)
    if not path.is_file():
        return False, None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("job") != job.to_dict() or record.get("type") != type(job).__name__:
            raise ValueError("it holds a different job")
        return True, record["result"]
    except (OSError, ValueError, KeyError, AttributeError) as err:
        warnings.warn(f"ignoring sweep result {path}: {err}", SweepWarning, stacklevel=3)
        return False, None


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
        process when ``n_jobs == 1``, otherwise a private spawn-context process pool of
        ``n_jobs`` workers.
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
    >>> from analysis.sweeps import Job
    >>> @dataclasses.dataclass(frozen=True)
    ... class Square(Job):
    ...     n: int
    >>> from analysis.sweeps import run_sweep
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
        if executor is None and n_jobs == 1:
            for key, job in todo:
                done[key] = _save(out_dir, job, fn(job))
                bar.update()
        elif executor is not None:
            _run_pool(executor, todo, fn, out_dir, done, bar)
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(min(n_jobs, max(len(todo), 1)), mp_context=context) as pool:
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
        done[key] = _save(out_dir, job, future.result())
        bar.update()
    if error is not None:
        raise error
