"""The working state of a decomposition: conforming convex polygons cut by lines.

A :class:`Mesh` holds a pool of vertices (coordinates and the values of every live network node
at each vertex) and convex polygons as counter-clockwise rings of vertex ids. Neighbouring
polygons share vertex ids along their common edges (the mesh is *conforming*), which is what
lets adjacency and Euler's formula be read off exactly.

:meth:`Mesh.cut` splits every polygon that a line ``s(x) = 0`` crosses, where ``s`` is affine on
each polygon and known at the vertices. Splitting conserves area exactly: each split polygon
is replaced by two polygons that share the cut edge. A vertex whose value satisfies
``|s| <= tol`` counts as lying on the line, so a line through an existing vertex or domain
corner creates no degenerate piece. This is the only tolerance in the decomposition: a region
is found whenever some vertex is farther than ``tol`` (in value) from its boundary, so slivers
of tiny area are kept and counted.
"""

from __future__ import annotations

import numpy as np

from .ragged import expand, offsets, segment_any, segment_max, segment_min

__all__ = ["DOMAIN_EDGE", "Mesh"]

DOMAIN_EDGE = -1
"""Edge label of the domain's boundary (cut lines are labelled by their switch index >= 0)."""


class Mesh:
    """Convex polygons over a shared vertex pool.

    Attributes
    ----------
    xy : ndarray, shape (n_vertices, 2)
        Vertex coordinates (a view of the pool).
    values : ndarray, shape (n_values, n_vertices)
        Values of the live network nodes at each vertex (a view of the pool).
    ring : ndarray, shape (n_incidences,)
        Vertex ids of all polygons, polygon after polygon, counter-clockwise.
    start : ndarray, shape (n_polygons + 1,)
        Ragged offsets into ``ring``.
    label : ndarray, shape (n_incidences,)
        Label of the edge from each ring vertex to the next: the switch that drew it, or
        :data:`DOMAIN_EDGE`.
    parent : ndarray, shape (n_polygons,)
        Index of each polygon's ancestor at the last :meth:`reset_parents`.
    """

    def __init__(self, hull: np.ndarray) -> None:
        k = len(hull)
        self._xy = np.array(hull, dtype=np.float64)
        self._values = np.zeros((0, k))
        self.n_vertices = k
        self.ring = np.arange(k, dtype=np.int64)
        self.start = np.array([0, k], dtype=np.int64)
        self.label = np.full(k, DOMAIN_EDGE, dtype=np.int64)
        self.parent = np.zeros(1, dtype=np.int64)

    @classmethod
    def from_cells(
        cls,
        xy: np.ndarray,
        ring: np.ndarray,
        start: np.ndarray,
        label: np.ndarray,
        values: np.ndarray,
    ) -> Mesh:
        """A mesh continuing from existing cells, with node values (n_values, n_vertices)."""
        mesh = cls.__new__(cls)
        mesh._xy = np.array(xy, dtype=np.float64)
        mesh.n_vertices = len(xy)
        mesh.set_values(np.asarray(values, dtype=np.float64))
        mesh.ring, mesh.start, mesh.label = ring.copy(), start.copy(), label.copy()
        mesh.reset_parents()
        return mesh

    @property
    def xy(self) -> np.ndarray:
        return self._xy[: self.n_vertices]

    @property
    def values(self) -> np.ndarray:
        return self._values[:, : self.n_vertices]

    @property
    def n_polygons(self) -> int:
        return len(self.start) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.start)

    def set_values(self, values: np.ndarray) -> None:
        """Replace the per-vertex node values (n_values, n_vertices), keeping spare capacity."""
        cap = self._xy.shape[0]
        self._values = np.empty((values.shape[0], cap))
        self._values[:, : self.n_vertices] = values

    def reset_parents(self) -> None:
        """Make every polygon its own ancestor (called when a new layer starts)."""
        self.parent = np.arange(self.n_polygons, dtype=np.int64)

    def _append_vertices(self, xy: np.ndarray, values: np.ndarray) -> np.ndarray:
        n, m = self.n_vertices, len(xy)
        if n + m > self._xy.shape[0]:
            cap = max(2 * self._xy.shape[0], n + m)
            grown = np.empty((cap, 2))
            grown[:n] = self._xy[:n]
            self._xy = grown
            grown_values = np.empty((self._values.shape[0], cap))
            grown_values[:, :n] = self._values[:, :n]
            self._values = grown_values
        self._xy[n : n + m] = xy
        self._values[:, n : n + m] = values
        self.n_vertices = n + m
        return np.arange(n, n + m, dtype=np.int64)

    def cut(self, s: np.ndarray, tol: float, label: int) -> int:
        """Split every polygon that the line ``s = 0`` crosses.

        Parameters
        ----------
        s : ndarray, shape (n_vertices,)
            Value at each vertex of a function affine on every polygon.
        tol : float
            Values with ``|s| <= tol`` count as on the line.
        label : int
            Label given to the new edges along the line.

        Returns
        -------
        int
            Number of polygons split.
        """
        sv = s[self.ring]
        pos, neg = sv > tol, sv < -tol
        split = segment_any(pos, self.start) & segment_any(neg, self.start)
        chosen = np.flatnonzero(split)
        if chosen.size == 0:
            return 0
        first, k = self.start[chosen], self.lengths[chosen]
        inc, owner, local = expand(first, k)
        sub_start = offsets(k)

        # Rotate each ring so that it starts with its run of strictly positive vertices around
        # the vertex of largest value: the run and the rest are the two sides of the line.
        top = segment_max(sv[inc], sub_start)
        at_top = np.where(sv[inc] == top[owner], local, k[owner])
        i_top = segment_min(at_top, sub_start)
        q = (local - i_top[owner]) % k[owner]
        off_run = ~pos[inc]
        f = segment_min(np.where(off_run, q, k[owner]), sub_start)
        g = segment_max(np.where(off_run, q, -1), sub_start)
        run = k - 1 - g + f  # strictly positive vertices, starting at rotated position 0
        shift = i_top + g + 1

        def at(r: np.ndarray) -> np.ndarray:
            """Flat ring position of rotated position r (per split polygon)."""
            return first + (r + shift) % k

        a, b, nb, pa = at(np.zeros_like(k)), at(run - 1), at(run), at(k - 1)
        cross_after, cross_before = neg[nb], neg[pa]  # else nb / pa lie on the line

        # New vertices where the run's two boundary edges cross the line, shared with the
        # neighbour across each edge by keying on the edge's (smaller, larger) vertex ids.
        ends = np.concatenate(
            [
                np.stack([self.ring[b], self.ring[nb]], 1)[cross_after],
                np.stack([self.ring[pa], self.ring[a]], 1)[cross_before],
            ]
        )
        ends.sort(axis=1)
        keys, inverse = np.unique(ends[:, 0] * self.n_vertices + ends[:, 1], return_inverse=True)
        lo, hi = keys // self.n_vertices, keys % self.n_vertices
        t = s[lo] / (s[lo] - s[hi])
        vals = self.values
        new_ids = self._append_vertices(
            self.xy[lo] + t[:, None] * (self.xy[hi] - self.xy[lo]),
            vals[:, lo] + t * (vals[:, hi] - vals[:, lo]),
        )[inverse.ravel()]
        n_after = int(cross_after.sum())
        x_after = np.full(len(chosen), -1, dtype=np.int64)
        x_before = np.full(len(chosen), -1, dtype=np.int64)
        x_after[cross_after] = new_ids[:n_after]
        x_before[cross_before] = new_ids[n_after:]

        rotated = first[owner] + (local + shift[owner]) % k[owner]
        in_run = local < run[owner]

        # Positive side: [line point before the run] + run + [line point after the run].
        p_len = run + 2
        p_start = offsets(p_len)
        p_ring = np.empty(p_start[-1], dtype=np.int64)
        p_label = np.empty(p_start[-1], dtype=np.int64)
        p_ring[p_start[:-1]] = np.where(cross_before, x_before, self.ring[pa])
        p_label[p_start[:-1]] = self.label[pa]
        dst = p_start[:-1][owner[in_run]] + 1 + local[in_run]
        p_ring[dst] = self.ring[rotated[in_run]]
        p_label[dst] = self.label[rotated[in_run]]
        p_ring[p_start[1:] - 1] = np.where(cross_after, x_after, self.ring[nb])
        p_label[p_start[1:] - 1] = label

        # Negative side: [crossing after the run] + the rest + [crossing before the run].
        rest = ~in_run
        n_len = k - run + cross_after + cross_before
        n_start = offsets(n_len)
        n_ring = np.empty(n_start[-1], dtype=np.int64)
        n_label = np.empty(n_start[-1], dtype=np.int64)
        head = n_start[:-1][cross_after]
        n_ring[head] = x_after[cross_after]
        n_label[head] = self.label[b][cross_after]
        dst = n_start[:-1][owner[rest]] + cross_after[owner[rest]] + local[rest] - run[owner[rest]]
        n_ring[dst] = self.ring[rotated[rest]]
        n_label[dst] = self.label[rotated[rest]]
        tail = n_start[1:][cross_before] - 1
        n_ring[tail] = x_before[cross_before]
        n_label[n_start[1:] - 1] = label  # the closing edge runs along the line

        keep = ~split
        kept = np.repeat(keep, self.lengths)
        self.ring = np.concatenate([self.ring[kept], p_ring, n_ring])
        self.label = np.concatenate([self.label[kept], p_label, n_label])
        self.start = offsets(np.concatenate([self.lengths[keep], p_len, n_len]))
        self.parent = np.concatenate([self.parent[keep], self.parent[chosen], self.parent[chosen]])
        return len(chosen)
