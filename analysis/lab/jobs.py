"""Jobs: frozen dataclasses naming one piece of work, and the result file each one maps to.

A *job* derives from :class:`Job`; its :meth:`Job.key` hashes the class name, a version and
the fields' canonical JSON, so the same job always maps to the same file
(:func:`result_path`), and :meth:`Job.run` computes its JSON-able result. Studies list their
jobs; the sweep runner (:func:`analysis.run.sweep.run_sweep`) runs the missing ones, anywhere,
and writes each result where it was asked for it, so an interrupted sweep resumes.
:class:`TrainJob`, training one net through the model cache, is the job most studies start
from. Doctests here use ``Square``, a job squaring ``n`` (``conftest.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from analysis.lab import sgd
from analysis.lab.files import atomic_write_text
from analysis.lab.sgd import TrainConfig
from analysis.lab.train import train

__all__ = [
    "JSON",
    "Job",
    "SweepWarning",
    "TrainJob",
    "from_json",
    "load_result",
    "result_path",
    "run_job",
    "save_result",
    "to_json",
]

JSON = Any
"""A JSON-able value: dict, list, str, int, float, bool or None."""

R = TypeVar("R")


def to_json(record: Any, skip: Iterable[str] = ()) -> dict[str, JSON]:
    """A result dataclass of arrays and numbers as JSON-able data (arrays become lists).

    Parameters
    ----------
    record : dataclass instance
        Fields holding ndarrays, numbers or strings.
    skip : iterable of str
        Fields left out (live objects such as a model).

    Returns
    -------
    dict
        Field name to value; :func:`from_json` rebuilds the record exactly (float64 and
        int64 arrays, NaN and infinities included).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from analysis.lab.jobs import from_json, to_json
    >>> @dataclass
    ... class Curve:
    ...     x: np.ndarray
    ...     label: str
    >>> data = to_json(Curve(np.array([0.5, np.inf]), "a"))
    >>> data
    {'x': [0.5, inf], 'label': 'a'}
    >>> from_json(Curve, json.loads(json.dumps(data))).x.tolist()
    [0.5, inf]
    """
    skipped = set(skip)
    return {
        f.name: v.tolist() if isinstance(v, np.ndarray) else v
        for f in dataclasses.fields(record)
        if f.name not in skipped
        for v in [getattr(record, f.name)]
    }


def from_json(cls: type[R], data: dict[str, JSON], **fields: Any) -> R:
    """Inverse of :func:`to_json`: lists become arrays; ``fields`` fill the skipped fields."""
    arrays = {k: np.asarray(v) if isinstance(v, list) else v for k, v in data.items()}
    return cls(**arrays, **fields)


class SweepWarning(UserWarning):
    """Emitted when an unreadable or mismatched result file is ignored and recomputed.

    Examples
    --------
    >>> import tempfile, warnings
    >>> from analysis.lab.jobs import SweepWarning, load_result, result_path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = result_path(tmp, Square(3)).write_text("{ truncated")
    ...     with warnings.catch_warnings(record=True) as caught:
    ...         warnings.simplefilter("always")
    ...         found = load_result(tmp, Square(3))
    >>> found, [w.category is SweepWarning for w in caught]  # so the job runs again
    ((False, None), [True])
    """


@dataclasses.dataclass(frozen=True)
class Job:
    """Base class of sweep jobs: subclass it as a frozen dataclass of JSON-able fields.

    Subclasses implement :meth:`run`. Bump the subclass's ``version`` when a code change
    alters what its jobs compute, so old result files are no longer picked up. Fields may be
    JSON-able values or dataclasses of them (a :class:`~analysis.lab.sgd.TrainConfig`). The
    key of a job holding a ``TrainConfig`` also hashes :data:`~analysis.lab.sgd.CACHE_VERSION`,
    since its result depends on the nets trained.

    Examples
    --------
    >>> job = Square(3)
    >>> job.to_dict(), job.run(None)
    ({'n': 3}, 9)
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
        """Stable 16-hex-digit key: sha256 of the job type, version and canonical field JSON
        (and of the training cache version when the job trains nets)."""
        identity = {"type": type(self).__name__, "version": self.version, "fields": self.to_dict()}
        if _trains(self):
            # Read at call time, as TrainConfig.key does.
            identity["cache_version"] = sgd.CACHE_VERSION
        canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def run(self, cache_dir: str | None) -> JSON:
        """Compute the result; nets are trained through the model cache ``cache_dir``."""
        raise NotImplementedError(f"{type(self).__name__} must implement run(cache_dir)")


def _trains(value: Any) -> bool:
    """Whether ``value`` holds a :class:`TrainConfig` (in dataclass fields, tuples or lists)."""
    if isinstance(value, TrainConfig):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_trains(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, list | tuple):
        return any(_trains(item) for item in value)
    return False


def run_job(job: Job, cache_dir: str | None) -> JSON:
    """``job.run(cache_dir)``: the sweep worker every runner sends jobs to (picklable).

    Examples
    --------
    >>> from analysis.lab.jobs import run_job
    >>> run_job(Square(4), cache_dir=None)
    16
    """
    return job.run(cache_dir)


@dataclasses.dataclass(frozen=True)
class TrainJob(Job):
    """Train one net through the model cache; the result is what a table needs of it.

    Attributes
    ----------
    config : TrainConfig
        What to train.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.lab.jobs import TrainJob
    >>> from analysis.lab.train import train
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     result = TrainJob(tiny_config).run(cache)
    ...     loaded = train(tiny_config, cache_dir=cache, progress=False)  # from the cache
    >>> sorted(result), result["test_acc"] == float(loaded.history.test_acc[-1]), loaded.from_cache
    (['test_acc', 'train_seconds'], True, True)
    """

    config: TrainConfig

    def run(self, cache_dir: str | None) -> dict[str, float | None]:
        """Train (or load), returning ``test_acc`` in [0, 1] and ``train_seconds``."""
        result = train(self.config, cache_dir=cache_dir, progress=False)
        return {
            "test_acc": float(result.history.test_acc[-1]),
            "train_seconds": result.train_seconds,
        }


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
    >>> from analysis.lab.jobs import result_path
    >>> result_path("sweeps", Square(3)).as_posix()
    'sweeps/00247edc3ba6b4ef.json'
    """
    return Path(out_dir) / f"{job.key()}.json"


def _record(job: Job, result: JSON) -> dict[str, JSON]:
    return {"key": job.key(), "type": type(job).__name__, "job": job.to_dict(), "result": result}


def save_result(out_dir: str | os.PathLike[str], job: Job, result: JSON) -> JSON:
    """Write ``job``'s result file atomically; returns the result as it reads back from JSON.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's result directory (created if missing).
    job : Job
        The job the result belongs to.
    result : JSON
        A JSON-able value (NaN and infinities allowed).

    Returns
    -------
    JSON
        ``result`` after a round trip through JSON (tuples become lists).

    Examples
    --------
    >>> import tempfile
    >>> from analysis.lab.jobs import load_result, save_result
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(save_result(tmp, Square(3), {"pair": (3, 3)}), load_result(tmp, Square(3)))
    {'pair': [3, 3]} (True, {'pair': [3, 3]})
    """
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
    >>> from analysis.lab.jobs import load_result, save_result
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_result(tmp, Square(3), {"square": 9})
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
