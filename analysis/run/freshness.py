"""Whether a registered experiment's report on disk is the one its inputs would draw.

A resumed run loads every finished job from the cache, and drawing the reports again took a
quick run 55 of its 60 seconds though nothing had changed. A report is drawn from its jobs'
results, the quick mode and the code of ``analysis`` and ``regions`` (with the libraries that
compute and draw); :func:`report_key` hashes all of them, and :func:`record` stores the key
beside the report with the files it wrote. :func:`up_to_date` then tells the runner to keep a
report whose key is unchanged and whose files are all there; any other publication of the
experiment removes the key first (:func:`forget`), so a report drawn otherwise (a notebook's
own experiment under the same name) is never taken for the registered one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib
import numpy as np
import shapely
import torch

import analysis
import regions
from analysis.lab.files import atomic_write_text
from analysis.lab.jobs import JSON, Job
from analysis.lab.options import RunOptions

__all__ = ["KEY_FILE", "forget", "record", "report_key", "up_to_date"]

KEY_FILE = ".report-key.json"
"""The key and the files of a report drawn by the runner, in the experiment's folder."""


def report_key(name: str, results: Mapping[Job, JSON], options: RunOptions) -> str:
    """The sha256 (hex) of what experiment ``name``'s report is drawn from: its jobs and their
    results, the quick mode, every file of the ``analysis`` and ``regions`` packages and the
    versions of numpy, torch, shapely and matplotlib.

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.lab.options import QuickMode, RunOptions
    >>> from analysis.run.freshness import report_key
    >>> full, quick = RunOptions(Path("o"), Path("c")), RunOptions(Path("o"), Path("c"), True)
    >>> len(report_key("depth", {}, full)), report_key("depth", {}, full) == report_key(
    ...     "depth", {}, quick)
    (64, False)
    """
    jobs = sorted((type(job).__name__, job.key(), result) for job, result in results.items())
    identity = {"name": name, "quick": repr(options.quick), "jobs": jobs, "code": _code()}
    text = json.dumps(identity, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _code() -> str:
    """A digest of every file of both packages (caches aside) and of the libraries' versions:
    the code that computes and draws a report (read once a process, about 0.1 s)."""
    digest = hashlib.sha256()
    for package in (analysis, regions):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".nbi":
                digest.update(path.relative_to(root).as_posix().encode("utf-8"))
                digest.update(path.read_bytes())
    for library in (np, torch, shapely, matplotlib):
        digest.update(f"{library.__name__} {library.__version__}".encode())
    return digest.hexdigest()


def up_to_date(out_dir: str | os.PathLike[str], name: str, key: str) -> bool:
    """Whether ``out_dir/name`` holds the report ``key`` stands for, every file of it."""
    folder = Path(out_dir) / name
    try:
        recorded = json.loads((folder / KEY_FILE).read_text(encoding="utf-8"))
        files = [Path(out_dir) / f for f in recorded["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return recorded.get("key") == key and all(f.is_file() for f in files)


def record(out_dir: str | os.PathLike[str], name: str, key: str, files: Iterable[str]) -> None:
    """Store ``key`` with the ``files`` (relative to ``out_dir``) of the report just written."""
    text = json.dumps({"key": key, "files": sorted(files)}, indent=1)
    atomic_write_text(Path(out_dir) / name / KEY_FILE, text + "\n")


def forget(out_dir: str | os.PathLike[str], name: str) -> None:
    """Remove the key of ``out_dir/name``'s report, before anything of it is rewritten."""
    (Path(out_dir) / name / KEY_FILE).unlink(missing_ok=True)
