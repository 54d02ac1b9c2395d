"""Exact numbers as Python integers: float64 arrays as dyadic rationals (an integer array over one
power of two), plane points as integers over a common denominator, and the sign and
alignment helpers the exact oracle (:mod:`regions.oracle`) computes with.

Every float64 is ``m * 2**e``; Python integers never overflow, so every sum and product here
is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

__all__ = [
    "Dyadic",
    "align",
    "as_fractions",
    "as_ratios",
    "dyadic",
    "homogeneous",
    "line_through",
    "objects",
    "ratio",
    "sign",
]


@dataclass(frozen=True, eq=False)
class Dyadic:
    """Exact values ``num * 2**exp``: ``num`` an object array of Python ints, one ``exp``."""

    num: np.ndarray
    exp: int


def dyadic(a: np.ndarray) -> Dyadic:
    """The float64 array ``a`` exactly, as integers over its smallest power of two."""
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("regions.oracle: weights, breakpoints and planes must be finite")
    ratios = [x.as_integer_ratio() for x in a.ravel().tolist()]  # (n, 2**k), exactly
    exps = [1 - d.bit_length() for _, d in ratios]
    exp = min(exps, default=0)
    num = [n << (k - exp) for (n, _), k in zip(ratios, exps, strict=True)]
    return Dyadic(objects(num, a.shape), exp)


def align(*terms: tuple[np.ndarray, int]) -> tuple[list[np.ndarray], int]:
    """Integer arrays ``n_i`` standing for ``n_i * 2**e_i``, rewritten over one exponent."""
    exp = min(e for _, e in terms)
    return [n * (1 << (e - exp)) for n, e in terms], exp


def objects(items: list, shape: tuple[int, ...]) -> np.ndarray:
    """An object array of ``shape`` holding the Python objects of the flat list ``items``."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


def sign(n: np.ndarray) -> np.ndarray:
    return (n > 0).astype(np.int8) - (n < 0).astype(np.int8)


def ratio(x: object) -> tuple[int, int]:
    """A number exactly as (numerator, denominator > 0); floats are dyadic rationals."""
    if isinstance(x, np.generic) and not isinstance(x, np.bool_):
        x = x.item()  # float32 and float64 scalars convert exactly
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"regions.oracle: points must be finite, got {x!r}")
        return x.as_integer_ratio()
    if isinstance(x, int) and not isinstance(x, bool):
        return x, 1
    if isinstance(x, Fraction):
        return x.numerator, x.denominator
    raise TypeError(f"regions.oracle: points must be numbers or Fractions, got {x!r}")


def as_ratios(points: object) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Plane points exactly, as integer pairs ((num_u, den_u), (num_v, den_v)), den > 0.

    The fast form of :func:`as_fractions` (no gcd): every float64 is a dyadic rational.

    Parameters
    ----------
    points : array_like, shape (N, 2)
        Finite numbers (int, float, numpy scalars) or :class:`fractions.Fraction`; anything
        else raises TypeError, another shape or a NaN ValueError.

    Returns
    -------
    list of ((int, int), (int, int)), length N

    Examples
    --------
    >>> from fractions import Fraction
    >>> from regions.oracle import as_ratios
    >>> as_ratios([[0.5, 3], [Fraction(1, 3), -0.75]])
    [((1, 2), (3, 1)), ((1, 3), (-3, 4))]
    """
    arr = np.asarray(points, dtype=object)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"regions.oracle: points must have shape (N, 2), got {arr.shape}")
    return [(ratio(u), ratio(v)) for u, v in arr.tolist()]


def as_fractions(points: object) -> list[tuple[Fraction, Fraction]]:
    """Plane points (N, 2) as exact Fractions, a list of N pairs; see :func:`as_ratios`.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from regions.oracle import as_fractions
    >>> as_fractions([[0.1, 2], [Fraction(1, 3), -0.5]])[0][0]  # the float nearest 1/10
    Fraction(3602879701896397, 36028797018963968)
    """
    return [(Fraction(*u), Fraction(*v)) for u, v in as_ratios(points)]


def homogeneous(points: object) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 2) exactly as integers (u, v, 1) * d (N, 3), d (N,) the least common
    denominator of each point."""
    ratios = as_ratios(points)
    den = [math.lcm(du, dv) for (_, du), (_, dv) in ratios]
    hom = [
        c
        for ((nu, du), (nv, dv)), d in zip(ratios, den, strict=True)
        for c in (nu * (d // du), nv * (d // dv), d)
    ]
    return objects(hom, (len(ratios), 3)), objects(den, (len(ratios),))


def line_through(p: object, q: object) -> tuple[Fraction, Fraction, Fraction]:
    """The line ``a x + b y + c = 0`` through two points taken exactly (floats are rationals):
    ``(q_y - p_y, p_x - q_x, q_x p_y - p_x q_y)``.

    Examples
    --------
    >>> [str(c) for c in line_through((0.0, 0.5), (1.0, 1.5))]
    ['1', '-1', '1/2']
    """
    (px, py), (qx, qy) = as_fractions([p, q])
    return qy - py, px - qx, qx * py - px * qy
