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

    Polygons are a table of (first, length) slices into an append-only ring store: a split
    rewrites only the polygons it touches, and :meth:`compact` lays the rings out contiguously
    when a consumer needs the ragged form (``ring``, ``start``, ``label``).

    Attributes
    ----------
    xy : ndarray, shape (n_vertices, 2)
        Vertex coordinates (a view of the pool).
    values : ndarray, shape (n_values, n_vertices)
        Values of the live network nodes at each vertex (a view of the pool).
    ring, start, label : ndarray
        Compacted polygons: vertex ids of all polygons, polygon after polygon, counter-clockwise
        (n_incidences,); ragged offsets (n_polygons + 1,); and the label of the edge from each
        ring vertex to the next: the switch that drew it, or :data:`DOMAIN_EDGE`.
    parent : ndarray, shape (n_polygons,)
        Index of each polygon's ancestor at the last :meth:`reset_parents`.

    Parameters
    ----------
    hull : ndarray, shape (k, 2)
        Counter-clockwise vertices of the convex starting polygon (plane coordinates); its
        edges are labelled :data:`DOMAIN_EDGE`.

    Examples
    --------
    Cut the unit square along x = 1/2, then its two halves along y = 1/4. The node values
    here are just the coordinates (one row each), so the lines are ``values - t = 0``:

    >>> import numpy as np
    >>> from regions.mesh import Mesh
    >>> mesh = Mesh(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))
    >>> mesh.set_values(mesh.xy.T.copy())
    >>> mesh.cut(mesh.values[0] - 0.5, tol=1e-12, label=0)  # polygons split
    1
    >>> mesh.cut(mesh.values[1] - 0.25, tol=1e-12, label=1)
    2
    >>> mesh.n_polygons, mesh.n_vertices  # one vertex at (1/2, 1/4), shared by all four
    (4, 9)
    >>> mesh.start.tolist()  # four quadrilaterals
    [0, 4, 8, 12, 16]
    >>> mesh.parent.tolist()  # all descend from the square
    [0, 0, 0, 0]

    A line that crosses no polygon's interior splits nothing:

    >>> mesh.cut(mesh.values[0] + mesh.values[1] - 2.0, tol=1e-12, label=2)  # through a corner
    0
    """

    def __init__(self, hull: np.ndarray) -> None:
        k = len(hull)
        self._xy = np.array(hull, dtype=np.float64)
        self._values = np.zeros((0, k))
        self.n_vertices = k
        self._ring = np.arange(k, dtype=np.int64)
        self._label = np.full(k, DOMAIN_EDGE, dtype=np.int64)
        self._used = k
        self.first = np.zeros(1, dtype=np.int64)
        self.length = np.array([k], dtype=np.int64)
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
        """A mesh continuing from existing cells, with node values (n_values, n_vertices).

        Parameters
        ----------
        xy : ndarray, shape (n_vertices, 2)
            Vertex coordinates.
        ring, start, label : ndarray
            Cells as ragged counter-clockwise rings of vertex ids (n_incidences,), their
            offsets (n_cells + 1,) and edge labels (n_incidences,); copied.
        values : ndarray, shape (n_values, n_vertices)
            Values of the functions that later cuts use, at every vertex.

        Returns
        -------
        Mesh
            Each cell its own parent.

        Examples
        --------
        >>> import numpy as np
        >>> from regions.mesh import Mesh
        >>> square = Mesh(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))
        >>> _ = square.cut(square.xy[:, 0] - 0.5, tol=1e-12, label=0)
        >>> copy = Mesh.from_cells(square.xy, square.ring, square.start, square.label, square.xy.T)
        >>> copy.n_polygons, copy.parent.tolist()
        (2, [0, 1])
        """
        mesh = cls.__new__(cls)
        mesh._xy = np.array(xy, dtype=np.float64)
        mesh.n_vertices = len(xy)
        mesh.set_values(np.asarray(values, dtype=np.float64))
        mesh._ring, mesh._label, mesh._used = ring.copy(), label.copy(), len(ring)
        mesh.first, mesh.length = start[:-1].copy(), np.diff(start)
        mesh.reset_parents()
        return mesh

    # ----------------------------------------------------------------------- views
    @property
    def xy(self) -> np.ndarray:
        """Vertex coordinates (n_vertices, 2), a view of the pool."""
        return self._xy[: self.n_vertices]

    @property
    def values(self) -> np.ndarray:
        """Node values (n_values, n_vertices) at every vertex, a view of the pool."""
        return self._values[:, : self.n_vertices]

    @property
    def n_polygons(self) -> int:
        """Number of polygons."""
        return len(self.first)

    @property
    def ring(self) -> np.ndarray:
        """Vertex ids (n_incidences,) of all polygons, polygon after polygon (compacts)."""
        self.compact()
        return self._ring[: self._used]

    @property
    def label(self) -> np.ndarray:
        """Label (n_incidences,) of the edge from each ring vertex to the next (compacts)."""
        self.compact()
        return self._label[: self._used]

    @property
    def start(self) -> np.ndarray:
        """Ragged offsets (n_polygons + 1,) of the polygons in ``ring`` (compacts)."""
        self.compact()
        return offsets(self.length)

    def compact(self) -> None:
        """Lay the rings out contiguously in polygon order, dropping replaced rings."""
        if self._used == int(self.length.sum()) and np.array_equal(
            self.first, offsets(self.length)[:-1]
        ):
            return
        index, _, _ = expand(self.first, self.length)
        self._ring, self._label = self._ring[index], self._label[index]
        self._used = len(index)
        self.first = offsets(self.length)[:-1]

    # --------------------------------------------------------------------- updates
    def set_values(self, values: np.ndarray) -> None:
        """Replace the per-vertex node values (n_values, n_vertices).

        Room is reserved for the vertices the coming cuts add (about as many again), so the
        values, the largest array of a decomposition, are rarely copied.

        Parameters
        ----------
        values : ndarray, shape (n_values, n_vertices)
            One row per function (network node unit), one column per current vertex.
        """
        cap = max(self._xy.shape[0], 2 * self.n_vertices)
        if cap > self._xy.shape[0]:
            grown = np.empty((cap, 2))
            grown[: self.n_vertices] = self.xy
            self._xy = grown
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

    def _append_rings(self, ring: np.ndarray, label: np.ndarray) -> int:
        """Store rings at the end of the ring store; returns where they start."""
        n, m = self._used, len(ring)
        if n + m > len(self._ring):
            cap = max(2 * len(self._ring), n + m)
            self._ring = np.concatenate([self._ring[:n], np.empty(cap - n, dtype=np.int64)])
            self._label = np.concatenate([self._label[:n], np.empty(cap - n, dtype=np.int64)])
        self._ring[n : n + m] = ring
        self._label[n : n + m] = label
        self._used = n + m
        return n

    def cut(
        self, s: np.ndarray, tol: float, label: int, candidates: np.ndarray | None = None
    ) -> int:
        """Split every polygon that the line ``s = 0`` crosses.

        Parameters
        ----------
        s : ndarray, shape (n_vertices,)
            Value at each vertex of a function affine on every polygon.
        tol : float
            Values with ``|s| <= tol`` count as on the line.
        label : int
            Label given to the new edges along the line.
        candidates : ndarray of int, optional
            The only polygons the line may cross (default: all).

        Returns
        -------
        int
            Number of polygons split.

        Examples
        --------
        >>> import numpy as np
        >>> from regions.mesh import Mesh
        >>> mesh = Mesh(np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]]))
        >>> mesh.cut(mesh.xy[:, 0] - 1.0, tol=1e-12, label=0)  # x = 1: two halves
        1
        >>> mesh.xy[mesh.ring[mesh.start[0]:mesh.start[1]]].min(axis=0).tolist()  # polygon 0
        [1.0, 0.0]

        ``candidates`` must hold every polygon the line crosses; x = 3/2 crosses only
        polygon 0, the right half, and x = 1/2 does not cross it at all:

        >>> mesh.cut(mesh.xy[:, 0] - 1.5, tol=1e-12, label=1, candidates=np.array([0]))
        1
        >>> mesh.cut(mesh.xy[:, 0] - 0.5, tol=1e-12, label=2, candidates=np.array([0]))
        0
        >>> mesh.n_polygons, np.diff(mesh.start).tolist()  # three rectangles
        (3, [4, 4, 4])
        >>> mesh.label.tolist().count(1)  # the new edge, once on each side
        2
        """
        if candidates is None:
            candidates = np.arange(self.n_polygons)
        if candidates.size == 0:
            return 0
        inc, _, _ = expand(self.first[candidates], self.length[candidates])
        sv = s[self._ring[inc]]
        sub_start = offsets(self.length[candidates])
        split = segment_any(sv > tol, sub_start) & segment_any(sv < -tol, sub_start)
        chosen = candidates[split]
        if chosen.size == 0:
            return 0
        k = self.length[chosen]
        inc, owner, local = expand(self.first[chosen], k)
        rv, lv = self._ring[inc], self._label[inc]
        sv = s[rv]
        pos, neg = sv > tol, sv < -tol
        sub_start = offsets(k)
        first = sub_start[:-1]

        # Rotate each ring so that it starts with its run of strictly positive vertices around
        # the vertex of largest value: the run and the rest are the two sides of the line.
        top = segment_max(sv, sub_start)
        at_top = np.where(sv == top[owner], local, k[owner])
        i_top = segment_min(at_top, sub_start)
        q = (local - i_top[owner]) % k[owner]
        off_run = ~pos
        f = segment_min(np.where(off_run, q, k[owner]), sub_start)
        g = segment_max(np.where(off_run, q, -1), sub_start)
        run = k - 1 - g + f  # strictly positive vertices, starting at rotated position 0
        shift = i_top + g + 1

        def at(r: np.ndarray) -> np.ndarray:
            """Position in the expanded arrays of rotated position r (per split polygon)."""
            return first + (r + shift) % k

        a, b, nb, pa = at(np.zeros_like(k)), at(run - 1), at(run), at(k - 1)
        cross_after, cross_before = neg[nb], neg[pa]  # else nb / pa lie on the line

        # New vertices where the run's two boundary edges cross the line, shared with the
        # neighbour across each edge by keying on the edge's (smaller, larger) vertex ids.
        ends = np.concatenate(
            [
                np.stack([rv[b], rv[nb]], 1)[cross_after],
                np.stack([rv[pa], rv[a]], 1)[cross_before],
            ]
        )
        ends.sort(axis=1)
        n = self.n_vertices
        keys, inverse = np.unique(ends[:, 0] * n + ends[:, 1], return_inverse=True)
        lo, hi = keys // n, keys % n
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
        p_ring[p_start[:-1]] = np.where(cross_before, x_before, rv[pa])
        p_label[p_start[:-1]] = lv[pa]
        dst = p_start[:-1][owner[in_run]] + 1 + local[in_run]
        p_ring[dst] = rv[rotated[in_run]]
        p_label[dst] = lv[rotated[in_run]]
        p_ring[p_start[1:] - 1] = np.where(cross_after, x_after, rv[nb])
        p_label[p_start[1:] - 1] = label

        # Negative side: [crossing after the run] + the rest + [crossing before the run].
        rest = ~in_run
        n_len = k - run + cross_after + cross_before
        n_start = offsets(n_len)
        n_ring = np.empty(n_start[-1], dtype=np.int64)
        n_label = np.empty(n_start[-1], dtype=np.int64)
        head = n_start[:-1][cross_after]
        n_ring[head] = x_after[cross_after]
        n_label[head] = lv[b][cross_after]
        dst = n_start[:-1][owner[rest]] + cross_after[owner[rest]] + local[rest] - run[owner[rest]]
        n_ring[dst] = rv[rotated[rest]]
        n_label[dst] = lv[rotated[rest]]
        tail = n_start[1:][cross_before] - 1
        n_ring[tail] = x_before[cross_before]
        n_label[n_start[1:] - 1] = label  # the closing edge runs along the line

        # The positive side takes the split polygon's place; the negative side is appended.
        base = self._append_rings(
            np.concatenate([p_ring, n_ring]), np.concatenate([p_label, n_label])
        )
        self.first[chosen] = base + p_start[:-1]
        self.length[chosen] = p_len
        self.first = np.concatenate([self.first, base + p_start[-1] + n_start[:-1]])
        self.length = np.concatenate([self.length, n_len])
        self.parent = np.concatenate([self.parent, self.parent[chosen]])
        return len(chosen)
