"""The ring store laid out in polygon order (:meth:`regions.mesh.Mesh.compact`): numpy, or a
compiled loop (numba) with the same copies.

Cuts write new rings at the end of the store and leave the replaced ones where they were;
after each activation layer the level's snapshot needs the rings one after the other. In
numpy that is a dozen array calls whatever the mesh's size: a twentieth of a 2-16x3-1 net's
time (178 regions) over its three layers. The compiled loop runs with the other kernels
(:data:`regions.kernels.COMPILED`).
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .ragged import offsets, positions

__all__ = ["laid_out"]


def laid_out(
    first: np.ndarray, length: np.ndarray, store: tuple[np.ndarray, ...], used: int
) -> tuple[tuple[np.ndarray, ...], int] | None:
    """The ring store laid out in polygon order (:meth:`regions.mesh.Mesh.compact`).

    Parameters
    ----------
    first, length : ndarray of int, shape (P,)
        Where each polygon's ring starts in the store, and its length; ``first`` is set to
        the new offsets, in place.
    store : tuple of ndarray
        The store's arrays (rows: ring positions), ``used`` rows of them in use.

    Returns
    -------
    tuple or None
        New arrays of the same room holding the rings one after the other, and the rows they
        use; None where the store is laid out so already.
    """
    run = _laid_out_compiled if kernels.COMPILED else _laid_out_numpy
    return run(first, length, store, used)


def _laid_out_numpy(first, length, store, used):
    """:func:`laid_out` in numpy."""
    start = offsets(length)
    if used == start[-1] and np.array_equal(first, start[:-1]):
        return None
    index = positions(first, length)

    def laid(a: np.ndarray) -> np.ndarray:
        out = np.empty((len(a), *a.shape[1:]), dtype=a.dtype)  # the room kept for cuts to come
        # index is in range: "clip" skips the buffered copy of out that "raise" makes
        np.take(a, index, axis=0, out=out[: len(index)], mode="clip")
        return out

    first[:] = start[:-1]
    return tuple(laid(a) for a in store), len(index)


def _laid_out_loops(first, length, store, used):
    """:func:`_laid_out_numpy` polygon by polygon, the same copies."""
    ring, label, lines, errors = store
    n = first.size
    start = np.zeros(n + 1, np.int64)
    in_order = True
    for p in range(n):
        start[p + 1] = start[p] + length[p]
        in_order = in_order and first[p] == start[p]
    if in_order and used == start[n]:
        return None
    out = (np.empty_like(ring), np.empty_like(label), np.empty_like(lines), np.empty_like(errors))
    for p in range(n):
        at = start[p]
        for row in range(first[p], first[p] + length[p]):
            out[0][at], out[1][at], out[3][at] = ring[row], label[row], errors[row]
            for c in range(3):
                out[2][at, c] = lines[row, c]
            at += 1
        first[p] = start[p]
    return out, start[n]


if kernels.numba is not None:
    _laid_out_compiled = kernels.numba.njit(cache=True, nogil=True)(_laid_out_loops)
