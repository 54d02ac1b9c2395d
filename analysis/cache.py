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


class CacheError(Exception):
    """A cache entry exists but cannot be used; the message says why."""


class CacheWarning(UserWarning):
    """Emitted when an unusable cache entry is ignored and the model retrained."""


def entry_paths(cache_dir: str | os.PathLike[str], key: str) -> tuple[Path, Path]:
    """Paths ``(<key>.pt, <key>.json)`` of the entry ``key`` in ``cache_dir``."""
    base = Path(cache_dir)
    return base / f"{key}.pt", base / f"{key}.json"


def save_entry(
    cache_dir: str | os.PathLike[str], key: str, payload: dict[str, Any], meta: dict[str, Any]
) -> None:
    """Atomically write ``payload`` (tensors and plain containers) and ``meta`` (JSON-able)."""
    pt_path, json_path = entry_paths(cache_dir, key)
    atomic_write(pt_path, lambda fh: torch.save(payload, fh))
    text = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    atomic_write(json_path, lambda fh: fh.write(text.encode()))


def load_entry(
    cache_dir: str | os.PathLike[str], key: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Load the entry ``key``.

    Returns
    -------
    (payload, meta) or None
        ``None`` when the entry does not exist at all.

    Raises
    ------
    CacheError
        When only part of the entry exists or a file cannot be read or parsed.
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
