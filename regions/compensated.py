"""Matrix products in double-float precision, with rigorous error bounds.

Deep nets' maps lose accuracy in their error bounds, not in their values: the classic bound of
a float product ``fl(W x)`` is ``gamma(n) |W| |x|``, and through many layers ``|W| |x|`` grows
about 4.5 times a layer on He-initialised nets while the values do not. After 14 layers of
float64 the bounds leave hundreds of signs to rational arithmetic. Carrying every map as an
unevaluated sum ``hi + lo`` of two float64 arrays, with each layer's product computed from
exact pieces, makes each layer's rounding about 2^-93 of ``|W| |x|`` instead of 2^-47.

The product ``W x`` is split in the manner of Ozaki et al.'s error-free transformation
("Error-free transformations of matrix multiplication by using fast routines of matrix
multiplication and its applications", Numer. Algorithms 59, 2012), in three slices:
``x = xa + xb + xc`` and ``W = Wa + Wb + Wc`` exactly, where the first two slices of each keep
few enough leading bits per row that every partial sum of ``xa Wa^T``, ``xa Wb^T`` and
``xb Wa^T`` is a float64 (so BLAS computes them exactly, in any order); the remaining products
are of the order of 2^-46 of the whole and rounded once, with bounds from row maxima and sums
(outer products, no extra matrix product); TwoSums then join the total into ``hi + lo``. Two
slices (the first version) left each layer's rounding at about 2^-63: He 2-64x32-1's bounds
then sent 502 signs of its 23rd layer and 3,147 of its 24th to rational arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .floats import EPS, SAFE, gamma
from .norms import row_length_bounds, row_norm_bounds, spectral_bound

__all__ = [
    "NO_PRODUCT",
    "SplitMatrix",
    "UNDERFLOW",
    "joined",
    "linear_rows",
    "prepare",
    "product",
    "products",
    "scaled",
    "shifted",
    "signed_sum",
    "split_rows",
    "sum_of_products",
    "two_prod",
    "two_sum",
]

NO_PRODUCT = np.empty((0, 0))
"""What :func:`products` returns for the exact products two slices do not make."""

UNDERFLOW = 2.0**-1000
"""Absolute allowance, per entry, for every product in a matrix product that may fall below
float64's normal range (each such product errs by at most 2^-1075; 2^60 of them are below
this). A normal number itself: subnormal bounds would send whole matrix products down the
processor's slow path (a subnormal allowance made float forward passes seven times slower)."""


def split_rows(a: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``a = head + tail`` exactly, row by row along the last axis (2D ``a``).

    Rump, Ogita and Oishi's ExtractScalar: with ``2^e`` the smallest power of two above the
    row's largest ``|entry|`` (at least 2^-1000), ``head = fl(a + s) - s`` for
    ``s = 2^(e + 53 - bits)`` rounds ``a`` to multiples of ``g = 2^(e - bits)``, so every
    entry of ``head`` is an integer of at most ``bits`` bits (plus one) times the row's grid,
    and ``tail = a - head`` (``|tail| <= g``) is exact. Rows so large that ``s`` would
    overflow (``e > 960 + bits``) keep no head: ``tail`` is the row.

    Returns
    -------
    head, tail : ndarray, shape of ``a``
    size : ndarray, shape (len(a),)
        Per row, a bound on every ``|head|``: the largest ``|entry|`` plus the grid.

    Examples
    --------
    >>> import numpy as np
    >>> head, tail, size = split_rows(np.array([[1 / 3, 0.25]]), bits=4)
    >>> head.tolist(), bool(np.all(head + tail == [1 / 3, 0.25])), size[0] == 1 / 3 + 2**-5
    ([[0.3125, 0.25]], True, np.True_)
    """
    top = np.maximum(a.max(axis=1, initial=0.0), -a.min(axis=1, initial=0.0))
    _, e = np.frexp(top)
    # Grids from 2^-1000 (no subnormal shifts) up to where the shift stays finite; rows above
    # that keep no head at all (their products are then merely rounded, and bounded so).
    huge = e > 960 + bits
    grid = np.ldexp(1.0, np.clip(e, -1000, 960 + bits) - bits)
    shift = (grid * 2.0**53)[:, None]
    head = a + shift
    head -= shift
    head[huge] = 0.0
    return head, a - head, top + grid


def two_sum(
    a: np.ndarray, b: np.ndarray, out: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: ``s = fl(a + b)`` and ``t`` with ``s + t == a + b`` exactly (for finite
    sums, in round-to-nearest, with gradual underflow); into ``out`` if given (not ``a`` or
    ``b``)."""
    s, t = (np.empty_like(a), np.empty_like(a)) if out is None else out
    np.add(a, b, out=s)
    bb = s - a
    np.subtract(s, bb, out=t)
    np.subtract(a, t, out=t)
    np.subtract(b, bb, out=bb)
    t += bb
    return s, t


def two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's TwoProduct: ``p = fl(a * b)`` and ``e`` with ``p + e == a * b`` exactly
    (Veltkamp's splitting into 26-bit halves; for ``|a|, |b|`` below 2^995 and products far
    from underflow, where ``e`` may lose its last bits: see :data:`UNDERFLOW`)."""
    p = a * b
    ah, al = _halves(a)
    bh, bl = _halves(b)
    e = ah * bh - p
    e += ah * bl
    e += al * bh
    e += al * bl
    return p, e


def _halves(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = 134217729.0 * x  # 2^27 + 1
    head = c - (c - x)
    return head, x - head


def scaled(
    hi: np.ndarray, lo: np.ndarray, factor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(hi + lo) * factor`` as ``hi' + lo'``: an exact TwoProd of ``hi``, and ``lo * factor``
    plus TwoProd's remainder rounded into ``lo'``. Returns also ``size``, what those two
    roundings were of (each errs by at most ``EPS`` of it; TwoProd's remainder may lose its
    last bits where products underflow: see :data:`UNDERFLOW`)."""
    out_hi, rest = two_prod(hi, factor)
    out_lo = lo * factor
    size = np.abs(out_lo) + np.abs(rest)
    out_lo += rest
    return out_hi, out_lo, size


def shifted(
    hi: np.ndarray, lo: np.ndarray, size: np.ndarray | float, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``hi + lo + offset`` as ``hi' + lo'``: an exact TwoSum of ``hi`` and ``offset``, its
    remainder rounded into ``lo``; ``size`` grows by what that rounding was of."""
    out_hi, carry = two_sum(hi, offset)
    return out_hi, lo + carry, size + np.abs(carry)


def signed_sum(
    terms: list[tuple[np.ndarray, np.ndarray]], signs: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``sum sign * (hi + lo)`` for signs +-1 as ``hi' + lo'``: the ``hi`` parts add by exact
    TwoSums, the ``lo`` parts and the remainders with one rounding each (``2 len(terms)`` at
    most, each of at most ``EPS`` of the returned ``size``), and a last TwoSum makes ``hi'``
    the sum rounded again (where ``hi`` cancels, ``lo`` would not be small against it)."""
    (hi, lo), sign = terms[0], signs[0]
    hi, lo, size = sign * hi, sign * lo, np.abs(lo)
    for (h, low), sign in zip(terms[1:], signs[1:], strict=True):
        hi, carry = two_sum(hi, sign * h)
        lo = lo + sign * low + carry
        size = size + np.abs(low) + np.abs(carry)
    hi, lo = two_sum(hi, lo)
    return hi, lo, size


def sum_of_products(terms: list[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``sum a * b`` over ``terms`` (arrays that broadcast; a factor ``1.0`` multiplies
    exactly) as ``hi + lo``, and a bound on its error: exact TwoProds and TwoSums, their
    remainders summed into ``lo`` in order (products' first), one rounding each after the
    first; each TwoProd may also lose up to 2^-1073 where its products underflow.

    Examples
    --------
    >>> import numpy as np
    >>> hi, lo, bound = sum_of_products([(np.array([0.1]), 3.0), (np.array([1.0]), 1.0)])
    >>> float(hi[0]), bool(lo[0] != 0), bool(bound[0] < 1e-30)
    (1.3, True, True)
    """
    products, remainders, n_products = [], [], 0
    for a, b in terms:
        a = np.asarray(a, dtype=np.float64)
        if isinstance(b, float) and b == 1.0:
            products.append(a)
            continue
        p, rest = two_prod(a, np.asarray(b, dtype=np.float64))
        products.append(p)
        remainders.append(rest)
        n_products += 1
    hi = products[0]
    for p in products[1:]:
        hi, carry = two_sum(hi, p)
        remainders.append(carry)
    if not remainders:
        return hi, np.zeros_like(hi), np.zeros_like(hi)
    lo, size = remainders[0], np.abs(remainders[0])
    for rest in remainders[1:]:
        lo = lo + rest
        size = size + np.abs(rest)
    return hi, lo, gamma(len(remainders) - 1) * size + 2 * n_products * UNDERFLOW


def linear_rows(
    w: SplitMatrix, hi: np.ndarray, lo: np.ndarray, err: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(hi + lo) @ W.T`` of rows (k, n_in) known up to ``err`` each, as ``hi' + lo'`` with a
    bound (k, n_out) on its error: the rows' own errors through ``|W|`` plus the product's
    rounding (:func:`product`); in floats, to inflate by ``SAFE``."""
    ha, hb, y, scales = prepare(hi, lo, w.bits, w.n_slices)
    out = np.empty((len(hi), w.W.shape[0])), np.empty((len(hi), w.W.shape[0]))
    joined = product(ha, hb, y, w, out)
    bound = (err @ w.magnitude) * (1 + gamma(w.W.shape[1] + 1)) + w.bound(scales)
    return out[0], out[1], bound + joined


@dataclass(frozen=True, eq=False)
class SplitMatrix:
    """A weight matrix ``W`` (n_out, n_in), split once for :func:`product`.

    Attributes
    ----------
    W : ndarray, shape (n_out, n_in)
    n_slices : {3, 2, 1}
        Three slices per factor (rounding about 2^-93 of ``|W| |x|``), or two (about 2^-63,
        at half the cost: ``Wb`` and ``hb`` are zero, the products with them skipped), or
        one: no head at all, ``x W^T`` one float64 product, rounded by ``gamma(n)`` of
        ``max |x| sum |W_j|`` or of ``||x||_2 ||W_j||_2``, whichever is smaller (for the last
        layers of a net, whose rounding few layers grow; the second is about 2.5 times smaller
        on He nets' maps after ReLU).
    bits : int
        Leading bits kept per row in both factors' heads: ``(2^bits + 1)^2 n_in <= 2^53``,
        so that every partial sum of ``n_in`` products of heads is a float64.
    """

    W: np.ndarray
    n_slices: int = 3

    @cached_property
    def bits(self) -> int:
        return (52 - int(np.ceil(np.log2(max(self.W.shape[1], 2))))) // 2

    @cached_property
    def slices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``W = Wa + Wb + Wc`` (n_out, n_in): ``Wa`` and ``Wb`` each ``bits`` leading bits per
        row of what is left, and the first tail ``Wb + Wc``, exactly: ``(Wa, Wb, Wc, tail)``."""
        if self.n_slices == 1:
            zero = np.zeros_like(self.W)
            return zero, zero, self.W, self.W
        head, tail, _ = split_rows(self.W, self.bits)
        if self.n_slices == 2:
            return head, np.zeros_like(tail), tail, tail
        second, third, _ = split_rows(tail, self.bits)
        return head, second, third, tail

    @cached_property
    def parts(self) -> tuple[np.ndarray, ...]:
        """``W.T`` and its slices (n_in, n_out), ready to multiply rows from the right:
        ``Wa``, ``Wb``, ``Wc`` and the first tail ``Wb + Wc``."""
        return tuple(a.T.copy() for a in (self.W, *self.slices))

    @cached_property
    def magnitude(self) -> np.ndarray:
        """``|W|.T`` (n_in, n_out): the rows' errors through the matrix."""
        return np.abs(self.W).T.copy()

    @cached_property
    def norms(self) -> tuple[float, np.ndarray]:
        """Upper bounds on ``||W||_2`` and on each row's length (n_out,), for the exact ``W``
        (:mod:`regions.norms`)."""
        return spectral_bound(self.W), row_norm_bounds(self.W)

    @cached_property
    def sizes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per output row (n_out,): ``sum_j |W_ij|``, and the largest ``|entry|`` of the third
        slice and of the first tail."""
        third, tail = self.slices[2:]
        largest = [np.abs(a).max(axis=1, initial=0.0) for a in (third, tail)]
        return np.abs(self.W).sum(axis=1), *largest

    def bound(self, scales: np.ndarray, rows: float = 1.0) -> np.ndarray:
        """Error bound (k, n_out) of :func:`products`' rounded part, from the rows' ``scales``
        (3, k; :func:`prepare`'s); for a combination of several rows' errors with non-negative
        weights, the same combination of their scales, and ``rows`` the weights' sum.
        :func:`product` adds the rounding of the join."""
        w1, third_max, tail_max = self.sizes
        err = np.multiply.outer(scales[0], w1)
        if self.n_slices == 1:  # Cauchy-Schwarz: sum |x_i| |W_ji| <= ||x|| ||W_j|| too
            np.minimum(err, np.multiply.outer(scales[1], self.norms[1]), out=err)
        else:
            err += np.multiply.outer(scales[1], third_max)
            err += np.multiply.outer(scales[2], tail_max)
        err *= self.factor
        err += self.floor(rows)
        return err

    @cached_property
    def factor(self) -> float:
        """:meth:`bound`'s relative factor: the three rounded products', ``y``'s rounding and
        the two sums'."""
        n = self.W.shape[1]
        return (gamma(n) + 3 * EPS) * (1 + gamma(n))

    def floor(self, rows: float = 1.0) -> float:
        """:meth:`bound`'s allowance for products that underflow (see :data:`UNDERFLOW`)."""
        return (3 * self.W.shape[1] + 3) * UNDERFLOW * rows


def prepare(
    hi: np.ndarray, lo: np.ndarray, bits: int, n_slices: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``hi + lo`` (k, n_in) ready for :func:`product`: ``hi = ha + hb + hc`` split
    (:func:`split_rows`, then its tail again; with two slices ``hb`` is zero, with one both
    are empty, shape (0, n_in)),
    ``y = fl(hc + lo)``, and the scales (3, k) of the product's error: ``max |y|``, and
    bounds on ``sum |ha|`` and ``sum |hb|`` (with one slice, on ``||y||_2``, and 0).

    Zeroing entries of the rows afterwards (ReLU's dead units) keeps all four valid: the
    zeroed parts are exact zeros, and the scales only bound the rows from above.
    """
    if n_slices == 1:  # no heads: empty rows (nothing multiplies them)
        none = np.empty((0, hi.shape[1]))
        return _rest(hi.copy(), lo, none, none, None, np.zeros(len(hi)))
    ha, tail, size_a = split_rows(hi, bits)
    if n_slices == 2:
        hb, y, size_b = np.zeros_like(tail), tail, np.zeros(len(hi))
    else:
        hb, y, size_b = split_rows(tail, bits)
    return _rest(y, lo, ha, hb, size_a, size_b)


def _rest(
    y: np.ndarray,
    lo: np.ndarray,
    ha: np.ndarray,
    hb: np.ndarray,
    size_a: np.ndarray | None,
    size_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`prepare`'s result from the heads and the last tail ``y`` (``lo`` added into it,
    in place): the heads, the rest and the scales (``size_a`` None: one slice, whose second
    scale bounds the rows' lengths)."""
    y += lo
    scales = np.empty((3, len(y)))
    np.maximum(y.max(axis=1, initial=0.0), -y.min(axis=1, initial=0.0), out=scales[0])
    if size_a is None:
        scales[1] = row_length_bounds(y)
    else:
        np.multiply(size_a, y.shape[1], out=scales[1])
    np.multiply(size_b, y.shape[1], out=scales[2])
    return ha, hb, y, scales


def product(
    ha: np.ndarray,
    hb: np.ndarray,
    y: np.ndarray,
    w: SplitMatrix,
    out: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """``(hi + lo) @ W.T`` from :func:`prepare`'s ``ha``, ``hb`` and ``y`` (k, n_in), as an
    unevaluated sum ``out = (out_hi, out_lo)`` (k, n_out) with ``out_hi = fl(out_hi +
    out_lo)``; its error is at most ``w.bound(scales)`` plus the returned bound (k, n_out) of
    the join's two roundings (all computed in floats; inflate by ``SAFE`` for their own).

    Notes
    -----
    The three exact products join by TwoSums (:func:`joined`): the two small ones first, so
    that their sum's remainder and the rounded products meet in one rounding of their own
    size (about 2^-46 of the whole), then the head, then a last TwoSum makes ``out_hi`` the
    rounded total.
    """
    return joined(*products(ha, hb, y, w), out)


def products(
    ha: np.ndarray, hb: np.ndarray, y: np.ndarray, w: SplitMatrix
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`product`'s matrix products (k, n_out): the exact ``ha Wa^T``, ``ha Wb^T`` and
    ``hb Wa^T``, and the sum of the rounded others ``y W^T + ha Wc^T + hb (Wb + Wc)^T``.

    With ``hi = ha + hb + hc`` and ``|hb| <= 2^-bits |hi|``, ``|hc| <= 2^-2bits |hi|`` (each
    row's largest entry), the rounded products are of the order of 2^-2bits of the whole and
    are rounded by at most ``gamma(n)`` times ``max|y| sum|W|``, ``sum|ha| max|Wc|`` and
    ``sum|hb| max|Wb + Wc|``; with ``y``'s rounding and the two sums, :meth:`SplitMatrix.bound`.
    With two slices the products with ``hb`` and ``Wb`` are :data:`NO_PRODUCT`; with one, all
    but ``y W^T``.
    """
    t, head, second, third, tail = w.parts
    rest = y @ t
    if w.n_slices == 1:  # no heads: one rounded product, no exact one
        return NO_PRODUCT, NO_PRODUCT, NO_PRODUCT, rest
    rest += ha @ third
    p1 = ha @ head
    if w.n_slices == 2:  # hb and Wb are zero: so are two exact products, and hb's rounded one
        return p1, NO_PRODUCT, NO_PRODUCT, rest
    rest += hb @ tail
    return p1, ha @ second, hb @ head, rest


def joined(
    p1: np.ndarray,
    p2: np.ndarray,
    p3: np.ndarray,
    rest: np.ndarray,
    out: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """``p1 + p2 + p3 + rest`` (exact, exact, exact, rounded) as ``out = (hi, lo)``, and the
    bound ``EPS (|t| + |lo'|) SAFE`` on the two roundings on the way (``t``: the small
    products' remainder plus ``rest``; ``lo'``: the head's remainder plus ``t``). With two
    slices (``p2`` and ``p3`` :data:`NO_PRODUCT`) one TwoSum, exact: the bound is 0; with one
    (``p1`` too) ``rest`` itself."""
    if not p1.size:
        out[0][...], out[1][...] = rest, 0.0
        return np.zeros_like(rest)
    if not p2.size:
        two_sum(p1, rest, out)
        return np.zeros_like(p1)
    s, e = two_sum(p2, p3)
    e += rest  # t, rounded once
    hi, carry = two_sum(p1, s)
    carry += e  # lo', rounded once
    err = np.abs(e)
    err += np.abs(carry)
    err *= EPS * SAFE
    two_sum(hi, carry, out)
    return err
