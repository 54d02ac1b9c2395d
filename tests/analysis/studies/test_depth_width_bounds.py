"""Region-count bounds: hand-computed values, orderings, exact counts against the bounds, and the
Hanin & Rolnick density fit."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import regions
from analysis.studies.depth_width.bounds import (
    BOUNDS,
    DensityFit,
    evaluate_bounds,
    fit_density_law,
    montufar_lower,
    montufar_upper,
    one_layer_max,
    serra_lower,
    serra_upper,
    trivial_upper,
)
from regions.constructions import folding_net, folding_net_count

widths_st = st.lists(st.integers(1, 12), min_size=1, max_size=6)
n0_st = st.integers(1, 4)


def serra_upper_brute(widths: list[int], n0: int) -> int:
    """Theorem 1 of Serra et al. (2018) summed over every tuple, for cross-checking the DP."""
    total = 0
    for js in itertools.product(*(range(n + 1) for n in widths)):
        cap = n0
        ok = True
        for n, j in zip(widths, js, strict=True):
            if j > min(cap, n):
                ok = False
                break
            cap = min(cap, n - j)
        if ok:
            total += math.prod(math.comb(n, j) for n, j in zip(widths, js, strict=True))
    return total


# --- hand-computed values (n0 = 2) -------------------------------------------------------------


def test_hand_values() -> None:
    assert montufar_lower([4, 4]) == 44  # 2^2 * (1 + 4 + 6)
    assert serra_upper([4, 4]) == 121  # 11 * 11
    # j1=0: 4 + 2*3 + 1 = 11; j1=1: 2 * (3 + 2*3) = 18; j1=2: 1
    assert serra_upper([2, 2, 2]) == 30
    assert montufar_upper([2, 2, 2]) == 64
    assert montufar_lower([8, 8, 8]) == 9_472  # 16 * 16 * 37
    assert serra_upper([8, 8, 8]) == 50_653  # 37^3
    assert serra_lower([8, 8, 8]) == 23_125  # 25 * 25 * 37
    assert trivial_upper([8, 8, 8]) == 2**24


def test_serra_upper_narrow_layer_caps_dimension() -> None:
    # A width-1 layer leaves a 1D image: the next layer adds at most n + 1 pieces per region.
    # (j1 = 0: 5 * 5; j1 = 1: the cap drops to 0, one piece after it) -> 25 + 1 = 26
    assert serra_upper([1, 4, 4]) == 26
    assert montufar_upper([1, 4, 4]) == 2 * 5 * 5


@pytest.mark.parametrize("n", range(1, 30))
def test_one_layer_max_is_line_arrangement(n: int) -> None:
    assert one_layer_max(n) == 1 + n + n * (n - 1) // 2
    assert one_layer_max(n, n0=1) == n + 1
    assert one_layer_max(n, n0=n) == 2**n


def test_serra_upper_is_fast_and_exact_for_wide_deep_nets() -> None:
    value = serra_upper([128] * 8)
    # Every cap stays at 2 (128 - j >= 126), so the bound factorises.
    assert value == one_layer_max(128) ** 8
    assert isinstance(value, int)
    assert serra_upper([300] * 40, n0=5) == one_layer_max(300, 5) ** 40


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), n0_st)
def test_serra_upper_dp_matches_brute_force(widths: list[int], n0: int) -> None:
    assert serra_upper(widths, n0) == serra_upper_brute(widths, n0)


# --- orderings -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(widths_st, n0_st)
def test_upper_bounds_are_ordered(widths: list[int], n0: int) -> None:
    s, m, t = serra_upper(widths, n0), montufar_upper(widths, n0), trivial_upper(widths, n0)
    assert 1 <= s <= m <= t
    assert all(isinstance(v, int) for v in (s, m, t))


@settings(max_examples=300, deadline=None)
@given(widths_st, n0_st)
def test_lower_bounds_below_upper_bounds(widths: list[int], n0: int) -> None:
    b = evaluate_bounds(widths, n0)
    assert b["serra_upper"] is not None
    for name in ("montufar_lower", "serra_lower"):
        if b[name] is not None:
            assert 1 <= b[name] <= b["serra_upper"]
    assert (b["montufar_lower"] is None) == (min(widths) < n0)
    assert (b["serra_lower"] is None) == (min(widths) < 3 * n0)
    if b["serra_lower"] is not None:
        assert b["montufar_lower"] is not None
        assert b["serra_lower"] >= b["montufar_lower"]
        if len(widths) > 1:
            assert b["serra_lower"] > b["montufar_lower"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(3, 40), min_size=1, max_size=6))
def test_bounds_coincide_in_one_dimension(widths: list[int]) -> None:
    # Serra et al.: the bounds are exact for n0 = 1, both equal to prod (n_l + 1).
    expected = math.prod(n + 1 for n in widths)
    assert serra_lower(widths, 1) == serra_upper(widths, 1) == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), n0_st)
def test_one_layer_nets_are_exact(n: int, n0: int) -> None:
    exact = one_layer_max(n, n0)
    assert serra_upper([n], n0) == montufar_upper([n], n0) == exact
    if n >= n0:
        assert montufar_lower([n], n0) == exact
    if n >= 3 * n0:
        assert serra_lower([n], n0) == exact


def test_bounds_registry() -> None:
    assert set(BOUNDS) == {
        "trivial_upper",
        "montufar_upper",
        "serra_upper",
        "serra_lower",
        "montufar_lower",
    }
    assert list(evaluate_bounds([8, 8])) == list(BOUNDS)
    for name, bound in BOUNDS.items():
        assert bound([8, 8], 2) == evaluate_bounds([8, 8])[name]


# --- errors ----------------------------------------------------------------------------------


def test_lower_bounds_name_the_offending_layer() -> None:
    with pytest.raises(ValueError, match=r"layer 2 .* width 5"):
        serra_lower([8, 5, 8])
    with pytest.raises(ValueError, match=r"3 n0"):
        serra_lower([6, 6], n0=3)
    with pytest.raises(ValueError, match=r"layer 3 .* width 1"):
        montufar_lower([4, 4, 1])


@pytest.mark.parametrize(
    ("widths", "n0", "error"),
    [
        ([], 2, ValueError),
        ([4, 0], 2, ValueError),
        ([4, -1], 2, ValueError),
        ([4], 0, ValueError),
        ([4.0], 2, TypeError),
        ([True], 2, TypeError),
        ("44", 2, TypeError),
        (4, 2, TypeError),
    ],
)
def test_invalid_architectures(widths: object, n0: object, error: type) -> None:
    for bound in BOUNDS.values():
        with pytest.raises(error):
            bound(widths, n0)  # type: ignore[arg-type]


def test_numpy_integers_accepted() -> None:
    assert serra_upper(np.array([4, 4]), np.int64(2)) == 121
    assert isinstance(serra_upper(np.array([4, 4])), int)


# --- exact counts against the bounds ---------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "depth", "final"),
    [(1, 1, 3), (2, 2, 1), (2, 2, 2), (2, 2, 4), (3, 2, 3), (2, 3, 3), (3, 3, 2), (1, 3, 4)],
)
def test_folding_net_between_bounds(p: int, depth: int, final: int) -> None:
    count = regions.count(folding_net(p, depth, final), (0.0, 1.0, 0.0, 1.0))
    assert count == folding_net_count(p, depth, final)
    widths = [2 * p] * (depth - 1) + [final]
    assert count <= serra_upper(widths)
    if min(widths) >= 2:
        # The folding net is Montufar et al.'s construction: it attains their bound exactly.
        assert count == montufar_lower(widths)
    else:
        with pytest.raises(ValueError):
            montufar_lower(widths)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(1, 7), min_size=1, max_size=3),
    st.integers(0, 2**31 - 1),
)
def test_random_nets_never_exceed_serra_upper(widths: list[int], seed: int) -> None:
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    fan_in = 2
    for w in widths:
        layers += [torch.nn.Linear(fan_in, w), torch.nn.ReLU()]
        fan_in = w
    net = torch.nn.Sequential(*layers, torch.nn.Linear(fan_in, 1))
    count = regions.count(net, (-2.0, 2.0, -2.0, 2.0))
    assert 1 <= count <= serra_upper(widths)


def test_strong_biases_reach_one_layer_max() -> None:
    # Lines in general position crossing inside the box: the one-layer bound is attained.
    n = 6
    angles = np.pi * (np.arange(n) + 0.3) / n
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    offsets = 0.1 * np.cos(np.arange(n) * 1.7)
    net = regions.constructions.line_arrangement(normals, offsets)
    assert regions.count(net, (-2.0, 2.0, -2.0, 2.0)) == one_layer_max(n) == serra_upper([n])


# --- Hanin & Rolnick density law -------------------------------------------------------------


def test_density_fit_recovers_synthetic_law() -> None:
    n = np.array([8, 16, 24, 32, 64, 128])
    area = 16.0
    fit = fit_density_law(n, 3.0 * n**2 * area, area)
    assert isinstance(fit, DensityFit)
    assert fit.constant == pytest.approx(3.0, rel=1e-12)
    assert fit.slope == pytest.approx(2.0, abs=1e-12)
    assert fit.intercept == pytest.approx(math.log(3.0), abs=1e-12)
    assert fit.rms_log_residual == pytest.approx(0.0, abs=1e-12)
    assert fit.n_points == 6
    assert fit.predict(10, 4.0) == pytest.approx(3.0 * 100 * 4.0)
    assert fit.predict(10, 4.0, free=True) == pytest.approx(1200.0)
    np.testing.assert_allclose(fit.predict(n, area), 3.0 * n**2 * area)


def test_density_fit_per_point_areas_and_other_exponent() -> None:
    n = np.array([2.0, 4.0, 8.0, 64.0])
    areas = np.array([1.0, 4.0, 16.0, 0.25])
    counts = 0.5 * n**1.5 * areas  # the free fit sees exponent 1.5; C absorbs the misfit
    fit = fit_density_law(n, counts, areas)
    assert fit.slope == pytest.approx(1.5)
    assert fit.intercept == pytest.approx(math.log(0.5))
    # Fixed-exponent C: geometric mean of 0.5 * n^-0.5.
    assert fit.constant == pytest.approx(0.5 * math.exp(-0.5 * np.mean(np.log(n))))
    assert fit.rms_log_residual > 0.1
    assert fit.predict(16, 1.0, free=True) == pytest.approx(0.5 * 16**1.5)


def test_density_fit_noisy_data() -> None:
    rng = np.random.default_rng(0)
    n = np.repeat([10, 20, 40, 80, 160], 20)
    counts = 3.0 * n**2 * 16.0 * np.exp(rng.normal(0.0, 0.05, n.size))
    fit = fit_density_law(n, counts, 16.0)
    assert fit.constant == pytest.approx(3.0, rel=0.03)
    assert fit.slope == pytest.approx(2.0, abs=0.03)


def test_density_fit_is_frozen() -> None:
    fit = fit_density_law([2, 4], [12, 48], 1.0)
    with pytest.raises(AttributeError):
        fit.constant = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("n", "counts", "area"),
    [
        ([4, 4, 4], [10, 11, 12], 1.0),  # one distinct N: no slope
        ([4, 8], [10], 1.0),
        ([4, 8], [10, 0], 1.0),
        ([0, 8], [10, 20], 1.0),
        ([4, 8], [10, 20], -1.0),
        ([4, 8], [10, 20], [1.0, 2.0, 3.0]),
        ([4, 8], [10, np.nan], 1.0),
        ([[4, 8]], [[10, 20]], 1.0),
    ],
)
def test_density_fit_rejects_bad_input(n: object, counts: object, area: object) -> None:
    with pytest.raises(ValueError):
        fit_density_law(n, counts, area)  # type: ignore[arg-type]
