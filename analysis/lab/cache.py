"""On-disk cache of trained models: ``<dir>/<key>.pt`` plus ``<dir>/<key>.json``.

The ``.pt`` file holds only tensors and plain Python containers, so it loads with
``torch.load(path, weights_only=True)`` (no arbitrary unpickling). The ``.json`` file holds the
configuration and a human-readable summary. Both are written atomically (temporary file in the
same directory, then ``os.replace``), the ``.pt`` first: an entry counts as present only when its
``.json`` exists, so an interrupted write never looks like a finished one. The ``.json`` file
also holds the SHA-256 of every tensor in the ``.pt`` file (:func:`tensor_digest`); loading
recomputes it, so a flipped bit in the weights, or weights that are not finite, make the
entry unusable instead of silently changing results.

This module knows nothing about training; :mod:`analysis.lab.train` validates entry contents.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from analysis.lab.files import atomic_write

__all__ = [
    "CacheError",
    "CacheWarning",
    "entry_paths",
    "load_entry",
    "save_entry",
    "tensor_digest",
]


class CacheError(Exception):
    """A cache entry exists but cannot be used; the message says why.

    Raised by :func:`load_entry`; :func:`analysis.lab.train.train` turns it into a
    :class:`CacheWarning` and retrains.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.lab.cache import CacheError, entry_paths, load_entry
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
    :func:`analysis.lab.train.train` warns and retrains when an entry is broken:

    >>> import tempfile, warnings
    >>> from analysis.lab.cache import CacheWarning, entry_paths
    >>> from analysis.lab.train import train
    >>> config = tiny_config  # conftest.py: 2 epochs of a 4-unit net on 200 samples
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
        Entry key, e.g. :meth:`analysis.lab.train.TrainConfig.key`.

    Returns
    -------
    tuple of Path
        The tensor file and the metadata file; nothing is created.

    Examples
    --------
    >>> from analysis.lab.cache import entry_paths
    >>> pt_path, json_path = entry_paths("cache", "0123abcd")
    >>> pt_path.as_posix(), json_path.as_posix()
    ('cache/0123abcd.pt', 'cache/0123abcd.json')
    """
    base = Path(cache_dir)
    return base / f"{key}.pt", base / f"{key}.json"


def _tensors(value: Any, path: str = "") -> Iterator[tuple[str, torch.Tensor]]:
    """Every tensor in nested dicts and lists, with its path, in a fixed order."""
    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _tensors(value[key], f"{path}/{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _tensors(item, f"{path}/{i}")


def tensor_digest(payload: Any) -> str:
    """SHA-256 (hex) of every tensor in ``payload``: its path, dtype, shape and bytes.

    Parameters
    ----------
    payload : dict, list or Tensor
        Nested dicts and lists holding tensors; other values are left out.

    Returns
    -------
    str
        64 hex digits; equal payloads give equal digests, a single flipped bit another.

    Examples
    --------
    >>> from analysis.lab.cache import tensor_digest
    >>> w = torch.zeros(2, 3)
    >>> a = tensor_digest({"w": w, "note": "not a tensor"})
    >>> len(a), a == tensor_digest({"w": torch.zeros(2, 3)})
    (64, True)
    >>> w[1, 2] = 1e-30
    >>> a == tensor_digest({"w": w}), a == tensor_digest({"w": torch.zeros(3, 2)})
    (False, False)
    """
    digest = hashlib.sha256()
    for path, tensor in _tensors(payload):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{path}:{t.dtype}:{tuple(t.shape)}:".encode())
        digest.update(t.numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def save_entry(
    cache_dir: str | os.PathLike[str], key: str, payload: dict[str, Any], meta: dict[str, Any]
) -> None:
    """Atomically write ``payload`` (tensors and plain containers) and ``meta`` (JSON-able).

    The ``.pt`` file is written first and the ``.json`` file last, so the entry only counts
    as present (see :func:`load_entry`) once both are complete. An existing entry is replaced.
    ``meta`` is stored with the payload's :func:`tensor_digest` added as ``"sha256"``.

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
        JSON-able metadata, written with sorted keys and an indent of 2 (key ``"sha256"`` is
        reserved).

    Examples
    --------
    >>> import tempfile, torch
    >>> from analysis.lab.cache import load_entry, save_entry
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_entry(tmp, "k1", {"w": torch.ones(2, 3)}, {"epochs": 2})
    ...     payload, meta = load_entry(tmp, "k1")
    >>> tuple(payload["w"].shape), meta["epochs"], len(meta["sha256"])
    ((2, 3), 2, 64)
    """
    pt_path, json_path = entry_paths(cache_dir, key)
    atomic_write(pt_path, lambda fh: torch.save(payload, fh))
    meta = {**meta, "sha256": tensor_digest(payload)}
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
        When only part of the entry exists, a file cannot be read or parsed, or the tensors
        are not finite or do not match the SHA-256 recorded when they were saved.

    Examples
    --------
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from analysis.lab.cache import CacheError, load_entry, save_entry
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
    if meta.get("sha256") != tensor_digest(payload):
        what = "no checksum" if "sha256" not in meta else "a checksum that does not match"
        raise CacheError(f"{pt_path.name} has {what} (corrupt or from an older version)")
    if not all(t.isfinite().all() for _, t in _tensors(payload) if t.is_floating_point()):
        raise CacheError(f"{pt_path.name} holds non-finite weights")
    return payload, meta
