"""The working state of a decomposition: conforming convex polygons cut by lines, exactly.

A :class:`Mesh` holds a pool of vertices and convex polygons as counter-clockwise rings of
vertex ids. Neighbouring polygons share vertex ids along their common edges (the mesh is
*conforming*), which is what lets adjacency and Euler's formula be read off exactly.

Every vertex stands for an exact rational point: a corner of the domain's hull, or the point
where a cut line crossed an edge (its *provenance*: the edge's ends and the function that
vanishes there, for :mod:`regions.fallback`). The pool keeps a float64 approximation of each
vertex with a rigorous bound ``r`` on its distance from the exact point (lines evaluate
their functions there with error bounds, see :mod:`regions.lines`). Every edge keeps the
equation of the line it lies on, so a new vertex is computed as the intersection of two line
equations, never from the float positions of earlier vertices: errors do not compound from
one generation of vertices to the next (a line with a ``band`` places them on their edges:
:func:`~regions.intersections.between`).

:meth:`Mesh.cut` splits every polygon that a line ``s = 0`` crosses, where ``s`` is affine on
each polygon. Which side of the line each vertex lies on is decided exactly: by the float
value when it exceeds its error bound (almost always), otherwise in exact rational arithmetic
(:meth:`Line.exact`). A vertex exactly on the line is on it; a polygon is split only when it
has vertices strictly on both sides, so both pieces have positive area.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np

from . import kernels, layer_kernels
from .compaction import laid_out
from .crossings import overruled
from .floats import EPS
from .intersections import between, intersect
from .lines import Line, chords, hull_lines
from .ragged import offsets, with_room

__all__ = ["DOMAIN_EDGE", "Mesh", "PLACE_EXACTLY", "VertexValues", "no_values"]

DOMAIN_EDGE = -1
"""Edge label of the domain's boundary (cut lines are labelled by their breakpoint index >= 0)."""

PLACE_EXACTLY = 2.0**-10
"""A new vertex whose float position may be off by more than this many box lengths is placed
at its exact position (rounded) instead. Signs never depend on it (the filter reads each
vertex's bound ``r``); it only keeps float polygons close to the exact ones. The maps' error
bounds grow with depth (through ``|W|``) far faster than their errors, so on deep nets a
smaller cut-off placed thousands of vertices in rational arithmetic: at 2**-20 a He-init
2-64x8-1 net on [-3, 3]^2 took 190 s instead of 4 s."""

VertexValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``(xy (n, 2), polygons (n,)) -> values (n_rows - first_row, n)``: the functions the coming
cuts use, at new vertices, from the polygon each is cut in (rows from ``Mesh.first_row`` on)."""


class Mesh:
    """Convex polygons over a shared vertex pool.

    Polygons are a table of (first, length) slices into an append-only ring store: a split
    rewrites only the polygons it touches, and :meth:`compact` lays the rings out contiguously
    when a consumer needs the ragged form (``ring``, ``start``, ``label``, ``lines``).

    Attributes
    ----------
    xy : ndarray, shape (n_vertices, 2)
        Float64 vertex coordinates (a view of the pool).
    r : ndarray, shape (n_vertices,)
        Bound on each float vertex's (Euclidean) distance from its exact point.
    values : ndarray, shape (n_rows, n_vertices)
        Float values at each vertex of the functions the current cuts use (their error
        bounds are the lines' business), a view of the pool.
    provenance : ndarray of int, shape (n_vertices, 5)
        For a cut vertex: the ends (lo, hi) of the edge it was cut from, the id of the
        function that vanishes there (see :meth:`Line.function`), the edge's label (hull edge
        ``k`` as ``-2 - k``) and the cut polygon's region at the level where the function is
        one affine map (:meth:`Line.origin`); -1 for a hull corner or what is not known.
    ring, start, label : ndarray
        Compacted polygons: vertex ids of all polygons, polygon after polygon, counter-clockwise
        (n_incidences,); ragged offsets (n_polygons + 1,); and the label of the edge from each
        ring vertex to the next: the breakpoint that drew it, or :data:`DOMAIN_EDGE`.
    lines, line_errors : ndarray, shape (n_incidences, 3) and (n_incidences,)
        The equation ``a x + b y + c = 0`` of the line each edge lies on, and a bound on the
        error of ``a x + b y + c`` at any point of the domain (compacted).
    first, length, parent : ndarray, shape (n_polygons,)
        The polygon table (views of pools that grow as cuts append): where each polygon's ring
        starts in the uncompacted ``ring_store`` and its length, and the index of its ancestor
        at the last :meth:`reset_parents`.
    vertex_values : callable
        Values at new vertices (:data:`VertexValues`).
    first_row : int
        The first row of ``values`` the coming cuts still read (0 after :meth:`set_values`):
        new vertices get only rows from it on, the rows before it are left unset.
    exact_vertex : callable or None
        ``provenance row -> (x, y)`` in Fractions: where the line equations are
        too uncertain to place a new vertex (``r`` beyond :data:`PLACE_EXACTLY` box lengths),
        it is placed at its exact position rounded to float64.
    box : float
        Largest ``|x|`` or ``|y|`` over the domain (what line error bounds are valid for).
    low, high : ndarray, shape (2,)
        The hull's bounding box.
    positive : ndarray of bool, shape (n_polygons,)
        After a cut, the candidate polygons with a vertex strictly on the line's positive side
        (the positive piece of a split polygon keeps its index; the negative one is appended).
    split : ndarray of int
        After a cut, the polygons it split, in the order their negative pieces were appended.
    moved : ndarray of int
        After a cut with a band, the vertices it settled against their side of the line (see
        :func:`regions.crossings.overruled`; some maybe twice).
    n_filtered, n_exact, n_snapped : int
        Side-of-line decisions settled by the float filter and in exact arithmetic, and the
        vertices a band settled against their side of a line (counted by the caller).

    Parameters
    ----------
    hull : ndarray, shape (k, 2)
        Counter-clockwise vertices of the convex starting polygon (plane coordinates); its
        edges are labelled :data:`DOMAIN_EDGE`.

    Examples
    --------
    Cut the unit square along x = 1/2, then its two halves along y = 1/4:

    >>> import numpy as np
    >>> from regions.lines import AxisLine
    >>> from regions.mesh import Mesh
    >>> mesh = Mesh(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))
    >>> mesh.cut(AxisLine(mesh, 0, 0.5), label=0)  # polygons split
    1
    >>> mesh.cut(AxisLine(mesh, 1, 0.25), label=1)
    2
    >>> mesh.n_polygons, mesh.n_vertices  # one vertex at (1/2, 1/4), shared by all four
    (4, 9)
    >>> mesh.start.tolist()  # four quadrilaterals
    [0, 4, 8, 12, 16]
    >>> mesh.parent.tolist()  # all descend from the square
    [0, 0, 0, 0]

    A line that crosses no polygon's interior splits nothing:

    >>> mesh.cut(AxisLine(mesh, 0, 3.0), label=2)  # beyond the square
    0
    """

    def __init__(self, hull: np.ndarray) -> None:
        hull = np.array(hull, dtype=np.float64)
        k = len(hull)
        self.box = float(np.abs(hull).max()) * (1 + 2.0**-20)
        self.low, self.high = hull.min(axis=0), hull.max(axis=0)
        # The hull's corners, exact, and its one polygon (each pool's room exactly that).
        self.n_vertices, self._xy, self._r = k, hull, np.zeros(k)
        self._provenance = np.full((k, 5), -1, dtype=np.int64)
        self._values = np.empty((0, k))
        self.vertex_values: VertexValues = no_values
        self.first_row = 0
        self.exact_vertex: Callable[[np.ndarray], tuple[Fraction, Fraction]] | None = None
        self._ring = np.arange(k, dtype=np.int64)
        self._label = np.full(k, DOMAIN_EDGE, dtype=np.int64)
        self._lines, self._line_errors = hull_lines(hull, self.box)
        self._hull_lines = self._lines.copy()
        self._used, self._compact_at = k, -1
        self.n_polygons = 1
        self._first, self._parent = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
        self._length = np.array([k], dtype=np.int64)
        self.n_filtered = self.n_exact = self.n_snapped = 0

    @classmethod
    def from_cells(
        cls,
        xy: np.ndarray,
        r: np.ndarray,
        provenance: np.ndarray,
        ring: np.ndarray,
        start: np.ndarray,
        label: np.ndarray,
        lines: np.ndarray,
        line_errors: np.ndarray,
        box: float,
    ) -> Mesh:
        """A mesh continuing from existing cells (copied); vertex ids are kept.

        Parameters
        ----------
        xy, r, provenance : ndarray
            The vertices (V, 2), their distance bounds (V,) and provenance (V, 5).
        ring, start, label, lines, line_errors : ndarray
            Cells as ragged counter-clockwise rings of vertex ids (I,), their offsets
            (C + 1,), and each edge's label (I,), line equation (I, 3) and its error (I,).
        box : float
            Largest ``|x|`` or ``|y|`` in the domain.

        Returns
        -------
        Mesh
            Each cell its own parent; no values until :meth:`set_values`.
        """
        mesh = cls.__new__(cls)
        mesh.box = box
        mesh.low, mesh.high = xy.min(axis=0), xy.max(axis=0)
        mesh.n_vertices = 0
        mesh._xy, mesh._r = np.empty((0, 2)), np.empty(0)
        mesh._provenance = np.empty((0, 5), dtype=np.int64)
        mesh._hull_lines = np.full((1, 3), np.nan)  # hull edges are not told apart: no match
        mesh._values = np.empty((0, 0))
        mesh.vertex_values = no_values
        mesh.first_row = 0
        mesh.exact_vertex = None
        mesh._append_vertices(xy, r, provenance, np.empty((0, len(xy))))
        mesh._ring, mesh._label, mesh._used = ring.copy(), label.copy(), len(ring)
        mesh._compact_at = -1
        mesh._lines, mesh._line_errors = lines.copy(), line_errors.copy()
        mesh._set_polygons(start[:-1], np.diff(start))
        mesh.n_filtered = mesh.n_exact = mesh.n_snapped = 0
        return mesh

    # ----------------------------------------------------------------------- views
    @property
    def xy(self) -> np.ndarray:
        """Vertex coordinates (n_vertices, 2), a view of the pool."""
        return self._xy[: self.n_vertices]

    @property
    def r(self) -> np.ndarray:
        """Distance bound (n_vertices,) of each float vertex from its exact point."""
        return self._r[: self.n_vertices]

    @property
    def values(self) -> np.ndarray:
        """Function values (n_rows, n_vertices) at every vertex, a view of the pool."""
        return self._values[:, : self.n_vertices]

    @property
    def provenance(self) -> np.ndarray:
        """How every vertex was cut (n_vertices, 5); see the class docstring."""
        return self._provenance[: self.n_vertices]

    @property
    def first(self) -> np.ndarray:
        """Where each polygon's ring starts in the ring store (n_polygons,), a view."""
        return self._first[: self.n_polygons]

    @property
    def length(self) -> np.ndarray:
        """Each polygon's ring length (n_polygons,), a view."""
        return self._length[: self.n_polygons]

    @property
    def parent(self) -> np.ndarray:
        """Each polygon's ancestor at the last :meth:`reset_parents` (n_polygons,), a view."""
        return self._parent[: self.n_polygons]

    @property
    def ring_store(self) -> np.ndarray:
        """The ring store as it is: polygon p is ``ring_store[first[p]:][:length[p]]``."""
        return self._ring[: self._used]

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
    def lines(self) -> np.ndarray:
        """Line equation (n_incidences, 3) of the edge from each ring vertex (compacts)."""
        self.compact()
        return self._lines[: self._used]

    @property
    def line_errors(self) -> np.ndarray:
        """Error bound (n_incidences,) of each edge's line equation (compacts)."""
        self.compact()
        return self._line_errors[: self._used]

    @property
    def start(self) -> np.ndarray:
        """Ragged offsets (n_polygons + 1,) of the polygons in ``ring`` (compacts)."""
        self.compact()
        return offsets(self.length)

    def compact(self) -> None:
        """Lay the rings out contiguously in polygon order, dropping replaced rings."""
        # The ring store only grows between compactions: an unchanged size means no change.
        if self._used == self._compact_at:
            return
        store = (self._ring, self._label, self._lines, self._line_errors)
        laid = laid_out(self.first, self.length, store, self._used)
        if laid is not None:
            (self._ring, self._label, self._lines, self._line_errors), self._used = laid
        self._compact_at = self._used

    def snapshot(self, origin: np.ndarray, bits: np.ndarray) -> tuple[np.ndarray, ...]:
        """A layer's end (:func:`regions.layer_kernels.snapshot`): each polygon's region
        ``origin[parent]`` (n_polygons,), every polygon its own parent, the rings laid out,
        their offsets (n_polygons + 1,) and the polygons' ``bits`` rows packed."""
        store = (self._ring, self._label, self._lines, self._line_errors)
        regions, start, packed, store, self._used = layer_kernels.snapshot(
            self.first, self.length, self.parent, origin, store, self._used, bits[: self.n_polygons]
        )
        self._ring, self._label, self._lines, self._line_errors = store
        self._compact_at = self._used
        return regions, start, packed

    # --------------------------------------------------------------------- updates
    def set_values(self, values: np.ndarray, vertex_values: VertexValues) -> None:
        """Replace the per-vertex values (n_rows, n_vertices), and how new vertices get theirs."""
        self.new_values(values.shape[0], vertex_values)[:] = values

    def new_values(self, n_rows: int, vertex_values: VertexValues) -> np.ndarray:
        """Start new per-vertex values, and how new vertices get theirs; returns the values of
        the vertices so far (n_rows, n_vertices), for the caller to fill.

        Room is reserved for the vertices the coming cuts add (about as many again), so the
        values, the largest array of a decomposition, are rarely copied.
        """
        cap = max(self._xy.shape[0], 2 * self.n_vertices)
        self._grow(cap)
        self._values = np.empty((n_rows, cap))
        self.vertex_values = vertex_values
        self.first_row = 0
        return self._values[:, : self.n_vertices]

    def reset_parents(self) -> None:
        """Make every polygon its own ancestor (called when a new layer starts)."""
        self.parent[:] = np.arange(self.n_polygons)

    def _set_polygons(self, first: np.ndarray, length: np.ndarray) -> None:
        """Start the polygon table over (each polygon its own parent)."""
        self.n_polygons = 0
        self._first = self._length = self._parent = np.empty(0, dtype=np.int64)
        self.reserve_polygons(len(first))
        self.n_polygons = len(first)
        self.first[:], self.length[:] = first, length
        self.reset_parents()

    def reserve_polygons(self, n: int) -> None:
        """Room for ``n`` polygons in the polygon table (doubling, so appends are amortised)."""
        if n > len(self._first):
            cap, used = max(n, 2 * len(self._first)), self.n_polygons
            grown = [with_room(a, cap, used) for a in (self._first, self._length, self._parent)]
            self._first, self._length, self._parent = grown

    def _grow(self, cap: int) -> None:
        """Make room for ``cap`` vertices in every per-vertex array."""
        if cap <= self._xy.shape[0]:
            return
        n = self.n_vertices
        self._xy, self._r = with_room(self._xy, cap, n), with_room(self._r, cap, n)
        self._provenance = with_room(self._provenance, cap, n)
        values = np.empty((self._values.shape[0], cap))  # vertices along axis 1
        values[self.first_row :, :n] = self._values[self.first_row :, :n]
        self._values = values

    def _append_vertices(
        self,
        xy: np.ndarray,
        r: np.ndarray,
        provenance: np.ndarray,
        values: np.ndarray,
    ) -> np.ndarray:
        n, m = self.n_vertices, len(xy)
        self.reserve_vertices(n + m)
        self._xy[n : n + m] = xy
        self._r[n : n + m] = r
        self._provenance[n : n + m] = provenance
        self._values[self.first_row :, n : n + m] = values
        self.n_vertices = n + m
        return np.arange(n, n + m, dtype=np.int64)

    def reserve_vertices(self, n: int) -> None:
        """Room for ``n`` vertices in the vertex pool (doubling, so appends are amortised)."""
        if n > self._xy.shape[0]:
            self._grow(max(2 * self._xy.shape[0], n))

    def ring_room(self, m: int) -> int:
        """Room for ``m`` more positions at the end of the ring store; returns where they start."""
        n = self._used
        if n + m > len(self._ring):
            cap = max(2 * len(self._ring), n + m)
            store = (self._ring, self._label, self._lines, self._line_errors)
            self._ring, self._label, self._lines, self._line_errors = (
                with_room(a, cap, n) for a in store
            )
        return n

    def reserve_rings(self, m: int) -> int:
        """Take ``m`` more positions at the end of the ring store; returns where they start."""
        n = self.ring_room(m)
        self._used = n + m
        return n

    def sides(
        self, line: Line, vertices: np.ndarray, polygons: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """The exact side of ``line`` of each vertex seen from a polygon.

        Parameters
        ----------
        line : Line
        vertices, polygons : ndarray of int, shape (n,)
            Incidences: a vertex and a polygon it belongs to.

        Returns
        -------
        sign : ndarray of int8, shape (n,)
            -1, 0 (on the line, or within ``line.band``) or 1.
        s, err : ndarray, shape (n,)
            Float values and error bounds; where exact arithmetic decided, the exact value.
        off : ndarray of int8, shape (n,), or None
            With a band: the side of each vertex it put on the line (0 elsewhere); None
            without one.
        """
        s, err = line.at(vertices, polygons)
        above, below = s > err, s < -err
        sign = above.view(np.int8) - below.view(np.int8)
        undecided, off = ~(above | below), None
        if line.band > 0:  # its sign 0; its side, exactly where the floats cannot tell
            off = np.where(snapped := np.abs(s) <= line.band, sign, 0).astype(np.int8)
            if (unsure := np.flatnonzero(snapped & undecided)).size:
                self.settle(line, vertices, polygons, unsure, off, s.copy())
            sign[snapped] = 0
            undecided &= ~snapped
        self.n_filtered += len(s) - int(np.count_nonzero(undecided))
        if undecided.any():
            s, err = s.copy(), err.copy()
            self.settle(line, vertices, polygons, np.flatnonzero(undecided), sign, s)
            err[undecided] = (2 * EPS) * np.abs(s[undecided])
        return sign, s, err, off

    def settle(
        self,
        line: Line,
        vertices: np.ndarray,
        polygons: np.ndarray,
        at: np.ndarray,
        sign: np.ndarray,
        s: np.ndarray,
    ) -> None:
        """Decide the signs the filter left open, at positions ``at`` of incidences (vertices,
        polygons), in exact arithmetic: ``sign`` and ``s`` (the exact value rounded) in place."""
        # Many incidences share a vertex: settle each (vertex, function) once.
        keys = np.stack([vertices[at], line.function(polygons[at])], axis=1)
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        exact = line.exact(vertices[at][first], polygons[at][first])
        self.n_exact += len(exact)
        inverse = inverse.ravel()
        sign[at] = np.array([(f > 0) - (f < 0) for f in exact], dtype=np.int8)[inverse]
        s[at] = np.array([float(f) for f in exact])[inverse]

    def place_exactly(self, xy: np.ndarray, r: np.ndarray, provenance: np.ndarray) -> None:
        """Place new vertices that the line equations cannot (``r`` beyond
        :data:`PLACE_EXACTLY` box lengths; huge weight ratios) at their exact positions,
        rounded: ``xy`` and ``r`` in place."""
        if self.exact_vertex is None:
            return
        for i in np.flatnonzero(~(r <= PLACE_EXACTLY * self.box)).tolist():
            x, y = self.exact_vertex(provenance[i])
            xy[i] = float(x), float(y)
            r[i] = 2 * EPS * float(abs(x) + abs(y))

    def cut(self, line: Line, label: int, candidates: np.ndarray | None = None) -> int:
        """Split every polygon that the line ``s = 0`` crosses.

        Parameters
        ----------
        line : Line
            The function whose zero set cuts, affine on every polygon.
        label : int
            Label given to the new edges along the line.
        candidates : ndarray of int, optional
            Polygons the line may cross (default: all); must hold every polygon it crosses.

        Returns
        -------
        int
            Number of polygons split.

        Examples
        --------
        >>> import numpy as np
        >>> from regions.lines import AxisLine
        >>> from regions.mesh import Mesh
        >>> mesh = Mesh(np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]]))
        >>> mesh.cut(AxisLine(mesh, 0, 1.0), label=0)  # x = 1: two halves
        1
        >>> mesh.xy[mesh.ring[mesh.start[0]:mesh.start[1]]].min(axis=0).tolist()  # polygon 0
        [1.0, 0.0]
        >>> mesh.cut(AxisLine(mesh, 0, 1.5), label=1, candidates=np.array([0]))
        1
        >>> mesh.n_polygons, np.diff(mesh.start).tolist()  # three rectangles
        (3, [4, 4, 4])
        >>> mesh.label.tolist().count(1)  # the new edge, once on each side
        2
        """
        if candidates is None:
            candidates = np.arange(self.n_polygons)
        if candidates.size == 0:
            self.positive = np.zeros(self.n_polygons, dtype=bool)
            self.split = self.moved = candidates
            return 0
        lengths = self.length[candidates]
        sub_start = offsets(lengths)
        cand_owner = np.repeat(np.arange(len(candidates)), lengths)
        cand_local = np.arange(sub_start[-1]) - sub_start[cand_owner]
        inc = self.first[candidates][cand_owner] + cand_local
        sign_all, s_all, err_all, off = self.sides(line, self._ring[inc], candidates[cand_owner])
        p = kernels.plan(sign_all, s_all, lengths)
        self.moved = self._ring[inc[overruled(off, cand_owner, p)]] if off is not None else inc[:0]
        chosen = candidates[p.split]
        self.positive = np.zeros(self.n_polygons + chosen.size, dtype=bool)
        self.positive[candidates] = p.above  # split ones keep their index for the positive side
        self.split = chosen
        if chosen.size == 0:
            return 0
        inc, k = inc[p.split[cand_owner]], lengths[p.split]
        rv = self._ring[inc]

        # New vertices where the run's two boundary edges cross the line, shared with the
        # neighbour across each edge by keying on the edge's (smaller, larger) vertex ids;
        # each is the intersection of the edge's line with the cut line.
        n = self.n_vertices
        edge, lo, hi, cut_poly, inverse = kernels.crossed_edges(rv, k, p, n)
        # The cut line's equation on each split polygon, for the new vertices and edges.
        own_line, own_error = line.coefficients(chosen)
        polys = chosen[cut_poly]
        xy, r = intersect(
            self._lines[inc[edge]],
            self._line_errors[inc[edge]],
            own_line[cut_poly],
            own_error[cut_poly],
            self.box,
        )
        if line.band > 0:  # between the edge's ends, where the values vanish: see between
            keep, ends = p.split[cand_owner], np.stack([lo, hi])
            xy, r = between(self._xy, self._r, ends, rv, s_all[keep], err_all[keep], (xy, r))
        # The crossed edge's label; a hull edge is told by its (exactly rounded) equation.
        provenance = kernels.provenance(
            lo,
            hi,
            line.function(polys),
            line.origin(polys),
            inc[edge],
            (self._label, self._lines),
            self._hull_lines,
        )
        # Exact vertices lie in the hull's bounding box: clamping there only moves a float
        # vertex closer to its exact point (and keeps cut vertices on a box's edges inside it).
        np.clip(xy, self.low, self.high, out=xy)
        if line.band == 0:  # a band's exact vertices need not lie on their edges
            self.place_exactly(xy, r, provenance)
        self._append_vertices(xy, r, provenance, self.vertex_values(xy, polys))
        new_ids = n + inverse
        n_after = np.count_nonzero(p.cross_after)
        crossing = np.empty((2, len(chosen)), dtype=np.int64)  # vertex before / after the run
        crossing[0, p.cross_before] = new_ids[n_after:]
        crossing[1, p.cross_after] = new_ids[:n_after]
        if line.band > 0:  # an edge from a vertex the band put on the line: see chords
            snapped = (np.abs(s_all) <= line.band)[p.split[cand_owner]]
            own_line, own_error = chords(self, own_line, own_error, rv, crossing, p, snapped)

        # The new rings (positive sides first) from the incidences, the new vertices and the
        # cut line on each split polygon; the positive side takes the split polygon's place,
        # the negative side is appended.
        start, vsrc, esrc = kernels.ring_sources(k, p)
        base = self.reserve_rings(len(vsrc))
        store = (self._ring, self._label, self._lines, self._line_errors)
        kernels.assemble(vsrc, esrc, inc, rv, crossing, own_line, own_error, label, store, base)
        c, n = len(chosen), self.n_polygons
        self.reserve_polygons(n + c)
        self.n_polygons = n + c
        self._first[chosen] = base + start[:c]
        self._length[chosen] = p.run + 2
        self._first[n : n + c], self._length[n : n + c] = base + start[c:-1], np.diff(start[c:])
        self._parent[n : n + c] = self._parent[chosen]
        return c


def no_values(xy: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Default vertex values: none (for lines that read only coordinates)."""
    return np.empty((0, len(xy)))
