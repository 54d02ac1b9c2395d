"""A layer's breakpoint cuts, each as two compiled calls (numba).

:meth:`regions.mesh.Mesh.cut` cuts by any :class:`~regions.lines.Line` in some twenty-five
array calls, each a few microseconds whatever its size: most of a small net's time. For the
decomposition's own lines (a unit's breakpoint, :class:`~regions.lines.MapLine`, with
``tol=0``) :func:`cut` runs the same steps as compiled loops over the candidate polygons: the
certified side of every vertex (:func:`_sides_loops`: the unit's value, its error bound from
the maps, the source region's bound where the unit's own cannot decide), then the split plan,
the new vertices, their values for the units still to cut, the new rings, the polygon table
and the layer's bits (:func:`_split_loops`, :func:`_commit_loops`, reusing the kernels of
:mod:`regions.kernels` and :mod:`regions.intersections`). Python steps in only where floats
cannot decide: signs left to exact arithmetic (:meth:`Mesh.settle`) and vertices placed
exactly (:meth:`Mesh.place_exactly`).

It is used when the kernels are compiled (:data:`regions.kernels.COMPILED`); the numpy path is
:meth:`Mesh.cut` itself. Both give the same partition bit for bit
(``tests/regions/test_kernels.py``): the error bounds are the same float operations, and new
vertices' values, which may round differently from numpy's ``einsum``, enter only through
exact signs (a ring's split depends on its vertices' signs alone).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from . import intersections, kernels
from .floats import EPS, SAFE, gamma
from .lines import MapLine
from .mesh import PLACE_EXACTLY, Mesh
from .region_maps import NodeMaps

__all__ = ["Layer", "cut"]

_GAMMA3, _GAMMA4, _ROOT2 = gamma(3), gamma(4), math.sqrt(2)


class Layer(Protocol):
    """What :func:`cut` reads and writes of the layer being cut (``decompose._LayerCut``)."""

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


def cut(
    mesh: Mesh,
    layer: Layer,
    unit: int,
    k: int,
    t: float,
    column: int,
    label: int,
    cand: np.ndarray,
) -> None:
    """Cut ``mesh`` by breakpoint ``k`` (at ``t``) of ``unit`` on the candidate polygons
    ``cand``, labelling the new edges ``label`` and recording every candidate's side (a vertex
    strictly above) in ``layer.bits[:, column]``, as ``Mesh.cut`` and ``_LayerCut.record``."""
    maps = layer.maps
    lo = maps.lo if maps.lo is not None else _NO_LO
    inc, sign, s, _, n_open = _sides(
        cand,
        mesh.first,
        mesh.length,
        mesh._ring,
        mesh._values,
        unit,
        t,
        mesh._r,
        layer.source,
        maps.m,
        maps.nu,
        maps.kappa,
        lo,
        maps.box,
        float(layer.fixed[unit]),
        float(layer.slope[unit]),
        mesh.box,
    )
    mesh.n_filtered += len(inc) - n_open
    n_exact = mesh.n_exact
    if n_open:
        at = np.flatnonzero(sign == _OPEN)
        vertices = mesh._ring[inc]
        mesh.settle(layer.line(unit, k), vertices, np.zeros_like(vertices), at, sign, s)
    n_exact = mesh.n_exact - n_exact
    # Room for the most a cut can add: two vertices, one polygon, four incidences per candidate.
    n_vertices, n_polygons, n_cand = mesh.n_vertices, mesh.n_polygons, len(cand)
    mesh.reserve_vertices(n_vertices + 2 * n_cand)
    mesh.reserve_polygons(n_polygons + n_cand)
    layer.reserve(n_vertices + 2 * n_cand, n_polygons + n_cand)
    base = mesh.ring_room(len(inc) + 4 * n_cand)
    n_new, c, n_used, n_place = _split(
        cand,
        sign,
        s,
        inc,
        (mesh._first, mesh._length, mesh._parent, layer.bits),
        (mesh._xy, mesh._r, mesh._provenance, mesh._values, layer.source),
        (mesh._ring, mesh._label, mesh._lines, mesh._line_errors),
        layer.origin,
        column,
        label,
        (maps.m, maps.nu, maps.kappa, lo, maps.box),
        unit,
        t,
        mesh._hull_lines,
        n_vertices,
        n_polygons,
        mesh.first_row,
        base,
        (mesh.box, mesh.low, mesh.high, PLACE_EXACTLY * mesh.box),
    )
    if n_place:  # a vertex to place in exact arithmetic: this cut the general way
        mesh.n_filtered -= len(inc) - n_open
        mesh.n_exact -= n_exact
        mesh.cut(layer.line(unit, k), label, cand)
        layer.record(column, cand, n_polygons)
        return
    mesh.n_vertices += n_new
    mesh.n_polygons += c
    mesh.reserve_rings(n_used)


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
    first: np.ndarray,
    length: np.ndarray,
    ring: np.ndarray,
    values: np.ndarray,
    unit: int,
    t: float,
    r: np.ndarray,
    source: np.ndarray,
    m: np.ndarray,
    nu: np.ndarray,
    kappa: float,
    lo: np.ndarray,
    mbox: float,
    fixed: float,
    slope: float,
    box: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The candidates' incidences (ring store rows), their certified signs (:data:`_OPEN`
    where undecided), the float values of ``z_unit - t`` and their error bounds, as
    :meth:`MapLine.at` and :meth:`Mesh.sides` (band 0) decide them; how many are open."""
    n = 0
    for i in range(cand.size):
        n += length[cand[i]]
    inc, sign, s, bound = np.empty(n, np.int64), np.empty(n, np.int8), np.empty(n), np.empty(n)
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
                fixed_on = (own + _GAMMA3 * (gradient * box + abs(m[reg, 2, unit]))) * SAFE
                slope_on = (gradient + _ROOT2 * own / box) * SAFE
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
    origin: np.ndarray,
    column: int,
    label: int,
    maps: tuple,
    unit: int,
    t: float,
    hull_lines: np.ndarray,
    n_vertices: int,
    n_polygons: int,
    first_row: int,
    base: int,
    box: tuple,
) -> tuple[int, int, int, int]:
    """:meth:`Mesh.cut` after the sides, and ``_LayerCut.record``: which candidates split,
    the new vertices (clamped to the hull's box) with their provenance and their values for
    the units from ``first_row`` on, the new rings written at ``base`` in the ring store, and
    the polygon table (each split polygon's positive piece in place, its negative piece
    appended, with its parent and bits). Returns the numbers of new vertices, of split
    polygons and of ring positions written, and of new vertices too uncertain to place from
    the line equations: if any, nothing but the candidates' bits is written."""
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
    chosen = cand[split]
    c = chosen.size
    n_inc = 0
    for i in range(c):
        n_inc += length[chosen[i]]
    rows, k = np.empty(n_inc, np.int64), np.empty(c, np.int64)
    at = j = ci = 0
    for i in range(cand.size):
        if split[i]:
            k[ci] = lengths[i]
            rows[j : j + lengths[i]] = inc[at : at + lengths[i]]
            j += lengths[i]
            ci += 1
        at += lengths[i]
    rv = ring[rows]
    edge, low_id, high_id, cut_poly, inverse = kernels._crossed_edges_compiled(rv, k, p, n_vertices)
    # The cut line's equation on each split polygon (MapLine.coefficients).
    regs = origin[parent[chosen]]
    own_line, own_error = np.empty((c, 3)), np.empty(c)
    for i in range(c):
        own_line[i, 0], own_line[i, 1] = m[regs[i], 0, unit], m[regs[i], 1, unit]
        own_line[i, 2] = m[regs[i], 2, unit] - t
        own = _own(nu, kappa, lo, mbox, regs[i], unit)
        own_error[i] = (own + (2 * EPS) * abs(own_line[i, 2])) * SAFE
    crossed = rows[edge]
    xy, r = intersections._intersect_compiled(
        lines[crossed], errors[crossed], own_line[cut_poly], own_error[cut_poly], extent
    )
    new_regs = regs[cut_poly]
    provenance = kernels._provenance_compiled(
        low_id, high_id, np.full(edge.size, label), new_regs, crossed, (labels, lines), hull_lines
    )
    n_place = 0
    for i in range(edge.size):
        for d in range(2):  # numpy's clip, signed zeros included
            x = xy[i, d] if xy[i, d] > low[d] else low[d]
            xy[i, d] = x if x < high[d] else high[d]
        n_place += not r[i] <= place
    if n_place:
        return 0, 0, 0, n_place

    for i in range(edge.size):
        v = n_vertices + i
        pool_xy[v, 0], pool_xy[v, 1], pool_r[v] = xy[i, 0], xy[i, 1], r[i]
        pool_provenance[v] = provenance[i]
        source[v] = new_regs[i]
        x, y, reg = xy[i, 0], xy[i, 1], new_regs[i]
        for w in range(first_row, values.shape[0]):
            values[w, v] = (m[reg, 0, w] * x + m[reg, 1, w] * y) + m[reg, 2, w]
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
        bits[new] = bits[q]
        bits[new, column] = False  # the negative piece
    return edge.size, c, start[2 * c], 0


if kernels.numba is not None:
    _njit = kernels.numba.njit(cache=True, nogil=True)
    _error = _njit(_error)
    _own = _njit(_own)
    _sides = _njit(_sides_loops)
    _split = _njit(_split_loops)
