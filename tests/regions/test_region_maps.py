"""The maps carried through the pass (:mod:`regions.region_maps`): the product of a ReLU layer
that started from one region, taken as one matrix product over all regions, against the
general path and against the exact maps with their error bounds."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from regions import region_maps
from regions.network import Affine


@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e6])
def test_one_region_product_matches_the_general_path_and_its_bound(scale):
    rng = np.random.default_rng(3)
    box = 2.0
    w1 = Affine(src=0, W=rng.normal(size=(7, 2)) * scale, b=rng.normal(size=7), name="fc1")
    w2 = Affine(src=1, W=rng.normal(size=(4, 7)) / scale, b=rng.normal(size=4), name="fc2")
    start = region_maps.affine(w1, region_maps.input_maps(np.eye(2, 3), box))
    slopes = rng.integers(0, 2, size=(50, 7))  # 50 regions of the next level, one parent
    act = region_maps.ActivatedMaps(start, np.zeros(50, dtype=np.int64), slopes, None, 0.0)
    fast = region_maps.affine(w2, act)  # the one-region product
    general = region_maps.affine(w2, act.maps())  # maps built in full first
    scale_of = np.abs(general.m).max(axis=(1, 2), keepdims=True)
    assert np.all(np.abs(fast.m - general.m) <= 1e-15 * scale_of)
    assert np.all(np.abs(fast.nu - general.nu) <= 1e-15 * general.nu)
    assert fast.kappa == general.kappa
    # The magnitude bound is |W| nu through the pieces, dead units adding nothing (tight, not
    # a norm of the whole row): at least the exact sum, and within SAFE and rounding of it.
    for maps in (fast, general):
        for r in range(50):
            for k in range(4):
                terms = (
                    abs(Fraction(float(w2.W[k, j]))) * Fraction(float(start.nu[0, j]))
                    for j in range(7)
                    if slopes[r, j]
                )
                tight = (sum(terms, Fraction(0)) + abs(Fraction(float(w2.b[k])))) * (
                    1 + Fraction(region_maps.gamma(8))
                )
                assert tight <= Fraction(float(maps.nu[r, k])) <= tight * (1 + Fraction(1, 2**28))
    # The exact maps, from the float weights taken exactly, at the box's corners.
    W1, b1, W2, b2 = (
        [[Fraction(float(v)) for v in row] for row in np.atleast_2d(a)]
        for a in (w1.W, w1.b, w2.W, w2.b)
    )
    for r in range(50):
        for u, v in [(-box, -box), (box, -box), (box, box), (-box, box)]:
            hidden = [
                (W1[j][0] * Fraction(u) + W1[j][1] * Fraction(v) + b1[0][j]) * int(slopes[r, j])
                for j in range(7)
            ]
            for k in range(4):
                exact = sum(W2[k][j] * hidden[j] for j in range(7)) + b2[0][k]
                got = fast.m[r, 0, k] * u + fast.m[r, 1, k] * v + fast.m[r, 2, k]
                # evaluating the float map adds its own rounding (gamma(3), as evaluate's)
                slack = (
                    3
                    * 2.0**-52
                    * (abs(fast.m[r, 0, k] * u) + abs(fast.m[r, 1, k] * v) + abs(fast.m[r, 2, k]))
                )
                assert abs(Fraction(got) - exact) <= fast.kappa * fast.nu[r, k] + slack
