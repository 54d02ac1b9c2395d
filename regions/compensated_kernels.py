"""The elementwise passes of double-float maps, as compiled loops (numba) with numpy twins.

:func:`regions.region_maps.affine` in double-float precision (``compensated=True``) makes a
layer's maps a chunk of regions at a time: gather the source's maps ``m + lo`` (times a ReLU
layer's 0/1 slopes), split them for the exact product (:func:`regions.compensated.prepare`),
three matrix products, then a TwoSum of the products, another with the bias, the error bound,
and the extremes the per-unit bounds and the finiteness check read. In numpy that is some
forty passes over each chunk, and they took most of a deep net's time, not the matrix
products (He 2-64x16-1: 60% of its time in its maps, a fifth of that in the products).
:func:`prepared` and :func:`finished` do the passes before and after the products in one loop
each; the products stay numpy's (the same calls in either mode). Each loop does its numpy
twin's float operations in the same order, and the twins are :mod:`regions.compensated`'s own
functions, so the two give identical maps and bounds; maxima and minima are exact, but numpy's
may return either of 0.0 and -0.0 where both occur (in the split's scales and the extremes),
a sign no comparison and no bound sees. The switch is :data:`regions.kernels.COMPILED`.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels, map_kernels
from .compensated import UNDERFLOW, SplitMatrix, prepare, shifted, two_sum
from .floats import EPS, SAFE, gamma
from .map_kernels import folded

__all__ = ["Extremes", "finished", "prepared"]


def prepared(
    m: np.ndarray,
    lo: np.ndarray,
    nu: np.ndarray,
    parent: np.ndarray,
    slope: np.ndarray | None,
    bits: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maps ``m + lo`` and their bounds ``nu`` of regions ``parent`` (k,), times each region's
    0/1 ``slope`` (k, n) where given, ready for :func:`regions.compensated.product`.

    Parameters
    ----------
    m, lo : ndarray, shape (R, 3, n)
        The source's compensated maps.
    nu : ndarray, shape (R, n)
        Their error bounds.
    parent : ndarray of int, shape (k,)
        The source region of each region of the chunk.
    slope : ndarray, shape (k, n), or None
        A ReLU layer's pieces (0 or 1) on the chunk's regions; None for the maps as they are.
    bits : int
        ``SplitMatrix.bits`` of the weights that follow.

    Returns
    -------
    ha, y : ndarray, shape (3 k, n)
        :func:`regions.compensated.prepare`'s head and rounded rest of the rows.
    scales : ndarray, shape (2, 3 k)
        Its error scales.
    err : ndarray, shape (k, n)
        The chunk's error bounds ``nu[parent] * slope``.
    """
    if not kernels.COMPILED:
        a, b, err = m[parent], lo[parent], nu[parent]
        if slope is not None:
            a *= slope[:, None, :]
            b *= slope[:, None, :]
            err *= slope
        n = m.shape[2]
        return (*prepare(a.reshape(-1, n), b.reshape(-1, n), bits), err)
    k, n = len(parent), m.shape[2]
    ha, y, scales, err = (
        np.empty((3 * k, n)),
        np.empty((3 * k, n)),
        np.empty((2, 3 * k)),
        np.empty((k, n)),
    )
    no_slope = np.empty((0, 0), dtype=np.uint8)
    _prepared_compiled(
        m, lo, nu, parent, no_slope if slope is None else slope, bits, ha, y, scales, err
    )
    return ha, y, scales, err


class Extremes(map_kernels.Extremes):
    """:class:`regions.map_kernels.Extremes` of ``m`` and ``nu``, and the largest and smallest
    entries of ``lo`` (3, width), each with 0 among them, gathered chunk by chunk by
    :func:`finished`."""

    def __init__(self, width: int) -> None:
        super().__init__(width)
        self.lo_top, self.lo_bottom = np.zeros((3, width)), np.zeros((3, width))


def finished(
    head: np.ndarray,
    rest: np.ndarray,
    b: np.ndarray,
    w: SplitMatrix,
    scales: np.ndarray,
    box: float,
    out: tuple[np.ndarray, np.ndarray, np.ndarray],
    ext: Extremes,
) -> None:
    """A chunk's maps and bounds from its products: ``m + lo`` (k, 3, o) is the exact TwoSum of
    ``head`` (the exact product ``ha Wa^T``) and ``rest`` (the rounded others), each (3 k, o),
    then the bias ``b`` (o,) added to the constant rows by a TwoSum (its remainder rounded into
    ``lo``); ``nu`` (k, o), holding the sources' errors through ``|W|`` on entry, becomes
    ``SAFE`` times the whole bound: those errors grown by the product's rounding, the product's
    own bound over the box (:meth:`SplitMatrix.bound` of the rows' ``scales`` (2, 3 k)) and the
    bias's rounding.

    ``out`` is ``(m, lo, nu)``, written in place; the chunk's extremes are folded into ``ext``.
    """
    m, lo, nu = out
    n = w.W.shape[1]
    grown = 1 + gamma(n + 1)
    if not kernels.COMPILED:
        o = m.shape[2]
        two_sum(head, rest, (m.reshape(-1, o), lo.reshape(-1, o)))
        m[:, 2], lo[:, 2], _ = shifted(m[:, 2], lo[:, 2], 0.0, b)  # one rounding
        nu *= grown
        # The rows' errors over the box: box |d/du| + box |d/dv| + |value at the origin|.
        sc = scales.reshape(2, -1, 3)
        nu += w.bound(box * (sc[:, :, 0] + sc[:, :, 1]) + sc[:, :, 2], 2 * box + 1)
        nu += EPS * np.abs(lo[:, 2])
        nu *= SAFE
        if len(m):
            map_kernels.fold(ext.top, ext.bottom, m)
            map_kernels.fold(ext.lo_top, ext.lo_bottom, lo)
            np.maximum(ext.largest, nu.max(axis=0), out=ext.largest)
        return
    w1, tail_max = w.sizes
    c = (gamma(n) + 3 * EPS) * (1 + gamma(n))  # as SplitMatrix.bound, operation for operation
    floor = (2 * n + 2) * UNDERFLOW * (2 * box + 1)
    extremes = (ext.top, ext.bottom, ext.lo_top, ext.lo_bottom, ext.largest)
    _finished_compiled(
        head, rest, b, scales, box, w1, tail_max, c, floor, grown, m, lo, nu, *extremes
    )


def _prepared_loops(m, lo, nu, parent, slope, bits, ha, y, scales, err):
    """:func:`prepared` row by row: ``prepare``'s ``split_rows``, rest and scales, the same
    float operations. A row's largest ``|entry|`` (``np.maximum`` of its maximum and minus its
    minimum, 0 among them) is taken branch-free, a NaN flagged aside (numpy's is NaN then)."""
    n, masked = m.shape[2], slope.shape[0] > 0
    for i in range(parent.size):
        p = parent[i]
        for k in range(3):
            row = 3 * i + k
            top, nan = 0.0, False
            for j in range(n):
                a = m[p, k, j] * slope[i, j] if masked else m[p, k, j]
                top = max(top, abs(a))
                nan |= a != a
            if nan:
                top = np.nan
            e = math.frexp(top)[1] if math.isfinite(top) else 0  # as np.frexp
            grid = math.ldexp(1.0, min(max(e, -1000), 960 + bits) - bits)
            shift = grid * 2.0**53
            huge = e > 960 + bits
            high, nan = 0.0, False
            for j in range(n):
                a, b = m[p, k, j], lo[p, k, j]
                if masked:
                    a, b = a * slope[i, j], b * slope[i, j]
                h = 0.0 if huge else (a + shift) - shift
                r = (a - h) + b
                ha[row, j], y[row, j] = h, r
                high = max(high, abs(r))
                nan |= r != r
            scales[0, row] = np.nan if nan else high
            scales[1, row] = (top + grid) * n
        for j in range(n):
            err[i, j] = nu[p, j] * slope[i, j] if masked else nu[p, j]


def _finished_loops(
    head,
    rest,
    b,
    scales,
    box,
    w1,
    tail_max,
    c,
    floor,
    grown,
    m,
    lo,
    nu,
    top,
    bottom,
    lo_top,
    lo_bottom,
    largest,
):
    """:func:`finished` region by region: the same TwoSums, products and sums, and numpy's
    NaN-propagating maximum and minimum."""
    o = m.shape[2]
    for i in range(m.shape[0]):
        for k in range(3):
            row = 3 * i + k
            for j in range(o):
                x, z = head[row, j], rest[row, j]
                s = x + z
                bb = s - x
                t = x - (s - bb)
                t += z - bb
                if k == 2:  # shifted: TwoSum with the bias, the carry rounded into lo
                    s2 = s + b[j]
                    bb = s2 - s
                    carry = s - (s2 - bb)
                    carry += b[j] - bb
                    s, t = s2, t + carry
                m[i, k, j], lo[i, k, j] = s, t
                top[k, j], bottom[k, j] = folded(s, top[k, j], bottom[k, j])
                lo_top[k, j], lo_bottom[k, j] = folded(t, lo_top[k, j], lo_bottom[k, j])
        q0 = box * (scales[0, 3 * i] + scales[0, 3 * i + 1]) + scales[0, 3 * i + 2]
        q1 = box * (scales[1, 3 * i] + scales[1, 3 * i + 1]) + scales[1, 3 * i + 2]
        for j in range(o):
            bound = (q0 * w1[j] + q1 * tail_max[j]) * c + floor
            x = ((nu[i, j] * grown + bound) + EPS * abs(lo[i, 2, j])) * SAFE
            nu[i, j] = x
            if x > largest[j] or x != x:
                largest[j] = x


if kernels.numba is not None:
    _prepared_compiled = kernels.numba.njit(cache=True, nogil=True)(_prepared_loops)
    _finished_compiled = kernels.numba.njit(cache=True, nogil=True)(_finished_loops)
