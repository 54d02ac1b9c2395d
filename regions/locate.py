"""Point location on a partition: which region holds each point.

Mixed into :class:`~regions.Partition`; it reads the partition's fields (``network``,
``plane``, ``domain``, ``vertices``, ``ring``, ``start``, ``cell_bits``, ``depth``) and its
ring order (``_next``) and clipped regions (``_clipped``).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import numpy as np
import shapely

from .bounded import settled_signs
from .exact_geometry import CellPieces, cell_pieces, point_side
from .exact_segments import inward
from .floats import EPS
from .oracle import as_fractions, exact_signs
from .ragged import segment_min
from .threads import one_blas_thread
from .validate import check_points

__all__ = ["PointLocation"]

_CHUNK = 2048  # points per float pass: its arrays stay in cache


class PointLocation:
    """``Partition.locate`` and what it caches (the sorted pattern keys, the edge vectors)."""

    @cached_property
    def _pattern_table(self) -> tuple[np.ndarray, np.ndarray]:
        keys = _row_keys(self.cell_bits)
        order = np.argsort(keys, kind="stable")
        return keys[order], order

    def locate(self, points: np.ndarray) -> np.ndarray:
        """Index of the region containing each point; -1 outside the domain. Exact (on a
        partition made with ``tol=0``).

        Every decision is exact for the float64 model and the points as given (float64
        numbers are rationals): whether a point is in the domain, and the sign of every
        breakpoint at it (a float forward pass with a rigorous error bound settles almost
        all; exact rational arithmetic the rest). The region is the one with the point's
        pattern. A point on boundaries gets one of the regions whose closure holds it: the
        one entered by stepping off the point toward the inside of the domain, decided
        symbolically (:func:`regions.oracle.exact_signs` with ``toward``). On a non-convex
        domain, where a cell may be cut into several regions, a point gets the one that is
        the exact piece of its cell whose closure holds it (README, "How exact is exact").

        Parameters
        ----------
        points : ndarray, shape (N, 2)
            Plane coordinates.

        Returns
        -------
        ndarray, shape (N,), int
            Region index per point, -1 for points outside the domain.

        Raises
        ------
        ValueError
            If ``points`` is not (N, 2).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> r = part.locate([[0.05, 0.5], [0.06, 0.9], [2.0, 0.5]])
        >>> bool(r[0] == r[1]), int(r[2])  # the same strip; outside the domain
        (True, -1)
        >>> import numpy as np
        >>> centres = np.linspace([0.0625, 0.5], [0.9375, 0.5], 8)  # one point per strip
        >>> sorted(part.locate(centres).tolist())
        [0, 1, 2, 3, 4, 5, 6, 7]
        >>> on = part.locate([[0.125, 0.5], [1.0, 0.5]])  # on a breakpoint; on the domain's edge
        >>> (on == part.locate([[0.2, 0.5], [0.9, 0.5]])).tolist()  # stepping toward the centre
        [True, True]
        """
        points = check_points(points, "Partition.locate")
        cell = np.full(len(points), -1, dtype=np.int64)
        inside = self._in_domain(points)
        if inside.any():
            cell[inside] = self._locate_cells(points[inside])
        if self._clipped is None:
            return cell
        return self._cell_to_region(points, cell)

    def _in_domain(self, points: np.ndarray) -> np.ndarray:
        """Whether each point lies in the domain (boundary inclusive), exactly: GEOS's
        robust predicate where the point is clearly off the boundary, exact rational
        arithmetic (:func:`regions.exact_geometry.point_side`) near it."""
        polygon = self.domain.polygon
        inside = shapely.intersects_xy(polygon, points[:, 0], points[:, 1])
        # Float distances err by a few ulps of the coordinates; 2**-30 of them is far beyond.
        scale = self.domain.diameter + float(np.abs(points).max(initial=0.0))
        scale = max(scale, float(np.abs(self.domain.hull).max()))
        near = shapely.distance(polygon.boundary, shapely.points(points)) <= 2.0**-30 * scale
        if near.any():
            inside[near] = point_side(points[near], polygon) >= 0
        return inside

    def _locate_cells(self, points: np.ndarray) -> np.ndarray:
        """Cells holding points of the domain's hull, from their exact signs."""
        with one_blas_thread():  # a chunk's products are small, as decompose's
            settled = [
                settled_signs(self.network, self.plane, chunk, self.depth)[:2]
                for chunk in np.array_split(points, -(-len(points) // _CHUNK))
            ]
        bits = np.concatenate([b for b, _ in settled])
        rows = np.flatnonzero(np.concatenate([u.any(axis=1) for _, u in settled]))
        if rows.size:
            signs = exact_signs(self.network, self.plane, points[rows])[:, : bits.shape[1]]
            bits[rows] = signs > 0
            # On a breakpoint: the pattern just beside the point, stepping toward an inside
            # point of the hull (so the step stays in the hull at a hull boundary point).
            tied = rows[np.any(signs == 0, axis=1)]
            if tied.size:
                bits[tied] = self._beside(points[tied])[:, : bits.shape[1]] > 0
        keys, order = self._pattern_table
        q = _row_keys(np.packbits(bits, axis=1))
        pos = np.clip(np.searchsorted(keys, q), 0, len(keys) - 1)
        found = np.where(keys[pos] == q, order[pos], -1)
        # Only a partition made with tol > 0 lacks patterns (its merged slivers).
        missing = np.flatnonzero(found < 0)
        found[missing] = self._locate_geometric(points[missing])
        return found

    def _beside(self, points: np.ndarray) -> np.ndarray:
        """Exact signs (N, S) just beside each point, toward the domain's inside: toward the
        hull's exact vertex mean, or, from a point on a non-convex domain's boundary, into the
        domain there (:func:`regions.exact_segments.inward`; toward the hull's middle could
        leave it)."""
        hull = as_fractions(self.domain.hull)
        cx = sum(x for x, _ in hull) / len(hull)
        cy = sum(y for _, y in hull) / len(hull)
        polygon = self.domain.polygon
        on_edge = np.zeros(len(points), dtype=bool)
        if not self.domain.convex:
            on_edge = point_side(points, polygon) == 0
        toward = []
        for (x, y), on in zip(as_fractions(points), on_edge.tolist(), strict=True):
            if on:
                dx, dy = inward(polygon, (x, y))
            else:
                dx, dy = (cx - x, cy - y) if (x, y) != (cx, cy) else (Fraction(1), Fraction(0))
            toward.append([[dx, dy], [-dy, dx]])
        return exact_signs(self.network, self.plane, points, toward=toward)

    @cached_property
    def _edge_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per ring position: edge start (I, 2), edge vector (I, 2), and the tolerance of the
        side test (I,): boundary points within 1e-12 of the domain's diameter (or 64 ulps of
        the coordinates, if more) count inside. Edges shorter than 1e-9 diameters (float
        vertices of exact corners a few ulps apart) have no reliable direction and are not
        tested; nor are edges whose float direction turns clockwise against a neighbour (every
        exact cell is convex, so rounding reversed them: two vertices an ulp apart on a
        far-off domain's edge)."""
        a = self.vertices[self.ring]
        edge = self.vertices[self.ring[self._next]] - a
        length = np.linalg.norm(edge, axis=1)
        diameter = self.domain.diameter
        prev = np.empty_like(self._next)
        prev[self._next] = np.arange(len(self._next))
        before, after = edge[prev], edge[self._next]
        reversed_ = (_cross(before, edge) < 0) | (_cross(edge, after) < 0)
        skip = (length < 1e-9 * diameter) | (reversed_ & (length < 1e-6 * diameter))
        # Float vertices are off by about an ulp of their coordinates: far from the origin
        # that, not the diameter, bounds how near a boundary a point can be judged.
        near = max(1e-12 * diameter, 64 * EPS * float(np.abs(self.vertices).max(initial=0.0)))
        return a, edge, np.where(skip, np.inf, length * near)

    def _locate_geometric(self, points: np.ndarray) -> np.ndarray:
        """Cells containing points of the domain (boundary inclusive), by half-plane tests;
        where rounding leaves a point in no cell, the cell it is least outside of."""
        a, edge, tol = self._edge_vectors
        length = np.maximum(np.linalg.norm(edge, axis=1), np.finfo(float).tiny)
        # Only points the pattern lookup missed (degenerate nets): for each, the signed
        # distance inside every edge's line, counted from its tolerance.
        slack = [(_cross(edge, p - a) + tol) / length for p in points]
        return np.array([np.argmax(segment_min(s, self.start)) for s in slack], dtype=np.int64)

    def _cell_to_region(self, points: np.ndarray, cell: np.ndarray) -> np.ndarray:
        """The region (N,) of each point of the domain in its cell ``cell`` (N,) (-1: none):
        the cell's one region, or the one that is the exact piece of it whose closure holds
        the point (:meth:`_region_at`)."""
        first = self._first_region
        region = np.full(len(points), -1, dtype=np.int64)
        todo = np.flatnonzero(cell >= 0)
        count = first[cell[todo] + 1] - first[cell[todo]]
        region[todo[count == 1]] = first[cell[todo[count == 1]]]
        for i in todo[count != 1].tolist():
            region[i] = self._region_at(int(cell[i]), points[i])
        return region

    def _region_at(self, c: int, point: object) -> int:
        """The region of cell ``c`` that is the exact piece of it whose closure holds
        ``point`` (:meth:`regions.exact_geometry.CellPieces.piece_at`), else the nearest."""
        pieces, held = self._piece_regions(c)
        k = int(pieces.piece_at([point])[0])
        if k in held:
            return held[k]
        # A piece whose region's float point missed it, in a cell float64 clips faithfully
        # (or a cell with no region, from a partition made with tol > 0): the nearest.
        lo, hi = self._first_region[c : c + 2]
        mine = np.arange(lo, hi) if hi > lo else np.arange(len(self))
        xy = shapely.Point(float(point[0]), float(point[1]))
        return int(mine[np.argmin(shapely.distance(self._clipped.geometries[mine], xy))])

    def _piece_regions(self, c: int) -> tuple[CellPieces, dict[int, int]]:
        """Cell ``c``'s exact pieces in the domain, and the region of each (cached)."""
        if c not in self._pieces_of_cells:
            ring = self.ring[self.start[c] : self.start[c + 1]].tolist()
            pieces = cell_pieces(self.domain.polygon, [self._exact_vertex(w) for w in ring])
            mine = np.arange(*self._first_region[c : c + 2])
            piece = self._clipped.piece[mine]
            guess = piece < 0  # where float64 clipping is trusted
            piece[guess] = pieces.piece_of(self.points[mine[guess]])
            held = {k: r for k, r in zip(piece.tolist(), mine.tolist(), strict=True) if k >= 0}
            self._pieces_of_cells[c] = pieces, held
        return self._pieces_of_cells[c]

    @cached_property
    def _first_region(self) -> np.ndarray:
        """Where each cell's regions start (C + 1,), on a non-convex domain (regions are in
        cell order)."""
        return np.searchsorted(self._clipped.region_cell, np.arange(self.n_cells + 1))

    @cached_property
    def _pieces_of_cells(self) -> dict[int, tuple[CellPieces, dict[int, int]]]:
        return {}


def _row_keys(packed: np.ndarray) -> np.ndarray:
    """One comparable key per row of packed bits."""
    packed = np.ascontiguousarray(packed)
    return (
        packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        if packed.shape[1]
        else np.zeros(len(packed), dtype="V1")
    )


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """z-component (n,) of the cross products of rows of u and v (n, 2)."""
    return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
