"""Exact predicates on segments against polygons with float (or rational) vertices.

Where a segment runs through a polygon's interior, and points strictly inside the polygon
beside it: how a non-convex domain decides, exactly, which of its regions are neighbours
across an edge of the hull's cells. As in :mod:`regions.exact_geometry`, coordinates are
scaled to integers over one common denominator and every predicate is an integer sign.
"""

from __future__ import annotations

from fractions import Fraction

from .exact_geometry import _integers, _rings, point_side
from .oracle import as_ratios

__all__ = ["points_across", "segment_meets_interior"]

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
    return bool(_inside_midpoints(polygon, p, q))


def _inside_midpoints(polygon: object, p: object, q: object) -> list[Point]:
    """The midpoints of the open pieces of segment pq strictly inside the polygon."""
    rings = _rings(polygon)
    (ends, *ring_ints), scale = _integers(as_ratios([p, q]), *rings)
    (px, py), (qx, qy) = ends.tolist()
    dx, dy = qx - px, qy - py
    if dx == 0 and dy == 0:
        return []
    # Where each edge crosses the segment's line: t along the segment, s along the edge. An
    # edge on that line needs no cut of its own: the edges before and after the run of such
    # edges cross the line at its ends.
    cuts = {Fraction(0), Fraction(1)}
    for ring in ring_ints:
        r = ring.tolist()
        for (ax, ay), (bx, by) in zip(r, r[1:] + r[:1], strict=True):
            ex, ey = bx - ax, by - ay
            denom = dx * ey - dy * ex
            if denom != 0:
                s = Fraction((ax - px) * dy - (ay - py) * dx, denom)
                if 0 <= s <= 1:
                    cuts.add(Fraction((ax - px) * ey - (ay - py) * ex, denom))
    ts = sorted(t for t in cuts if 0 <= t <= 1)
    mids = [(a + b) / 2 for a, b in zip(ts, ts[1:], strict=False)]
    points = [(Fraction(px + t * dx, scale), Fraction(py + t * dy, scale)) for t in mids]
    return [m for m, side in zip(points, point_side(points, polygon), strict=True) if side == 1]


def points_across(
    polygon: object, p: object, q: object, left: object, right: object
) -> list[tuple[Point, Point]]:
    """Points beside a segment shared by two convex polygons, strictly inside each and the
    polygon, where the segment runs through the polygon's interior, exactly.

    For every open piece of the segment strictly inside the polygon (see
    :func:`segment_meets_interior`), one point on each side of its midpoint, nearer to it
    than the polygon's boundary and the convex polygon's other sides are: so in the piece of
    each convex polygon's interior inside the polygon that borders that piece of the segment.

    Parameters
    ----------
    polygon : shapely.Polygon or array_like, shape (k, 2)
        A simple polygon, holes allowed for a shapely Polygon.
    p, q : array_like, shape (2,)
        The segment's ends (distinct): floats (taken exactly), ints or Fractions.
    left, right : array_like, shapes (m, 2) and (n, 2)
        The convex polygons on the left and on the right of p -> q, each with the segment on
        its boundary.

    Returns
    -------
    list of ((Fraction, Fraction), (Fraction, Fraction))
        A point on the left and a point on the right, per piece of the segment inside.

    Examples
    --------
    >>> from regions.exact_segments import points_across
    >>> u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]  # a U
    >>> below, above = [[0, 0], [3, 0], [3, 2], [0, 2]], [[0, 2], [3, 2], [3, 4], [0, 4]]
    >>> [(float(a[0]), float(b[0])) for a, b in points_across(u, (3, 2), (0, 2), below, above)]
    [(2.5, 2.5), (0.5, 0.5)]
    """
    rings = _rings(polygon)
    (ends, *sides), scale = _integers(as_ratios([p, q]), as_ratios(left), as_ratios(right))
    (px, py), (qx, qy) = ends.tolist()
    normal = (Fraction(py - qy, scale), Fraction(qx - px, scale))  # to the left of p -> q
    boundary = [_edges([[Fraction(n, d) for n, d in v] for v in ring]) for ring in rings]
    cells = [_edges([[Fraction(x, scale) for x in v] for v in side.tolist()]) for side in sides]
    line = [(Fraction(px, scale), Fraction(py, scale)), (Fraction(qx, scale), Fraction(qy, scale))]
    out = []
    for m in _inside_midpoints(polygon, p, q):
        near = min(_distance2(m, a, b) for edges in boundary for a, b in edges)
        pair = []
        for edges, sign in zip(cells, (1, -1), strict=True):
            others = [(a, b) for a, b in edges if not (_on_line(a, line) and _on_line(b, line))]
            clear = min([near, *(_distance2(m, a, b) for a, b in others)])
            t = sign * _step(clear, normal[0] ** 2 + normal[1] ** 2)
            pair.append((m[0] + t * normal[0], m[1] + t * normal[1]))
        out.append((pair[0], pair[1]))
    return out


def _edges(ring: list) -> list[tuple[Point, Point]]:
    """A ring's edges (a, b), without those of no length."""
    pts = [(Fraction(x), Fraction(y)) for x, y in ring]
    return [(a, b) for a, b in zip(pts, pts[1:] + pts[:1], strict=True) if a != b]


def _on_line(v: Point, line: list[Point]) -> bool:
    (ax, ay), (bx, by) = line
    return (bx - ax) * (v[1] - ay) - (by - ay) * (v[0] - ax) == 0


def _distance2(m: Point, a: Point, b: Point) -> Fraction:
    """Squared distance from m to the segment ab (of positive length), exactly."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = min(max(((m[0] - a[0]) * dx + (m[1] - a[1]) * dy) / (dx * dx + dy * dy), 0), 1)
    return (m[0] - a[0] - t * dx) ** 2 + (m[1] - a[1] - t * dy) ** 2


def _step(clear: Fraction, length2: Fraction) -> Fraction:
    """A t > 0 with ``t |n|`` between a quarter and a half of ``sqrt(clear)`` (``|n|^2 =
    length2``): a step along n that stays well within the clearance."""
    if clear <= 0:
        raise ValueError(
            "regions.exact_segments: the segment must be a side of both convex polygons, with "
            "no corner of theirs inside it"
        )
    ratio = clear / length2 / 4  # t^2 must stay below this
    t = Fraction(2) ** ((ratio.numerator.bit_length() - ratio.denominator.bit_length()) // 2 + 1)
    while t * t >= ratio:
        t /= 2
    return t
