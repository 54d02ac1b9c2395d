"""A layer's breakpoint cuts as one compiled loop (numba).

:meth:`regions.mesh.Mesh.cut` cuts by any :class:`~regions.lines.Line` in some twenty-five
array calls, each a few microseconds whatever its size: most of a small net's time. For the
decomposition's own lines (a unit's breakpoints, :class:`~regions.lines.MapLine`, with
``tol=0``) :func:`run` cuts a layer's breakpoints one after another in one compiled loop
(:func:`_run_loops`): when a unit starts and the polygons have quadrupled, the candidates anew
(:func:`regions.crossings.refreshed`); per breakpoint, the candidate polygons (those whose
ancestor it may cross), the certified side of each of their vertices (:func:`_sides_loops`: the
unit's value and its error bound from the maps, the source region's bound where the unit's own
cannot decide, as :meth:`MapLine.at`), then the split plan, the new vertices with their values
for the units still to cut, the new rings, the polygon table and the layer's bits
(:func:`_split_loops`, reusing the compiled kernels of :mod:`regions.kernels` and
:mod:`regions.intersections`). The loop hands a breakpoint to Python (:func:`cut`) where floats
cannot decide: a sign for exact arithmetic (:meth:`Mesh.settle`) or a vertex to place exactly
(then :meth:`Mesh.cut` does that cut); and it stops to let Python settle a refresh's open sides
in exact arithmetic, grow the pools or raise for too many regions. Without a progress bar a
layer takes one call (a refresh in Python cost a 2-32x3-1 net a tenth of its time).

It runs when the kernels are compiled (:data:`regions.kernels.COMPILED`); the numpy path is
:meth:`Mesh.cut`, breakpoint by breakpoint. Both give the same partition bit for bit
(``tests/regions/test_kernels.py``): the error bounds and new vertices' values are the same
float operations (new vertices' values come from :func:`regions.map_kernels.evaluate`'s
compiled loop, whose numpy twin sums in its order), so the same signs go to exact
arithmetic, which alone decide a ring's split.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from . import crossings, intersections, kernels, map_kernels
from .floats import EPS, SAFE, gamma
from .lines import MapLine
from .mesh import PLACE_EXACTLY, Mesh
from .network import Activation
from .region_maps import NodeMaps

__all__ = ["DONE", "TOO_MANY", "Layer", "cut", "run"]

_GAMMA3, _GAMMA4, _ROOT2 = gamma(3), gamma(4), math.sqrt(2)


class Layer(Protocol):
    """What :func:`run` reads and writes of the layer being cut (``decompose._LayerCut``)."""

    node: Activation
    first_column: int  # the layer's first breakpoint's index (labels are first_column + column)
    crossed: np.ndarray  # (columns, units from first_unit on, polygons at the last refresh)
    first_unit: int
    refreshed_at: int  # polygons at the last refresh
    maps: NodeMaps
    fixed: np.ndarray  # per unit: NodeMaps.bounds over all regions
    slope: np.ndarray
    origin: np.ndarray  # each polygon's region at the last refresh, by mesh.parent
    source: np.ndarray  # whose maps gave each vertex's values
    bits: np.ndarray  # (polygon capacity, columns) the layer's sides so far

    def line(self, unit: int, k: int) -> MapLine:
        """The breakpoint line (for exact arithmetic)."""
        ...

    def reserve(self, n_vertices: int, n_polygons: int) -> None:
        """Room for this many vertices in ``source`` and polygons in ``bits``."""
        ...

    def record(self, column: int, candidates: np.ndarray, n_before: int) -> None:
        """The bits after a :meth:`Mesh.cut` that split polygons from ``n_before`` on."""
        ...

    def settle(self, unit: int, k: int, cells: np.ndarray) -> None:
        """The bits of ``cells`` (polygons, units from ``unit`` on) left open by a refresh,
        for threshold column ``k``, in exact arithmetic."""
        ...


# What the compiled loop reports when it stops (see run).
DONE, TOO_MANY, ROOM, IN_PYTHON, UNSETTLED = range(5)

REFRESH_GROWTH = 4
"""A unit's candidates are refreshed when the polygons have grown more than this many times
since the last refresh (both paths: this loop and ``decompose._LayerCut.run``)."""


def run(mesh: Mesh, layer: Layer, unit: int, stop: int, max_regions: int) -> tuple[int, int]:
    """Cut the breakpoints of units ``unit`` to ``stop - 1`` of the layer, in order, each on
    the polygons ``layer.crossed`` says it may cross, until done or until there are more than
    ``max_regions``. When a unit starts and the polygons have quadrupled since the last
    refresh (or there was none), the candidates are refreshed first, as
    ``_LayerCut.refresh`` (:func:`regions.crossings.refreshed`): ``layer.crossed``,
    ``origin``, ``first_unit`` and ``refreshed_at`` follow. Returns the status (:data:`DONE`
    or :data:`TOO_MANY`) and the first unit not cut."""
    thresholds, first_column = layer.node.thresholds, layer.first_column
    k = 0
    while True:
        counts = _counts(mesh)
        status, unit, k, n_cand, n_inc, *state, open_cells = _run(
            unit,
            k,
            stop,
            layer.crossed,
            layer.first_unit,
            layer.refreshed_at,
            max_regions,
            thresholds,
            first_column,
            layer.fixed,
            layer.slope,
            *_arrays(mesh, layer),
            layer.origin,
            mesh._hull_lines,
            counts,
            _box(mesh),
        )
        layer.crossed, layer.origin, layer.first_unit, layer.refreshed_at = state
        _set_counts(mesh, counts)
        mesh.first_row = unit
        if status == ROOM:  # with slack: growing pools one cut at a time costs small nets
            _reserve(mesh, layer, max(2 * n_cand, 256), max(2 * n_inc, 1024))
        elif status == UNSETTLED:  # a refresh left sides to exact arithmetic
            for column, cells in enumerate(open_cells):
                layer.settle(unit, column, cells.T)
        elif status == IN_PYTHON:  # a sign for exact arithmetic or a vertex to place exactly
            crossed = layer.crossed[k, unit - layer.first_unit]
            cand = np.flatnonzero(crossed[mesh.parent])
            column = unit * thresholds.shape[1] + k
            cut(mesh, layer, unit, k, float(thresholds[unit, k]), column, cand)
            if mesh.n_polygons > max_regions:
                return TOO_MANY, unit
            k += 1
            if k == thresholds.shape[1]:
                unit, k = unit + 1, 0
        else:
            return status, unit
        if unit >= stop:
            return DONE, unit


def cut(
    mesh: Mesh, layer: Layer, unit: int, k: int, t: float, column: int, cand: np.ndarray
) -> None:
    """Cut ``mesh`` by breakpoint ``k`` (at ``t``) of ``unit`` on the candidate polygons
    ``cand``, settling in exact arithmetic the signs the float filter leaves open, and
    recording every candidate's side (a vertex strictly above) in ``layer.bits[:, column]``,
    as ``Mesh.cut`` and ``_LayerCut.record``."""
    label = layer.first_column + column
    table, pool, store, maps = _arrays(mesh, layer)
    fixed, slope = float(layer.fixed[unit]), float(layer.slope[unit])
    inc, sign, s, _, n_open = _sides(
        cand, table, pool, store, maps, unit, t, fixed, slope, mesh.box
    )
    n_exact = mesh.n_exact
    if n_open:
        at = np.flatnonzero(sign == _OPEN)
        vertices = mesh._ring[inc]
        mesh.settle(layer.line(unit, k), vertices, np.zeros_like(vertices), at, sign, s)
    _reserve(mesh, layer, len(cand), len(inc))
    table, pool, store, maps = _arrays(mesh, layer)
    counts = _counts(mesh)
    placing = _split(
        cand,
        sign,
        s,
        inc,
        table,
        pool,
        store,
        maps,
        layer.origin,
        column,
        label,
        unit,
        t,
        mesh._hull_lines,
        counts,
        unit,
        _box(mesh),
    )
    if placing:  # a vertex to place in exact arithmetic: this cut the general way
        mesh.n_exact, n_polygons = n_exact, mesh.n_polygons  # (it settles the signs again)
        mesh.cut(layer.line(unit, k), label, cand)
        layer.record(column, cand, n_polygons)
        return
    mesh.n_filtered += len(inc) - n_open
    _set_counts(mesh, counts)


def _arrays(mesh: Mesh, layer: Layer) -> tuple[tuple, ...]:
    """The polygon table, vertex pool, ring store and maps, as the loops take them."""
    maps = layer.maps
    lo = maps.lo if maps.lo is not None else _NO_LO
    return (
        (mesh._first, mesh._length, mesh._parent, layer.bits),
        (mesh._xy, mesh._r, mesh._provenance, mesh._values, layer.source),
        (mesh._ring, mesh._label, mesh._lines, mesh._line_errors),
        (maps.m, maps.nu, maps.kappa, lo, maps.box),
    )


def _box(mesh: Mesh) -> tuple:
    """The domain's extent, the hull's bounding box, and the largest ``r`` placed by floats."""
    return (mesh.box, mesh.low, mesh.high, PLACE_EXACTLY * mesh.box)


def _counts(mesh: Mesh) -> np.ndarray:
    """Vertices, polygons and ring store positions used, and signs the filter settled (0)."""
    return np.array([mesh.n_vertices, mesh.n_polygons, mesh._used, 0], dtype=np.int64)


def _set_counts(mesh: Mesh, counts: np.ndarray) -> None:
    """What the loops added (their room was reserved)."""
    mesh.n_vertices, mesh.n_polygons = int(counts[0]), int(counts[1])
    mesh.reserve_rings(int(counts[2]) - mesh._used)
    mesh.n_filtered += int(counts[3])


def _reserve(mesh: Mesh, layer: Layer, n_cand: int, n_inc: int) -> None:
    """Room for the most a cut of ``n_cand`` polygons with ``n_inc`` incidences adds: two
    vertices and one polygon per candidate, and four incidences more."""
    n_vertices, n_polygons = mesh.n_vertices + 2 * n_cand, mesh.n_polygons + n_cand
    mesh.reserve_vertices(n_vertices)
    mesh.reserve_polygons(n_polygons)
    layer.reserve(n_vertices, n_polygons)
    mesh.ring_room(n_inc + 4 * n_cand)


_OPEN = 2
"""The sign :func:`_sides_loops` gives a vertex the float filter cannot decide."""

_NO_LO = np.zeros((0, 3, 0))


def _error(fixed: float, slope: float, r: float, g4t: float, s: float) -> float:
    """:meth:`MapLine._error` of one value, operation for operation."""
    err = fixed + slope * r + g4t + (2 * EPS) * abs(s)
    return (np.inf if math.isnan(err) else err) * SAFE


def _own(nu: np.ndarray, kappa: float, lo: np.ndarray, mbox: float, reg: int, unit: int) -> float:
    """:meth:`NodeMaps.own` of one region and unit."""
    err = kappa * nu[reg, unit]
    if lo.shape[0]:
        lo0, lo1, lo2 = abs(lo[reg, 0, unit]), abs(lo[reg, 1, unit]), abs(lo[reg, 2, unit])
        err = err + (mbox * (lo0 + lo1) + lo2)
    return err


def _sides_loops(
    cand: np.ndarray,
    table: tuple,
    pool: tuple,
    store: tuple,
    maps: tuple,
    unit: int,
    t: float,
    fixed: float,
    slope: float,
    extent: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The candidates' incidences (ring store rows), their certified signs (:data:`_OPEN`
    where undecided), the float values of ``z_unit - t`` and their error bounds, as
    :meth:`MapLine.at` and :meth:`Mesh.sides` (band 0) decide them; how many are open."""
    first, length = table[0], table[1]
    _, r, _, values, source = pool
    ring = store[0]
    m, nu, kappa, lo, mbox = maps
    n = 0
    for i in range(cand.size):
        n += length[cand[i]]
    inc, sign, floats = np.empty(n, np.int64), np.empty(n, np.int8), np.empty((2, n))
    s, bound = floats[0], floats[1]  # one allocation: allocations cost a cut more than loops
    g4t = _GAMMA4 * abs(t)
    j = n_open = 0
    for i in range(cand.size):
        p = cand[i]
        for row in range(first[p], first[p] + length[p]):
            v = ring[row]
            si = values[unit, v] - t
            err = _error(fixed, slope, r[v], g4t, si)
            if not abs(si) > err:  # the source region's own bound (NodeMaps.bounds_on)
                reg = source[v]
                du, dv = abs(m[reg, 0, unit]), abs(m[reg, 1, unit])
                gradient, own = du + dv, _own(nu, kappa, lo, mbox, reg, unit)
                fixed_on = (own + _GAMMA3 * (gradient * extent + abs(m[reg, 2, unit]))) * SAFE
                slope_on = (gradient + _ROOT2 * own / extent) * SAFE
                err = min(err, _error(fixed_on, slope_on, r[v], g4t, si))
            inc[j], s[j], bound[j] = row, si, err
            if si > err:
                sign[j] = 1
            elif si < -err:
                sign[j] = -1
            else:
                sign[j] = _OPEN
                n_open += 1
            j += 1
    return inc, sign, s, bound, n_open


def _split_loops(
    cand: np.ndarray,
    sign: np.ndarray,
    s: np.ndarray,
    inc: np.ndarray,
    table: tuple,
    pool: tuple,
    store: tuple,
    maps: tuple,
    origin: np.ndarray,
    column: int,
    label: int,
    unit: int,
    t: float,
    hull_lines: np.ndarray,
    counts: np.ndarray,
    first_row: int,
    box: tuple,
) -> int:
    """:meth:`Mesh.cut` after the sides, and ``_LayerCut.record``: which candidates split,
    the new vertices (clamped to the hull's box) with their provenance and their values for
    the units from ``first_row`` on, the new rings at the end of the ring store, and the
    polygon table (each split polygon's positive piece in place, its negative piece appended,
    with its parent and bits); ``counts`` (vertices, polygons, ring positions used) grows by
    what was added (room for it is reserved). Returns how many new vertices are too uncertain
    to place from the line equations: if any, nothing but the candidates' bits is written."""
    n_vertices, n_polygons, base = counts[0], counts[1], counts[2]
    first, length, parent, bits = table
    pool_xy, pool_r, pool_provenance, values, source = pool
    ring, labels, lines, errors = store
    m, nu, kappa, lo, mbox = maps
    extent, low, high, place = box
    lengths = np.empty(cand.size, np.int64)
    for i in range(cand.size):
        lengths[i] = length[cand[i]]
    p = kernels._plan_compiled(sign, s, lengths)
    above, split, run, cross_after, cross_before = p[0], p[1], p[2], p[8], p[9]
    for i in range(cand.size):
        bits[cand[i], column] = above[i]
    c = n_inc = 0
    for i in range(cand.size):
        c += split[i]
        n_inc += lengths[i] if split[i] else 0
    # The split polygons and their ring lengths; their incidences' store rows and vertices.
    polygons, incidences = np.empty((3, c), np.int64), np.empty((2, n_inc), np.int64)
    chosen, k, regs, rows, rv = polygons[0], polygons[1], polygons[2], incidences[0], incidences[1]
    at = j = ci = 0
    for i in range(cand.size):
        if split[i]:
            chosen[ci], k[ci] = cand[i], lengths[i]
            for d in range(lengths[i]):
                rows[j + d] = inc[at + d]
                rv[j + d] = ring[inc[at + d]]
            j += lengths[i]
            ci += 1
        at += lengths[i]
    edge, low_id, high_id, cut_poly, inverse = kernels._crossed_edges_compiled(rv, k, p, n_vertices)
    # The cut line's equation on each split polygon (MapLine.coefficients).
    own_line, own_error = np.empty((c, 3)), np.empty(c)
    for i in range(c):
        regs[i] = origin[parent[chosen[i]]]
        own_line[i, 0], own_line[i, 1] = m[regs[i], 0, unit], m[regs[i], 1, unit]
        own_line[i, 2] = m[regs[i], 2, unit] - t
        own = _own(nu, kappa, lo, mbox, regs[i], unit)
        own_error[i] = (own + (2 * EPS) * abs(own_line[i, 2])) * SAFE
    # Each new vertex's crossed edge (its store row), region and label, in one allocation.
    per_vertex = np.empty((3, edge.size), np.int64)
    crossed, new_regs, fn = per_vertex[0], per_vertex[1], per_vertex[2]
    for i in range(edge.size):
        crossed[i], new_regs[i], fn[i] = rows[edge[i]], regs[cut_poly[i]], label
    xy, r = np.empty((edge.size, 2)), np.empty(edge.size)
    for i in range(edge.size):  # intersections._intersect_compiled, without gathered copies
        e, o = crossed[i], cut_poly[i]  # the crossed edge's store row, the cut polygon
        xy[i, 0], xy[i, 1], r[i] = intersections._pair(
            lines[e, 0], lines[e, 1], lines[e, 2], errors[e],
            own_line[o, 0], own_line[o, 1], own_line[o, 2], own_error[o], extent,
        )  # fmt: skip
    provenance = kernels._provenance_compiled(
        low_id, high_id, fn, new_regs, crossed, (labels, lines), hull_lines
    )
    n_place = 0
    for i in range(edge.size):
        for d in range(2):  # numpy's clip, signed zeros included
            x = xy[i, d] if xy[i, d] > low[d] else low[d]
            xy[i, d] = x if x < high[d] else high[d]
        n_place += not r[i] <= place
    if n_place:
        return n_place

    for i in range(edge.size):
        v = n_vertices + i
        pool_xy[v, 0], pool_xy[v, 1], pool_r[v] = xy[i, 0], xy[i, 1], r[i]
        for d in range(5):  # element by element: an array assignment compiles numba's
            pool_provenance[v, d] = provenance[i, d]  # shape checks and their messages (3 s)
        source[v] = new_regs[i]
    # The values of the units still to cut, by the same loop as a layer's first values.
    new_values = values[first_row:, n_vertices : n_vertices + edge.size]
    map_kernels._evaluate_compiled(m, new_regs, xy, first_row, new_values)
    n_after = 0
    for i in range(c):
        n_after += cross_after[i]
    crossing = np.empty((2, c), np.int64)  # the new vertex before / after each run
    ja, jb = 0, n_after
    for i in range(c):
        if cross_after[i]:
            crossing[1, i] = n_vertices + inverse[ja]
            ja += 1
        if cross_before[i]:
            crossing[0, i] = n_vertices + inverse[jb]
            jb += 1
    start, vsrc, esrc = kernels._ring_sources_compiled(k, p)
    kernels._assemble_compiled(
        vsrc, esrc, rows, rv, crossing, own_line, own_error, label, store, base
    )
    for i in range(c):
        q, new = chosen[i], n_polygons + i
        first[q], length[q] = base + start[i], run[i] + 2
        first[new], length[new] = base + start[c + i], start[c + i + 1] - start[c + i]
        parent[new] = parent[q]
        for d in range(bits.shape[1]):
            bits[new, d] = bits[q, d]
        bits[new, column] = False  # the negative piece
    counts[0] += edge.size
    counts[1] += c
    counts[2] += start[2 * c]
    return 0


def _run_loops(
    unit: int,
    k: int,
    stop: int,
    crossed: np.ndarray,
    first_unit: int,
    refreshed_at: int,
    max_regions: int,
    thresholds: np.ndarray,
    first_column: int,
    fixed: np.ndarray,
    slope: np.ndarray,
    table: tuple,
    pool: tuple,
    store: tuple,
    maps: tuple,
    origin: np.ndarray,
    hull_lines: np.ndarray,
    counts: np.ndarray,
    box: tuple,
) -> tuple:
    """:func:`run`'s loop over breakpoints from (``unit``, ``k``): a refresh where due, then
    candidates, sides and split of each, until one needs Python (:data:`ROOM`: then also the
    candidates and incidences to make room for; :data:`IN_PYTHON`: an open sign or a vertex
    to place exactly, nothing of it written but bits; :data:`UNSETTLED`: a refresh's open
    cells, returned last) or another reason to stop. Returns the status, where it stopped,
    the room wanted, the refresh's state (``crossed``, ``origin``, ``first_unit``,
    ``refreshed_at``) and the open cells; ``counts`` grows by what was added, its last entry
    by the signs settled."""
    first, length, parent, bits = table
    pool_xy, source = pool[0], pool[4]
    ring = store[0]
    n_thresholds = thresholds.shape[1]
    none_open = np.empty((0, 0, 0), np.bool_)
    while True:
        # A unit starts: refresh where due (with ``stop == unit``, only that).
        due = crossed.size == 0 or counts[1] > REFRESH_GROWTH * refreshed_at
        if k == 0 and unit < thresholds.shape[0] and due:
            crossed, origin, open_cells, n_open = crossings.refreshed(
                unit, thresholds, fixed, slope, table, pool, ring[: counts[2]], origin, counts
            )
            first_unit, refreshed_at = unit, counts[1]
            if n_open:
                state = (crossed, origin, first_unit, refreshed_at)
                return (UNSETTLED, unit, k, 0, 0) + state + (open_cells,)
        state = (crossed, origin, first_unit, refreshed_at)
        if unit >= stop:
            return (DONE, unit, k, 0, 0) + state + (none_open,)
        row = crossed[k, unit - first_unit]
        n_cand = 0
        for q in range(counts[1]):
            n_cand += row[parent[q]]
        cand = np.empty(n_cand, np.int64)
        n_inc = j = 0
        for q in range(counts[1]):
            if row[parent[q]]:
                cand[j] = q
                n_inc += length[q]
                j += 1
        room = (
            counts[0] + 2 * n_cand <= min(pool_xy.shape[0], source.shape[0])
            and counts[1] + n_cand <= min(first.shape[0], bits.shape[0])
            and counts[2] + n_inc + 4 * n_cand <= ring.shape[0]
        )
        if not room:
            return (ROOM, unit, k, n_cand, n_inc) + state + (none_open,)
        t = thresholds[unit, k]
        inc, sign, s, _, n_open = _sides(
            cand, table, pool, store, maps, unit, t, fixed[unit], slope[unit], box[0]
        )
        if n_open:
            return (IN_PYTHON, unit, k, 0, 0) + state + (none_open,)
        column = unit * n_thresholds + k
        placing = _split(
            cand,
            sign,
            s,
            inc,
            table,
            pool,
            store,
            maps,
            origin,
            column,
            first_column + column,
            unit,
            t,
            hull_lines,
            counts,
            unit,
            box,
        )
        if placing:
            return (IN_PYTHON, unit, k, 0, 0) + state + (none_open,)
        counts[3] += n_inc
        if counts[1] > max_regions:
            return (TOO_MANY, unit, k, 0, 0) + state + (none_open,)
        k += 1
        if k == n_thresholds:
            unit, k = unit + 1, 0


if kernels.numba is not None:
    _njit = kernels.numba.njit(cache=True, nogil=True)
    _error = _njit(_error)
    _own = _njit(_own)
    # Inlined into the loop: a call passes some twenty arrays, each counted in and out
    # atomically (7% of the loop's time on 2-16x3-1).
    _inl = kernels.numba.njit(cache=True, nogil=True, inline="always")
    _sides = _inl(_sides_loops)
    _split = _inl(_split_loops)
    _run = _njit(_run_loops)
