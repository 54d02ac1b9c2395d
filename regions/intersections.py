"""Intersections of pairs of line equations, with bounds on their distance from the exact ones.

:func:`intersect` places the new vertices of a cut (:meth:`regions.mesh.Mesh.cut`). It runs as
numpy, or compiled with numba when :data:`regions.kernels.COMPILED` says so; the compiled loop
does the same float operations in the same order (no fused multiply-adds), so both give the
same bits (``tests/regions/test_kernels.py``).
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels
from .floats import EPS, SAFE, gamma

__all__ = ["between", "intersect"]


def intersect(
    line1: np.ndarray, err1: np.ndarray, line2: np.ndarray, err2: np.ndarray, box: float
) -> tuple[np.ndarray, np.ndarray]:
    """Intersections of pairs of lines, and bounds on their distance from the exact ones.

    Parameters
    ----------
    line1, line2 : ndarray, shape (n, 3)
        Float equations ``a x + b y + c = 0``.
    err1, err2 : ndarray, shape (n,)
        Bounds on the error of each equation's value at any point with ``|x|, |y| <= box``.
    box : float
        Where the error bounds hold.

    Returns
    -------
    xy : ndarray, shape (n, 2)
        Float intersection points (Cramer's rule).
    r : ndarray, shape (n,)
        Bound on each point's Euclidean distance from the exact lines' intersection (inf
        where the bounds cannot tell the lines apart or the point leaves the box).

    Notes
    -----
    The exact value of line i at the float point is within ``res_i`` (its float residual, the
    residual's rounding and ``err_i``), so the point is within ``res_i / |g_i|`` of exact line i
    (``g_i`` its exact normal, at least ``|g~_i| - sqrt(2) err_i / box`` long). Two lines at
    angle ``phi`` meet within ``(d_1 + d_2) / sin(phi)`` of a point that far from each.

    Examples
    --------
    >>> import numpy as np
    >>> xy, r = intersect(np.array([[1.0, 0.0, -0.5]]), np.zeros(1),
    ...                   np.array([[0.0, 1.0, -0.25]]), np.zeros(1), box=1.0)
    >>> xy.tolist(), bool(r[0] < 1e-15)
    ([[0.5, 0.25]], True)
    """
    if kernels.COMPILED:
        return _intersect_compiled(line1, err1, line2, err2, box)
    return _intersect_numpy(line1, err1, line2, err2, box)


def _intersect_numpy(
    line1: np.ndarray, err1: np.ndarray, line2: np.ndarray, err2: np.ndarray, box: float
) -> tuple[np.ndarray, np.ndarray]:
    n = len(line1)
    lines, errs = np.empty((2, n, 3)), np.empty((2, n))  # both lines at once
    lines[0], lines[1], errs[0], errs[1] = line1, line2, err1, err2
    a, b, c = lines[..., 0], lines[..., 1], lines[..., 2]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ab, ba = a[0] * b[1], a[1] * b[0]
        det = ab - ba
        x, y = (b[0] * c[1] - b[1] * c[0]) / det, (a[1] * c[0] - a[0] * c[1]) / det
        _axis_parallel(lines, x, y)
        ax, by = a * x, b * y
        residual = np.abs(ax + by + c) + gamma(3) * (np.abs(ax) + np.abs(by) + np.abs(c)) + errs
        slack = np.sqrt(2) * errs / box
        g = np.hypot(a, b)
        low = g * (1 - 4 * EPS) - slack
        (g1, g2), (slack1, slack2) = g, slack
        cross = np.abs(det) - gamma(2) * (np.abs(ab) + np.abs(ba))
        sine = (cross - (slack1 * (g2 + slack2) + slack2 * g1)) / (
            (g1 + slack1) * (g2 + slack2) * (1 + 8 * EPS)
        )
        reach = residual / low
        r = (reach[0] + reach[1]) / sine * SAFE
        xy = np.empty((n, 2))
        xy[:, 0], xy[:, 1] = x, y
    good = (low > 0).all(axis=0) & (sine > 0) & (np.abs(xy) <= box).all(axis=1) & np.isfinite(r)
    r[~good] = np.inf
    return np.where(np.isfinite(xy), xy, 0.0), r


def between(
    xy: np.ndarray,
    r: np.ndarray,
    ends: np.ndarray,
    vertices: np.ndarray,
    s: np.ndarray,
    err: np.ndarray,
    crossed: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """The new vertices of a cut with a band (``decompose(tol=)``): where the values that
    decided the sides of each crossed edge's ends vanish, taken affine along the edge, as the
    exact fallback places them then (:class:`regions.fallback.ExactVertices`, with the exact
    values at the exact ends), rather than where the line equations cross.

    Under a band, the equations need not cross on the edge: the maps of regions merged across
    an edge from a vertex the band put on a line (off it) differ on that edge, so the line's
    equation on a polygon may not cross an edge whose ends' values (from the regions around
    them) have opposite signs, and a vertex beyond an end turns a piece inside out (its ring
    clockwise, the areas summing to more than the domain's). The point placed here lies on
    the edge, strictly between its ends but for rounding, whatever the maps.

    Parameters
    ----------
    xy, r : ndarray, shape (V, 2) and (V,)
        The vertex pool: float vertices and their distance bounds.
    ends : ndarray of int, shape (2, n)
        Each edge's two vertex ids.
    vertices, s, err : ndarray, shape (m,)
        Vertex ids with the function's values there and their error bounds (one value a
        vertex, however often it is listed), the ends among them, of opposite signs.
    crossed : (ndarray (n, 2), ndarray (n,))
        Where the line equations cross (:func:`intersect`) and its distance bound.

    Returns
    -------
    xy : ndarray, shape (n, 2)
        ``p + tau (q - p)`` with ``tau = s_p / (s_p - s_q)``.
    r : ndarray, shape (n,)
        Bound on each point's distance from where the exact lines cross (from the equations'
        crossing where that is known: errors do not compound), else from where the exact
        values, taken affine along the edge between the exact ends, vanish (inf where the
        bounds do not keep the signs).

    Examples
    --------
    >>> import numpy as np
    >>> pool = np.array([[0.0, 0.0], [2.0, 1.0]])
    >>> xy, r = between(pool, np.zeros(2), np.array([[0], [1]]), np.array([0, 1]),
    ...                 np.array([1.0, -3.0]), np.zeros(2), (np.zeros((1, 2)), np.full(1, np.inf)))
    >>> xy.tolist(), bool(r[0] < 1e-15)
    ([[0.5, 0.25]], True)
    """
    ids, at = np.unique(vertices, return_index=True)
    at = at[np.searchsorted(ids, ends)]
    (sp, sq), err = s[at], err[at]
    p, q = xy[ends[0]], xy[ends[1]]
    size = np.abs(sp) + np.abs(sq)  # |sp - sq|: the signs are opposite
    tau = sp / (sp - sq)
    step = q - p
    out = p + tau[:, None] * step
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # |tau - tau*| for values within err of the exact ones, and tau's own rounding.
        slack = size * (1 - 2 * EPS) - err[0] - err[1]
        moved = (err[0] * np.abs(sq) + err[1] * np.abs(sp)) / (size * (1 - 2 * EPS) * slack)
        length = np.hypot(step[:, 0], step[:, 1])
        bound = (
            np.maximum(r[ends[0]], r[ends[1]])
            + length * (1 + gamma(2)) * (moved + gamma(3) * np.abs(tau))
            + gamma(3) * (np.hypot(p[:, 0], p[:, 1]) + length)
        ) * SAFE
        bound[~(slack > 0) | ~np.isfinite(bound)] = np.inf
        at, far = crossed
        apart = np.hypot(out[:, 0] - at[:, 0], out[:, 1] - at[:, 1]) * (1 + gamma(3))
        bound = np.where(np.isfinite(far), (apart + far) * SAFE, bound)
    return out, bound


_CASE_ORDER = np.array([[0, 1], [2, 3]])[:, None, :]
"""Precedence (line, row, j) of the axis-parallel cases: line 1 flat, line 1 upright, line 2
flat, line 2 upright."""


def _axis_parallel(lines: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Where one line is axis-parallel (a box's edge), overwrite Cramer's ``x``, ``y`` in place:
    that coordinate is a single division, the float nearest the exact one, and the other
    follows from the second line.

    ``lines`` is (2, n, 3). A line ``P`` with ``a == 0 != b`` (flat) fixes ``y = -c / b`` and
    the other line ``Q`` gives ``x = -(b_Q y + c_Q) / a_Q`` (needs ``a_Q != 0``); an upright one
    (``b == 0 != a``) likewise with the axes swapped. Where several of the four cases (line 1
    flat, line 1 upright, line 2 flat, line 2 upright) apply, the last one in that order wins.
    """
    zero = lines[..., :2] == 0  # (2, n, 2): a == 0, b == 0
    # case[p, :, j]: line p's coefficient j is 0 and its other one is not, and the other line's
    # coefficient j is not 0; j = 0 (flat) fixes y, j = 1 (upright) fixes x.
    case = zero & ~zero[..., ::-1] & ~zero[::-1]
    rank = np.where(case, _CASE_ORDER, -1).max(axis=(0, 2))
    rows = np.flatnonzero(rank >= 0)
    if rows.size == 0:
        return
    p, j = np.divmod(rank[rows], 2)
    pivot, at = 1 - j, np.arange(rows.size)
    own, other = lines[p, rows], lines[1 - p, rows]
    v = -own[at, 2] / own[at, pivot]  # the fixed coordinate
    u = -(other[at, pivot] * v + other[at, 2]) / other[at, j]
    flat = pivot == 1
    x[rows], y[rows] = np.where(flat, u, v), np.where(flat, v, u)


_GAMMA2, _GAMMA3, _ROOT2 = gamma(2), gamma(3), math.sqrt(2)


def _intersect_loops(
    line1: np.ndarray, err1: np.ndarray, line2: np.ndarray, err2: np.ndarray, box: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_intersect_numpy` one pair at a time, operation for operation."""
    n = line1.shape[0]
    xy, r = np.empty((n, 2)), np.empty(n)
    for i in range(n):
        p, q = line1[i], line2[i]
        xy[i, 0], xy[i, 1], r[i] = _pair(p[0], p[1], p[2], err1[i], q[0], q[1], q[2], err2[i], box)
    return xy, r


def _pair(
    a0: float,
    b0: float,
    c0: float,
    e0: float,
    a1: float,
    b1: float,
    c1: float,
    e1: float,
    box: float,
) -> tuple[float, float, float]:
    """One pair of :func:`_intersect_loops`: the lines ``a x + b y + c`` with error bounds
    ``e``; the point (0 where not finite) and its distance bound (inf where unknown)."""
    ab, ba = a0 * b1, a1 * b0
    det = ab - ba
    x, y = (b0 * c1 - b1 * c0) / det, (a1 * c0 - a0 * c1) / det
    # The axis-parallel cases of _axis_parallel, the last that applies winning.
    rank = -1
    if a0 == 0 and b0 != 0 and a1 != 0:
        rank = 0
    if b0 == 0 and a0 != 0 and b1 != 0:
        rank = 1
    if a1 == 0 and b1 != 0 and a0 != 0:
        rank = 2
    if b1 == 0 and a1 != 0 and b0 != 0:
        rank = 3
    if rank >= 0:
        own = (a0, b0, c0) if rank < 2 else (a1, b1, c1)
        other = (a1, b1, c1) if rank < 2 else (a0, b0, c0)
        j = rank % 2
        pivot = 1 - j
        v = -own[2] / own[pivot]
        u = -(other[pivot] * v + other[2]) / other[j]
        x, y = (u, v) if pivot == 1 else (v, u)
    ax0, by0, ax1, by1 = a0 * x, b0 * y, a1 * x, b1 * y
    res0 = abs(ax0 + by0 + c0) + _GAMMA3 * (abs(ax0) + abs(by0) + abs(c0)) + e0
    res1 = abs(ax1 + by1 + c1) + _GAMMA3 * (abs(ax1) + abs(by1) + abs(c1)) + e1
    slack0, slack1 = _ROOT2 * e0 / box, _ROOT2 * e1 / box
    g0, g1 = math.hypot(a0, b0), math.hypot(a1, b1)
    low0, low1 = g0 * (1 - 4 * EPS) - slack0, g1 * (1 - 4 * EPS) - slack1
    cross = abs(det) - _GAMMA2 * (abs(ab) + abs(ba))
    sine = (cross - (slack0 * (g1 + slack1) + slack1 * g0)) / (
        (g0 + slack0) * (g1 + slack1) * (1 + 8 * EPS)
    )
    ri = (res0 / low0 + res1 / low1) / sine * SAFE
    good = low0 > 0 and low1 > 0 and sine > 0 and abs(x) <= box and abs(y) <= box
    r = ri if good and math.isfinite(ri) else np.inf
    return (x if math.isfinite(x) else 0.0), (y if math.isfinite(y) else 0.0), r


if kernels.numba is not None:
    _pair = kernels.numba.njit(cache=True, nogil=True, error_model="numpy")(_pair)
    _intersect_compiled = kernels.numba.njit(cache=True, nogil=True, error_model="numpy")(
        _intersect_loops
    )
