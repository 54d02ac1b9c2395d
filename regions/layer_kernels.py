"""The compiled layer's bookkeeping around its cuts (numba): the pools grown inside the loop,
and the layer's end laid out.

:func:`regions.fused.run`'s loop used to stop and let Python grow the mesh's pools whenever a
cut lacked room, and a layer's end (the rings laid out in polygon order by
:meth:`regions.mesh.Mesh.compact`, the bits packed) took some twenty array calls: on a
2-16x3-1 net (178 regions) about as long as the cuts themselves. :func:`grown_pools` grows
them inside the loop, as ``fused._reserve`` does, and :func:`level` takes the layer's end in
one call. Both only copy and pack: the partition is the same bit for bit
(``tests/regions/test_layer_kernels.py``). Used with numba (``decompose._LayerCut`` with
``tol=0``); without it, the numpy path's own methods serve.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .breakpoints import Level
from .mesh import Mesh

__all__ = ["grown_pools", "level"]


def level(mesh: Mesh, parent: np.ndarray, bits: np.ndarray, n_bits: int) -> Level:
    """The :class:`~regions.breakpoints.Level` after a layer: the mesh laid out
    (:meth:`Mesh.compact`), each region's ``parent`` at the level before, and its ``bits``
    (polygon capacity, n_bits) of the layer packed as :func:`numpy.packbits` packs them."""
    table, store = (mesh._first, mesh._length), (mesh._ring, mesh._label)
    store, start, used = _level(
        table, (*store, mesh._lines, mesh._line_errors), mesh.n_polygons, mesh._used
    )
    packed = np.packbits(bits[: mesh.n_polygons], axis=1)
    mesh._ring, mesh._label, mesh._lines, mesh._line_errors = store
    mesh._used = mesh._compact_at = int(used)
    return Level(mesh.ring, start, mesh.label, parent, packed, n_bits)


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


def _grown_pools_loops(
    table: tuple, pool: tuple, store: tuple, counts: np.ndarray, n_cand: int, n_inc: int, row: int
) -> tuple:
    """``fused._reserve`` in the compiled loop: room in the polygon table, vertex pool and
    ring store (new arrays where grown) for a cut of ``n_cand`` polygons with ``n_inc``
    incidences; the vertex values kept from ``row`` on (``Mesh.first_row``)."""
    first, length, parent, bits = table
    xy, r, provenance, values, source = pool
    ring, label, lines, line_errors = store
    n_vertices, n_polygons, used = counts[0], counts[1], counts[2]
    want_v, want_p = n_vertices + 2 * n_cand, n_polygons + n_cand
    if want_v > xy.shape[0]:  # Mesh.reserve_vertices
        cap = max(2 * xy.shape[0], want_v)
        xy, r = _grown2(xy, cap, n_vertices), _grown(r, cap, n_vertices)
        provenance = _grown2(provenance, cap, n_vertices)
        grown = np.empty((values.shape[0], cap))
        grown[row:, :n_vertices] = values[row:, :n_vertices]
        values = grown
    if want_p > first.shape[0]:  # Mesh.reserve_polygons
        cap = max(want_p, 2 * first.shape[0])
        first, length = _grown(first, cap, n_polygons), _grown(length, cap, n_polygons)
        parent = _grown(parent, cap, n_polygons)
    if want_v > source.shape[0]:  # _LayerCut.reserve
        keep = min(n_vertices, source.shape[0])
        source = _grown(source, max(want_v, 2 * source.shape[0]), keep)
    if want_p > bits.shape[0]:
        bits = _grown2(bits, max(want_p, 2 * bits.shape[0]), min(n_polygons, bits.shape[0]))
    if used + n_inc + 4 * n_cand > ring.shape[0]:  # Mesh.ring_room
        cap = max(2 * ring.shape[0], used + n_inc + 4 * n_cand)
        ring, label = _grown(ring, cap, used), _grown(label, cap, used)
        lines, line_errors = _grown2(lines, cap, used), _grown(line_errors, cap, used)
    return (
        (first, length, parent, bits),
        (xy, r, provenance, values, source),
        (ring, label, lines, line_errors),
    )


def _level_loops(table: tuple, store: tuple, n_polygons: int, used: int) -> tuple:
    """:func:`level`'s compiled part: the ring store laid out in polygon order (new arrays of
    the same room, unless it already is), the offsets and the positions used."""
    first, length = table
    ring, label, lines, line_errors = store
    start = np.zeros(n_polygons + 1, np.int64)
    in_order = True
    for p in range(n_polygons):
        start[p + 1] = start[p] + length[p]
        in_order = in_order and first[p] == start[p]
    if not (in_order and used == start[n_polygons]):
        cap = ring.shape[0]
        laid = (np.empty(cap, np.int64), np.empty(cap, np.int64))
        laid_lines, laid_errors = np.empty((cap, 3)), np.empty(cap)
        for p in range(n_polygons):
            at = start[p]
            for row in range(first[p], first[p] + length[p]):
                laid[0][at], laid[1][at] = ring[row], label[row]
                laid_lines[at, 0], laid_lines[at, 1] = lines[row, 0], lines[row, 1]
                laid_lines[at, 2], laid_errors[at] = lines[row, 2], line_errors[row]
                at += 1
            first[p] = start[p]
        store = (laid[0], laid[1], laid_lines, laid_errors)
    return store, start, start[n_polygons]


if kernels.numba is not None:
    _njit = kernels.numba.njit(cache=True, nogil=True)
    _grown = _njit(_grown)
    _grown2 = _njit(_grown2)
    grown_pools = _njit(_grown_pools_loops)
    _level = _njit(_level_loops)
