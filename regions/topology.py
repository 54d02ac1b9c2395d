"""Edges and neighbours of a partition: adjacency, boundary segments, Euler's formula.

Mixed into :class:`~regions.Partition`; an interior edge appears once in each of its two cells
(the mesh is conforming), so the two sides of every edge are found by sorting one key per
directed edge.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import cached_property

import numpy as np

from .clipping import polygon_segments
from .edge_clipping import clip_segments, edges_meet_interior
from .exact_segments import inside_midpoints
from .mesh import DOMAIN_EDGE
from .ragged import expand, offsets
from .results import Adjacency, Boundaries

__all__ = ["Topology"]


class Topology:
    """``Partition.adjacency``, ``boundaries`` and ``euler_characteristic``, and the edge
    pairing they share with the decision boundary."""

    @cached_property
    def _edge_keys(self) -> np.ndarray:
        """One key (I,) per directed cell edge, equal for the two directions of an edge."""
        u, v = self.ring, self.ring[self._next]
        return np.minimum(u, v) * len(self.vertices) + np.maximum(u, v)

    @cached_property
    def _twins(self) -> tuple[np.ndarray, np.ndarray]:
        """Ring positions (a, b) of the two sides of every interior edge (the mesh is
        conforming, so each interior edge appears once in each neighbouring cell)."""
        order = np.argsort(self._edge_keys, kind="stable")
        k = self._edge_keys[order]
        twin = np.flatnonzero(k[1:] == k[:-1])
        return order[twin], order[twin + 1]

    @cached_property
    def _owner(self) -> np.ndarray:
        """Cell (I,) owning each ring position."""
        return np.repeat(np.arange(self.n_cells), np.diff(self.start))

    @cached_property
    def _cell_adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (P, 2) of cells sharing an edge, the label of that edge, and the pair of
        every interior edge (as ``_twins``)."""
        a, b = self._twins
        pairs = np.sort(np.stack([self._owner[a], self._owner[b]], axis=1), axis=1)
        pairs, idx, pair = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
        return pairs.reshape(-1, 2), self.edge_label[a][idx], pair.ravel()

    def adjacency(self) -> Adjacency:
        """Neighbouring regions and the breakpoint whose boundary separates them.

        Returns
        -------
        Adjacency
            Pairs (P, 2) of regions sharing a boundary of positive length, and the layer,
            unit and breakpoint (pattern column) of that boundary.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> adj = part.adjacency()
        >>> len(adj)  # 8 strips in a row
        7
        >>> sorted(adj.layer.tolist())  # boundaries drawn by layers 1, 2, 3
        [1, 2, 2, 3, 3, 3, 3]
        """
        pairs, column, _ = self._cell_adjacency
        if self._clipped is not None:
            pairs, column = self._clip_pairs(pairs, column)
        return Adjacency(
            pairs, self.breakpoints.layer[column], self.breakpoints.unit[column], column
        )

    def _clip_pairs(self, pairs: np.ndarray, column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Region pairs from cell pairs, exactly. Two cells that are one region each (whole,
        or crossed by the domain's boundary into one piece) are neighbours where an edge
        between them runs through the domain's interior (two whole cells always do); the
        pieces of a cell cut into more, where such an edge borders both
        (:meth:`_pieces_across`)."""
        region_cell, whole = self._clipped.region_cell, self._clipped.whole
        order = np.argsort(region_cell, kind="stable")
        counts = np.bincount(region_cell, minlength=self.n_cells)
        first = offsets(counts)
        # Every (region of cell a) x (region of cell b) candidate, usually exactly one.
        na, nb = counts[pairs[:, 0]], counts[pairs[:, 1]]
        rep = na * nb
        idx, owner, local = expand(np.zeros(len(pairs), dtype=np.int64), rep)
        ra = order[first[pairs[owner, 0]] + local // nb[owner]]
        rb = order[first[pairs[owner, 1]] + local % nb[owner]]
        one = rep[owner] == 1
        keep = one & whole[ra] & whole[rb]
        decide = one & ~keep
        keep[decide] = self._through_domain(owner[decide])
        pieces = ~one
        keep[pieces] = self._pieces_across(owner[pieces], ra[pieces], rb[pieces])
        return np.sort(np.stack([ra[keep], rb[keep]], 1), axis=1), column[owner[keep]]

    def _exact_vertex(self, w: int) -> tuple[Fraction, Fraction]:
        """Vertex ``w``'s exact position (derived cells' float vertices are taken as exact)."""
        if self.cut_state is None:
            return Fraction(float(self.vertices[w, 0])), Fraction(float(self.vertices[w, 1]))
        return self.cut_state.exact.position(w)

    def _edge_copies(
        self,
        at: np.ndarray,
        r: np.ndarray | None = None,
        position: Callable[[int], tuple[Fraction, Fraction]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, Callable]:
        """The edges from ring positions ``at`` (E,): float ends (E, 2, 2), the larger bound
        of their ends' distances from the exact points (E,), and the exact ends by index.
        The vertices' bounds ``r`` (V,) and exact positions default to the decomposition's
        (:meth:`_exact_vertex`); derived cells pass their own."""
        u, v = self.ring[at], self.ring[self._next[at]]
        if r is None:
            r = np.zeros(len(self.vertices)) if self.cut_state is None else self.cut_state.r
        position = self._exact_vertex if position is None else position
        return (
            self.vertices[np.stack([u, v], axis=1)],
            np.maximum(r[u], r[v]),
            lambda e: (position(int(u[e])), position(int(v[e]))),
        )

    def _through_domain(self, which: np.ndarray) -> np.ndarray:
        """Whether some edge between the two cells of each pair (indices (P,) into
        ``_cell_adjacency``) runs through the domain's interior, exactly
        (:func:`regions.edge_clipping.edges_meet_interior`)."""
        pairs, _, pair = self._cell_adjacency
        a, _ = self._twins
        edge = np.flatnonzero(np.isin(pair, which))
        ends, reach, exact_ends = self._edge_copies(a[edge])
        meets = edges_meet_interior(ends, reach, self.domain, exact_ends)
        through = np.zeros(len(pairs), dtype=bool)
        np.logical_or.at(through, pair[edge], meets)
        return through[which]

    def _pieces_across(self, which: np.ndarray, ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
        """Whether regions ``ra`` and ``rb`` (P,), pieces of the two cells of each pair
        ``which`` (into ``_cell_adjacency``), border each other, exactly: at the midpoint of
        each piece of an edge between the cells that runs through the domain's interior
        (:func:`regions.exact_segments.inside_midpoints`), the exact piece of either cell
        whose closure holds it (:meth:`regions.exact_geometry.CellPieces.piece_at`); those
        are regions as clipping matched them, or by the regions' points."""
        _, _, pair = self._cell_adjacency
        a, b = self._twins
        first = self._first_region

        def region(c: int, m: tuple[Fraction, Fraction]) -> int:
            # One region: the one exact piece.
            return int(first[c]) if first[c + 1] - first[c] == 1 else self._region_at(c, m)

        found = set()
        for e in np.flatnonzero(np.isin(pair, which)).tolist():
            left, right = int(self._owner[a[e]]), int(self._owner[b[e]])
            u, v = int(self.ring[a[e]]), int(self.ring[self._next[a[e]]])
            p, q = self._exact_vertex(u), self._exact_vertex(v)
            for m in inside_midpoints(self.domain.polygon, p, q):
                found.add(tuple(sorted((region(left, m), region(right, m)))))
        pairs = zip(ra.tolist(), rb.tolist(), strict=True)
        return np.array([tuple(sorted(r)) in found for r in pairs], dtype=bool)

    def boundaries(self, *, include_domain: bool = False) -> Boundaries:
        """Every boundary segment, each once, labelled by the layer and unit that drew it.

        Parameters
        ----------
        include_domain : bool
            Also return the domain's own boundary (layer 0, unit -1).

        Returns
        -------
        Boundaries
            Segments (E, 2, 2) with their layer, unit and breakpoint (pattern column) (E,).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> b = part.boundaries()
        >>> len(b), b.segments.shape  # 7 vertical lines
        (7, (7, 2, 2))
        >>> import numpy as np
        >>> np.bincount(b.layer).tolist()  # none on the domain, then 1, 2 and 4 per layer
        [0, 1, 2, 4]
        >>> len(part.boundaries(include_domain=True))  # + 2 sides + 8 + 8 strip ends
        25
        """
        _, first = np.unique(self._edge_keys, return_index=True)
        first = first[(self.edge_label[first] != DOMAIN_EDGE) | include_domain]
        segments, reach, exact_ends = self._edge_copies(first)
        column = self.edge_label[first]
        if self._clipped is not None:
            segments, keep = clip_segments(segments, self.domain, reach, exact_ends)
            column = column[keep]
            if include_domain:
                ring_segments = polygon_segments(self.domain.polygon)
                segments = np.concatenate([segments[column != DOMAIN_EDGE], ring_segments])
                column = np.concatenate(
                    [column[column != DOMAIN_EDGE], np.full(len(ring_segments), DOMAIN_EDGE)]
                )
        on_domain = column == DOMAIN_EDGE
        layer = np.where(on_domain, 0, self.breakpoints.layer[column] if column.size else column)
        unit = np.where(on_domain, -1, self.breakpoints.unit[column] if column.size else column)
        return Boundaries(segments, layer, unit, np.where(on_domain, -1, column))

    def euler_characteristic(self) -> int:
        """V - E + F of the cells' planar subdivision: 1 for a conforming tiling of a convex
        domain, which every decomposition must be.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.euler_characteristic()
        1
        """
        n_edges = np.unique(self._edge_keys).size
        return np.unique(self.ring).size - n_edges + self.n_cells
