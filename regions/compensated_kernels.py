"""The elementwise passes of double-float maps, as compiled loops (numba) with numpy twins.

:func:`regions.region_maps.affine` in double-float precision (``compensated=True``) makes a
layer's maps a chunk of regions at a time: gather the source's maps ``m + lo`` (times a ReLU
layer's 0/1 slopes), split them for the exact product (:func:`regions.compensated.prepare`),
six matrix products (three with two slices), then TwoSums joining the products, another with
the bias, the error bound, and the extremes the per-unit bounds and the finiteness check read.
In numpy that is some forty passes over each chunk, and they took most of a deep net's time,
not the matrix products (He 2-64x16-1: 60% of its time in its maps, a fifth of that in the
products). :func:`prepared` and :func:`finished` do the passes before and after the products in
one loop each; the products stay numpy's (the same calls in either mode). Each loop does its
numpy twin's float operations in the same order, and the twins are :mod:`regions.compensated`'s
own functions, so the two give identical maps and bounds; maxima and minima are exact, but
numpy's may return either of 0.0 and -0.0 where both occur (in the split's scales and the
extremes), a sign no comparison and no bound sees. The switch is
:data:`regions.kernels.COMPILED`.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels, map_kernels
from .compensated import SplitMatrix, joined, prepare, shifted
from .floats import EPS, SAFE, gamma
from .norms import length_of_squares, squares_error

__all__ = ["Extremes", "finished", "prepared"]


def prepared(
    m: np.ndarray,
    lo: np.ndarray,
    nu: np.ndarray,
    parent: np.ndarray,
    slope: np.ndarray | None,
    bits: int,
    n_slices: int = 3,
    eta: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
    bits, n_slices : int
        ``SplitMatrix.bits`` and ``n_slices`` of the weights that follow.
    eta : ndarray, shape (R,), or None
        Bounds on the length of each source region's error vector (None: not known).

    Returns
    -------
    ha, hb, y : ndarray, shape (3 k, n)
        :func:`regions.compensated.prepare`'s two heads and rounded rest of the rows.
    scales : ndarray, shape (3, 3 k)
        Its error scales.
    err : ndarray, shape (k, n)
        The chunk's error bounds ``nu[parent] * slope``.
    length : ndarray, shape (k,)
        Bounds on the length of each row's error vector: the smaller of ``eta[parent]`` (0/1
        slopes only shorten it) and :func:`length_bound` of ``err``.
    """
    root = root_bound(m.shape[2])
    eta = np.full(len(m), np.inf) if eta is None else eta
    if not kernels.COMPILED:
        a, b, err = m[parent], lo[parent], nu[parent]
        if slope is not None:
            a *= slope[:, None, :]
            b *= slope[:, None, :]
            err *= slope
        n = m.shape[2]
        length = shorter(eta[parent], length_bound(err, root))
        return (*prepare(a.reshape(-1, n), b.reshape(-1, n), bits, n_slices), err, length)
    k, n = len(parent), m.shape[2]
    heads = 3 * k if n_slices > 1 else 0  # one slice: no heads (empty, as prepare's)
    ha, hb, y = np.empty((heads, n)), np.empty((heads, n)), np.empty((3 * k, n))
    scales, err, length = np.empty((3, 3 * k)), np.empty((k, n)), np.empty(k)
    slope = np.empty((0, 0), dtype=np.uint8) if slope is None else slope
    out = (ha, hb, y, scales, err, length)
    squares = squares_error(n)
    _prepared_compiled(m, lo, nu, eta, parent, slope, bits, n_slices, root, *squares, *out)
    return out


def root_bound(n: int) -> float:
    """``sqrt(n)``, rounded up."""
    return math.sqrt(n) * (1 + 2 * EPS)


def length_bound(err: np.ndarray, root: float) -> np.ndarray:
    """A bound (k,) on the Euclidean length of every vector whose entries are at most ``err``
    (k, n) in magnitude: ``sqrt(n)`` (``root``, rounded up) times the largest, which no
    underflow spoils (a NaN where any entry is)."""
    return err.max(axis=1, initial=0.0) * root * SAFE


def shorter(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise the smaller of two bounds; ``b`` where ``a`` is NaN or ``b`` is."""
    return np.where(a <= b, a, b)


class Extremes(map_kernels.Extremes):
    """:class:`regions.map_kernels.Extremes` of ``m`` and ``nu``, and the largest and smallest
    entries of ``lo`` (3, width), each with 0 among them, gathered chunk by chunk by
    :func:`finished`."""

    def __init__(self, width: int) -> None:
        super().__init__(width)
        self.lo_top, self.lo_bottom = np.zeros((3, width)), np.zeros((3, width))


def finished(
    products: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    b: np.ndarray,
    w: SplitMatrix,
    scales: np.ndarray,
    box: float,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ext: Extremes,
    length: np.ndarray,
) -> None:
    """A chunk's maps and bounds from its ``products`` (:func:`regions.compensated.products`,
    each (3 k, o)): ``m + lo`` (k, 3, o) is their join (:func:`regions.compensated.joined`),
    then the bias ``b`` (o,) added to the constant rows by a TwoSum (its remainder rounded into
    ``lo``); ``nu`` (k, o), holding the sources' errors through ``|W|`` on entry (``inf`` where
    that product was not made: one-slice maps keep the norm-wise bound alone), becomes
    ``SAFE`` times the whole bound: those errors grown by the product's rounding, plus this
    layer's own rounding ``rho``: the product's bound over the box (:meth:`SplitMatrix.bound`
    of the rows' ``scales`` (3, 3 k)), the join's roundings over the box and the bias's.

    The same error has a second bound, norm-wise: the sources' error vectors are at most
    ``length`` (k,) long, so through ``W`` unit ``j``'s is at most ``||W_j||_2 length`` and the
    vector ``||W||_2 length`` (:attr:`SplitMatrix.norms`), to which ``rho`` adds. Each ``nu``
    is the smaller of its two bounds, and ``eta`` (k,) the new vectors' length bound. Through
    many layers ``|W|`` grows about 1.6 times a layer faster than ``||W||_2`` on He nets.

    ``out`` is ``(m, lo, nu, eta)``, written in place; the chunk's extremes are folded into
    ``ext``.
    """
    m, lo, nu, eta = out
    n, o = w.W.shape[1], m.shape[2]
    grown, root = 1 + gamma(n + 1), root_bound(o)
    norm, rows = w.norms
    if not kernels.COMPILED:
        joins = joined(*products, (m.reshape(-1, o), lo.reshape(-1, o))).reshape(-1, 3, o)
        m[:, 2], lo[:, 2], _ = shifted(m[:, 2], lo[:, 2], 0.0, b)  # one rounding
        # This layer's rounding over the box (box |d/du| + box |d/dv| + |value at the origin|).
        sc = scales.reshape(3, -1, 3)
        rho = w.bound(box * (sc[:, :, 0] + sc[:, :, 1]) + sc[:, :, 2], 2 * box + 1)
        rho += box * (joins[:, 0] + joins[:, 1]) + joins[:, 2]
        rho += EPS * np.abs(lo[:, 2])
        through = (nu * grown + rho) * SAFE
        normwise = (np.multiply.outer(length, rows) + rho) * SAFE
        nu[:] = shorter(normwise, through)
        eta[:] = shorter(length_bound(nu, root), (norm * length + length_bound(rho, root)) * SAFE)
        if len(m):
            map_kernels.fold(ext.top, ext.bottom, m)
            map_kernels.fold(ext.lo_top, ext.lo_bottom, lo)
            np.maximum(ext.largest, nu.max(axis=0), out=ext.largest)
        return
    extremes = (ext.top, ext.bottom, ext.lo_top, ext.lo_bottom, ext.largest)
    bound = (w.sizes, w.factor, w.floor(2 * box + 1))  # as SplitMatrix.bound's
    norms = (length, norm, rows, root)
    _finished_compiled(products, b, scales, box, *bound, grown, *norms, *out, *extremes)


def _split_row(row: np.ndarray, top: float, bits: int, head: np.ndarray) -> float:
    """:func:`regions.compensated.split_rows` of one row whose largest ``|entry|`` is ``top``
    (NaN if any entry is): its head into ``head``, its tail into ``row`` (in place); returns
    the bound on the head's entries."""
    e = math.frexp(top)[1] if math.isfinite(top) else 0  # as np.frexp
    grid = math.ldexp(1.0, min(max(e, -1000), 960 + bits) - bits)
    shift = grid * 2.0**53
    huge = e > 960 + bits
    for j in range(row.size):
        h = 0.0 if huge else (row[j] + shift) - shift
        head[j], row[j] = h, row[j] - h
    return top + grid


def _largest(row: np.ndarray) -> float:
    """``np.maximum(row.max(initial=0), -row.min(initial=0))``: branch-free, a NaN flagged
    aside (numpy's is NaN then)."""
    top, nan = 0.0, False
    for j in range(row.size):
        top = max(top, abs(row[j]))
        nan |= row[j] != row[j]
    return np.nan if nan else top


def _one_slice_row(m, lo, slope, masked, p, i, k, tail):
    """One-slice ``prepare`` of row ``k`` of region ``i`` (source ``p``) into ``tail``:
    ``m * slope + lo * slope``, returning its largest ``|entry|`` (as :func:`_largest`) and its
    squares summed as :func:`regions.norms.row_length_bounds` sums them."""
    for j in range(tail.size):
        x = m[p, k, j] * slope[i, j] if masked else m[p, k, j]
        x += lo[p, k, j] * slope[i, j] if masked else lo[p, k, j]
        tail[j] = x
    return _largest(tail), _squares(tail)


def _squares(row: np.ndarray) -> float:
    """A row's squares summed as :func:`regions.norms.row_length_bounds` sums them: four
    running sums, of entries ``j = 0, 1, 2, 3 mod 4``."""
    s0 = s1 = s2 = s3 = 0.0
    n, j = row.size, 0
    while j + 4 <= n:
        a, b, c, d = row[j], row[j + 1], row[j + 2], row[j + 3]
        s0 += a * a
        s1 += b * b
        s2 += c * c
        s3 += d * d
        j += 4
    if j < n:
        s0 += row[j] * row[j]
    if j + 1 < n:
        s1 += row[j + 1] * row[j + 1]
    if j + 2 < n:
        s2 += row[j + 2] * row[j + 2]
    return (s0 + s1) + (s2 + s3)


def _prepared_loops(
    m,
    lo,
    nu,
    eta,
    parent,
    slope,
    bits,
    n_slices,
    root,
    up,
    allowance,
    ha,
    hb,
    y,
    scales,
    err,
    length,
):
    """:func:`prepared` row by row: ``prepare``'s two ``split_rows``, rest and scales, the
    same float operations (one slice: no heads; the rows, their largest entries and lengths)."""
    n, masked = m.shape[2], slope.shape[0] > 0
    for i in range(parent.size):
        p = parent[i]
        for k in range(3):
            row = 3 * i + k
            tail = y[row]
            if n_slices == 1:
                scales[0, row], squares = _one_slice_row(m, lo, slope, masked, p, i, k, tail)
                scales[1, row] = length_of_squares(squares, up, allowance)
                scales[2, row] = 0.0
                continue
            for j in range(n):
                tail[j] = m[p, k, j] * slope[i, j] if masked else m[p, k, j]
            size_a = _split_row(tail, _largest(tail), bits, ha[row])
            if n_slices < 3:
                hb[row], size_b = 0.0, 0.0
            else:
                size_b = _split_row(tail, _largest(tail), bits, hb[row])
            for j in range(n):
                tail[j] += lo[p, k, j] * slope[i, j] if masked else lo[p, k, j]
            scales[0, row] = _largest(tail)
            scales[1, row] = size_a * n
            scales[2, row] = size_b * n
        for j in range(n):
            err[i, j] = nu[p, j] * slope[i, j] if masked else nu[p, j]
        e = _largest(err[i]) * root * SAFE
        length[i] = eta[p] if eta[p] <= e else e


def _two_sum(a: float, b: float) -> tuple[float, float]:
    """:func:`regions.compensated.two_sum` of two floats, operation for operation."""
    s = a + b
    bb = s - a
    t = a - (s - bb)
    t += b - bb
    return s, t


def _finished_loops(
    products,
    b,
    scales,
    box,
    sizes,
    c,
    floor,
    grown,
    length,
    norm,
    rows,
    root,
    m,
    lo,
    nu,
    eta,
    top,
    bottom,
    lo_top,
    lo_bottom,
    largest,
):
    """:func:`finished` region by region: the same TwoSums, products and sums, and numpy's
    NaN-propagating maximum and minimum. Each row is joined in a loop of its own (the number
    of slices and the bias row decided outside it) and folded into the extremes in another,
    and the bounds' maxima are taken after the loop that makes them: loops that vectorise
    (a chunk with one or two slices in 28% less time than one loop deciding everything entry
    by entry, three slices 7% less)."""
    p1, p2, p3, rest = products
    w1, third_max, tail_max = sizes
    o = m.shape[2]
    joins, q, rhos = np.zeros((3, o)), np.empty(3), np.empty(o)  # joins: 0 but with 3 slices
    one = not p1.size  # one slice
    for i in range(m.shape[0]):
        for k in range(3):
            row = 3 * i + k
            mi, li, into, ri = m[i, k], lo[i, k], joins[k], rest[row]
            if one and k < 2:  # the rounded product alone
                for j in range(o):
                    mi[j], li[j] = ri[j], 0.0
            elif one:  # shifted: TwoSum with the bias, the carry rounded into lo
                for j in range(o):
                    mi[j], li[j] = _two_sum(ri[j], b[j])
            elif p2.size:
                for j in range(o):
                    s, e = _two_sum(p2[row, j], p3[row, j])
                    e += ri[j]
                    hi, carry = _two_sum(p1[row, j], s)
                    carry += e
                    into[j] = (abs(e) + abs(carry)) * (EPS * SAFE)
                    s, t = _two_sum(hi, carry)
                    if k == 2:
                        s, carry = _two_sum(s, b[j])
                        t += carry
                    mi[j], li[j] = s, t
            else:  # two slices: one exact TwoSum
                for j in range(o):
                    s, t = _two_sum(p1[row, j], ri[j])
                    if k == 2:
                        s, carry = _two_sum(s, b[j])
                        t += carry
                    mi[j], li[j] = s, t
            map_kernels.folded_row(mi, top[k], bottom[k])
            if not one or k == 2:  # one slice's other rows of lo are zeros, among the extremes
                map_kernels.folded_row(li, lo_top[k], lo_bottom[k])
        for r in range(3):
            q[r] = box * (scales[r, 3 * i] + scales[r, 3 * i + 1]) + scales[r, 3 * i + 2]
        ni, carried, own = nu[i], lo[i, 2], length[i]
        for j in range(o):  # no reduction in this loop, so that it vectorises
            if one:  # SplitMatrix.bound's: the smaller of two bounds (NaN if either is)
                a, z = q[0] * w1[j], q[1] * rows[j]
                rho = (a if a <= z or a != a else z) * c + floor
            else:
                rho = ((q[0] * w1[j] + q[1] * third_max[j]) + q[2] * tail_max[j]) * c + floor
            rho += box * (joins[0, j] + joins[1, j]) + joins[2, j]
            rho += EPS * abs(carried[j])
            x = (ni[j] * grown + rho) * SAFE
            normwise = (own * rows[j] + rho) * SAFE
            x = normwise if normwise <= x else x  # shorter(normwise, x)
            ni[j], rhos[j] = x, rho
            largest[j] = x if (x > largest[j]) | (x != x) else largest[j]
        rho_top = nu_top = 0.0
        rho_nan = nu_nan = False
        for j in range(o):
            rho, x = rhos[j], ni[j]
            rho_top, nu_top = max(rho_top, rho), max(nu_top, x)
            rho_nan, nu_nan = rho_nan or rho != rho, nu_nan or x != x
        # as numpy's max: NaN if any is
        rho_top, nu_top = np.nan if rho_nan else rho_top, np.nan if nu_nan else nu_top
        alone = (norm * own + rho_top * root * SAFE) * SAFE
        fewer = nu_top * root * SAFE
        eta[i] = fewer if fewer <= alone else alone


if kernels.numba is not None:
    _inline = kernels.numba.njit(cache=True, nogil=True, inline="always")
    _split_row, _largest, _two_sum = _inline(_split_row), _inline(_largest), _inline(_two_sum)
    _one_slice_row, _squares = _inline(_one_slice_row), _inline(_squares)
    length_of_squares = _inline(length_of_squares)
    _prepared_compiled = kernels.numba.njit(cache=True, nogil=True)(_prepared_loops)
    _finished_compiled = kernels.numba.njit(cache=True, nogil=True)(_finished_loops)
