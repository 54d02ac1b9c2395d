"""On-disk cache of trained models: ``<dir>/<key>.pt`` plus ``<dir>/<key>.json``.

The ``.pt`` file holds only tensors and plain Python containers, so it loads with
``torch.load(path, weights_only=True)`` (no arbitrary unpickling). The ``.json`` file holds the
configuration and a human-readable summary. Both are written atomically (temporary file in the
same directory, then ``os.replace``), the ``.pt`` first: an entry counts as present only when its
``.json`` exists, so an interrupted write never looks like a finished one.

This module knows nothing about training; :mod:`analysis.train` validates entry contents.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from analysis.files import atomic_write

__all__ = ["CacheError", "CacheWarning", "entry_paths", "load_entry", "save_entry"]


class CacheError(Exception):
    """A cache entry exists but cannot be used; the message says why.

    Raised by :func:`load_entry`; :func:`analysis.train.train` turns it into a
    :class:`CacheWarning` and retrains.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.cache import CacheError, entry_paths, load_entry
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     pt_path, _ = entry_paths(tmp, "abc")
    ...     _ = pt_path.write_bytes(b"not a torch file")
    ...     try:
    ...         load_entry(tmp, "abc")
    ...     except CacheError as err:
    ...         print(err)
    incomplete entry, abc.json is missing
    """


class CacheWarning(UserWarning):
    """Emitted when an unusable cache entry is ignored and the model retrained.

    Examples
    --------
    :func:`analysis.train.train` warns and retrains when an entry is broken:

    >>> import tempfile, warnings
    >>> from analysis.cache import CacheWarning, entry_paths
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig, train
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = train(config, cache_dir=tmp, progress=False)
    ...     _ = entry_paths(tmp, config.key())[1].write_text("{ broken")
    ...     with warnings.catch_warnings(record=True) as caught:
    ...         warnings.simplefilter("always")
    ...         result = train(config, cache_dir=tmp, progress=False)
    >>> [w.category.__name__ for w in caught], result.from_cache
    (['CacheWarning'], False)
    """


def entry_paths(cache_dir: str | os.PathLike[str], key: str) -> tuple[Path, Path]:
    """Paths ``(<key>.pt, <key>.json)`` of the entry ``key`` in ``cache_dir``.

    Parameters
    ----------
    cache_dir : str or os.PathLike
        The cache directory (need not exist).
    key : str
        Entry key, e.g. :meth:`analysis.train.TrainConfig.key`.

    Returns
    -------
    tuple of Path
        The tensor file and the metadata file; nothing is created.

    Examples
    --------
    >>> from analysis.cache import entry_paths
    >>> pt_path, json_path = entry_paths("cache", "0123abcd")
    >>> pt_path.as_posix(), json_path.as_posix()
    ('cache/0123abcd.pt', 'cache/0123abcd.json')
    """
    base = Path(cache_dir)
    return base / f"{key}.pt", base / f"{key}.json"


def save_entry(
    cache_dir: str | os.PathLike[str], key: str, payload: dict[str, Any], meta: dict[str, Any]
) -> None:
    """Atomically write ``payload`` (tensors and plain containers) and ``meta`` (JSON-able).

    The ``.pt`` file is written first and the ``.json`` file last, so the entry only counts
    as present (see :func:`load_entry`) once both are complete. An existing entry is replaced.

    Parameters
    ----------
    cache_dir : str or os.PathLike
        The cache directory, created if missing.
    key : str
        Entry key; the files are ``<key>.pt`` and ``<key>.json``.
    payload : dict
        Tensors and plain Python containers only, so that it loads with
        ``torch.load(..., weights_only=True)``.
    meta : dict
        JSON-able metadata, written with sorted keys and an indent of 2.

    Examples
    --------
    >>> import tempfile, torch
    >>> from analysis.cache import load_entry, save_entry
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_entry(tmp, "k1", {"w": torch.ones(2, 3)}, {"epochs": 2})
    ...     payload, meta = load_entry(tmp, "k1")
    >>> tuple(payload["w"].shape), meta
    ((2, 3), {'epochs': 2})
    """
    pt_path, json_path = entry_paths(cache_dir, key)
    atomic_write(pt_path, lambda fh: torch.save(payload, fh))
    text = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    atomic_write(json_path, lambda fh: fh.write(text.encode()))


def load_entry(
    cache_dir: str | os.PathLike[str], key: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Load the entry ``key``.

    Parameters
    ----------
    cache_dir : str or os.PathLike
        The cache directory.
    key : str
        Entry key.

    Returns
    -------
    (payload, meta) or None
        The two dictionaries written by :func:`save_entry` (tensors mapped to the CPU);
        ``None`` when the entry does not exist at all.

    Raises
    ------
    CacheError
        When only part of the entry exists or a file cannot be read or parsed.

    Examples
    --------
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from analysis.cache import CacheError, load_entry, save_entry
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(load_entry(tmp, "k1"))
    ...     save_entry(tmp, "k1", {"step": torch.tensor(7)}, {"note": "tiny"})
    ...     payload, meta = load_entry(tmp, "k1")
    ...     print(int(payload["step"]), meta["note"])
    None
    7 tiny

    A corrupt metadata file raises instead of passing for a missing entry:

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_entry(tmp, "k1", {}, {})
    ...     _ = (Path(tmp) / "k1.json").write_text("{ broken")
    ...     try:
    ...         load_entry(tmp, "k1")
    ...     except CacheError as err:
    ...         print(str(err).split(":")[0])
    unreadable k1.json
    """
    pt_path, json_path = entry_paths(cache_dir, key)
    if not pt_path.exists() and not json_path.exists():
        return None
    if not (pt_path.exists() and json_path.exists()):
        missing = pt_path if not pt_path.exists() else json_path
        raise CacheError(f"incomplete entry, {missing.name} is missing")
    try:
        meta = json.loads(json_path.read_text())
    except (OSError, ValueError) as err:
        raise CacheError(f"unreadable {json_path.name}: {err}") from err
    try:
        payload = torch.load(pt_path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load raises many types on corrupt input.
        raise CacheError(f"unreadable {pt_path.name}: {type(err).__name__}: {err}") from err
    if not isinstance(payload, dict) or not isinstance(meta, dict):
        raise CacheError("entry does not hold dictionaries")
    return payload, meta
