"""Helpers for ragged arrays: many variable-length segments stored in one flat array.

A ragged array is a flat array plus ``start`` offsets (n + 1,): segment ``i`` is
``flat[start[i]:start[i + 1]]``. Polygons of a partition are stored this way so every operation
vectorises over all polygons at once instead of looping in Python.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "offsets",
    "expand",
    "positions",
    "segment_max",
    "segment_min",
    "segment_any",
    "segment_sum",
    "with_room",
]


def offsets(lengths: np.ndarray) -> np.ndarray:
    """Start offsets of segments with the given lengths.

    Parameters
    ----------
    lengths : ndarray of int, shape (n,)
        Length of every segment (number of flat entries).

    Returns
    -------
    start : ndarray of int64, shape (n + 1,)
        ``start[0] == 0``, ``start[i + 1] == start[i] + lengths[i]``; segment ``i`` is
        ``flat[start[i]:start[i + 1]]`` and ``start[-1]`` is the flat length.

    Examples
    --------
    >>> import numpy as np
    >>> from regions.ragged import offsets
    >>> offsets(np.array([3, 2, 4])).tolist()  # a triangle, an edge, a quadrilateral
    [0, 3, 5, 9]
    """
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

    Examples
    --------
    Segment 0 starts at flat position 10 and has 2 entries; segment 1 starts at 0 and has 3:

    >>> import numpy as np
    >>> from regions.ragged import expand
    >>> index, owner, local = expand(np.array([10, 0]), np.array([2, 3]))
    >>> index.tolist(), owner.tolist(), local.tolist()
    ([10, 11, 0, 1, 2], [0, 0, 1, 1, 1], [0, 1, 0, 1, 2])
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    local = np.arange(owner.size, dtype=np.int64) - offsets(lengths)[:-1][owner]
    return np.asarray(first, dtype=np.int64)[owner] + local, owner, local


def positions(first: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`expand`'s ``index`` alone, for callers that need neither ``owner`` nor
    ``local``: the same array in two passes instead of four.

    Examples
    --------
    >>> import numpy as np
    >>> from regions.ragged import positions
    >>> positions(np.array([10, 0]), np.array([2, 3])).tolist()
    [10, 11, 0, 1, 2]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    start = offsets(lengths)
    # Each segment's shift from its place in the output, then the output's positions.
    return np.repeat(np.asarray(first, dtype=np.int64) - start[:-1], lengths) + np.arange(start[-1])


def _reduce(ufunc: np.ufunc, values: np.ndarray, start: np.ndarray) -> np.ndarray:
    # reduceat needs non-empty segments; every polygon has >= 3 vertices.
    return ufunc.reduceat(values, start[:-1], axis=0)


def segment_max(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Maximum of every segment of ``values`` (flat along axis 0).

    Parameters
    ----------
    values : ndarray, shape (start[-1], ...)
        Flat values, segment after segment along axis 0.
    start : ndarray of int, shape (n + 1,)
        Segment offsets (see :func:`offsets`); every segment must be non-empty.

    Returns
    -------
    ndarray, shape (n, ...)
        The largest entry of each segment (elementwise over trailing axes).

    Examples
    --------
    >>> import numpy as np
    >>> from regions.ragged import offsets, segment_max
    >>> start = offsets(np.array([3, 2, 4]))
    >>> values = np.array([1.0, 5.0, 2.0, 7.0, 3.0, 0.0, 4.0, 9.0, 8.0])
    >>> segment_max(values, start).tolist()
    [5.0, 7.0, 9.0]
    """
    return _reduce(np.maximum, values, start)


def segment_min(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Minimum of every segment of ``values`` (flat along axis 0).

    Parameters
    ----------
    values : ndarray, shape (start[-1], ...)
        Flat values, segment after segment along axis 0.
    start : ndarray of int, shape (n + 1,)
        Segment offsets (see :func:`offsets`); every segment must be non-empty.

    Returns
    -------
    ndarray, shape (n, ...)
        The smallest entry of each segment (elementwise over trailing axes).

    Examples
    --------
    >>> import numpy as np
    >>> from regions.ragged import offsets, segment_min
    >>> start = offsets(np.array([3, 2, 4]))
    >>> values = np.array([1.0, 5.0, 2.0, 7.0, 3.0, 0.0, 4.0, 9.0, 8.0])
    >>> segment_min(values, start).tolist()
    [1.0, 3.0, 0.0]
    """
    return _reduce(np.minimum, values, start)


def segment_any(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Logical or over every segment of boolean ``values``.

    Parameters
    ----------
    values : ndarray, shape (start[-1], ...)
        Flat booleans, segment after segment along axis 0.
    start : ndarray of int, shape (n + 1,)
        Segment offsets (see :func:`offsets`); every segment must be non-empty.

    Returns
    -------
    ndarray, shape (n, ...)
        Whether any entry of each segment is true.

    Examples
    --------
    >>> import numpy as np
    >>> from regions.ragged import offsets, segment_any
    >>> start = offsets(np.array([3, 2, 4]))
    >>> values = np.array([1.0, 5.0, 2.0, 7.0, 3.0, 0.0, 4.0, 9.0, 8.0])
    >>> segment_any(values > 6, start).tolist()
    [False, True, True]
    """
    return _reduce(np.logical_or, values, start)


def segment_sum(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Sum of every segment of ``values``.

    Parameters
    ----------
    values : ndarray, shape (start[-1], ...)
        Flat values, segment after segment along axis 0.
    start : ndarray of int, shape (n + 1,)
        Segment offsets (see :func:`offsets`); every segment must be non-empty.

    Returns
    -------
    ndarray, shape (n, ...)
        The sum of each segment (elementwise over trailing axes).

    Examples
    --------
    >>> import numpy as np
    >>> from regions.ragged import offsets, segment_sum
    >>> start = offsets(np.array([3, 2, 4]))
    >>> values = np.array([1.0, 5.0, 2.0, 7.0, 3.0, 0.0, 4.0, 9.0, 8.0])
    >>> segment_sum(values, start).tolist()
    [8.0, 10.0, 21.0]

    Rows sum too: the vertex means of a triangle and a quadrilateral stored flat.

    >>> xy = np.array([[0, 0], [3, 0], [0, 3], [0, 0], [2, 0], [2, 2], [0, 2]], dtype=float)
    >>> (segment_sum(xy, offsets(np.array([3, 4]))) / [[3], [4]]).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    return _reduce(np.add, values, start)


def with_room(a: np.ndarray, cap: int, keep: int) -> np.ndarray:
    """A new array of ``cap`` rows like ``a``, holding its first ``keep`` rows (the rest
    unset): a pool grown so that appends are amortised.

    Examples
    --------
    >>> import numpy as np
    >>> from regions.ragged import with_room
    >>> grown = with_room(np.array([[1, 2], [3, 4], [5, 6]]), 5, 2)
    >>> grown.shape, grown[:2].tolist()
    ((5, 2), [[1, 2], [3, 4]])
    """
    out = np.empty((cap, *a.shape[1:]), dtype=a.dtype)
    out[:keep] = a[:keep]
    return out
