"""Exact cell counts of line arrangements (regions.arrangement) against the certified
decomposition of the one-hidden-layer net with those breakpoint lines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import regions
from regions import arrangement
from regions.arrangement import arrangement_cells, distinct_lines

BOXES = [(-1.0, 1.0, -1.0, 1.0), (-2.0, 2.0, -1.5, 0.5), (0.0, 1.0, 0.0, 1.0)]


def one_layer_net(w: np.ndarray, b: np.ndarray) -> torch.nn.Module:
    """Linear(2, n) -> ReLU -> Linear(n, 1) in float64 with these breakpoint lines."""
    net = torch.nn.Sequential(
        torch.nn.Linear(2, len(b)), torch.nn.ReLU(), torch.nn.Linear(len(b), 1)
    ).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(w))
        net[0].bias.copy_(torch.from_numpy(b))
        net[2].weight.fill_(1.0)
    return net


def assert_counts_agree(w: np.ndarray, b: np.ndarray, box: tuple[float, ...]) -> None:
    net = one_layer_net(w, b)
    expected = len(regions.decompose(net, box))
    assert arrangement_cells(w, b, box) == expected
    assert regions.count(net, box) == expected  # counted from the arrangement too


small_ints = st.integers(-3, 3).map(float)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(small_ints, small_ints, small_ints), min_size=1, max_size=9),
    box=st.sampled_from(BOXES),
)
def test_degenerate_integer_lines(rows: list[tuple[float, float, float]], box) -> None:
    # Small integer lines: concurrent points, parallel and repeated lines, lines along the
    # box's edges and through its corners, crossings on the boundary.
    a = np.array(rows)
    assert_counts_agree(a[:, :2], a[:, 2] / 2.0, box)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 10),
    box=st.sampled_from(BOXES),
)
def test_weights_spanning_sixteen_orders_of_magnitude(seed: int, n: int, box) -> None:
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(n, 2)) * 10.0 ** rng.integers(-8, 9, size=(n, 1))
    b = rng.normal(size=n) * 10.0 ** rng.integers(-8, 9, size=n)
    assert_counts_agree(w, b, box)


@pytest.mark.parametrize("seed", range(3))
def test_repeated_scaled_and_reversed_units(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w0 = rng.integers(-3, 4, size=(6, 2)).astype(float)
    b0 = rng.integers(-3, 4, size=6) / 2.0
    scale = rng.choice([-2.0, 0.5, 3.0], size=6)
    w, b = np.r_[w0, w0 * scale[:, None]], np.r_[b0, b0 * scale]
    assert_counts_agree(w, b, (-1.0, 1.0, -1.0, 1.0))
    first, line_of = distinct_lines(w, b)
    assert (line_of[6:] == line_of[:6]).all()  # each copy is its original's line


def test_lines_through_the_origin_and_a_common_point() -> None:
    angles = np.arange(7) * np.pi / 7
    w = np.c_[np.cos(angles), np.sin(angles)]
    assert arrangement_cells(w, np.zeros(7), (-1, 1, -1, 1)) == 14
    assert arrangement_cells(w, np.zeros(7), (0.5, 1, 0.5, 1)) == 2  # only y = 0.8 x enters
    # The same pencil moved to (0.25, -0.5): still 14 sectors, decided exactly.
    b = -(w @ np.array([0.25, -0.5]))
    assert_counts_agree(w, b, (-1.0, 1.0, -1.0, 1.0))


def test_random_wide_layer_matches_the_decomposition() -> None:
    rng = np.random.default_rng(7)
    w, b = rng.normal(size=(60, 2)), rng.normal(size=60) * 0.5
    assert_counts_agree(w, b, (-1.0, 1.0, -1.0, 1.0))


def test_count_uses_the_arrangement_only_where_it_applies() -> None:
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(30, 2)), rng.normal(size=30) * 0.5
    net = one_layer_net(w, b)
    n = arrangement_cells(w, b, (-2, 2, -2, 2))
    assert regions.count(net) == n == len(regions.decompose(net))
    with pytest.raises(regions.TooManyRegionsError, match="max_regions=10"):
        regions.count(net, max_regions=10)
    # A polygon domain, a plane, a second layer or a ReLU6 unit: the decomposition counts.
    triangle = shapely.Polygon([(-2, -2), (2, -2), (0, 2)])
    assert regions.count(net, triangle) == len(regions.decompose(net, triangle))
    deep = torch.nn.Sequential(net[0], torch.nn.ReLU(), torch.nn.Linear(30, 3), torch.nn.ReLU())
    assert regions.count(deep.double()) == len(regions.decompose(deep.double()))
    six = torch.nn.Sequential(net[0], torch.nn.ReLU6())
    assert regions.count(six) == len(regions.decompose(six)) > n


def test_blocks_of_lines_give_the_same_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # Crossings are computed a block of lines at a time; tiny blocks split every line's
    # crossings from other lines' but never one line's own, so the count cannot change.
    rng = np.random.default_rng(3)
    w = np.r_[rng.normal(size=(25, 2)), rng.integers(-2, 3, size=(15, 2))]
    b = np.r_[rng.normal(size=25), np.zeros(15)]
    expected = arrangement_cells(w, b, (-1, 1, -1, 1))
    monkeypatch.setattr(arrangement, "_PAIRS_PER_BLOCK", 7)
    assert arrangement_cells(w, b, (-1, 1, -1, 1)) == expected
    assert_counts_agree(w, b, (-1.0, 1.0, -1.0, 1.0))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        arrangement_cells(np.zeros((3, 3)), np.zeros(3), (-1, 1, -1, 1))
    with pytest.raises(ValueError, match="finite"):
        arrangement_cells(np.array([[np.nan, 1.0]]), np.zeros(1), (-1, 1, -1, 1))
    with pytest.raises(ValueError, match="xmin < xmax"):
        arrangement_cells(np.ones((1, 2)), np.zeros(1), (1, 1, -1, 1))
