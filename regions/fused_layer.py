"""A whole activation layer cut in one compiled call (numba).

:func:`regions.fused.run` cuts a layer's breakpoints in one compiled loop, but the layer's
start (each vertex's source region and values), the pools' growth and the layer's end (the
regions' ancestors, the rings laid out in polygon order, the bits packed) were some hundred
array calls in Python per layer: on a 2-16x3-1 net (178 regions) more time than the cuts
themselves. :func:`cut` does the start, the loop (growing the pools itself, as
:func:`regions.fused.run` asks Python to) and the end in one call, with the same operations in
the same order as ``decompose._LayerCut`` and :func:`regions.fused.run`, so the partition is
the same bit for bit (``tests/regions/test_fused_layer.py``).

Where the loop needs Python (a sign for exact arithmetic, a vertex to place exactly, a
refresh's open sides, too many regions) it stops and :func:`cut` returns a :class:`Handover`:
the layer as it stands, for ``decompose`` to go on with :func:`regions.fused.run` from there.
Used with numba, ``tol=0`` and no progress bar (which moves between calls of the loop).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import fused, kernels, map_kernels
from .breakpoints import Level
from .mesh import Mesh, no_values
from .network import Activation
from .region_maps import NodeMaps

__all__ = ["Handover", "cut"]


class Handover(NamedTuple):
    """A layer the compiled loop stopped in, as ``decompose._LayerCut`` continues it."""

    status: int  # why it stopped (regions.fused: IN_PYTHON, UNSETTLED or TOO_MANY)
    unit: int  # where: the breakpoint (unit, k) to go on from
    k: int
    open_cells: np.ndarray  # UNSETTLED: the refresh's open sides (columns, units, polygons)
    origin: np.ndarray
    source: np.ndarray
    bits: np.ndarray
    crossed: np.ndarray
    first_unit: int
    refreshed_at: int
    fixed: np.ndarray
    slope: np.ndarray


def cut(
    mesh: Mesh, node: Activation, maps: NodeMaps, first_column: int, max_regions: int
) -> tuple[Level, np.ndarray] | Handover:
    """Cut ``mesh`` by every breakpoint of ``node`` (its preactivation's ``maps`` on the
    mesh's polygons, each its own region; breakpoint labels from ``first_column``).

    Returns the layer's :class:`~regions.breakpoints.Level` and its pieces (R, width), as
    :meth:`~regions.breakpoints.Level.pieces` gives them, the mesh laid out and without values
    as after ``decompose._LayerCut.level``; or, where Python must go on, a :class:`Handover`
    (the mesh holds the layer's values then).
    """
    fixed, slope = maps.bounds(mesh.box)
    lo = maps.lo if maps.lo is not None else fused._NO_LO
    counts = fused._counts(mesh)
    (
        status,
        unit,
        k,
        open_cells,
        origin,
        source,
        bits,
        values,
        crossed,
        first_unit,
        refreshed_at,
        table,
        pool,
        store,
        start,
        packed,
    ) = _layer(
        node.thresholds,
        first_column,
        max_regions,
        fixed,
        slope,
        (mesh._first, mesh._length, mesh._parent),
        (mesh._xy, mesh._r, mesh._provenance),
        (mesh._ring, mesh._label, mesh._lines, mesh._line_errors),
        (maps.m, maps.nu, maps.kappa, lo, maps.box),
        mesh._hull_lines,
        counts,
        fused._box(mesh),
    )
    mesh._first, mesh._length, mesh._parent = table
    mesh._xy, mesh._r, mesh._provenance = pool
    mesh._ring, mesh._label, mesh._lines, mesh._line_errors = store
    mesh.n_vertices, mesh.n_polygons, mesh._used = (int(c) for c in counts[:3])
    mesh.n_filtered += int(counts[3])
    if status != fused.DONE:
        mesh._values, mesh.first_row = values, unit
        return Handover(
            status, unit, k, open_cells, origin, source, bits, crossed, first_unit,
            refreshed_at, fixed, slope,
        )  # fmt: skip
    mesh._compact_at = mesh._used
    mesh._values = values[:0]  # no rows: the layer's values are read no more
    mesh.set_values(np.empty((0, mesh.n_vertices)), no_values)
    n = mesh.n_polygons
    level = Level(mesh.ring, start, mesh.label, origin, packed, node.thresholds.size)
    if node.thresholds.shape[1] > 1:
        return level, level.pieces(node.width)
    return level, bits[:n].view(np.uint8)  # one breakpoint per unit: the bits are the pieces


def _grown(a: np.ndarray, cap: int, keep: int) -> np.ndarray:
    """:func:`regions.ragged.with_room` of a 1D array."""
    out = np.empty(cap, a.dtype)
    out[:keep] = a[:keep]
    return out


def _grown2(a: np.ndarray, cap: int, keep: int) -> np.ndarray:
    """:func:`regions.ragged.with_room` of a 2D array."""
    out = np.empty((cap, a.shape[1]), a.dtype)
    out[:keep] = a[:keep]
    return out


def _layer_loops(
    thresholds: np.ndarray,
    first_column: int,
    max_regions: int,
    fixed: np.ndarray,
    slope: np.ndarray,
    table: tuple,
    pool: tuple,
    store: tuple,
    maps: tuple,
    hull_lines: np.ndarray,
    counts: np.ndarray,
    box: tuple,
) -> tuple:
    """:func:`cut`'s compiled part: ``_LayerCut.__init__``, its ``run`` (the loop of
    :func:`regions.fused.run`, the pools grown as ``fused._reserve`` grows them) and its
    ``level``; ``counts`` as :func:`regions.fused.run`'s."""
    first, length, parent = table
    xy, r, provenance = pool
    ring, label, lines, line_errors = store
    n_vertices, n_polygons = counts[0], counts[1]
    width = thresholds.shape[0]
    # The layer's start (_LayerCut.__init__): each polygon its own region, each vertex's
    # values from the last polygon around it in polygon order (numpy's last write wins).
    for p in range(n_polygons):
        parent[p] = p
    origin = np.arange(n_polygons)
    source = np.empty(2 * n_vertices + 16, np.int64)
    for p in range(n_polygons):
        for row in range(first[p], first[p] + length[p]):
            source[ring[row]] = p
    cap = max(xy.shape[0], 2 * n_vertices)  # Mesh.new_values
    if cap > xy.shape[0]:
        xy, r = _grown2(xy, cap, n_vertices), _grown(r, cap, n_vertices)
        provenance = _grown2(provenance, cap, n_vertices)
    values = np.empty((width, cap))
    map_kernels._evaluate_compiled(
        maps[0], source[:n_vertices], xy[:n_vertices], 0, values[:, :n_vertices]
    )
    bits = np.zeros((2 * n_polygons, thresholds.size), np.bool_)
    crossed = np.empty((0, 0, 0), np.bool_)
    first_unit = refreshed_at = unit = k = 0
    while True:
        out = fused._run(
            unit, k, width, crossed, first_unit, refreshed_at, max_regions, thresholds,
            first_column, fixed, slope, (first, length, parent, bits),
            (xy, r, provenance, values, source), (ring, label, lines, line_errors), maps,
            origin, hull_lines, counts, box,
        )  # fmt: skip
        status, unit, k, n_cand, n_inc = out[0], out[1], out[2], out[3], out[4]
        crossed, origin, first_unit, refreshed_at, open_cells = out[5:]
        if status != fused.ROOM:
            break
        # fused._reserve(mesh, layer, max(2 * n_cand, 256), max(2 * n_inc, 1024))
        n_cand, n_inc = max(2 * n_cand, 256), max(2 * n_inc, 1024)
        n_vertices, n_polygons, used = counts[0], counts[1], counts[2]
        want_v, want_p = n_vertices + 2 * n_cand, n_polygons + n_cand
        if want_v > xy.shape[0]:  # Mesh.reserve_vertices: the values of units from `unit` on
            cap = max(2 * xy.shape[0], want_v)
            xy, r = _grown2(xy, cap, n_vertices), _grown(r, cap, n_vertices)
            provenance = _grown2(provenance, cap, n_vertices)
            grown = np.empty((width, cap))
            grown[unit:, :n_vertices] = values[unit:, :n_vertices]
            values = grown
        if want_p > first.shape[0]:  # Mesh.reserve_polygons
            cap = max(want_p, 2 * first.shape[0])
            first, length = _grown(first, cap, n_polygons), _grown(length, cap, n_polygons)
            parent = _grown(parent, cap, n_polygons)
        if want_v > source.shape[0]:  # _LayerCut.reserve
            keep = min(n_vertices, source.shape[0])
            source = _grown(source, max(want_v, 2 * source.shape[0]), keep)
        if want_p > bits.shape[0]:
            keep = min(n_polygons, bits.shape[0])
            bits = _grown2(bits, max(want_p, 2 * bits.shape[0]), keep)
        if used + n_inc + 4 * n_cand > ring.shape[0]:  # Mesh.ring_room
            cap = max(2 * ring.shape[0], used + n_inc + 4 * n_cand)
            ring, label = _grown(ring, cap, used), _grown(label, cap, used)
            lines, line_errors = _grown2(lines, cap, used), _grown(line_errors, cap, used)
    n_polygons = counts[1]
    start = np.zeros(n_polygons + 1, np.int64)
    packed = np.zeros((n_polygons, (thresholds.size + 7) // 8), np.uint8)
    if status == fused.DONE:
        # The layer's end (_LayerCut.run): each polygon's region at the layer's start.
        ancestors = np.empty(n_polygons, np.int64)
        for p in range(n_polygons):
            ancestors[p] = origin[parent[p]]
            parent[p] = p
        origin = ancestors
        # _LayerCut.level: the rings laid out in polygon order (Mesh.compact), bits packed.
        in_order = True
        for p in range(n_polygons):
            start[p + 1] = start[p] + length[p]
            in_order = in_order and first[p] == start[p]
        if not (in_order and counts[2] == start[n_polygons]):
            cap = ring.shape[0]
            laid = (np.empty(cap, np.int64), np.empty(cap, np.int64))
            laid_lines, laid_errors = np.empty((cap, 3)), np.empty(cap)
            for p in range(n_polygons):
                at = start[p]
                for row in range(first[p], first[p] + length[p]):
                    laid[0][at], laid[1][at] = ring[row], label[row]
                    laid_lines[at], laid_errors[at] = lines[row], line_errors[row]
                    at += 1
                first[p] = start[p]
            ring, label, lines, line_errors = laid[0], laid[1], laid_lines, laid_errors
            counts[2] = start[n_polygons]
        for p in range(n_polygons):  # np.packbits: big-endian bytes
            for c in range(thresholds.size):
                if bits[p, c]:
                    packed[p, c >> 3] |= np.uint8(128 >> (c & 7))
    return (
        status, unit, k, open_cells, origin, source, bits, values, crossed, first_unit,
        refreshed_at, (first, length, parent), (xy, r, provenance),
        (ring, label, lines, line_errors), start, packed,
    )  # fmt: skip


if kernels.numba is not None:
    _njit = kernels.numba.njit(cache=True, nogil=True)
    _grown = _njit(_grown)
    _grown2 = _njit(_grown2)
    _layer = _njit(_layer_loops)
