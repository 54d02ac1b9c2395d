"""An activation layer's set-up and snapshot (``decompose._LayerCut``) as compiled loops
(numba), with numpy twins.

At a layer's start every polygon becomes its own parent, each vertex gets the polygon whose
maps give its values, and the values of the layer's units at every vertex follow
(:func:`started`); after its cuts, each polygon's layer-start region, the rings laid out in
polygon order and the packed bits make the level's snapshot (:func:`snapshot`). In numpy each
is some fifteen array calls of a few microseconds whatever the mesh's size; compiled, they took
2-16x3-1 from 1.21 to 1.13 ms (its trace reused). Both twins do the same integer bookkeeping and
the same float operations (the values by :mod:`regions.map_kernels`' loop or its numpy twin,
as ever), so they give identical results (``tests/regions/test_kernels.py``).
"""

from __future__ import annotations

import numpy as np

from . import compaction, kernels, map_kernels
from .ragged import offsets, positions
from .threads import MIN_CHUNKS

__all__ = ["snapshot", "started"]


def started(
    first: np.ndarray,
    length: np.ndarray,
    ring: np.ndarray,
    parent: np.ndarray,
    source: np.ndarray,
    m: np.ndarray,
    xy: np.ndarray,
    values: np.ndarray,
) -> bool:
    """A layer's start, in place: every polygon its own parent, each vertex's ``source`` the
    last polygon (in order) whose ring holds it, and, where few enough for one thread (as
    :func:`regions.map_kernels.evaluate` would run them), the ``values`` of every unit at
    every vertex from its source's maps.

    Parameters
    ----------
    first, length, parent : ndarray of int, shape (P,)
        The polygon table: where each ring starts in ``ring`` (the ring store), its length,
        and each polygon's ancestor (set to the polygon itself).
    source : ndarray of int, shape (>= V,)
        Written for the ``V`` vertices (every vertex is on some ring).
    m : ndarray, shape (P, 3, width)
        The layer's preactivation maps on the polygons.
    xy : ndarray, shape (V, 2)
        The vertices.
    values : ndarray, shape (width, V)
        The values, written where this returns True.

    Returns
    -------
    bool
        Whether ``values`` were written; else the caller evaluates them (in threads).
    """
    step = max(1, map_kernels.EVALUATE_CHUNK // max(m.shape[2], 1))
    one_thread = len(xy) < 2 * MIN_CHUNKS * step  # over_chunks would not start threads
    if kernels.COMPILED:
        return _started_compiled(first, length, ring, parent, source, m, xy, values, one_thread)
    parent[:] = np.arange(len(parent))
    source[ring[positions(first, length)]] = np.repeat(np.arange(len(first)), length)
    if one_thread:
        map_kernels.evaluate(m, source[: len(xy)], xy, 0, values)
    return one_thread


def _started_loops(first, length, ring, parent, source, m, xy, values, one_thread):
    """:func:`started` polygon by polygon, the values by the same loop as the cuts'."""
    for p in range(first.size):
        parent[p] = p
        for row in range(first[p], first[p] + length[p]):
            source[ring[row]] = p
    if one_thread:
        map_kernels._evaluate_compiled(m, source[: xy.shape[0]], xy, 0, values)
    return one_thread


def snapshot(
    first: np.ndarray,
    length: np.ndarray,
    parent: np.ndarray,
    origin: np.ndarray,
    store: tuple[np.ndarray, ...],
    used: int,
    bits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...], int]:
    """A layer's end: each polygon's layer-start region (``origin`` read through
    ``parent``, which is reset), the ring store laid out in polygon order (``first`` set to
    the new offsets, :func:`regions.compaction.laid_out`) and the bits packed along axis 1
    (``np.packbits``).

    Parameters
    ----------
    first, length, parent : ndarray of int, shape (P,)
        The polygon table (``first`` and ``parent`` are rewritten).
    origin : ndarray of int
        Each ancestor's layer-start region.
    store : tuple of ndarray
        The ring store (ring, label, lines, line errors), ``used`` rows in use.
    bits : ndarray of bool, shape (P, n_bits)
        Each polygon's side of the layer's breakpoints.

    Returns
    -------
    regions : ndarray of int, shape (P,)
        Each polygon's region at the layer's start.
    start : ndarray of int, shape (P + 1,)
        The rings' offsets once laid out.
    packed : ndarray of uint8, shape (P, ceil(n_bits / 8))
    store, used
        The laid-out store (the same arrays where it was laid out so already) and its rows.
    """
    packed = np.packbits(bits, axis=1)  # numpy's own loop is the faster (SIMD)
    if kernels.COMPILED:
        regions, start, store, used = _snapshot_compiled(first, length, parent, origin, store, used)
        return regions, start, packed, store, used
    regions = origin[parent]
    parent[:] = np.arange(len(parent))
    laid = compaction.laid_out(first, length, store, used)
    store, used = laid if laid is not None else (store, used)
    return regions, offsets(length), packed, store, used


def _snapshot_loops(first, length, parent, origin, store, used):
    """:func:`snapshot` polygon by polygon (the store laid out as
    :func:`regions.compaction.laid_out`'s loop does), but the bits."""
    n = first.size
    regions = np.empty(n, np.int64)
    for p in range(n):
        regions[p] = origin[parent[p]]
        parent[p] = p
    laid = compaction._laid_out_compiled(first, length, store, used)
    if laid is not None:
        store, used = laid
    start = np.empty(n + 1, np.int64)  # laid out, the rings start where first says
    start[:n] = first
    start[n] = used
    return regions, start, store, used


if kernels.numba is not None:
    _started_compiled = kernels.numba.njit(cache=True, nogil=True)(_started_loops)
    _snapshot_compiled = kernels.numba.njit(cache=True, nogil=True)(_snapshot_loops)
