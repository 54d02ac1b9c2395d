"""Upper bounds on matrix norms (:mod:`regions.norms`), judged in exact arithmetic: no bound
falls below the exact matrix's norm (a Rayleigh quotient, a row's length), and none is much
above it."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regions.norms import row_norm_bounds, spectral_bound


def stretched(W: np.ndarray, x: np.ndarray) -> Fraction:
    """``||W x||^2 / ||x||^2`` exactly: at most ``||W||_2^2`` for every ``x``."""
    Wf = [[Fraction(float(v)) for v in row] for row in W]
    xf = [Fraction(float(v)) for v in x]
    image = [sum((w * v for w, v in zip(row, xf, strict=True)), Fraction(0)) for row in Wf]
    return sum(v * v for v in image) / sum(v * v for v in xf)


def matrices(seed: int, shape: tuple[int, int], scale: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape) * np.sqrt(2 / shape[1]) * scale


@pytest.mark.parametrize("shape", [(64, 64), (64, 2), (2, 64), (1, 7), (9, 1), (30, 17)])
@pytest.mark.parametrize("scale", [1.0, 1e-300, 1e300, 2.0**-1060])
def test_the_spectral_bound_is_above_the_norm_and_close_to_it(shape, scale):
    W = matrices(sum(shape), shape, scale)
    bound = spectral_bound(W)
    top = np.linalg.svd(W, full_matrices=False)[2][0]  # the top right singular vector, in floats
    assert Fraction(bound) ** 2 >= stretched(W, top)
    # within min(shape)^(1/64) of the norm (the float SVD's own error is far below 1e-6), and
    # a few subnormal steps where the norm is below float64's normal range
    sigma = np.linalg.svd(W / scale, compute_uv=False)[0] * scale
    assert bound <= sigma * min(shape) ** (1 / 64) * (1 + 1e-6) + (W.size + 4) * 5e-324


def test_the_spectral_bound_of_known_norms():
    u, v = np.array([3.0, -4.0, 12.0]), np.array([1.0, 2.0, -2.0, 4.0])
    W = np.outer(u, v)  # ||W||_2 = ||u|| ||v|| = 13 * 5
    assert 65.0 <= spectral_bound(W) <= 65.0 * (1 + 1e-9)
    assert 7.0 <= spectral_bound(np.diag([1.0, -7.0, 3.0])) <= 7.0 * (1 + 1e-9)
    assert spectral_bound(np.zeros((4, 3))) == 0.0
    assert spectral_bound(np.empty((0, 5))) == 0.0
    assert spectral_bound(np.array([[1.0, np.nan]])) == np.inf
    assert spectral_bound(np.array([[1.0, -np.inf]])) == np.inf


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 12),
    cols=st.integers(1, 12),
    spread=st.integers(0, 300),
)
def test_no_direction_is_stretched_beyond_the_bound(seed, rows, cols, spread):
    """Entries spanning up to 10^600 (zeros, subnormals, duplicated rows among them): the
    bound holds at the top singular direction and at random ones."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(rows, cols)) * 10.0 ** rng.integers(-spread, spread + 1, (rows, cols))
    W[rng.random((rows, cols)) < 0.2] = 0.0
    if rows > 1:
        W[-1] = W[0]
    assert np.isfinite(spectral_bound(W))
    bound = Fraction(spectral_bound(W)) ** 2
    directions = list(rng.normal(size=(3, cols)))
    with np.errstate(all="ignore"):
        scale = np.abs(W).max()
        if scale > 0:
            directions.append(np.linalg.svd(W / scale)[2][0])
    for x in directions:
        if np.any(x):
            assert stretched(W, x) <= bound


def test_row_lengths_are_bounded_exactly_and_tightly():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(6, 9)) * np.array([[1.0], [1e-300], [1e300], [2.0**-1070], [1.0], [1.0]])
    W[4] = 0.0
    W[5, 3] = 5e-324  # a subnormal among normal entries
    bounds = row_norm_bounds(W)
    for row, bound in zip(W, bounds, strict=True):
        exact = sum(Fraction(float(v)) ** 2 for v in row)
        assert Fraction(float(bound)) ** 2 >= exact
        # a few subnormal steps too where the length is below float64's normal range
        assert (
            max(Fraction(float(bound)) - Fraction(4 * 5e-324), Fraction(0)) ** 2
            <= exact * Fraction(1 + 1e-8) ** 2
        )
    assert bounds[4] == 0.0
    bad = row_norm_bounds(np.array([[1.0, np.nan], [np.inf, 0.0], [3.0, 4.0]]))
    assert bad[0] == bad[1] == np.inf and 5.0 <= bad[2] <= 5.0 * (1 + 1e-8)
