"""What a partition's cells and regions are as geometry: shapely polygons, vertex rings,
areas, centroids, interior points, and the convex cells' exact corners.

Mixed into :class:`~regions.Partition`. On a non-convex domain the regions are the clipped
pieces of the cells (:mod:`regions.clipping`); the cells themselves are the convex polygons of
the domain's hull.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import numpy as np
import shapely

from .clipping import outline
from .ragged import segment_sum

__all__ = ["CellGeometry"]


class CellGeometry:
    """``Partition.cell_geometries``, ``to_shapely``, ``polygons``, ``areas``, ``centroids``,
    ``points``, ``exact_corners`` and ``exact_point``."""

    def cell_geometries(self) -> np.ndarray:
        """The convex cells as an array (C,) of shapely Polygons.

        On a non-convex domain these are the unclipped cells on its hull; see
        :meth:`to_shapely` for the regions themselves.

        Examples
        --------
        >>> import regions
        >>> from shapely import Polygon
        >>> from regions.constructions import line_arrangement
        >>> ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
        >>> part = regions.decompose(line_arrangement([[1, 1]], [-2.5]), ell)  # x + y = 2.5
        >>> [g.area for g in part.cell_geometries()]  # the hull has area 3.5
        [0.625, 2.875]
        """
        coords = self.vertices[self.ring]
        return shapely.polygons(
            shapely.linearrings(
                coords, indices=np.repeat(np.arange(self.n_cells), np.diff(self.start))
            )
        )

    def to_shapely(self) -> np.ndarray:
        """The regions as an array (R,) of shapely Polygons (with holes if the domain has any).

        On a non-convex domain, a region whose exact polygon is joined by a neck thinner than
        float64 resolves (where the domain's boundary passes within rounding of a cell's) is a
        MultiPolygon of its float64 parts.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> polys = part.to_shapely()
        >>> polys.shape, [g.area for g in polys]
        ((4,), [1.0, 1.0, 1.0, 1.0])
        """
        clipped = self._clipped
        return self.cell_geometries() if clipped is None else clipped.geometries

    @cached_property
    def polygons(self) -> tuple[np.ndarray, ...]:
        """Counter-clockwise vertex arrays (k_i, 2) of every region (exterior rings if clipped;
        see :func:`regions.clipping.outline` for a region of several parts).

        A tuple of R arrays, without the closing vertex.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> [len(poly) for poly in part.polygons]  # four squares
        [4, 4, 4, 4]
        >>> part.polygons[part.locate([[0.5, 0.5]])[0]].tolist()
        [[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
        """
        clipped = self._clipped
        if clipped is None:
            return tuple(np.split(self.vertices[self.ring], self.start[1:-1]))
        return tuple(outline(g) for g in clipped.geometries)

    def _cell_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Areas (C,) and centroids (C, 2) of the convex cells (shoelace, about the vertex mean;
        never negative)."""
        lengths = np.diff(self.start)
        xy = self.vertices[self.ring]
        mean = segment_sum(xy, self.start) / lengths[:, None]
        p = xy - np.repeat(mean, lengths, axis=0)
        q = p[self._next]
        cross = p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]
        # A cell thinner than float64 resolves can come out clockwise from rounded vertices:
        # its area is then 0, nearer the exact one than a negative float.
        area = np.maximum(0.5 * segment_sum(cross, self.start), 0.0)
        moment = segment_sum((p + q) * cross[:, None], self.start) / 6.0
        with np.errstate(invalid="ignore", divide="ignore"):
            centroid = mean + np.where(area[:, None] > 0, moment / area[:, None], 0.0)
        return area, centroid

    @cached_property
    def areas(self) -> np.ndarray:
        """Region areas (R,), in squared plane units.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.areas.round(12).tolist()
        [0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125]
        """
        clipped = self._clipped
        return self._cell_moments()[0] if clipped is None else shapely.area(clipped.geometries)

    @cached_property
    def centroids(self) -> np.ndarray:
        """Region centroids (R, 2), in plane coordinates.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> sorted(part.centroids[:, 0].round(12).tolist())[:3]  # strip centres
        [0.0625, 0.1875, 0.3125]
        >>> set(part.centroids[:, 1].round(12).tolist())
        {0.5}
        """
        clipped = self._clipped
        if clipped is None:
            return self._cell_moments()[1]
        return shapely.get_coordinates(shapely.centroid(clipped.geometries))

    @cached_property
    def points(self) -> np.ndarray:
        """One point (R, 2) strictly inside every region (vertex mean of the convex cell).

        On a non-convex domain, each clipped piece's point is the centre of its largest
        inscribed circle instead, as far inside as the piece allows (a region that is its
        whole cell keeps its cell's vertex mean). A region thinner than float64 resolves may
        have no float point strictly inside: :meth:`exact_point` gives an exact one.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> import numpy as np
        >>> bool(np.array_equal(part.locate(part.points), np.arange(len(part))))
        True
        """
        mean = segment_sum(self.vertices[self.ring], self.start) / np.diff(self.start)[:, None]
        clipped = self._clipped
        if clipped is None:
            return mean
        out = mean[clipped.region_cell]
        cut = ~clipped.whole & ~shapely.is_empty(clipped.geometries)  # (an empty one has none)
        # Not point_on_surface: GEOS may return a vertex of a piece that has a hair-thin strip.
        centres = shapely.maximum_inscribed_circle(clipped.geometries[cut])
        out[cut] = shapely.get_coordinates(centres)[::2]  # each a line from the centre
        return out

    def exact_corners(self, cell: int) -> list[tuple[Fraction, Fraction]]:
        """A convex cell's vertices as exact rational points (counter-clockwise).

        The float ``vertices`` are within rounding of these; a cell thinner than float64 can
        resolve may have no float point inside it, but its exact corners always span it.

        Parameters
        ----------
        cell : int
            Index of the convex cell (a region on a convex domain).

        Returns
        -------
        list of (Fraction, Fraction)

        Raises
        ------
        ValueError
            On a partition that did not come from :func:`regions.decompose`.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(1), (0, 1, 0, 1))  # x = 1/2 halves the square
        >>> sorted(part.exact_corners(0))[0]
        (Fraction(1, 2), Fraction(0, 1))
        """
        if self.cut_state is None:
            raise ValueError("exact corners need a partition from regions.decompose")
        verts = self.ring[self.start[cell] : self.start[cell + 1]].tolist()
        return [self.cut_state.exact.position(v) for v in verts]

    def exact_point(self, cell: int) -> tuple[Fraction, Fraction]:
        """An exact rational point strictly inside a convex cell: its exact corners' mean.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(1), (0, 1, 0, 1))
        >>> sorted(part.exact_point(r) for r in range(2))[0]
        (Fraction(1, 4), Fraction(1, 2))
        """
        corners = self.exact_corners(cell)
        n = len(corners)
        return sum(p[0] for p in corners) / n, sum(p[1] for p in corners) / n
