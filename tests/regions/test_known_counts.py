"""Networks whose region counts are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from checks import check_all
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import regions
from regions.constructions import (
    folding_net,
    folding_net_count,
    line_arrangement,
    sawtooth,
    sawtooth_2d,
)

UNIT_SQUARE = (0.0, 1.0, 0.0, 1.0)


@pytest.mark.parametrize("depth", range(1, 9))
def test_sawtooth_has_2_to_the_depth_strips(depth):
    part = regions.decompose(sawtooth(depth), UNIT_SQUARE)
    assert len(part) == 2**depth
    # The strips are the dyadic intervals: every region has width 2^-depth and full height.
    widths = np.array([np.ptp(p[:, 0]) for p in part.polygons])
    np.testing.assert_allclose(widths, 2.0**-depth, rtol=1e-12)
    np.testing.assert_allclose(part.areas, 2.0**-depth, rtol=1e-12)
    assert part.euler_characteristic() == 1


@pytest.mark.parametrize("depth", range(1, 6))
def test_sawtooth_2d_has_4_to_the_depth_squares(depth):
    model = sawtooth_2d(depth)
    part = regions.decompose(model, UNIT_SQUARE)
    assert len(part) == 4**depth
    np.testing.assert_allclose(part.areas, 4.0**-depth, rtol=1e-12)
    check_all(model, part)


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("final_width", [1, 2, 4])
def test_folding_net_matches_montufar_formula(p, depth, final_width):
    part = regions.decompose(folding_net(p, depth, final_width), UNIT_SQUARE)
    assert len(part) == folding_net_count(p, depth, final_width)
    assert folding_net_count(p, depth, final_width) == p ** (2 * (depth - 1)) * (
        1 + final_width + math.comb(final_width, 2)
    )


def _crossings(normals: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    n = len(normals)
    pts = []
    for i in range(n):
        for j in range(i + 1, n):
            pts.append(np.linalg.solve(normals[[i, j]], -offsets[[i, j]]))
    return np.array(pts).reshape(-1, 2)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_layer_line_arrangement_formula(n, seed):
    rng = np.random.default_rng(seed)
    angles = np.pi * (np.arange(n) + rng.uniform(0.1, 0.9, n)) / n
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1) * rng.uniform(0.5, 2, (n, 1))
    offsets = rng.uniform(-0.3, 0.3, n)
    pts = _crossings(normals, offsets)
    # General position with every crossing well inside the box: the formula applies.
    assume(np.all(np.abs(pts) < 1.9))
    if len(pts) > 1:
        d = np.linalg.norm(pts[:, None] - pts[None], axis=2) + np.eye(len(pts))
        assume(d.min() > 1e-6)
    model = line_arrangement(normals, offsets)
    part = regions.decompose(model)
    assert len(part) == 1 + n + n * (n - 1) // 2
    check_all(model, part)
