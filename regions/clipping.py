"""A partition's convex cells against a non-convex domain: whole, crossed or outside.

A cell whose interior the domain's boundary does not meet lies in the domain whole or not at
all, and then it is a region exactly as on a convex domain, however thin. Which cells those
are is decided exactly: a float test with a margin beyond the cell's rigorous vertex bounds
settles almost every cell, rational arithmetic the few it leaves open (the boundary within
rounding of the cell: a domain corner that lines pass through, say). Only the cells the
boundary crosses are clipped, by GEOS in float64 (:meth:`regions.domain.Domain.clip`), and
their pieces counted exactly where rounding may have got them wrong. Two cells that are one
region each are neighbours where an edge between them runs through the domain's interior,
decided the same way (:mod:`regions.edge_clipping`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import shapely

from .domain import Domain
from .exact_geometry import boundary_meets_interior, cell_pieces, point_side
from .overlays import area_allowance, snap_grid, union_of_cells, valid_cells, without_spikes

__all__ = [
    "CellBounds",
    "Clipped",
    "cell_sides",
    "clipped_cells",
    "inner_edges",
    "margin_of",
    "outline",
    "polygon_segments",
    "traces",
]

_ULPS = 16
"""Ulps of the largest coordinate that GEOS's overlays may move a point by, at most."""

_SLACK = 2.0**-30
"""Of the coordinates' scale, added to every margin: GEOS's distances, buffers and
point-in-polygon tests err by a few ulps, far below it."""


@dataclass(frozen=True)
class CellBounds:
    """What a decomposition proves about its convex cells' float vertices.

    Attributes
    ----------
    reach : ndarray, shape (C,)
        The largest distance bound of each cell's vertices from the exact ones (plane units).
    exact_corners : callable
        A cell's exact vertices (:meth:`regions.Partition.exact_corners`).
    vertex_cell, vertex_xy, vertex_r : ndarray, shapes (V,), (V, 2) and (V,)
        Every float vertex of every cell (ring order): its cell, position and distance bound.
        Where a domain corner is a cell's float vertex with bound 0 and no other vertex of the
        cell rounds onto it, it is exactly the cell's corner, not a near-coincidence. Default
        none known.
    """

    reach: np.ndarray
    exact_corners: Callable[[int], list[tuple[Fraction, Fraction]]]
    vertex_cell: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    vertex_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    vertex_r: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def of(
        cls,
        ring: np.ndarray,
        start: np.ndarray,
        vertices: np.ndarray,
        r: np.ndarray,
        position: Callable[[int], tuple[Fraction, Fraction]],
    ) -> CellBounds:
        """The bounds of cells given as vertex rings (``ring`` (V,) of vertex indices, each
        cell's from ``start`` (C + 1,)) over ``vertices`` (N, 2), with each vertex's distance
        bound ``r`` (N,) and exact point ``position(vertex)``."""
        bound = r[ring]

        def exact_corners(cell: int) -> list[tuple[Fraction, Fraction]]:
            return [position(v) for v in ring[start[cell] : start[cell + 1]].tolist()]

        owner = np.repeat(np.arange(len(start) - 1), np.diff(start))
        reach = np.maximum.reduceat(bound, start[:-1])
        return cls(reach, exact_corners, owner, vertices[ring], bound)


@dataclass(frozen=True)
class Clipped:
    """The regions of a partition on a non-convex domain (:func:`clipped_cells`).

    Attributes
    ----------
    region_cell : ndarray of int, shape (R,)
        The cell of each region, in cell order.
    geometries : ndarray, shape (R,)
        The regions' polygons, counter-clockwise; a MultiPolygon for a region whose float64
        parts meet only within rounding (:func:`_exact_pieces`).
    whole : ndarray of bool, shape (R,)
        Whether the region is its whole cell (its polygon the cell's, unclipped).
    piece : ndarray of int, shape (R,)
        Which exact piece of its cell (:func:`regions.exact_geometry.cell_pieces`' order) a
        region is, where the cell's pieces were found exactly; -1 elsewhere.
    """

    region_cell: np.ndarray
    geometries: np.ndarray
    whole: np.ndarray
    piece: np.ndarray


def clipped_cells(cells: np.ndarray, domain: Domain, bounds: CellBounds | None) -> Clipped:
    """The regions of a partition on a non-convex domain, from its convex cells on the hull.

    A cell in the domain whole is one region, as on a convex domain. A cell that the
    domain's boundary crosses is clipped in float64, into as many regions as pieces of
    positive area, and at least one: its interior meets the domain's near any crossing,
    however thin; where float64 leaves it no piece, its region is a zero-area trace of where
    it meets the domain (:func:`traces`). Where rounding may have got a cell's pieces wrong,
    they are set right by its exact pieces (:func:`_exact_pieces`). Other cells lie outside.

    Parameters
    ----------
    cells : ndarray, shape (C,)
        The cells' float polygons (shapely).
    domain : Domain
        The non-convex domain; the cells tile its hull.
    bounds : CellBounds or None
        What the decomposition proves about the cells' vertices; None (derived cells without
        bounds: the class cells) clips every cell, in float64 only.

    Returns
    -------
    Clipped
    """
    if bounds is None:
        whole, crossed = np.zeros(len(cells), dtype=bool), np.ones(len(cells), dtype=bool)
    else:
        whole, crossed = cell_sides(cells, bounds.reach, domain, bounds.exact_corners)
    pieces = np.full(len(cells), None, dtype=object)
    pieces[crossed] = domain.clip(_for_overlay(cells[crossed], domain))
    lost = crossed & ~_has_area(pieces)
    if bounds is None:  # crossed by float geometry only: none is known to be lost
        lost[:] = False
    # GEOS's float overlay can fail where a cell's corner is an ulp off the domain's (a
    # cell of area 0.7 came out as two points); snap-rounding to a grid of a few ulps cannot.
    pieces[lost] = _snap_clipped(_for_overlay(cells[lost], domain), domain)
    lost &= ~_has_area(pieces)
    pieces[whole] = cells[whole]
    _check_areas(pieces, cells, crossed, domain)
    pieces[lost] = traces(cells[lost], domain)
    parts, cell = shapely.get_parts(pieces, return_index=True)
    keep = (whole | lost)[cell] | _areal(parts)
    region_cell, geoms = cell[keep], shapely.orient_polygons(parts[keep])
    piece = np.full(len(region_cell), -1)
    if bounds is not None:
        stay, geoms, piece, more, dots = _exact_pieces(
            cells, crossed, region_cell, geoms, domain, bounds
        )
        region_cell = np.concatenate([region_cell[stay], more[:, 0]])
        order = np.argsort(region_cell, kind="stable")
        region_cell, geoms = region_cell[order], np.concatenate([geoms[stay], dots])[order]
        piece = np.concatenate([piece[stay], more[:, 1]])[order]
    return Clipped(region_cell, geoms, whole[region_cell], piece)


def _check_areas(
    pieces: np.ndarray, cells: np.ndarray, crossed: np.ndarray, domain: Domain
) -> None:
    """The cells' pieces (C,; None outside) set right where GEOS's floating-point clip got a
    cell wrong, silently (a cell holding a notch of the domain came out whole, its area 5%
    more than the domain's): where the cells tile the hull, their pieces' areas must sum to
    the domain's. Where they do not, the crossed cells are clipped anew with snap rounding
    (:func:`_snap_clipped`), each taking that clip where the two differ.

    Raises
    ------
    RuntimeError
        If the areas still do not sum to the domain's.
    """
    allowance = area_allowance(domain, float(np.nansum(shapely.length(pieces))))

    def off() -> float:
        return abs(float(np.nansum(shapely.area(pieces))) - domain.area)

    if off() <= allowance or abs(float(shapely.area(cells).sum()) - domain.hull_area) > allowance:
        return  # right, or cells that do not tile the hull (some of them, in tests)
    ids = np.flatnonzero(crossed)
    snapped = _snap_clipped(_for_overlay(cells[ids], domain), domain)
    differ = np.abs(shapely.area(snapped) - shapely.area(pieces[ids])) > allowance
    pieces[ids[differ]] = snapped[differ]
    if off() > allowance:
        raise RuntimeError(
            f"regions.clipping: the clipped cells' areas sum to the domain's area {domain.area!r} "
            f"to within {off()!r} only: please report this partition"
        )


def _snap_clipped(cells: np.ndarray, domain: Domain) -> np.ndarray:
    """Cells (n,) clipped to the domain with snap-rounding to a grid of 4 ulps. Where GEOS
    fails on a cell even so (a sliver thinner than the grid, which it cannot close up), the
    cell comes out empty, and its trace stands for it."""
    grid = snap_grid(domain)
    try:
        return domain.clip(cells, grid_size=grid)
    except shapely.errors.GEOSException:
        out = np.full(len(cells), shapely.Polygon(), dtype=object)
        for i, cell in enumerate(cells):
            with contextlib.suppress(shapely.errors.GEOSException):
                out[i] = domain.clip(cell, grid_size=grid)
        return out


def _areal(parts: np.ndarray) -> np.ndarray:
    """Whether each geometry is a polygon of positive area."""
    return (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)


def _has_area(pieces: np.ndarray) -> np.ndarray:
    """Whether each geometry (C,) holds a polygon of positive area (None: no)."""
    parts, cell = shapely.get_parts(pieces, return_index=True)
    return np.bincount(cell[_areal(parts)], minlength=len(pieces)) > 0


def _exact_pieces(
    cells: np.ndarray,
    crossed: np.ndarray,
    region_cell: np.ndarray,
    geoms: np.ndarray,
    domain: Domain,
    bounds: CellBounds,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The float64 pieces of crossed cells set right where rounding may have got them wrong:
    which regions (R,) stay, their geometries (R,) and exact pieces (R,; -1 where not
    counted exactly), and regions no float piece stands for (cells and exact pieces (n, 2),
    polygons (n,)) to add.

    Float64 clipping finds every piece of a cell, and no other, unless the two boundaries come
    within rounding of each other (:func:`_fragile`). The pieces of the few cells where they
    may are found exactly (:func:`regions.exact_geometry.cell_pieces`), and each float piece is
    matched to the exact piece that holds its point. An exact piece that no float piece matches
    takes the nearest float piece that matches none and passes within rounding of its point (a
    thin exact piece whose point its float copy missed), or else gets a region of its own: a
    point at its interior point where it is thinner than rounding (lost), or its closure where
    a float piece took it with another across a pinch of the domain's boundary (and then every
    piece of the cell is its exact closure, rounded: :meth:`CellPieces.closures`, joined by
    :func:`regions.overlays.union_of_cells`). A float piece no wider than
    rounding makes (the cell's vertex bounds and a few ulps) left matching none, or matching an
    exact piece that a fatter one already does, is rounding's, and goes. Fat float pieces of
    one exact piece (joined by a neck thinner than float64 resolves) are one region, a
    MultiPolygon of them.
    """
    geoms = geoms.copy()
    piece = np.full(len(region_cell), -1)
    keep = np.ones(len(region_cell), dtype=bool)
    more, dots = [], []
    reach = bounds.reach
    fragile = np.flatnonzero(crossed)
    fragile = fragile[_fragile(cells, fragile, domain, bounds)]
    # Rounding's slivers are no wider than the cell's vertex bounds and GEOS's few ulps.
    width = reach + _ULPS * float(np.spacing(np.abs(domain.hull).max()))
    first = np.searchsorted(region_cell, fragile)
    last = np.searchsorted(region_cell, fragile, side="right")
    for c, a, b in zip(fragile.tolist(), first.tolist(), last.tolist(), strict=True):
        exact = cell_pieces(domain.polygon, bounds.exact_corners(c))
        points = shapely.point_on_surface(geoms[a:b])
        empty = shapely.is_empty(points)  # GEOS finds none on some zero-area polygons
        points[empty] = shapely.get_point(shapely.get_exterior_ring(geoms[a:b][empty]), 0)
        match = exact.piece_of(shapely.get_coordinates(points))
        thin = shapely.area(geoms[a:b]) <= shapely.length(geoms[a:b]) * width[c]
        held: dict[int, list[int]] = {}  # exact piece: the float pieces standing for it
        for k in np.argsort(thin, kind="stable").tolist():  # fat pieces first
            if match[k] >= 0:
                own = held.setdefault(int(match[k]), [])
                if own and thin[k]:
                    keep[a + k] = False  # rounding's sliver beside its piece's float copy
                else:
                    own.append(a + k)
        for i, own in held.items():
            piece[own] = i
            if len(own) > 1:  # fat parts of one piece, parted by rounding only
                geoms[own[0]] = shapely.multipolygons(geoms[own])
                keep[own[1:]] = False
        # A float piece matching none may stand for a thin exact piece whose point it missed,
        # if it passes within rounding of that point.
        spare = [k for k in range(b - a) if match[k] < 0]
        closures = exact.closures()
        fat = shapely.area(closures) > shapely.length(closures) * width[c]
        swallowed = False
        for i in range(len(exact)):
            if i in held:
                continue
            x, y = (float(v) for v in exact.points[i])
            off = {k: shapely.distance(geoms[a + k], shapely.Point(x, y)) for k in spare}
            near = [k for k in spare if off[k] <= 2 * width[c]]
            if near:
                k = min(near, key=off.get)
                spare.remove(k)
                piece[a + k] = i
            else:
                more.append((c, i))
                swallowed |= bool(fat[i])
                dots.append(
                    _closed(closures[i], domain) if fat[i] else shapely.Polygon([(x, y)] * 4)
                )
        for k in spare:
            keep[a + k] = not thin[k]
        kept = a + np.flatnonzero(keep[a:b])
        if swallowed:
            # A fat exact piece that no float piece stands for was taken into another's,
            # across a pinch of the domain's boundary float64 does not resolve: every piece
            # of the cell is its exact closure, rounded.
            for k in kept[piece[kept] >= 0]:
                geoms[k] = _closed(closures[piece[k]], domain)
            continue
        # The closed cell and domain may also meet along a segment, which rounding can fold
        # into a float piece as a spike: its vertices lie far from every exact piece.
        for k in kept:
            geoms[k] = without_spikes(geoms[k], closures, 2 * width[c])
    more = np.array(more, dtype=np.int64).reshape(-1, 2)
    return keep, geoms, piece, more, np.array(dots, dtype=object)


def _closed(closure: shapely.Geometry, domain: Domain) -> shapely.Geometry:
    """An exact piece's closure (its rounded trapezoids) as one polygon, oriented."""
    return shapely.orient_polygons(union_of_cells(shapely.get_parts(closure), domain))


def _fragile(cells: np.ndarray, ids: np.ndarray, domain: Domain, bounds: CellBounds) -> np.ndarray:
    """Which of the cells ``ids`` (n,) float64 clipping may get wrong pieces of: a cell thinner
    than its margin, a corner of the domain's boundary off its hull's edges within the cell's
    margin of the cell's boundary, a corner of the cell as near to that boundary, or two of
    the boundary's edges that do not meet as near to each other there.

    A domain corner that is exactly one of the cell's corners (a pinned vertex) is no
    near-coincidence: the cell's edges from it and the boundary's are then decided by the
    edges' far ends, which the same tests check (where two segments from one point are within
    rounding of each other, the shorter one's far end is within rounding of the longer one).
    """
    inner = inner_edges(domain)
    if not len(inner) or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    hulls = shapely.convex_hull(cells[ids])
    margin = margin_of(bounds.reach[ids], domain)
    ends = shapely.get_coordinates(inner).reshape(-1, 2, 2)
    corners = np.unique(ends.reshape(-1, 2), axis=0)
    pinned = _pinned_corners(bounds, corners)
    near = shapely.area(hulls) <= shapely.length(hulls) * margin  # twice the width, about
    cell, corner = _within(shapely.boundary(hulls), margin, shapely.points(corners))
    key = ids.tolist()
    apart = [
        (key[c], *corners[k].tolist()) not in pinned for c, k in zip(cell, corner, strict=True)
    ]
    near[cell[np.array(apart, dtype=bool)]] = True
    # Every float vertex, not the hull's only: one an ulp off a pinned corner may be no hull's.
    xy, owner = shapely.get_coordinates(
        shapely.extract_unique_points(cells[ids]), return_index=True
    )
    vertex, edge = _within(shapely.points(xy), margin[owner], inner)
    apart = [
        (key[owner[v]], *xy[v].tolist()) not in pinned or not (ends[e] == xy[v]).all(axis=1).any()
        for v, e in zip(vertex, edge, strict=True)
    ]
    near[owner[vertex[np.array(apart, dtype=bool)]]] = True
    # Pinches: inner edges that share no corner and come within the largest margin.
    left, right = shapely.STRtree(inner).query(inner, "dwithin", float(margin.max()))
    apart = ~np.any(
        (ends[left][:, :, None, :] == ends[right][:, None, :, :]).all(axis=3), axis=(1, 2)
    )
    pinches = shapely.shortest_line(inner[left[apart]], inner[right[apart]])
    if len(pinches):
        near |= shapely.distance(hulls, shapely.multilinestrings(pinches)) <= margin
    return near


def _within(
    geoms: np.ndarray, margin: np.ndarray, others: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), each an array (n,): ``geoms[i]`` within ``margin[i]`` of ``others[j]``."""
    i, j = shapely.STRtree(others).query(geoms, "dwithin", float(margin.max()))
    close = shapely.distance(geoms[i], others[j]) <= margin[i]
    return i[close], j[close]


def _pinned_corners(bounds: CellBounds, corners: np.ndarray) -> set[tuple[int, float, float]]:
    """(cell, x, y) of the domain corners (``corners``, (k, 2)) that are exactly a cell's
    corner: a float vertex of it with bound 0, and no other vertex of it rounded onto it."""
    xy = bounds.vertex_xy
    at = np.flatnonzero(np.isin(xy[:, 0], corners[:, 0]) & np.isin(xy[:, 1], corners[:, 1]))
    exact: dict[tuple[int, float, float], bool] = {}
    for c, (x, y), r in zip(
        bounds.vertex_cell[at].tolist(), xy[at].tolist(), bounds.vertex_r[at].tolist(), strict=True
    ):
        exact[c, x, y] = exact.get((c, x, y), True) and r == 0
    return {key for key, pinned in exact.items() if pinned}


def cell_sides(
    cells: np.ndarray,
    reach: np.ndarray,
    domain: Domain,
    exact_corners: Callable[[int], list[tuple[Fraction, Fraction]]],
) -> tuple[np.ndarray, np.ndarray]:
    """Which cells lie in the domain whole and which its boundary crosses.

    Parameters
    ----------
    cells : ndarray, shape (C,)
        The cells' float polygons (shapely), each within ``reach`` of its exact cell.
    reach : ndarray, shape (C,)
        The largest distance bound of each cell's vertices (plane units).
    domain : Domain
        A non-convex domain, the cells tiling its hull.
    exact_corners : callable
        A cell's exact vertices (:meth:`regions.Partition.exact_corners`).

    Returns
    -------
    whole, crossed : ndarray of bool, shape (C,)
        ``whole``: the cell's interior lies in the domain's; ``crossed``: the domain's boundary
        meets the cell's interior. A cell that is neither lies outside the domain.
    """
    hulls = shapely.convex_hull(cells)  # the exact cell lies within reach of its hull
    margin = margin_of(reach, domain)
    inner = inner_edges(domain)
    inner_union = shapely.multilinestrings(inner)
    near = np.zeros(len(cells), dtype=bool)
    near[shapely.STRtree(hulls).query(inner, "dwithin", float(margin.max()))[1]] = True
    idx = np.flatnonzero(near)
    clear = shapely.distance(hulls[idx], inner_union) > margin[idx]
    # The hull shrunk by the margin lies in the exact cell's interior: where the boundary
    # meets it, the boundary crosses the cell.
    core = shapely.buffer(hulls[idx], -margin[idx])
    crossed = np.zeros(len(cells), dtype=bool)
    crossed[idx] = ~clear & shapely.intersects(core, inner_union)
    # A cell the boundary stays farther than its margin from lies on one side of it, as its
    # vertex mean (GEOS's centroid of a sliver can land far off it); within the margin of
    # the hull's edges only, on their inner side.
    xy, owner = shapely.get_coordinates(hulls, return_index=True)
    mean = np.stack([np.bincount(owner, w, len(cells)) for w in xy.T], axis=1)
    point = shapely.points(mean / np.bincount(owner, minlength=len(cells))[:, None])
    inside = shapely.intersects(domain.polygon, point) | ~(
        shapely.distance(point, domain.polygon.boundary) > margin
    )
    for c in idx[~clear & ~crossed[idx]]:
        corners = exact_corners(int(c))
        crossed[c] = boundary_meets_interior(domain.polygon, corners)
        if not crossed[c]:  # the interior is on one side: that of any point of it
            centre = (
                sum(x for x, _ in corners) / len(corners),
                sum(y for _, y in corners) / len(corners),
            )
            inside[c] = point_side([centre], domain.polygon)[0] == 1
    return inside & ~crossed, crossed


def margin_of(reach: np.ndarray, domain: Domain) -> np.ndarray:
    """How far a float geometry may lie from its exact one, for float tests: its vertices'
    bounds ``reach`` plus a slack of the coordinates' scale (far more than GEOS's rounding of
    any point on the domain's hull)."""
    return reach + _SLACK * (domain.diameter + float(np.abs(domain.hull).max()))


def inner_edges(domain: Domain) -> np.ndarray:
    """The domain's boundary edges (linestrings) off its hull's edges: only these can enter a
    cell, since the cells tile the hull."""
    edges = shapely.linestrings(polygon_segments(domain.polygon))
    return edges[~shapely.covered_by(edges, shapely.boundary(shapely.Polygon(domain.hull)))]


def _for_overlay(cells: np.ndarray, domain: Domain) -> np.ndarray:
    """Cells as GEOS's overlays take them: valid, and without the near-duplicate corners (an
    ulp or so apart) that rounded exact corners leave. GEOS intersected a triangle of 2e8 with
    three copies of a corner an ulp apart with the domain that held it as two points."""
    ulps = 4 * float(np.spacing(np.abs(domain.hull).max()))
    cells = valid_cells(cells).copy()
    xy, owner = shapely.get_coordinates(cells, return_index=True)
    step = np.abs(np.diff(xy, axis=0)).max(axis=1, initial=0.0)
    close = np.unique(owner[1:][(step <= ulps) & (owner[1:] == owner[:-1])])
    for c in close:  # a handful; a cell that would collapse stays as it is
        try:
            fewer = shapely.remove_repeated_points(cells[c], ulps)
        except shapely.errors.GEOSException:
            continue
        if fewer.is_valid and not fewer.is_empty:
            cells[c] = fewer
    return cells


def traces(cells: np.ndarray, domain: Domain) -> np.ndarray:
    """Zero-area polygons (n,) where cells that the domain's boundary crosses meet the domain:
    for cells whose pieces float64 clipping loses (each has one, thinner than float64
    resolves). Each runs along the cells' float intersection with the domain (a segment or a
    point), or where none is left, along the shortest segment between them.

    Examples
    --------
    >>> import shapely
    >>> from regions.clipping import traces
    >>> from regions.domain import as_domain
    >>> ell = as_domain(shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]))
    >>> [g.wkt for g in traces(shapely.box([2], [1], [3], [2]), ell)]  # meets it at (2, 1)
    ['POLYGON ((2 1, 2 1, 2 1, 2 1))']
    """
    hulls = shapely.convex_hull(cells)
    met = domain.clip(hulls)
    met = np.where(shapely.is_empty(met), shapely.shortest_line(hulls, domain.polygon), met)
    out = np.empty(len(cells), dtype=object)
    for i, g in enumerate(met):  # only cells whose pieces were lost: a handful
        xy = shapely.get_coordinates(g)
        out[i] = shapely.Polygon(np.concatenate([xy, xy[::-1], xy[:1]]))
    return out


def outline(region: shapely.Geometry) -> np.ndarray:
    """A region's outline as one counter-clockwise vertex ring (k, 2), without the closing
    vertex: a Polygon's exterior; a MultiPolygon's exteriors (parts that only rounding keeps
    apart) chained where their vertices come nearest, by a bridge of zero area there and
    back, so that the ring's shoelace area is the parts' sum."""
    ring, *others = [np.asarray(p.exterior.coords)[:-1] for p in shapely.get_parts(region)]
    for other in others:
        gap = ((ring[:, None, :] - other[None, :, :]) ** 2).sum(axis=2)
        i, j = np.unravel_index(np.argmin(gap), gap.shape)
        ring = np.concatenate(
            [ring[: i + 1], np.roll(other, -j, axis=0), other[j : j + 1], ring[i:]]
        )
    if others:  # no bridge of no length: parts that touch share the vertex once each way
        ring = ring[~np.all(ring == np.roll(ring, 1, axis=0), axis=1)]
    return ring


def polygon_segments(polygon: shapely.Polygon) -> np.ndarray:
    """Segments (E, 2, 2) of a polygon's exterior and interior rings."""
    rings = [polygon.exterior, *polygon.interiors]
    return np.concatenate(
        [np.stack([np.asarray(r.coords)[:-1], np.asarray(r.coords)[1:]], axis=1) for r in rings]
    )
