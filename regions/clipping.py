"""A partition's convex cells against a non-convex domain: whole, crossed or outside.

A cell whose interior the domain's boundary does not meet lies in the domain whole or not at
all, and then it is a region exactly as on a convex domain, however thin. Which cells those
are is decided exactly: a float test with a margin beyond the cell's rigorous vertex bounds
settles almost every cell, rational arithmetic the few it leaves open (the boundary within
rounding of the cell: a domain corner that lines pass through, say). Only the cells the
boundary crosses are clipped, by GEOS in float64 (:meth:`regions.domain.Domain.clip`).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import shapely

from .domain import Domain
from .exact_geometry import boundary_meets_interior, point_side
from .topology import polygon_segments, valid_cells

__all__ = ["cell_sides", "clipped_cells", "traces"]

_SLACK = 2.0**-30
"""Of the coordinates' scale, added to every margin: GEOS's distances, buffers and
point-in-polygon tests err by a few ulps, far below it."""


def clipped_cells(
    cells: np.ndarray,
    domain: Domain,
    bounds: tuple[np.ndarray, Callable[[int], list[tuple[Fraction, Fraction]]]] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The regions of a partition on a non-convex domain, from its convex cells on the hull.

    A cell in the domain whole is one region, as on a convex domain. A cell that the
    domain's boundary crosses is clipped in float64, into as many regions as pieces of
    positive area, and at least one: its interior meets the domain's near any crossing,
    however thin; where float64 leaves it no piece, its region is a zero-area trace of where
    it meets the domain (:func:`traces`). Other cells lie outside.

    Parameters
    ----------
    cells : ndarray, shape (C,)
        The cells' float polygons (shapely).
    domain : Domain
        The non-convex domain; the cells tile its hull.
    bounds : (reach (C,), exact_corners) or None
        Each cell's largest vertex distance bound and its exact corners (see
        :func:`cell_sides`); None (below full depth: no bounds) clips every cell, in float64
        only.

    Returns
    -------
    region_cell : ndarray of int, shape (R,)
        The cell of each region, in cell order.
    geometries : ndarray, shape (R,)
        The regions' polygons, counter-clockwise.
    whole : ndarray of bool, shape (R,)
        Whether the region is its whole cell (its polygon the cell's, unclipped).
    """
    if bounds is None:
        whole, crossed = np.zeros(len(cells), dtype=bool), np.ones(len(cells), dtype=bool)
    else:
        whole, crossed = cell_sides(cells, bounds[0], domain, bounds[1])
    pieces = np.full(len(cells), None, dtype=object)
    pieces[crossed] = domain.clip(_for_overlay(cells[crossed], domain))
    parts, cell = shapely.get_parts(pieces, return_index=True)
    kept = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    lost = crossed & (np.bincount(cell[kept], minlength=len(cells)) == 0)
    if bounds is None:  # crossed by float geometry only: none is known to be lost
        lost[:] = False
    pieces[whole] = cells[whole]
    pieces[lost] = traces(cells[lost], domain)
    parts, cell = shapely.get_parts(pieces, return_index=True)
    area = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    keep = (whole | lost)[cell] | area
    return cell[keep], shapely.orient_polygons(parts[keep]), whole[cell[keep]]


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
    scale = domain.diameter + float(np.abs(domain.hull).max())
    margin = reach + _SLACK * scale
    # Only the boundary off the hull's edges can enter a cell: the cells tile the hull.
    edges = shapely.linestrings(polygon_segments(domain.polygon))
    inner = edges[~shapely.covered_by(edges, shapely.boundary(shapely.Polygon(domain.hull)))]
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
