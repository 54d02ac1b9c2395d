"""Exact predicates on polygons with float (or rational) vertices: the oracle's geometry.

Every float64 is a rational, so a polygon of float vertices is an exact rational polygon. These
functions decide on which side of it a point lies and what its area is with no rounding at
all: coordinates are scaled to integers over one common denominator (a power of two for
floats) and every predicate is an integer sign. They judge partitions in the tests (is an
interior point strictly inside its region, do the regions' areas add up exactly) and pick
grid points strictly inside a domain.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import shapely

from .domain import Domain, as_domain
from .oracle import as_ratios

__all__ = [
    "CellPieces",
    "boundary_meets_interior",
    "cell_pieces",
    "is_simple",
    "point_side",
    "polygon_area",
    "rational_grid",
]


def _integers(*arrays: list) -> tuple[list[np.ndarray], int]:
    """Point lists (from :func:`as_ratios`) as integer arrays (N_i, 2) over their least
    common denominator, and that denominator (the predicates are scale-invariant)."""
    scale = math.lcm(1, *(d for pts in arrays for p in pts for _, d in p))
    out = []
    for pts in arrays:
        ints = np.empty(2 * len(pts), dtype=object)
        ints[:] = [n * (scale // d) for p in pts for n, d in p]
        out.append(ints.reshape(len(pts), 2))
    return out, scale


def _rings(polygon: object) -> list[list]:
    """Exterior ring, then holes, of a shapely Polygon or a (k, 2) vertex array, as ratios."""
    if isinstance(polygon, shapely.Polygon):
        rings = [polygon.exterior, *polygon.interiors]
        return [as_ratios(np.asarray(r.coords)[:-1]) for r in rings]
    ring = as_ratios(polygon)
    if len(ring) < 3:
        raise ValueError(f"regions.exact_geometry: a polygon needs 3 vertices, got {len(ring)}")
    return [ring]


def point_side(points: object, polygon: object) -> np.ndarray:
    """Where each point lies relative to a polygon, exactly: 1 inside, 0 on it, -1 outside.

    Parameters
    ----------
    points : array_like, shape (N, 2)
        Floats (taken exactly), ints or Fractions.
    polygon : shapely.Polygon or array_like, shape (k, 2)
        A simple polygon (holes allowed for a shapely Polygon), in either orientation; a vertex
        array need not repeat its first vertex.

    Returns
    -------
    ndarray of int8, shape (N,)
        1 strictly inside, 0 on the boundary (of the exterior or of a hole), -1 outside.

    Examples
    --------
    >>> from regions.exact_geometry import point_side
    >>> square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    >>> point_side([[0.5, 0.5], [1.0, 0.3], [1.0 + 2**-52, 0.3], [2.0, 2.0]], square).tolist()
    [1, 0, -1, -1]
    """
    pts = as_ratios(points)
    rings = _rings(polygon)
    (p, *ring_ints), _ = _integers(pts, *rings)
    px, py = p[:, 0], p[:, 1]
    on = np.zeros(len(pts), dtype=bool)
    inside = []
    for ring in ring_ints:
        winding = np.zeros(len(pts), dtype=np.int64)
        for a, b in zip(ring, np.roll(ring, -1, axis=0), strict=True):
            cross = (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0])
            within = (
                (min(a[0], b[0]) <= px)
                & (px <= max(a[0], b[0]))
                & (min(a[1], b[1]) <= py)
                & (py <= max(a[1], b[1]))
            )
            on |= (cross == 0) & within
            # Winding number: upward crossings with p on the left, downward with p on the right.
            winding += ((a[1] <= py) & (py < b[1]) & (cross > 0)).astype(np.int64)
            winding -= ((b[1] <= py) & (py < a[1]) & (cross < 0)).astype(np.int64)
        inside.append(winding != 0)
    strictly = inside[0] & ~np.any(inside[1:], axis=0) if len(inside) > 1 else inside[0]
    return np.where(on, 0, np.where(strictly, 1, -1)).astype(np.int8)


def boundary_meets_interior(polygon: object, corners: object) -> bool:
    """Whether a polygon's boundary (exterior and holes) meets the interior of a convex
    polygon, exactly.

    Parameters
    ----------
    polygon : shapely.Polygon or array_like, shape (k, 2)
        A simple polygon, holes allowed for a shapely Polygon.
    corners : array_like, shape (m, 2)
        The convex polygon's vertices, counter-clockwise, of positive area; floats (taken
        exactly), ints or Fractions. Repeated and collinear vertices are allowed.

    Returns
    -------
    bool
        False when the convex polygon's interior lies wholly inside or wholly outside.

    Examples
    --------
    >>> from regions.exact_geometry import boundary_meets_interior
    >>> ell = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]
    >>> boundary_meets_interior(ell, [[0, 0], [1, 0], [1, 1], [0, 1]])  # a square of the L
    False
    >>> boundary_meets_interior(ell, [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]])
    True
    """
    rings = _rings(polygon)
    (cell, *ring_ints), _ = _integers(as_ratios(corners), *rings)
    cell = cell.tolist()
    edges = [(a, b) for a, b in zip(cell, cell[1:] + cell[:1], strict=True) if a != b]
    for ring in ring_ints:
        r = ring.tolist()
        if any(_enters(p, q, edges) for p, q in zip(r, r[1:] + r[:1], strict=True)):
            return True
    return False


def _enters(p: list, q: list, edges: list) -> bool:
    """Whether the closed segment pq meets the open convex polygon left of every edge
    (integer points): the parameters t in [0, 1] where p + t (q - p) is strictly left of
    each edge form an interval (Cyrus-Beck); is it non-empty? Each edge bounds t strictly,
    so the interval has a point exactly when its ends differ."""
    lo, hi = Fraction(0), Fraction(1)
    for a, b in edges:
        ex, ey = b[0] - a[0], b[1] - a[1]
        c0 = ex * (p[1] - a[1]) - ey * (p[0] - a[0])  # left of the edge: c0 + t c1 > 0
        c1 = ex * (q[1] - p[1]) - ey * (q[0] - p[0])
        if c1 > 0:
            lo = max(lo, Fraction(-c0, c1))
        elif c1 < 0:
            hi = min(hi, Fraction(-c0, c1))
        elif c0 <= 0:
            return False
    return lo < hi


@dataclass(frozen=True)
class CellPieces:
    """The connected pieces of a convex cell's interior inside a polygon's interior, exactly
    (:func:`cell_pieces`), as the open trapezoids of a sweep in x that make them up.

    Attributes
    ----------
    points : list of (Fraction, Fraction)
        A point strictly inside each piece (at the middle of one of its trapezoids).
    bounds : list of Fraction
        The sweep's x stops (scaled to integers by ``scale``); trapezoid ``k`` lies between
        ``bounds[k]`` and ``bounds[k + 1]``.
    trapezoids : list of list of (edge, edge, int)
        Per slab, from below: each trapezoid's lower and upper edge ((x, y), (x, y)) and its
        piece.
    walls : list of (Fraction, Fraction, Fraction)
        The polygon's vertical edges (x, lowest y, highest y) and corners (x, y, y): the
        boundary's points that a trapezoid's side at a stop may hold.
    scale : int
        The common denominator the coordinates were scaled by.
    """

    points: list[tuple[Fraction, Fraction]]
    bounds: list[Fraction]
    trapezoids: list[list[tuple[tuple, tuple, int]]]
    walls: list[tuple[Fraction, Fraction, Fraction]]
    scale: int

    def __len__(self) -> int:
        return len(self.points)

    def piece_of(self, points: object) -> np.ndarray:
        """The piece (N,) that holds each point, -1 for a point in none (outside the cell or
        the polygon, or on their boundaries)."""
        out = np.full(len(as_ratios(points)), -1, dtype=np.int64)
        for i, x, y, trapezoids in self._trapezoids_at(points):
            # Beside a stop at x, both slabs' trapezoids' sides there hold interior points,
            # but for walls; at the cell's ends, x is on its boundary.
            if x in (self.bounds[0], self.bounds[-1]) or any(
                wx == x and y0 <= y <= y1 for wx, y0, y1 in self.walls
            ):
                continue
            for lower, upper, piece in trapezoids:
                if _height(lower, x) < y < _height(upper, x):
                    out[i] = piece
        return out

    def piece_at(self, points: object) -> np.ndarray:
        """The piece (N,) whose closure holds each point (one of them where the closures of
        two meet, at a pinch of the polygon's boundary); -1 for a point of none.

        Examples
        --------
        >>> from regions.exact_geometry import cell_pieces
        >>> u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]  # a U
        >>> arms = cell_pieces(u, [[0, 2], [3, 2], [3, 4], [0, 4]])
        >>> arms.piece_at([[0.5, 2], [2.5, 2], [1.5, 2]]).tolist()  # on the cell's lower side
        [0, 1, -1]
        """
        out = np.full(len(as_ratios(points)), -1, dtype=np.int64)
        for i, x, y, trapezoids in self._trapezoids_at(points):
            for lower, upper, piece in trapezoids:
                if _height(lower, x) <= y <= _height(upper, x):
                    out[i] = piece
        return out

    def closures(self) -> np.ndarray:
        """Each piece's closure (P,) in floats: a MultiPolygon of its trapezoids, every corner
        rounded to the nearest float, so within half an ulp of the exact closure.

        Examples
        --------
        >>> from regions.exact_geometry import cell_pieces
        >>> u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]  # a U
        >>> [g.bounds for g in cell_pieces(u, [[0, 2], [3, 2], [3, 4], [0, 4]]).closures()]
        [(0.0, 2.0, 1.0, 3.0), (2.0, 2.0, 3.0, 3.0)]
        """
        parts: list[list[shapely.Polygon]] = [[] for _ in self.points]
        for k, slab in enumerate(self.trapezoids):
            x0, x1 = self.bounds[k], self.bounds[k + 1]
            for lower, upper, piece in slab:
                corners = [(x0, lower), (x1, lower), (x1, upper), (x0, upper)]
                parts[piece].append(
                    shapely.Polygon(
                        [
                            (float(x / self.scale), float(_height(e, x) / self.scale))
                            for x, e in corners
                        ]
                    )
                )
        out = np.empty(len(parts), dtype=object)
        out[:] = [shapely.multipolygons(p) for p in parts]
        return out

    def _trapezoids_at(self, points: object) -> Iterator[tuple[int, Fraction, Fraction, list]]:
        """Each point's index and coordinates (scaled), and the trapezoids of the slabs whose
        closed x-range holds it (two beside a stop, none beyond the cell)."""
        for i, ((xn, xd), (yn, yd)) in enumerate(as_ratios(points)):
            x, y = Fraction(xn * self.scale, xd), Fraction(yn * self.scale, yd)
            k = bisect.bisect_left(self.bounds, x)  # bounds[k - 1] < x <= bounds[k]
            slabs = [
                s
                for s in (k - 1, k)  # slab s spans bounds[s] .. bounds[s + 1]
                if 0 <= s < len(self.trapezoids) and self.bounds[s] <= x <= self.bounds[s + 1]
            ]
            yield i, x, y, [t for s in slabs for t in self.trapezoids[s]]


def cell_pieces(polygon: object, corners: object) -> CellPieces:
    """The connected pieces of the interior of a convex polygon inside a polygon's interior,
    exactly: how many regions a cell that a non-convex domain's boundary crosses holds.

    A sweep in x stops at every corner of either polygon and every crossing of their edges;
    between two stops each boundary edge spans the slab or misses it, so the cell's interior
    inside the polygon's is a stack of open trapezoids there. Trapezoids of neighbouring
    slabs join where their sides at the stop between them overlap along a positive length;
    pieces touching at a point stay apart.

    Parameters
    ----------
    polygon : shapely.Polygon or array_like, shape (k, 2)
        A simple polygon, holes allowed for a shapely Polygon.
    corners : array_like, shape (m, 2)
        The convex polygon's vertices, of positive area; floats (taken exactly), ints or
        Fractions. Repeated and collinear vertices are allowed.

    Returns
    -------
    CellPieces

    Examples
    --------
    >>> from regions.exact_geometry import cell_pieces
    >>> u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]  # a U
    >>> len(cell_pieces(u, [[0, 2], [3, 2], [3, 4], [0, 4]]))  # across its arms
    2
    >>> len(cell_pieces(u, [[0, 0], [3, 0], [3, 2], [0, 2]]))  # across its base
    1
    """
    rings = _rings(polygon)
    (cell, *ring_ints), scale = _integers(as_ratios(corners), *rings)
    cell = [tuple(p) for p in cell.tolist()]
    sides = [(a, b) for a, b in zip(cell, cell[1:] + cell[:1], strict=True) if a != b]
    edges = [
        (tuple(a), tuple(b))
        for ring in ring_ints
        for a, b in zip(ring.tolist(), ring[1:].tolist() + ring[:1].tolist(), strict=True)
    ]
    lo, hi = min(x for x, _ in cell), max(x for x, _ in cell)
    stops = {Fraction(x) for x, _ in cell}
    for a, b in edges:
        stops.update(Fraction(x) for x, _ in (a, b) if lo < x < hi)
        stops.update(_crossings_x(a, b, sides))
    bounds = sorted(x for x in stops if lo <= x <= hi)
    trapezoids, parent = [], []
    for x0, x1 in zip(bounds, bounds[1:], strict=False):
        mid = (x0 + x1) / 2
        cut = sorted((_height(e, mid), e) for e in sides if _spans(e, mid))
        (c_lo, cell_lo), (c_hi, cell_hi) = cut[0], cut[-1]
        crossing = sorted((_height(e, mid), e) for e in edges if _spans(e, mid))
        slab = []
        # Between the 1st and 2nd crossing of the polygon's boundary, the 3rd and 4th, ...
        for (y0, e0), (y1, e1) in zip(crossing[0::2], crossing[1::2], strict=True):
            lower = e0 if y0 > c_lo else cell_lo
            upper = e1 if y1 < c_hi else cell_hi
            if max(y0, c_lo) < min(y1, c_hi):
                slab.append((lower, upper, len(parent)))
                parent.append(len(parent))
        trapezoids.append(slab)
    # A vertical edge of the polygon has its interior on one side only, so no two
    # trapezoids meet across it: what two sides share at a stop is all interior but for
    # corners, points that leave it connected.
    for k, x in enumerate(bounds[1:-1]):
        for lower, upper, p in trapezoids[k]:
            for lower2, upper2, q in trapezoids[k + 1]:
                if max(_height(lower, x), _height(lower2, x)) < min(
                    _height(upper, x), _height(upper2, x)
                ):
                    parent[_root(parent, p)] = _root(parent, q)
    # The boundary's points that trapezoids' sides at a stop may hold (for piece_of):
    # vertical edges, and corners as walls of no height.
    walls = [
        (Fraction(a[0]), Fraction(min(a[1], b[1])), Fraction(max(a[1], b[1])))
        for a, b in edges
        if a[0] == b[0]
    ] + [(Fraction(x), Fraction(y), Fraction(y)) for (x, y), _ in edges]
    roots = [_root(parent, p) for p in range(len(parent))]
    index = {r: i for i, r in enumerate(dict.fromkeys(roots))}
    points: list = [None] * len(index)
    for k, slab in enumerate(trapezoids):
        mid = (bounds[k] + bounds[k + 1]) / 2
        for lower, upper, p in slab:
            i = index[roots[p]]
            if points[i] is None:
                y = (_height(lower, mid) + _height(upper, mid)) / 2
                points[i] = (mid / scale, y / scale)
    pieces = [[(lower, upper, index[roots[p]]) for lower, upper, p in slab] for slab in trapezoids]
    return CellPieces(points=points, bounds=bounds, trapezoids=pieces, walls=walls, scale=scale)


def _spans(edge: tuple, x: Fraction) -> bool:
    """Whether a segment's x-range holds x strictly (so it is not vertical)."""
    return min(edge[0][0], edge[1][0]) < x < max(edge[0][0], edge[1][0])


def _height(edge: tuple, x: Fraction) -> Fraction:
    """A non-vertical segment's line at x."""
    (ax, ay), (bx, by) = edge
    return ay + (by - ay) * (x - ax) / (bx - ax)


def _crossings_x(a: tuple, b: tuple, sides: list) -> list[Fraction]:
    """The x of every point where segment ab meets one of the sides (not along it)."""
    rx, ry = b[0] - a[0], b[1] - a[1]
    out = []
    for c, d in sides:
        sx, sy = d[0] - c[0], d[1] - c[1]
        denom = rx * sy - ry * sx
        if denom:
            qx, qy = c[0] - a[0], c[1] - a[1]
            t, u = Fraction(qx * sy - qy * sx, denom), Fraction(qx * ry - qy * rx, denom)
            if 0 <= t <= 1 and 0 <= u <= 1:
                out.append(a[0] + t * rx)
    return out


def _root(parent: list[int], i: int) -> int:
    """Union-find's root of i, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def is_simple(ring: object) -> bool:
    """Whether a polygon's boundary never meets itself, exactly: no two edges touch except
    consecutive ones at their shared vertex (so no edge doubles back either).

    Parameters
    ----------
    ring : array_like, shape (k, 2)
        Vertices, k >= 3, without the closing one; collinear vertices are allowed.

    Returns
    -------
    bool

    Examples
    --------
    >>> from regions.exact_geometry import is_simple
    >>> is_simple([[0, 0], [1, 0], [1, 1], [0.5, 1.0], [0, 1]])  # a collinear vertex is fine
    True
    >>> is_simple([[0, 0], [1, 1], [1, 0], [0, 1]])  # a bow tie
    False
    >>> is_simple([[0, 0], [2, 0], [1, 0], [1, 1]])  # an edge doubling back
    False
    """
    (pts,), _ = _integers(_rings(ring)[0])
    pts = pts.tolist()
    k = len(pts)

    def orient(a: list, b: list, c: list) -> int:
        cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (cross > 0) - (cross < 0)

    def on_segment(p: list, a: list, b: list) -> bool:  # p collinear with a, b
        return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(
            a[1], b[1]
        )

    for i in range(k):
        a, b = pts[i], pts[(i + 1) % k]
        if a == b:
            return False
        for j in range(i + 1, k):
            c, d = pts[j], pts[(j + 1) % k]
            if j == i + 1 or (i == 0 and j == k - 1):  # consecutive: meet only at one vertex
                shared, far = (b, d) if j == i + 1 else (a, c)
                near = a if j == i + 1 else b
                if orient(near, shared, far) == 0 and on_segment(far, near, shared):
                    return False
                if orient(near, shared, far) == 0 and on_segment(near, shared, far):
                    return False
                continue
            o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
            if o1 * o2 < 0 and o3 * o4 < 0:
                return False
            if any(
                o == 0 and on_segment(p, *seg)
                for o, p, seg in (
                    (o1, c, (a, b)),
                    (o2, d, (a, b)),
                    (o3, a, (c, d)),
                    (o4, b, (c, d)),
                )
            ):
                return False
    return True


def polygon_area(polygon: object) -> Fraction:
    """Exact signed area of a polygon: positive counter-clockwise (the shoelace formula).

    Parameters
    ----------
    polygon : shapely.Polygon or array_like, shape (k, 2)
        For a shapely Polygon, the exterior's area minus its holes' (unsigned).

    Returns
    -------
    Fraction

    Examples
    --------
    >>> from regions.exact_geometry import polygon_area
    >>> from fractions import Fraction
    >>> polygon_area([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]]) == Fraction(0.1) ** 2 / 2
    True
    >>> polygon_area([[0, 0], [0, 1], [1, 0]])  # clockwise
    Fraction(-1, 2)
    """
    rings = _rings(polygon)
    ints, scale = _integers(*rings)
    areas = []
    for ring in ints:
        a, b = ring, np.roll(ring, -1, axis=0)
        twice = (a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]).sum()
        areas.append(Fraction(int(twice), 2 * scale * scale))
    if len(rings) == 1 and not isinstance(polygon, shapely.Polygon):
        return areas[0]
    return abs(areas[0]) - sum(abs(a) for a in areas[1:])


def rational_grid(domain: object, n: int) -> np.ndarray:
    """An n x n cell-centred grid over a domain's bounding box, strictly inside the domain.

    The points are float64, so the very same points go to :func:`regions.oracle.exact_eval`
    (which takes them exactly) and to :meth:`regions.Partition.locate`. The offsets within
    each cell differ in x and y (0.31 and 0.77 of a cell), so grid points rarely sit on a
    boundary by symmetry; those that do are still valid (use ``toward=`` in the oracle).

    Parameters
    ----------
    domain : box (xmin, xmax, ymin, ymax), shapely.Polygon or Domain
    n : int
        Points per side, >= 1.

    Returns
    -------
    ndarray of float64, shape (N, 2)
        Distinct points strictly inside the domain (exactly), N <= n * n; fewer where the
        domain is not a box or too narrow for n distinct floats.

    Examples
    --------
    >>> from regions.exact_geometry import rational_grid
    >>> rational_grid((0, 1, 0, 1), 2).tolist()
    [[0.155, 0.385], [0.655, 0.385], [0.155, 0.885], [0.655, 0.885]]
    >>> len(rational_grid((1e7, 1e7 + 1e-8, 0, 1), 40))  # 4 floats strictly in that width
    160
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"regions.exact_geometry: n must be a positive int, got {n!r}")
    dom = domain if isinstance(domain, Domain) else as_domain(domain)
    xmin, ymin, xmax, ymax = dom.polygon.bounds
    gx, gy = np.meshgrid(
        xmin + (np.arange(n) + 0.31) * ((xmax - xmin) / n),
        ymin + (np.arange(n) + 0.77) * ((ymax - ymin) / n),
    )
    pts = np.unique(np.stack([gx.ravel(), gy.ravel()], axis=1), axis=0)
    pts = pts[np.lexsort((pts[:, 0], pts[:, 1]))]
    return pts[point_side(pts, dom.polygon) == 1]
