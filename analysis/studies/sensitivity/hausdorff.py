"""The exact Hausdorff distance between two decision boundaries (finite unions of segments).

:func:`hausdorff_distance` is computed between the *segments* of two exact boundaries, not
between their vertices (which is what ``shapely.hausdorff_distance`` does unless densified).
The distance from a point moving along a segment of A to the set B is the minimum of
functions that are each convex along the segment (distance to one segment of B), so on any
piece of the segment its maximum is at most ``min_j max(d_j(start), d_j(end))``; it is also
1-Lipschitz. Branch and bound on these two upper bounds, refining only pieces that could
still beat the best value seen, returns the distance with a certified error below ``tol``.
Where one segment of B stays nearest along a piece (a shifted or rotated boundary) the
bound is exact at once; refinement happens only around ridges of the distance function
(where the nearest segment of B changes), whose maximum can lie inside a segment.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["HAUSDORFF_TOL", "hausdorff_distance", "shapely_hausdorff"]

HAUSDORFF_TOL = 1e-9  # certified absolute error of the Hausdorff distance (plane units)


def _point_segment_distances(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Euclidean distances (N, M) from points (N, 2) to segments (M, 2, 2)."""
    a, b = segments[:, 0], segments[:, 1]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    ap = points[:, None, :] - a[None]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.einsum("nmj,mj->nm", ap, ab) / length2, 0.0, 1.0)
    t = np.where(length2 > 0, t, 0.0)  # a degenerate segment is its first endpoint
    return np.linalg.norm(ap - t[..., None] * ab[None], axis=2)


def _directed_hausdorff(
    a: np.ndarray, b: np.ndarray, tol: float, max_rounds: int = 200
) -> tuple[float, float]:
    """Lower and upper bounds on ``sup_{p in A} dist(p, B)`` with ``upper - lower <= tol``."""
    p0, p1 = a[:, 0], a[:, 1]
    d0, d1 = _point_segment_distances(p0, b), _point_segment_distances(p1, b)
    lower = float(max(d0.min(axis=1).max(), d1.min(axis=1).max()))
    for _ in range(max_rounds):
        f0, f1 = d0.min(axis=1), d1.min(axis=1)
        length = np.linalg.norm(p1 - p0, axis=1)
        upper = np.minimum(np.maximum(d0, d1).min(axis=1), 0.5 * (f0 + f1 + length))
        alive = upper > lower + tol
        if not alive.any():
            return lower, max(lower, float(upper.max()))
        p0, p1, d0, d1 = p0[alive], p1[alive], d0[alive], d1[alive]
        mid = 0.5 * (p0 + p1)
        dm = _point_segment_distances(mid, b)
        lower = max(lower, float(dm.min(axis=1).max()))
        # Each alive piece splits into its two halves.
        p0, p1 = np.concatenate([p0, mid]), np.concatenate([mid, p1])
        d0, d1 = np.concatenate([d0, dm]), np.concatenate([dm, d1])
    raise RuntimeError(f"Hausdorff refinement did not reach tol={tol} in {max_rounds} rounds")


def hausdorff_distance(a: np.ndarray, b: np.ndarray, tol: float = HAUSDORFF_TOL) -> float:
    """Hausdorff distance between two finite unions of segments, certified to ``tol``.

    Parameters
    ----------
    a, b : ndarray, shape (E, 2, 2) and (F, 2, 2)
        Segments ``[[x0, y0], [x1, y1]]`` (e.g. ``DecisionBoundary.segments``).
    tol : float
        Absolute error bound (plane units): the true distance lies in
        ``[result, result + tol]``.

    Returns
    -------
    float
        ``max(sup_{p in A} d(p, B), sup_{q in B} d(q, A))``; 0 if both sets are empty and
        ``inf`` if exactly one is.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.studies.sensitivity.hausdorff import hausdorff_distance, shapely_hausdorff
    >>> a = [[[0.0, 0.0], [1.0, 0.0]]]
    >>> hausdorff_distance(a, [[[0.0, 0.5], [1.0, 0.5]]])  # a parallel shift
    0.5

    The farthest point can lie inside a segment, where vertex-only distances miss it: the
    segment from (0, 0) to (2, 0) against its two endpoints (degenerate segments):

    >>> seg = [[[0.0, 0.0], [2.0, 0.0]]]
    >>> ends = [[[0.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [2.0, 0.0]]]
    >>> hausdorff_distance(seg, ends), shapely_hausdorff(seg, ends)
    (1.0, 0.0)
    >>> hausdorff_distance(np.empty((0, 2, 2)), a), hausdorff_distance([], [])
    (inf, 0.0)
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2, 2)
    if len(a) == 0 or len(b) == 0:
        return 0.0 if len(a) == len(b) else float("inf")
    return max(_directed_hausdorff(a, b, tol)[0], _directed_hausdorff(b, a, tol)[0])


def shapely_hausdorff(a: np.ndarray, b: np.ndarray, densify: float | None = None) -> float:
    """``shapely.hausdorff_distance`` of the two segment sets (vertices only unless
    ``densify``, a fraction of each segment); for cross-checks of :func:`hausdorff_distance`.

    Parameters
    ----------
    a, b : array-like, shape (E, 2, 2) and (F, 2, 2)
        Segments ``[[x0, y0], [x1, y1]]``.
    densify : float, optional
        Split each segment into pieces of at most this fraction of its length.

    Returns
    -------
    float
        The distance in plane units; a lower bound on the exact one without ``densify``.

    Examples
    --------
    >>> from analysis.studies.sensitivity.hausdorff import shapely_hausdorff
    >>> seg = [[[0.0, 0.0], [2.0, 0.0]]]
    >>> ends = [[[0.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [2.0, 0.0]]]
    >>> shapely_hausdorff(seg, ends), shapely_hausdorff(seg, ends, densify=0.25)
    (0.0, 1.0)
    """
    ga = shapely.multilinestrings(shapely.linestrings(np.asarray(a, dtype=np.float64)))
    gb = shapely.multilinestrings(shapely.linestrings(np.asarray(b, dtype=np.float64)))
    return float(shapely.hausdorff_distance(ga, gb, densify=densify))
