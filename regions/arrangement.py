"""Exact cell counts of line arrangements in a box, in O(n^2 log n).

A one-hidden-layer net's activation regions are the cells of the arrangement of its units'
breakpoint lines ``w_i . x + b_i = 0``. Added one at a time, a line that crosses the open box
adds one cell plus one for each distinct point where it crosses earlier lines inside the box
(Euler's formula): ``cells = 1 + sum over lines (1 + distinct crossing points on it with
earlier lines)``. Lines through one point, parallel lines and repeated lines are all counted
right.

Every decision is exact for the float64 coefficients. Repeated lines and lines meeting the
box are decided in rational arithmetic (O(n) ``Fraction`` operations). The O(n^2) crossings
are computed in float64 with a rigorous error bound on each coordinate; a crossing whose
place relative to the box the bound leaves open, and any set of crossings on one line whose
error intervals overlap, is decided in rational arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from regions.floats import EPS, SAFE

__all__ = ["arrangement_cells", "distinct_lines"]

_TINY = 2.0**-1000  # absolute slack: covers underflow in any product of the bounds below
_PAIRS_PER_BLOCK = 1 << 21  # crossings computed at once (a few hundred MB at most)


def distinct_lines(weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct lines among ``weight[i] . x + bias[i] = 0``, decided exactly.

    Parameters
    ----------
    weight : ndarray, shape (n, 2)
        Line normals; a zero row is no line (its unit is constant) and is dropped.
    bias : ndarray, shape (n,)
        Line offsets.

    Returns
    -------
    first : ndarray of int, shape (L,)
        Index of the first unit of each distinct line, in unit order.
    line_of : ndarray of int, shape (n,)
        For each unit, the position in ``first`` of its line, or -1 for a zero row.

    Examples
    --------
    Units 0 and 2 draw the same line x = y (scaled and reversed); unit 3 draws none:

    >>> import numpy as np
    >>> from regions.arrangement import distinct_lines
    >>> first, line_of = distinct_lines(np.array([[1.0, -1], [0, 1], [-2, 2], [0, 0]]),
    ...                                 np.array([0.0, 1, 0, 5]))
    >>> first.tolist(), line_of.tolist()
    ([0, 1], [0, 1, 0, -1])
    """
    w, b = _as_lines(weight, bias)
    seen: dict[tuple[Fraction, Fraction, Fraction], int] = {}
    first: list[int] = []
    line_of = np.full(len(b), -1, dtype=np.int64)
    for i in range(len(b)):
        a1, a2 = Fraction(w[i, 0]), Fraction(w[i, 1])
        if a1 == 0 and a2 == 0:
            continue
        scale = a1 if a1 != 0 else a2  # the line divided by its first nonzero coefficient
        key = (a1 / scale, a2 / scale, Fraction(b[i]) / scale)
        line_of[i] = seen.setdefault(key, len(first))
        if line_of[i] == len(first):
            first.append(i)
    return np.asarray(first, dtype=np.int64), line_of


def arrangement_cells(
    weight: np.ndarray, bias: np.ndarray, box: tuple[float, float, float, float]
) -> int:
    """Number of cells the lines ``weight[i] . x + bias[i] = 0`` cut the open ``box`` into.

    Parameters
    ----------
    weight : ndarray, shape (n, 2)
        Line normals, float64 (exactly what the model computes with).
    bias : ndarray, shape (n,)
        Line offsets.
    box : (xmin, xmax, ymin, ymax)
        The domain, with ``xmin < xmax`` and ``ymin < ymax``.

    Returns
    -------
    int
        The exact number of cells: the activation-region count of a one-hidden-layer net
        with these breakpoint lines.

    Examples
    --------
    The lines x = 0.5, y = 0.5 and x + y = 0 cross three times in [-2, 2]^2, but in [0, 1]^2
    the first two cross once and x + y = 0 only touches the corner (0, 0):

    >>> import numpy as np
    >>> from regions.arrangement import arrangement_cells
    >>> w, b = np.array([[1.0, 0], [0, 1], [1, 1]]), np.array([-0.5, -0.5, 0])
    >>> arrangement_cells(w, b, (-2, 2, -2, 2)), arrangement_cells(w, b, (0, 1, 0, 1))
    (7, 4)

    Six lines through the origin cut the box into 12 sectors:

    >>> angles = np.arange(6) * np.pi / 6
    >>> arrangement_cells(np.c_[np.cos(angles), np.sin(angles)], np.zeros(6), (-1, 1, -1, 1))
    12
    """
    xmin, xmax, ymin, ymax = (float(v) for v in box)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"regions.arrangement: box must have xmin < xmax, ymin < ymax, got {box}")
    w, b = _as_lines(weight, bias)
    first, _ = distinct_lines(w, b)
    w, b = w[first], b[first]
    crossing = _crosses_box(w, b, (xmin, xmax, ymin, ymax))
    w, b = w[crossing], b[crossing]
    n = len(b)
    if n < 2:
        return 1 + n
    # Line k meets each earlier line j < k at most once: all pairs, vectorised, a block of
    # lines k at a time (every crossing on line k is in k's block) to bound the memory.
    total = 0
    for k, j in _pair_blocks(n, _PAIRS_PER_BLOCK):
        key, half, inside, unsure = _crossings(w, b, k, j, (xmin, xmax, ymin, ymax))
        for p in np.flatnonzero(unsure):  # the float bound cannot place it: decide exactly
            point = _exact_point(w[k[p]], b[k[p]], w[j[p]], b[j[p]])
            inside[p] = point is not None and all(
                lo < v < hi for v, lo, hi in zip(point, (xmin, ymin), (xmax, ymax), strict=True)
            )
            if inside[p]:  # its key rounded from the exact one: within half an ulp
                key[p] = float(_along(w[k[p]], point))
                half[p] = (EPS * abs(key[p]) + _TINY) * SAFE
        total += _distinct_on_lines(w, b, k[inside], j[inside], key[inside], half[inside])
    return 1 + n + total


def _pair_blocks(n: int, budget: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """All pairs (k, j) with j < k < n, in blocks of consecutive k of about ``budget`` pairs
    (at least one line each)."""
    start = 1
    while start < n:
        pairs = np.cumsum(np.arange(start, n))  # pairs of the lines start..k
        stop = min(n, start + max(1, int(np.searchsorted(pairs, budget, side="right"))))
        lines = np.arange(start, stop)
        k = np.repeat(lines, lines)  # line k meets lines 0..k-1
        first = np.repeat(np.cumsum(lines) - lines, lines)  # where each line's run starts
        yield k, np.arange(len(k)) - first
        start = stop


def _as_lines(weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(weight, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != 2 or b.shape != (w.shape[0],):
        raise ValueError(
            f"regions.arrangement: weight must have shape (n, 2) and bias (n,), got "
            f"{w.shape} and {b.shape}"
        )
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("regions.arrangement: weight and bias must be finite")
    return w, b


def _crosses_box(
    w: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float]
) -> np.ndarray:
    """Whether each line takes both strict signs at the box's corners, decided exactly.

    Corner values in floats with a rigorous bound; a value the bound cannot sign is
    recomputed in rationals.
    """
    xmin, xmax, ymin, ymax = box
    corners = np.array([[xmin, ymin], [xmin, ymax], [xmax, ymin], [xmax, ymax]])
    values = corners @ w.T + b  # (4, n)
    err = (4 * EPS * (np.abs(corners) @ np.abs(w).T + np.abs(b)) + _TINY) * SAFE  # gamma(3)
    sign = np.where(values > err, 1, np.where(values < -err, -1, 0))
    for c, i in zip(*np.nonzero(sign == 0), strict=True):
        exact = (
            Fraction(w[i, 0]) * Fraction(corners[c, 0])
            + Fraction(w[i, 1]) * Fraction(corners[c, 1])
            + Fraction(b[i])
        )
        sign[c, i] = (exact > 0) - (exact < 0)
    return (sign.min(axis=0) < 0) & (sign.max(axis=0) > 0)


def _crossings(
    w: np.ndarray,
    b: np.ndarray,
    k: np.ndarray,
    j: np.ndarray,
    box: tuple[float, float, float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where line k[p] meets line j[p], in floats with a rigorous bound.

    Returns the crossing's coordinate along line k (x where line k is closer to horizontal,
    else y: a coordinate that identifies the points of the line), the half-width of its
    error interval, whether it is certainly inside the open box, and whether that could not
    be decided (near-parallel pairs included).
    """
    a1, b1, c1 = w[k, 0], w[k, 1], b[k]
    a2, b2, c2 = w[j, 0], w[j, 1], b[j]
    with np.errstate(all="ignore"):
        den = a1 * b2 - a2 * b1
        den_err = 3 * EPS * (np.abs(a1 * b2) + np.abs(a2 * b1)) + _TINY
        coords = []
        for num, num_err in (
            (b1 * c2 - b2 * c1, 3 * EPS * (np.abs(b1 * c2) + np.abs(b2 * c1)) + _TINY),
            (c1 * a2 - c2 * a1, 3 * EPS * (np.abs(c1 * a2) + np.abs(c2 * a1)) + _TINY),
        ):
            value = num / den
            # |num/den - value| <= (num_err + |value| den_err) / (|den| - den_err) + rounding
            err = (num_err + np.abs(value) * den_err) / (np.abs(den) - den_err)
            coords.append((value, (err + 4 * EPS * np.abs(value) + _TINY) * SAFE))
        (x, ex), (y, ey) = coords
        # Two lines through the origin cross exactly there: keep the key exact.
        origin = (c1 == 0) & (c2 == 0)
        x, ex = np.where(origin, 0.0, x), np.where(origin, 0.0, ex)
        y, ey = np.where(origin, 0.0, y), np.where(origin, 0.0, ey)
        parallel_unsure = ~(np.abs(den) > 2 * den_err)
        xmin, xmax, ymin, ymax = box
        inside = (x - ex > xmin) & (x + ex < xmax) & (y - ey > ymin) & (y + ey < ymax)
        outside = (x + ex <= xmin) | (x - ex >= xmax) | (y + ey <= ymin) | (y - ey >= ymax)
    unsure = parallel_unsure | ~(inside | outside) | ~np.isfinite(x + ex + y + ey)
    inside &= ~unsure
    along_x = np.abs(b1) >= np.abs(a1)
    key = np.where(along_x, x, y)
    half = np.where(along_x, ex, ey)
    return key, half, inside, unsure


def _exact_point(
    wk: np.ndarray, bk: float, wj: np.ndarray, bj: float
) -> tuple[Fraction, Fraction] | None:
    """The crossing point of two lines in rationals, or None if they are parallel."""
    a1, b1, c1 = Fraction(wk[0]), Fraction(wk[1]), Fraction(bk)
    a2, b2, c2 = Fraction(wj[0]), Fraction(wj[1]), Fraction(bj)
    den = a1 * b2 - a2 * b1
    if den == 0:
        return None
    return (b1 * c2 - b2 * c1) / den, (c1 * a2 - c2 * a1) / den


def _along(wk: np.ndarray, point: tuple[Fraction, Fraction]) -> Fraction:
    """The coordinate of ``point`` that identifies it on line k, as :func:`_crossings` keys
    it: x where the line is closer to horizontal, else y."""
    return point[0] if abs(wk[1]) >= abs(wk[0]) else point[1]


def _exact_key(wk: np.ndarray, bk: float, wj: np.ndarray, bj: float) -> Fraction:
    """The exact coordinate along line k of its crossing with line j (as :func:`_crossings`)."""
    point = _exact_point(wk, bk, wj, bj)
    assert point is not None  # only crossing pairs get here
    return _along(wk, point)


def _distinct_on_lines(
    w: np.ndarray,
    b: np.ndarray,
    k: np.ndarray,
    j: np.ndarray,
    key: np.ndarray,
    half: np.ndarray,
) -> int:
    """Sum over lines of the number of distinct crossing points on them.

    Crossings on one line are sorted by key; a run whose error intervals overlap is a
    cluster, and a cluster of more than one crossing is counted exactly, by its distinct
    rational keys. Exactly known keys (zero half-width) that are equal need no rationals.
    """
    if len(k) == 0:
        return 0
    order = np.lexsort((key, k))
    k, j, key, half = k[order], j[order], key[order], half[order]
    lo, hi = key - half, key + half
    # A new cluster starts at a new line or where the interval clears every earlier one of
    # its line's run (the running maximum of the upper ends).
    new_line = np.r_[True, k[1:] != k[:-1]]
    reach = _running_max_by_group(hi, new_line)
    starts = np.flatnonzero(new_line | np.r_[True, lo[1:] > reach[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    total = int(np.count_nonzero(sizes == 1))
    for s, m in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
        members = slice(s, s + m)
        if not half[members].any() and (key[members] == key[s]).all():
            total += 1  # every key exact and equal: one point
            continue
        keys = {_exact_key(w[k[s]], b[k[s]], w[jj], b[jj]) for jj in j[members]}
        total += len(keys)
    return total


def _running_max_by_group(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Running maximum of ``values`` restarted at each ``group_start``, exactly (on ranks)."""
    n = len(values)
    by_value = np.argsort(values, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[by_value] = np.arange(n)
    shift = (np.cumsum(group_start) - 1) * n  # each group's ranks above all earlier groups'
    return values[by_value][np.maximum.accumulate(rank + shift) - shift]
