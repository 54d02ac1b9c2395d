"""Helpers for ragged arrays: many variable-length segments stored in one flat array.

A ragged array is a flat array plus ``start`` offsets (n + 1,): segment ``i`` is
``flat[start[i]:start[i + 1]]``. Polygons of a partition are stored this way so every operation
vectorises over all polygons at once instead of looping in Python.
"""

from __future__ import annotations

import numpy as np

__all__ = ["offsets", "expand", "segment_max", "segment_min", "segment_any", "segment_sum"]


def offsets(lengths: np.ndarray) -> np.ndarray:
    """Start offsets (n + 1,) of segments with the given lengths (n,)."""
    start = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=start[1:])
    return start


def expand(first: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat positions of the selected segments.

    Parameters
    ----------
    first : ndarray, shape (n,)
        Flat position of each selected segment's first element.
    lengths : ndarray, shape (n,)
        Length of each selected segment.

    Returns
    -------
    index : ndarray, shape (lengths.sum(),)
        ``first[i] + j`` for each segment ``i`` and ``0 <= j < lengths[i]``, segment by segment.
    owner : ndarray, shape (lengths.sum(),)
        The segment ``i`` of each entry.
    local : ndarray, shape (lengths.sum(),)
        The position ``j`` of each entry within its segment.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    local = np.arange(owner.size, dtype=np.int64) - offsets(lengths)[:-1][owner]
    return np.asarray(first, dtype=np.int64)[owner] + local, owner, local


def _reduce(ufunc: np.ufunc, values: np.ndarray, start: np.ndarray) -> np.ndarray:
    # reduceat needs non-empty segments; every polygon has >= 3 vertices.
    return ufunc.reduceat(values, start[:-1], axis=0)


def segment_max(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Maximum of every segment of ``values`` (flat along axis 0)."""
    return _reduce(np.maximum, values, start)


def segment_min(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Minimum of every segment of ``values`` (flat along axis 0)."""
    return _reduce(np.minimum, values, start)


def segment_any(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Logical or over every segment of boolean ``values``."""
    return _reduce(np.logical_or, values, start)


def segment_sum(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Sum of every segment of ``values``."""
    return _reduce(np.add, values, start)
