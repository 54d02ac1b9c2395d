"""Float64 rounding constants for rigorous error bounds.

Every float operation rounds its exact result ``x`` to within ``EPS * |x|``; a float sum of
``n`` terms errs by at most ``gamma(n)`` times the sum of the terms' magnitudes, in any order
of summation (BLAS included). Error bounds computed in floats are themselves inflated by
``SAFE``, far more than their own rounding can need.
"""

from __future__ import annotations

__all__ = ["EPS", "SAFE", "gamma"]

EPS = 2.0**-53
"""Unit roundoff of float64: one rounding changes a value ``x`` by at most ``EPS * |x|``."""

SAFE = 1.0 + 2.0**-30
"""Factor every error bound is inflated by, to cover the rounding in computing the bound."""


def gamma(n: int) -> float:
    """Bound on the relative rounding error of a float sum of ``n`` terms (``n u / (1 - n u)``).

    Examples
    --------
    >>> gamma(2) > 2 * EPS
    True
    """
    return n * EPS / (1.0 - n * EPS)
