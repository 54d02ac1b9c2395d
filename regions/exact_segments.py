"""Exact predicates on segments against polygons with float (or rational) vertices.

Where a segment runs through a polygon's interior, and a point of each piece of it that does:
how a non-convex domain decides, exactly, which of its regions are neighbours across an edge
of the hull's cells. As in :mod:`regions.exact_geometry`, coordinates are scaled to integers
over one common denominator and every predicate is an integer sign.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from .exact_geometry import _integers, _rings, point_side
from .oracle import as_ratios

__all__ = ["inside_midpoints", "inside_spans", "inward", "segment_meets_interior"]

Point = tuple[Fraction, Fraction]


def segment_meets_interior(polygon: object, p: object, q: object) -> bool:
    """Whether the segment from ``p`` to ``q`` runs through a polygon's interior, exactly.

    The polygon's boundary cuts the open segment into open pieces, each wholly inside,
    outside or along the boundary; the segment runs through the interior (along a positive
    length) when the midpoint of some piece is strictly inside.

    Parameters
    ----------
    polygon : shapely.Polygon or array_like, shape (k, 2)
        A simple polygon, holes allowed for a shapely Polygon.
    p, q : array_like, shape (2,)
        The segment's ends: floats (taken exactly), ints or Fractions. Equal ends give False.

    Returns
    -------
    bool

    Examples
    --------
    >>> from regions.exact_segments import segment_meets_interior
    >>> ell = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]
    >>> segment_meets_interior(ell, [1, 1], [1, 2])  # along the L's edge
    False
    >>> segment_meets_interior(ell, [1, 1], [2, 2]), segment_meets_interior(ell, [1, 1], [0, 2])
    (False, True)
    """
    return bool(inside_midpoints(polygon, p, q))


def inside_midpoints(polygon: object, p: object, q: object) -> list[Point]:
    """The midpoints of the open pieces of the segment from ``p`` to ``q`` that lie strictly
    inside a polygon (see :func:`segment_meets_interior`), exactly, in order from ``p``.

    Examples
    --------
    >>> from regions.exact_segments import inside_midpoints
    >>> u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]  # a U
    >>> [tuple(map(float, m)) for m in inside_midpoints(u, (0, 2), (3, 2))]  # across its arms
    [(0.5, 2.0), (2.5, 2.0)]
    """
    return [m for _, _, m in _inside_pieces(polygon, p, q)]


def inside_spans(polygon: object, p: object, q: object) -> list[tuple[Fraction, Fraction]]:
    """Where the segment from ``p`` to ``q`` runs through a polygon's interior, exactly: the
    intervals ``(t0, t1)``, 0 <= t0 < t1 <= 1, of ``p + t (q - p)`` whose open pieces lie
    strictly inside but for single points of the boundary they touch, in order from ``p``.
    Stretches along the boundary or outside are not in any.

    Examples
    --------
    >>> from regions.exact_segments import inside_spans
    >>> ell = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]
    >>> [tuple(map(str, span)) for span in inside_spans(ell, (1, -1), (1, 3))]  # x = 1
    [('1/4', '1/2')]
    >>> inside_spans(ell, (0, 1.5), (2, 0.5))  # through the reflex corner, inside either side
    [(Fraction(0, 1), Fraction(1, 1))]
    """
    spans: list[tuple[Fraction, Fraction]] = []
    for t0, t1, _ in _inside_pieces(polygon, p, q):
        if spans and spans[-1][1] == t0:  # two pieces on either side of a point it touches
            t0 = spans.pop()[0]
        spans.append((t0, t1))
    return spans


def _inside_pieces(polygon: object, p: object, q: object) -> list[tuple[Fraction, Fraction, Point]]:
    """The open pieces (t0, t1) of the segment from ``p`` to ``q`` between its crossings with
    the polygon's boundary that lie strictly inside, with their midpoints, in order."""
    rings = _rings(polygon)
    (ends, *ring_ints), scale = _integers(as_ratios([p, q]), *rings)
    (px, py), (qx, qy) = ends.tolist()
    dx, dy = qx - px, qy - py
    if dx == 0 and dy == 0:
        return []
    # Where each edge crosses the segment's line: t along the segment, s along the edge. An
    # edge on that line needs no cut of its own: the edges before and after the run of such
    # edges cross the line at its ends.
    cuts = {Fraction(0), Fraction(1), *_crossings(ring_ints, (px, py), (dx, dy))}
    ts = sorted(t for t in cuts if 0 <= t <= 1)
    pieces = list(zip(ts, ts[1:], strict=False))
    mids = [(a + b) / 2 for a, b in pieces]
    points = [(Fraction(px + t * dx, scale), Fraction(py + t * dy, scale)) for t in mids]
    sides = point_side(points, polygon)
    return [(a, b, m) for (a, b), m, side in zip(pieces, points, sides, strict=True) if side == 1]


def inward(polygon: object, p: object) -> Point:
    """A direction ``d`` from a point ``p`` of a polygon's boundary into its interior, exactly:
    ``p + t d`` lies strictly inside for every small enough ``t > 0``.

    Near ``p`` the interior is a union of open sectors between the boundary's edges there, so
    one of a few candidates lies in it: the normals of those edges (``p`` on an edge, or at a
    corner whose sector spans a right angle or more), or the sum of two edges' directions
    from ``p`` (a sector under a half-turn holds it). Each is checked exactly: the first
    piece of its ray that the boundary cuts off lies inside.

    Parameters
    ----------
    polygon : shapely.Polygon or array_like, shape (k, 2)
        A simple polygon, holes allowed for a shapely Polygon, in either orientation.
    p : array_like, shape (2,)
        A point on its boundary: floats (taken exactly), ints or Fractions.

    Returns
    -------
    (Fraction, Fraction)

    Raises
    ------
    ValueError
        If ``p`` is not on the boundary (no candidate leads inside).

    Examples
    --------
    >>> from regions.exact_segments import inward
    >>> ell = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]
    >>> tuple(map(int, inward(ell, (1, 1.5))))  # on the L's inner edge x = 1: toward -x
    (-1, 0)
    >>> tuple(map(int, inward(ell, (1, 1))))  # its reflex corner: down, into the L
    (0, -1)
    >>> tuple(map(int, inward([[0, 0], [1, 0], [0, 1]], (0, 0))))  # a corner: between its sides
    (1, 1)
    """
    rings = _rings(polygon)
    (point, *ring_ints), scale = _integers(as_ratios([p]), *rings)
    px, py = point[0].tolist()
    rays, candidates = [], []
    for ring in ring_ints:
        r = ring.tolist()
        for (ax, ay), (bx, by) in zip(r, r[1:] + r[:1], strict=True):
            ex, ey = bx - ax, by - ay
            on = (px - ax) * ey == (py - ay) * ex
            if on and min(ax, bx) <= px <= max(ax, bx) and min(ay, by) <= py <= max(ay, by):
                candidates += [(-ey, ex), (ey, -ex)]
                rays += [(x - px, y - py) for x, y in ((ax, ay), (bx, by)) if (x, y) != (px, py)]
    for (ux, uy), (wx, wy) in itertools.combinations(rays, 2):
        candidates.append((ux + wx, uy + wy))
    for d in candidates:
        if d != (0, 0) and _first_piece_inside(ring_ints, polygon, (px, py), d, scale):
            dx, dy = d
            return Fraction(dx, scale), Fraction(dy, scale)
    raise ValueError(f"regions.exact_segments.inward: {p} is not on the polygon's boundary")


def _first_piece_inside(
    rings: list, polygon: object, p: tuple[int, int], d: tuple[int, int], scale: int
) -> bool:
    """Whether the ray from ``p`` along ``d`` (integers over ``scale``) starts inside the
    polygon: the midpoint of its first piece, up to the first crossing of an edge, is."""
    (px, py), (dx, dy) = p, d
    first = min((t for t in _crossings(rings, p, d) if 0 < t < 1), default=Fraction(1))
    mid = [(Fraction(2 * px + first * dx, 2 * scale), Fraction(2 * py + first * dy, 2 * scale))]
    return bool(point_side(mid, polygon)[0] == 1)


def _crossings(rings: list, p: tuple[int, int], d: tuple[int, int]) -> list[Fraction]:
    """Where each edge of the rings (integer arrays) crosses the line ``p + t d``: its ``t``,
    for an edge that meets the line in one point (an edge along it has none)."""
    (px, py), (dx, dy) = p, d
    out = []
    for ring in rings:
        r = ring.tolist()
        for (ax, ay), (bx, by) in zip(r, r[1:] + r[:1], strict=True):
            ex, ey = bx - ax, by - ay
            denom = dx * ey - dy * ex
            if denom != 0 and 0 <= Fraction((ax - px) * dy - (ay - py) * dx, denom) <= 1:
                out.append(Fraction((ax - px) * ey - (ay - py) * ex, denom))
    return out
