"""Rigorous upper bounds on a float64 matrix's Euclidean norms: its largest singular value and
its rows' lengths.

The double-float maps of deep nets (:mod:`regions.region_maps`) bound their rounding errors
unit by unit through ``|W|``, which grows about 4.5 times a layer on He-initialised nets of
width 64 while ``||W||_2`` is about 2.8: after 30 layers the unit-by-unit bound is some 10^6
times the norm-wise one. Both are valid, so the maps keep the smaller (see
:func:`regions.compensated_kernels.finished`); this module supplies the norms, as bounds that
hold for the exact matrix whatever the rounding of their own computation.
"""

from __future__ import annotations

import math

import numpy as np

from .floats import EPS, SAFE, gamma

__all__ = ["length_of_squares", "row_length_bounds", "row_norm_bounds", "spectral_bound"]

TINY = 2.0**-1074
"""The smallest subnormal: what one product below float64's range can lose, at most."""

_SQUARINGS = 4
"""``||G^16||_F^(1/32)`` bounds ``||W||_2`` for ``G = W^T W`` within ``min(shape)^(1/64)``."""


def spectral_bound(W: np.ndarray) -> float:
    """An upper bound on ``||W||_2``, the largest singular value of the exact matrix ``W``.

    ``G = B^T B`` (``B`` is ``W`` or its transpose, whichever makes ``G`` smaller, scaled by a
    power of two so that its largest entry is about 1) is symmetric positive semidefinite, so
    ``||G^16||_F = (sum_i lambda_i^32)^(1/2) >= lambda_max^16`` and ``||W||_2 = lambda_max^(1/2)
    <= ||G^16||_F^(1/32)``, at most ``min(shape)^(1/64)`` times too large (1.07 for 64 units).
    ``G^16`` comes from four squarings in floats, each with an entrywise bound on its distance
    from the exact power (``gamma(k) |X| |X|`` for the product's rounding, ``|X| E + E |X| + E E``
    for the error ``E`` carried in), so the result holds for the exact ``W``. The Frobenius norm
    (also a bound) is returned where it is smaller; ``inf`` for a non-finite ``W``.

    Parameters
    ----------
    W : ndarray, shape (n_out, n_in)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[3.0, 0.0], [0.0, -2.0]])
    >>> 3.0 <= spectral_bound(W) <= 3.0 * (1 + 1e-9)
    True
    """
    W = np.asarray(W, dtype=np.float64)
    top = float(np.abs(W).max(initial=0.0))
    if not math.isfinite(top):
        return math.inf
    if top == 0.0:
        return 0.0
    scale = math.frexp(top)[1]
    B = np.ldexp(W, -scale)  # largest |entry| in [1/2, 1); entries may underflow by TINY
    B = B if B.shape[0] >= B.shape[1] else B.T
    rows, k = B.shape
    lost = math.sqrt(B.size) * TINY  # ||exact B - B||_F
    aB = np.abs(B)
    frobenius = _frobenius_bound(aB)
    up = (1 + gamma(max(rows, k) + 2)) * SAFE  # a float product of bounds, rounded up
    X = B.T @ B
    E = (gamma(rows) * (aB.T @ aB) + rows * TINY) * up
    for _ in range(_SQUARINGS):
        aX = np.abs(X)
        E = (gamma(k) * (aX @ aX) + aX @ E + E @ aX + E @ E + 4 * k * TINY) * up
        X = X @ X
    power = _frobenius_bound(np.abs(X) + E) * SAFE  # ||G^16||_F, exact G
    bound = power
    for _ in range(_SQUARINGS + 1):  # the 32nd root, each square root rounded up
        bound = math.sqrt(bound) * (1 + 2 * EPS)
    best = min(bound, frobenius) if math.isfinite(bound) else frobenius
    return float(_scaled_up(np.float64((best + lost) * SAFE), scale))


def row_norm_bounds(W: np.ndarray) -> np.ndarray:
    """Upper bounds (n_out,) on the Euclidean length of each row of the exact matrix ``W``:
    ``|row . x| <= bound * ||x||_2`` for every vector ``x``.

    Each row is scaled by a power of two to a largest entry near 1 first, so that no square
    overflows and none that matters underflows; ``inf`` for a non-finite row.

    Examples
    --------
    >>> import numpy as np
    >>> b = row_norm_bounds(np.array([[3.0, 4.0], [0.0, 0.0], [1e300, 1e300]]))
    >>> bool(5.0 <= b[0] <= 5.0 * (1 + 1e-8)), float(b[1]), bool(b[2] >= 2**0.5 * 1e300)
    (True, 0.0, True)
    """
    W = np.asarray(W, dtype=np.float64)
    top = np.abs(W).max(axis=1, initial=0.0)
    finite = np.isfinite(top) & (top > 0)
    scale = np.frexp(np.where(finite, top, 1.0))[1]
    B = np.ldexp(W, -scale[:, None])
    squares = np.sum(B * B, axis=1)
    n = W.shape[1]
    out = _scaled_up(length_of_squares(squares, *squares_error(n)) * SAFE, scale)
    out[~finite] = np.where(top[~finite] == 0, 0.0, np.inf)
    return out


def row_length_bounds(rows: np.ndarray) -> np.ndarray:
    """Upper bounds (k,) on the Euclidean lengths of float rows (k, n): each row's squares
    summed in four running sums (entries ``j = 0, 1, 2, 3 mod 4``, in order), then
    ``(s0 + s1) + (s2 + s3)``, as the compiled loops of :mod:`regions.compensated_kernels` sum
    them (the same floats). No scaling: a row whose squares overflow gets ``inf``, which every
    caller takes as no bound (it keeps another)."""
    sums = np.zeros((4, len(rows)))
    with np.errstate(over="ignore", under="ignore"):  # inf: no bound; TINY covers the rest
        for j in range(rows.shape[1]):
            sums[j % 4] += rows[:, j] * rows[:, j]
        squares = (sums[0] + sums[1]) + (sums[2] + sums[3])
    return length_of_squares(squares, *squares_error(rows.shape[1]))


def squares_error(n: int) -> tuple[float, float]:
    """What :func:`length_of_squares` takes for a float sum of ``n`` float squares: the sum's
    relative error with each square's (``1 + gamma(n + 1)``), and the absolute allowance of
    squares below float64's range (``TINY`` each)."""
    return 1 + gamma(n + 1), n * TINY


def length_of_squares(squares: float | np.ndarray, up: float, allowance: float) -> np.ndarray:
    """An upper bound on ``sqrt`` of an exact sum of squares whose float sum is ``squares``
    (:func:`squares_error`'s ``up`` and ``allowance``), the square root rounded up; compiled
    loops call it too."""
    return np.sqrt((squares * up + allowance) * SAFE) * (1 + 2 * EPS)


def _frobenius_bound(a: np.ndarray) -> float:
    """An upper bound on the Frobenius norm of a non-negative float array's exact entries."""
    return float(length_of_squares(float(np.sum(a * a)), *squares_error(a.size)))


def _scaled_up(x: np.ndarray, scale: np.ndarray | int) -> np.ndarray:
    """``x * 2**scale``, rounded up where it falls below float64's normal range (where
    ``ldexp`` rounds to the nearest subnormal)."""
    out = np.ldexp(x, scale)
    return np.where(out < np.finfo(np.float64).tiny, np.nextafter(out, np.inf), out)
