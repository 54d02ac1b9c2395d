"""Exact local complexity: how many regions meet a disc around each point.

:func:`local_counts` counts, for every centre ``p`` and a radius ``r > 0``, the regions ``R``
with ``dist(p, R) < r``: the regions that meet the open disc of radius ``r`` about ``p``.
"Exact" is meant for the regions as they are stored: the float64 polygons of
:meth:`Partition.to_shapely` (whose vertices the decomposition computed in float64), the
float64 centres and the float64 radius. Every decision is the sign of a polynomial in those
float64 numbers, taken from a float evaluation only when a rigorous error bound shows the sign
is right, and otherwise from exact rational arithmetic (:class:`fractions.Fraction`). A region
touching the disc's circle from outside (``dist == r``) does not count.

The decision for one region: ``dist(p, R) < r`` holds iff ``p`` lies in ``R`` (closed) or some
edge ``[a, b]`` of ``R`` (exterior and hole rings) passes within ``r`` of ``p``, and for an edge
that is the case iff

* ``|p - a|^2 < r^2``, or ``|p - b|^2 < r^2``, or
* ``(p - a).(b - a) > 0``, ``(p - b).(a - b) > 0`` and ``cross(b - a, p - a)^2 < r^2 |b - a|^2``

(the closest point is an end, or the foot of the perpendicular lies strictly inside the edge).
Point-in-polygon is GEOS's (shapely's ``intersects``), whose orientation tests are exact for
float64 coordinates; it only matters for centres inside a region farther than ``r`` from all
its edges, so a borderline answer there could not change a count anyway.

Candidates come from an STRtree of the regions' bounding boxes queried with each disc's box
(rounded outwards), so no region that meets a disc is missed, and the per-point work is
vectorised over all (point, region, edge) triples at once.
"""

from __future__ import annotations

import math
import numbers
import weakref
from fractions import Fraction
from typing import Protocol

import numpy as np
import shapely

__all__ = ["local_counts", "local_density"]

_EPS = np.finfo(np.float64).eps
# A float result of a degree-2 (degree-4) expression of the inputs below is within
# _BOUND[2] (_BOUND[4]) times the same expression on absolute values of its exact value:
# well above the gamma_n = n eps / (1 - n eps) bound of the few operations involved.
_BOUND = {2: 16 * _EPS, 4: 64 * _EPS}
# Below this the float products may have lost bits to underflow: decide exactly instead.
_TINY = 1e-280


class _HasRegions(Protocol):
    def to_shapely(self) -> np.ndarray: ...


# Per partition: its polygons, their STRtree, edges and each polygon's first edge, built once
# (a partition is immutable) and dropped with it.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _prepare(part: _HasRegions) -> tuple[np.ndarray, shapely.STRtree, tuple[np.ndarray, ...]]:
    try:
        return _PREPARED[part]
    except (KeyError, TypeError):
        pass
    polygons = part.to_shapely()
    a, b, owner = _edges(polygons)
    first = np.searchsorted(owner, np.arange(len(polygons) + 1))
    prepared = (polygons, shapely.STRtree(polygons), (a, b, first))
    try:
        _PREPARED[part] = prepared
    except TypeError:  # not weak-referenceable: built again next time
        pass
    return prepared


def _check(part: object, points: object, radius: object) -> tuple[np.ndarray, float]:
    if not callable(getattr(part, "to_shapely", None)):
        raise TypeError(
            f"regions.local: part must be a Partition (anything with to_shapely()), got "
            f"{type(part).__name__}; decompose a model first"
        )
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real):
        raise ValueError(
            f"regions.local: radius must be a finite number > 0, got {type(radius).__name__}"
        )
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"regions.local: points must have shape (N, 2), got {pts.shape}")
    if not np.isfinite(pts).all():
        raise ValueError("regions.local: points must be finite")
    r = float(radius)  # type: ignore[arg-type]
    if not (math.isfinite(r) and r > 0):
        raise ValueError(f"regions.local: radius must be a finite number > 0, got {radius!r}")
    return pts, r


def _edges(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge ends a, b (E, 2) of every ring of every polygon (or every part of a
    MultiPolygon), and each edge's polygon (E,)."""
    parts, whose = shapely.get_parts(polygons, return_index=True)
    rings, owner = shapely.get_rings(parts, return_index=True)
    owner = whose[owner]
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]  # consecutive coordinates of one (closed) ring
    return coords[:-1][same], coords[1:][same], owner[ring[:-1][same]]


def _signs(value: np.ndarray, magnitude: np.ndarray, degree: int) -> np.ndarray:
    """+1, -1, or 0 where the float value cannot be trusted (exact evaluation needed)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        bound = _BOUND[degree] * magnitude
        sure = (np.abs(value) > bound) & (magnitude > _TINY) & np.isfinite(magnitude)
    return np.where(sure, np.sign(value), 0).astype(np.int8)


def _fractions(*columns: np.ndarray) -> list[Fraction]:
    return [Fraction(float(v)) for v in columns]


def _vertex_inside(p: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    """Bool (E,): ``|p[e] - v[e]| < r``, exactly."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        dx, dy = p[:, 0] - v[:, 0], p[:, 1] - v[:, 1]
        mx, my = np.abs(p[:, 0]) + np.abs(v[:, 0]), np.abs(p[:, 1]) + np.abs(v[:, 1])
        sign = _signs(r * r - (dx * dx + dy * dy), r * r + mx * mx + my * my, 2)
    inside = sign > 0
    for e in np.flatnonzero(sign == 0):
        px, py, vx, vy = _fractions(*p[e], *v[e])
        inside[e] = (px - vx) ** 2 + (py - vy) ** 2 < Fraction(r) ** 2
    return inside


def _foot_near(p: np.ndarray, a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    """Bool (E,): the foot of the perpendicular from ``p[e]`` lies strictly inside edge
    ``[a[e], b[e]]`` and the line passes within distance < r of ``p[e]``, exactly."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ux, uy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        wx, wy = p[:, 0] - a[:, 0], p[:, 1] - a[:, 1]
        vx, vy = p[:, 0] - b[:, 0], p[:, 1] - b[:, 1]
        mux, muy = np.abs(a[:, 0]) + np.abs(b[:, 0]), np.abs(a[:, 1]) + np.abs(b[:, 1])
        mwx, mwy = np.abs(p[:, 0]) + np.abs(a[:, 0]), np.abs(p[:, 1]) + np.abs(a[:, 1])
        mvx, mvy = np.abs(p[:, 0]) + np.abs(b[:, 0]), np.abs(p[:, 1]) + np.abs(b[:, 1])
        cross = ux * wy - uy * wx
        tests = (
            _signs(wx * ux + wy * uy, mwx * mux + mwy * muy, 2),
            _signs(-(vx * ux + vy * uy), mvx * mux + mvy * muy, 2),
            _signs(
                r * r * (ux * ux + uy * uy) - cross * cross,
                r * r * (mux * mux + muy * muy) + (mux * mwy + muy * mwx) ** 2,
                4,
            ),
        )
    near = (tests[0] > 0) & (tests[1] > 0) & (tests[2] > 0)
    far = (tests[0] < 0) | (tests[1] < 0) | (tests[2] < 0)
    for e in np.flatnonzero(~near & ~far):
        px, py, ax, ay, bx, by = _fractions(*p[e], *a[e], *b[e])
        ux, uy, wx, wy = bx - ax, by - ay, px - ax, py - ay
        inner = wx * ux + wy * uy > 0 and (px - bx) * ux + (py - by) * uy < 0
        near[e] = inner and (ux * wy - uy * wx) ** 2 < Fraction(r) ** 2 * (ux * ux + uy * uy)
    return near


def _expand(pairs: np.ndarray, region: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every (pair, edge of the pair's region): the pair (M,) and the edge (M,) of each."""
    lengths = (first[1:] - first[:-1])[region[pairs]]
    pair = np.repeat(pairs, lengths)
    edge = np.arange(len(pair)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pair, edge + first[region[pair]]


def local_counts(part: _HasRegions, points: object, radius: float) -> np.ndarray:
    """Number of regions that meet the open disc of ``radius`` around each point.

    A region ``R`` counts for centre ``p`` iff ``dist(p, R) < radius``, decided exactly for
    the float64 region polygons (see the module docstring). Parts of the disc outside the
    domain meet no region.

    Parameters
    ----------
    part : Partition
        The regions (anything with ``to_shapely()`` returning the region polygons).
    points : array_like, shape (N, 2)
        Disc centres, in plane coordinates; finite.
    radius : float
        Disc radius ``> 0``, in plane units.

    Returns
    -------
    ndarray of int64, shape (N,)
        Regions meeting each disc; 0 for a disc that misses the domain.

    Raises
    ------
    ValueError
        For points not of shape (N, 2) or not finite, or a radius that is not a finite number
        > 0.
    TypeError
        For ``part`` without ``to_shapely()`` (a model, say: decompose it first).

    Examples
    --------
    The axes cut [-1, 1]^2 into four unit squares:

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> regions.local_counts(part, [[0.5, 0.5], [0.5, 0.1], [0.1, 0.1], [0.0, 0.0]], 0.2).tolist()
    [1, 2, 4, 4]

    The open disc about (0.5, 0.2) of radius 0.2 touches the square below it at one point
    only, so that square does not count; a hair more and it does:

    >>> regions.local_counts(part, [[0.5, 0.2]], 0.2).tolist()
    [1]
    >>> regions.local_counts(part, [[0.5, 0.2]], 0.2 + 1e-15).tolist()
    [2]
    >>> regions.local_counts(part, [[3.0, 0.0]], 1.0).tolist()  # the disc misses the domain
    [0]
    """
    pts, r = _check(part, points, radius)
    polygons, tree, (a, b, first) = _prepare(part)
    if len(pts) == 0 or len(polygons) == 0:
        return np.zeros(len(pts), dtype=np.int64)
    # Disc boxes rounded outwards, so every region meeting a disc is a candidate.
    with np.errstate(over="ignore"):  # a radius near float64's largest: boxes to infinity
        lo = np.nextafter(np.nextafter(pts - r, -np.inf), -np.inf)
        hi = np.nextafter(np.nextafter(pts + r, np.inf), np.inf)
    point, region = tree.query(shapely.box(*lo.T, *hi.T))
    # Cheapest first: a vertex in the open disc; then an edge crossing it between its ends;
    # then (for the few pairs left) the centre inside the region.
    meets = np.zeros(len(point), dtype=bool)
    pair, edge = _expand(np.arange(len(point)), region, first)
    meets[pair[_vertex_inside(pts[point[pair]], a[edge], r)]] = True
    pair, edge = _expand(np.flatnonzero(~meets), region, first)
    meets[pair[_foot_near(pts[point[pair]], a[edge], b[edge], r)]] = True
    rest = np.flatnonzero(~meets)
    meets[rest] = shapely.intersects(shapely.points(pts[point[rest]]), polygons[region[rest]])
    return np.bincount(point[meets], minlength=len(pts)).astype(np.int64)


def local_density(part: _HasRegions, points: object, radius: float) -> np.ndarray:
    """Regions per unit area around each point: ``local_counts / (pi radius^2)``.

    The count of :func:`local_counts` over the full disc's area, in regions per squared plane
    unit (a disc reaching past the domain's edge still divides by its full area, so densities
    fall near the edge).

    Parameters
    ----------
    part : Partition
        The regions.
    points : array_like, shape (N, 2)
        Disc centres, in plane coordinates.
    radius : float
        Disc radius ``> 0``, in plane units.

    Returns
    -------
    ndarray of float64, shape (N,)
        Regions per squared plane unit.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> float(regions.local_density(part, [[0.0, 0.0]], 0.5)[0] * 3.141592653589793 / 4)
    4.0
    """
    _, r = _check(part, points, radius)
    return local_counts(part, points, r) / (math.pi * r * r)
