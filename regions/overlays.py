"""GEOS's overlays of a partition's float cells, checked: their union, its clip to a
non-convex domain, and the spikes rounding leaves where exact shapes only touch.

The exact cells tile the domain's hull, but their float copies may have corners an ulp apart
or be flattened to lines, and there GEOS's overlays may raise or, worse, return a wrong
result silently. So every overlay here is checked against the area it must have and retaken
with snap rounding where it falls short (:func:`union_of_cells`, :func:`clip_to_area`), and
only its polygons are kept (:func:`polygonal`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import shapely

from .domain import Domain

__all__ = [
    "area_allowance",
    "clip_to_area",
    "polygonal",
    "snap_grid",
    "union_of_cells",
    "valid_cells",
    "without_spikes",
]


def without_spikes(geom: shapely.Geometry, support: np.ndarray, reach: float) -> shapely.Geometry:
    """A float polygon without the vertices farther than ``reach`` from every geometry of
    ``support`` (exact pieces' closures, rounded): the tips of spikes that rounding made of
    where the exact shapes only touch along a segment. Returned as it is where no vertex is
    that far, or where dropping them would leave no valid polygon.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> from regions.overlays import without_spikes
    >>> spiky = shapely.Polygon([(0, 0), (1, 0), (1, 1), (3, 1 + 1e-17), (1, 1 + 2e-16), (0, 1)])
    >>> without_spikes(spiky, np.array([shapely.box(0, 0, 1, 1)]), 1e-9).wkt
    'POLYGON ((0 0, 1 0, 1 1, 1 1.0000000000000002, 0 1, 0 0))'
    """
    tree, parts, dropped = shapely.STRtree(support), [], False
    for part in shapely.get_parts(geom):
        rings = []
        for ring in [part.exterior, *part.interiors]:
            xy = np.asarray(ring.coords)[:-1]
            near = np.zeros(len(xy), dtype=bool)
            near[tree.query(shapely.points(xy), "dwithin", reach)[0]] = True
            if near.sum() < 3:
                return geom  # a ring all spike: not rounding's to undo
            rings.append(xy[near])
            dropped |= not near.all()
        parts.append(shapely.Polygon(rings[0], rings[1:]))
    if not dropped:
        return geom
    out = parts[0] if isinstance(geom, shapely.Polygon) else shapely.multipolygons(parts)
    return out if out.is_valid else geom


def union_of_cells(cells: np.ndarray, domain: Domain, reach: float = 0.0) -> shapely.Geometry:
    """The union of some of a partition's convex cells (float polygons (n,) tiling part of
    the domain's hull), as one Polygon or MultiPolygon.

    Their coverage union where they are an exact coverage. Where rounding has left them none
    (corners an ulp apart, cells flattened to lines), GEOS's unions refuse or may return a
    wrong result, silently: its floating-point union of two triangles sharing an edge, one
    with a corner an ulp from another, came out as one of them; its snap-rounding union of
    three cells, one flattened, came out empty, and of others raised. So each union tried is
    checked against the cells' summed area (:func:`_of_area`): the coverage union; then the
    cells snapped to a grid of 4 ulps one by one (so that each is valid there) and their
    union on that grid, which moves no vertex by more; then the floating-point union. Cells
    that rounding flattened are left out: they hold no area. Vertices up to ``reach`` from
    their exact points (a cut's bound) may make neighbours overlap or part along their shared
    edges by as much: the union's area may differ by that band too.

    Raises
    ------
    RuntimeError
        If no union has the cells' area.
    """
    geoms = valid_cells(cells)
    geoms = geoms[shapely.area(geoms) > 0]
    if not len(geoms):
        return shapely.Polygon()
    grid = snap_grid(domain)

    def snapped() -> shapely.Geometry:
        cells = shapely.set_precision(geoms, grid)
        return shapely.union_all(cells[~shapely.is_empty(cells)], grid_size=grid)

    attempts = [
        lambda: shapely.coverage_union_all(geoms),
        snapped,
        lambda: shapely.union_all(geoms),
    ]
    length = float(shapely.length(geoms).sum())
    area = float(shapely.area(geoms).sum())
    return _of_area(attempts, area, domain, length, "union of cells", reach)


def clip_to_area(
    geom: shapely.Geometry, domain: Domain, area: float, reach: float = 0.0
) -> shapely.Geometry:
    """A polygon clipped to the domain, as one Polygon or MultiPolygon, known to have
    ``area`` (its vertices up to ``reach`` from the exact ones, as in
    :func:`union_of_cells`): GEOS's floating-point intersection may return a wrong result
    silently (a class region's union with a notch at the domain's edge came out as the whole
    domain), so it is checked (:func:`_of_area`), and retaken with snap rounding to a grid of
    4 ulps."""
    attempts = [lambda: domain.clip(geom), lambda: domain.clip(geom, grid_size=snap_grid(domain))]
    length = geom.length + domain.polygon.length
    return _of_area(attempts, area, domain, length, "clip", reach)


def snap_grid(domain: Domain) -> float:
    """The grid of snap-rounded overlays on the domain: 4 ulps of the largest coordinate."""
    return 4 * float(np.spacing(np.abs(domain.hull).max()))


def area_allowance(domain: Domain, length: float) -> float:
    """How far the float areas of geometries on the domain, their boundaries ``length`` long
    in all, may be off through rounding alone: a band 64 ulps of the largest coordinate wide
    along those boundaries (a domain 7e-8 across at (0, 1e7) has steps of 1.9e-9), plus 1e-9
    of the hull's area."""
    ulp = float(np.spacing(np.abs(domain.hull).max()))
    return 64 * ulp * length + 1e-9 * domain.hull_area


def _of_area(
    attempts: list[Callable[[], shapely.Geometry]],
    area: float,
    domain: Domain,
    length: float,
    what: str,
    reach: float = 0.0,
) -> shapely.Geometry:
    """The polygons of the first valid overlay of ``attempts`` whose area is ``area`` to
    rounding (:func:`area_allowance` of the inputs' boundaries, ``length`` long, and a band
    ``2 reach`` wide along them; an overlay that raises counts as none). Validity too: a
    coverage union of cells that rounding made overlap came out self-intersecting, with the
    right area.

    Raises
    ------
    RuntimeError
        If none has.
    """
    allowance = area_allowance(domain, length) + 2 * reach * length
    found = []
    for attempt in attempts:
        with contextlib.suppress(shapely.errors.GEOSException):
            found.append(polygonal(attempt()))
            if found[-1].is_valid and abs(found[-1].area - area) <= allowance:
                return found[-1]
    raise RuntimeError(
        f"regions.overlays: no {what} found has the area {area!r} (got "
        f"{[g.area for g in found]}): please report this partition"
    )


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of an overlay's result, as one Polygon or MultiPolygon (an empty Polygon
    if none): a clip also returns where the shapes only touch, as lines and points.

    Examples
    --------
    >>> import shapely
    >>> from regions.overlays import polygonal
    >>> polygonal(shapely.box(0, 0, 1, 1).intersection(shapely.box(1, 0, 2, 1))).wkt
    'POLYGON EMPTY'
    """
    parts = shapely.get_parts(geom)
    parts = parts[shapely.get_type_id(parts) == 3]
    if len(parts) > 1:
        return shapely.multipolygons(parts)
    return parts[0] if len(parts) else shapely.Polygon()


def valid_cells(cells: np.ndarray) -> np.ndarray:
    """Convex cells (n,) as valid polygons, for GEOS's overlays.

    A cell whose float corners nearly coincide (an ulp apart) can come out as a ring that
    crosses itself, which overlays refuse; the convex hull of its corners is the same convex
    cell to rounding, and valid. Valid cells are returned as they are.
    """
    invalid = ~shapely.is_valid(cells)
    if not invalid.any():
        return cells
    cells = cells.copy()
    cells[invalid] = shapely.convex_hull(cells[invalid])
    return cells
