"""Double-float maps (:mod:`regions.compensated` and the compensated path of
:mod:`regions.region_maps`), judged in exact rational arithmetic: splits and TwoSums are exact,
every product and every map is within its bound, the bound is far tighter than float64's,
and decompositions with compensated maps are the same partitions with fewer exact signs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_vertex_bounds import MODES, checked_bounds

import regions
from regions import lines, region_maps, testing
from regions.compensated import SplitMatrix, prepare, product, split_rows, two_prod, two_sum
from regions.domain import as_plane
from regions.floats import SAFE
from regions.network import Affine, Sum


@contextmanager
def maps_in(double: bool, one_slice: bool = False) -> Iterator[None]:
    """Decompositions inside carry double-float maps always (``double``) or never; the maps
    of nodes with more than one activation layer after them from three slices, with one from
    two and the output's from one (all kinds in most nets), or all from one (``one_slice``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(region_maps, "COMPENSATE_ABOVE", -1.0 if double else np.inf)
        patch.setattr(region_maps, "COMPENSATE_FROM", 0)
        patch.setattr(region_maps, "THREE_SLICES_AFTER", 10**6 if one_slice else 1)
        patch.setattr(region_maps, "ONE_SLICE_WITHIN", 10**6 if one_slice else 0)
        yield


def exact(a: np.ndarray) -> list:
    return [[Fraction(float(v)) for v in row] for row in np.atleast_2d(a)]


def scaled_rows(seed: int, k: int, n: int) -> np.ndarray:
    """Rows whose scales span 1e-300 to 1e280, with zeros, subnormals and full mantissas."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(k, n)) * 10.0 ** rng.integers(-300, 280, size=(k, 1))
    a *= 10.0 ** rng.integers(-8, 9, size=(k, n))  # entries of one row span 1e16 too
    a[rng.random((k, n)) < 0.2] = 0.0
    a[0] = 0.0
    a[1, :2] = 5e-324, -3e-320  # subnormal entries
    a[2] = 1.0 - 2.0**-53 * rng.integers(1, 2**20, size=n)  # all bits set below 1
    a[3] = 1e300 * rng.normal(size=n)  # too large to split: no head
    return a


@pytest.mark.parametrize("bits", [4, 19, 23, 25])
def test_split_rows_is_exact_and_on_each_rows_grid(bits):
    a = scaled_rows(0, 12, 9)
    head, tail, size = split_rows(a, bits)
    for row, h, t, bound in zip(exact(a), exact(head), exact(tail), size.tolist(), strict=True):
        assert [x + y for x, y in zip(h, t, strict=True)] == row  # exact
        assert max(abs(x) for x in h) <= Fraction(bound)
        top = max(abs(x) for x in row)
        if top == 0 or not any(h):
            continue
        grid = Fraction(2) ** (max(int(np.frexp(float(top))[1]), -1000) - bits)
        for x in h:
            assert (x / grid).denominator == 1 and abs(x / grid) <= 2**bits + 1
    assert not head[3].any() and np.array_equal(tail[3], a[3])


def test_two_prod_is_exact():
    rng = np.random.default_rng(4)
    a = rng.normal(size=200) * 10.0 ** rng.integers(-140, 140, size=200)
    b = rng.normal(size=200) * 10.0 ** rng.integers(-140, 140, size=200)
    b[:3] = 0.1, 1.0, 0.0  # LeakyReLU's slopes
    p, e = two_prod(a, b)
    assert np.array_equal(p, a * b)
    for x, y, u, v in zip(a, b, p, e, strict=True):
        assert Fraction(float(u)) + Fraction(float(v)) == Fraction(float(x)) * Fraction(float(y))


def test_two_sum_is_exact():
    rng = np.random.default_rng(1)
    a = rng.normal(size=200) * 10.0 ** rng.integers(-300, 300, size=200)
    b = rng.normal(size=200) * 10.0 ** rng.integers(-300, 300, size=200)
    s, t = two_sum(a, b)
    assert np.array_equal(s, a + b)
    for x, y, u, v in zip(a, b, s, t, strict=True):
        assert Fraction(float(u)) + Fraction(float(v)) == Fraction(float(x)) + Fraction(float(y))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 70),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([1e-200, 1e-8, 1.0, 1e8, 1e150]),
    mask=st.booleans(),
    n_slices=st.sampled_from([1, 2, 3]),
    even=st.booleans(),
)
def test_product_is_within_its_bound_in_exact_arithmetic(n, seed, scale, mask, n_slices, even):
    """``even``: rows of W of one scale each (where one slice's length bound is the smaller),
    else entries of many scales (where ``max |x| sum |W_j|`` is)."""
    rng = np.random.default_rng(seed)
    k = 6
    hi = rng.normal(size=(k, n)) * scale * 10.0 ** rng.integers(-6, 7, size=(k, 1))
    lo = hi * 2.0**-54 * rng.uniform(-1, 1, size=(k, n))
    W = rng.normal(size=(5, n)) * 10.0 ** rng.integers(-6, 7, size=(5, 1 if even else n))
    w = SplitMatrix(W, n_slices)
    ha, hb, y, scales = prepare(hi, lo, w.bits, n_slices)
    assert np.any(hb) == (n_slices == 3 and np.any(hi))
    assert np.any(ha) == (n_slices > 1 and np.any(hi))
    if mask:  # ReLU's dead units, zeroed after the split (as the compensated maps do)
        dead = rng.random((k, n)) < 0.5
        for a in (ha, hb, y, hi, lo):
            if a.size:  # one slice has no heads
                a[dead] = 0.0
    out = (np.empty((k, 5)), np.empty((k, 5)))
    joins = product(ha, hb, y, w, out)
    bound = (w.bound(scales) + joins) * SAFE
    assert np.array_equal(out[0], out[0] + out[1])  # hi is the sum rounded
    H, L, Wx = exact(hi), exact(lo), exact(W)
    for i in range(k):
        for j in range(5):
            truth = sum(((H[i][t] + L[i][t]) * Wx[j][t] for t in range(n)), Fraction(0))
            got = Fraction(float(out[0][i, j])) + Fraction(float(out[1][i, j]))
            assert abs(got - truth) <= Fraction(float(bound[i, j]))


def test_the_exact_products_are_exact_for_full_mantissas():
    """The bits kept per row make every partial sum of the three exact products (first
    slices, first by second, second by first) a float64: the worst case is n_in rows of
    slices with every kept bit set."""
    rng = np.random.default_rng(2)
    for n in (2, 3, 64, 128, 600, 1024):
        w = SplitMatrix(1.0 - 2.0**-53 * rng.integers(1, 2**30, size=(3, n)))
        hi = -(1.0 - 2.0**-53 * rng.integers(1, 2**30, size=(2, n)))
        ha, hb, _, _ = prepare(hi, np.zeros_like(hi), w.bits)
        assert np.any(hb != 0)  # full mantissas: the second slices are not empty
        head, second = w.slices[0].T, w.slices[1].T
        for x, wt in ((ha, head), (ha, second), (hb, head)):
            got = x @ wt
            for i in range(2):
                for j in range(3):
                    terms = (Fraction(float(x[i, t])) * Fraction(float(wt[t, j])) for t in range(n))
                    assert Fraction(float(got[i, j])) == sum(terms, Fraction(0)), n


def chain_maps(
    compensated: bool, depth: int, seed: int, residual: bool = False, leaky: bool = False
):
    """The maps of one region path through a He-initialised ReLU chain (a random pattern per
    layer), built the way the decomposition builds them; ``residual``: each preactivation
    after the first minus the one before; ``leaky``: pieces of slopes 0.1, 1/3 and 1 and
    offsets 0, -0.7 and 6 instead of 0/1. Returns the last preactivation's maps and, exactly,
    its values at a few points."""
    rng = np.random.default_rng(seed)
    box, width = 3.0, 12
    points = [(-box, -box), (box, -box), (box, box), (-box, box), (0.5, -1.25)]
    maps = region_maps.input_maps(np.eye(2, 3), box, compensated)
    hidden = [[Fraction(u), Fraction(v)] for u, v in points]
    before = truth = None
    for i in range(depth):
        n_in = 2 if i == 0 else width
        layer = Affine(
            0,
            rng.normal(size=(width, n_in)) * np.sqrt(2 / n_in),
            rng.normal(size=width) * 0.1,
            "fc",
        )
        pre = region_maps.affine(layer, maps)
        W, b = exact(layer.W), exact(layer.b)[0]
        truth = [
            [sum((W[j][t] * h[t] for t in range(n_in)), b[j]) for j in range(width)] for h in hidden
        ]
        if residual and before is not None:
            pre = region_maps.summed(Sum((0, 1), (1.0, -1.0), "sub"), [pre, before[0]])
            truth = [
                [x - y for x, y in zip(z, z0, strict=True)]
                for z, z0 in zip(truth, before[1], strict=True)
            ]
        before = pre, truth
        parent = np.zeros(1, dtype=np.int64)
        if leaky:
            slope = rng.choice([0.1, 1 / 3, 1.0], size=(1, width))
            offset = rng.choice([0.0, -0.7, 6.0], size=(1, width))
            maps = region_maps.ActivatedMaps(pre, parent, slope, offset, pre.kappa)
        else:
            slope = rng.integers(0, 2, size=(1, width))
            offset = np.zeros((1, width))
            maps = region_maps.ActivatedMaps(pre, parent, slope, None, pre.kappa)
        hidden = [
            [
                x * Fraction(float(a)) + Fraction(float(c))
                for x, a, c in zip(z, slope[0], offset[0], strict=True)
            ]
            for z in truth
        ]
    return pre, points, truth


@pytest.mark.parametrize(("residual", "leaky"), [(False, False), (True, False), (False, True)])
def test_compensated_maps_hold_their_bounds_and_are_far_tighter(residual, leaky):
    pre, points, truth = chain_maps(True, 10, 5, residual, leaky)
    plain, *_ = chain_maps(False, 10, 5, residual, leaky)
    assert np.all(np.abs(pre.lo) <= 2.0**-51 * np.abs(pre.m))  # m is the map, nearly rounded
    own = pre.own()
    for (u, v), values in zip(points, truth, strict=True):
        point = [Fraction(u), Fraction(v), Fraction(1)]
        for j, value in enumerate(values):
            m = [Fraction(float(pre.m[0, r, j])) for r in range(3)]
            lo = [Fraction(float(pre.lo[0, r, j])) for r in range(3)]
            full = sum((a + b) * x for a, b, x in zip(m, lo, point, strict=True))
            assert abs(full - value) <= Fraction(float(pre.nu[0, j]))
            alone = sum(a * x for a, x in zip(m, point, strict=True))
            assert abs(alone - value) <= Fraction(float(own[0, j]))
    # float64's running bound after ten layers, against the compensated one
    assert np.median(plain.own() / own) > 1e4


@pytest.mark.parametrize("one_slice", [False, True])
@pytest.mark.parametrize("compiled", MODES)
@settings(max_examples=12, deadline=None, derandomize=True)
@given(case=testing.cases())
def test_compensated_decompositions_are_the_same_partitions(compiled, one_slice, case):
    """Adversarial nets (weights from 1e-8 to 1e8, duplicated units, lines through vertices):
    the same cells with double-float maps of every kind of slices, or one slice throughout
    (bounded norm-wise as well), every vertex value within its bound (``checked_bounds``)."""
    with maps_in(double=False):
        plain = case.decompose()
    with maps_in(double=True, one_slice=one_slice):
        with checked_bounds(compiled):
            compensated = case.decompose()
    assert compensated.cut_state.output.lo is not None or len(plain) == 1
    # The hull's cells (a non-convex domain clips them in float64 geometry, which moves with
    # the float vertices; the cells do not).
    for field in ("ring", "start", "edge_label", "cell_bits"):
        assert np.array_equal(getattr(plain, field), getattr(compensated, field)), field
    regions.certify(compensated)  # its output maps too, in exact arithmetic


@pytest.mark.parametrize("negative_slope", [0.0, 0.1])  # ReLU, LeakyReLU
def test_a_deep_net_gets_compensated_maps_and_no_exact_signs(negative_slope):
    net = regions.trace(testing.mlp(64, 14, "he+bias", 0, negative_slope))
    box = (-0.3, 0.3, -0.3, 0.3)
    compensated = regions.decompose(net, box)
    assert compensated.cut_state.output.lo is not None  # chosen by the rule
    with maps_in(double=False):
        plain = regions.decompose(net, box)
    assert plain.cut_state.output.lo is None
    assert plain.cut_state.n_exact > 0 == compensated.cut_state.n_exact
    assert np.array_equal(plain.patterns, compensated.patterns)
    assert np.array_equal(plain.ring, compensated.ring)


def test_the_normwise_bound_settles_what_the_unit_by_unit_bound_left_to_exact_arithmetic():
    """Issue 12's 32-layer He net near the origin (29,848 regions): with the unit-by-unit
    bounds alone (and the slices before the norm-wise bound: three where more than 14 layers
    follow, never one) four signs go to rational arithmetic; with both bounds none does, and
    the partition is the same."""
    net = regions.trace(testing.mlp(64, 32, "he+default-bias", 0))
    box = (-0.08, 0.08, -0.08, 0.08)
    both = regions.decompose(net, box)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(region_maps, "ONE_SLICE_WITHIN", -1)
        patch.setattr(region_maps, "THREE_SLICES_AFTER", 14)
        unknown = property(lambda w: (np.inf, np.full(w.W.shape[0], np.inf)))
        patch.setattr(SplitMatrix, "norms", unknown)
        alone = regions.decompose(net, box)
    assert len(both) == 29_848 and both.cut_state.output.lo is not None
    assert alone.cut_state.n_exact == 4 and both.cut_state.n_exact == 0
    assert np.array_equal(alone.patterns, both.patterns)
    assert np.array_equal(alone.ring, both.ring)


def test_the_rule_compensates_deep_nets_only():
    hull = np.array([[-3.0, -3.0], [3.0, -3.0], [3.0, 3.0], [-3.0, 3.0]])
    plane = as_plane(None, 2)
    for model, deep in [
        (testing.mlp(64, 8, "he+bias", 0), False),
        (testing.mlp(64, 16, "he+bias", 0), True),
        (testing.mlp(64, 6, "he+bias", 0, negative_slope=0.1), False),
        (testing.mlp(64, 16, "he+bias", 0, negative_slope=0.1), True),
    ]:
        assert region_maps.compensate(regions.trace(model), plane, hull) == deep


def test_compensated_bounds_carry_their_sources_error():
    """A source map whose exact function is off by its whole bound, in the worst direction:
    the bounds of an affine layer and of a sum still hold (``|W| nu`` and ``nu_a + nu_b``)."""
    rng = np.random.default_rng(7)
    box, n = 2.0, 5
    m, lo = rng.normal(size=(1, 3, n)), np.zeros((1, 3, n))
    nu = rng.uniform(1e-12, 1e-10, size=(1, n))
    src = region_maps.NodeMaps(m, nu, 1.0, lo, box)
    layer = Affine(0, rng.normal(size=(3, n)), rng.normal(size=3), "fc")
    out = region_maps.affine(layer, src)
    for i in range(3):  # the exact source: every unit shifted by its bound, signed as W[i]
        shifted = [
            Fraction(float(x)) + int(np.sign(w)) * Fraction(float(e))
            for x, w, e in zip(m[0, 2], layer.W[i], nu[0], strict=True)
        ]
        exact_value = sum(
            Fraction(float(w)) * x for w, x in zip(layer.W[i], shifted, strict=True)
        ) + Fraction(float(layer.b[i]))
        got = Fraction(float(out.m[0, 2, i])) + Fraction(float(out.lo[0, 2, i]))
        assert abs(got - exact_value) <= Fraction(float(out.nu[0, i]))  # at (0, 0)
    other = region_maps.NodeMaps(-m, nu[:, ::-1].copy(), 1.0, lo, box)
    total = region_maps.summed(Sum((0, 1), (1.0, -1.0), "sub"), [src, other])
    worst = nu[0] + nu[0, ::-1]  # both sources off by their bounds, the same way
    assert np.all(Fraction(1) * total.nu[0] >= worst)


@pytest.mark.parametrize("activation", [None, "relu", "leaky"])
@pytest.mark.parametrize("n_slices", [3, 1])
def test_normwise_bounds_hold_for_the_worst_source_error(activation, n_slices):
    """A source whose error vector is as long as its ``eta`` says, along the top singular
    direction of what follows (``W``, after the activation's slopes where there is one),
    where it is stretched most: every unit's new bound and the new ``eta`` still hold in
    exact arithmetic, and the norm-wise bound is the one that binds."""
    rng = np.random.default_rng(11)
    box, n, o = 2.0, 16, 12
    m, lo = rng.normal(size=(1, 3, n)), np.zeros((1, 3, n))
    eta = np.array([1e-9])
    nu = np.full((1, n), 1e-9)  # each unit alone may be off by the whole length
    src = region_maps.NodeMaps(m, nu, 1.0, lo, box, eta)
    slope, offset = np.ones(n), np.zeros(n)
    if activation is not None:
        slope = rng.integers(0, 2, size=n).astype(float)  # ReLU's pieces
        if activation == "leaky":  # LeakyReLU-like pieces with steep and reversed slopes
            slope, offset = rng.choice([0.1, -1.5, 2.5], size=n), rng.choice([0.0, 0.7], size=n)
        src = region_maps.ActivatedMaps(
            src,
            np.zeros(1, dtype=np.int64),
            slope[None] if activation == "leaky" else slope[None].astype(np.uint8),
            offset[None] if activation == "leaky" else None,
            1.0,
        )
    W = rng.normal(size=(o, n)) * np.sqrt(2 / n)
    layer = Affine(0, W, rng.normal(size=o), "fc")
    out = region_maps.affine(layer, src, n_slices)
    direction = np.linalg.svd(W * slope)[2][0]
    shift = [Fraction(float(x)) for x in direction * (1e-9 * (1 - 1e-9))]  # length < eta
    assert sum(x * x for x in shift) <= Fraction(float(eta[0])) ** 2
    error = []
    for i in range(o):  # at (0, 0): the constant rows
        exact_value = sum(
            (
                Fraction(float(w)) * ((Fraction(float(x)) + d) * Fraction(a) + Fraction(c))
                for w, x, d, a, c in zip(W[i], m[0, 2], shift, slope, offset, strict=True)
            ),
            Fraction(float(layer.b[i])),
        )
        got = Fraction(float(out.m[0, 2, i])) + Fraction(float(out.lo[0, 2, i]))
        error.append(got - exact_value)
        assert abs(error[-1]) <= Fraction(float(out.nu[0, i]))
    assert sum(e * e for e in error) <= Fraction(float(out.eta[0])) ** 2
    through = np.abs(W * slope) @ nu[0]  # the unit-by-unit bound alone: the other binds
    assert np.count_nonzero(out.nu[0] < 0.9 * through) >= o // 2
    assert max(abs(e) / Fraction(float(b)) for e, b in zip(error, out.nu[0], strict=True)) > 0.3


def test_cut_lines_from_compensated_maps_bound_their_equations():
    """A line's equation is read off ``m`` alone: its bound must cover ``lo`` (here made
    large on purpose) as well as ``nu``, for breakpoints and for argmax lines alike."""
    rng = np.random.default_rng(8)
    box, r, w = 2.0, 6, 3
    m = rng.normal(size=(r, 3, w))
    lo = m * 1e-6 * rng.uniform(-1, 1, size=m.shape)
    maps = region_maps.NodeMaps(m, np.full((r, w), 1e-15), 1.0, lo, box)
    mesh = SimpleNamespace(box=box)
    polygons = np.arange(r)
    breakpoint = lines.MapLine(mesh, maps, 1, 0.25, 0, lambda p: p, None, None)
    argmax = lines.ArgmaxLine(mesh, maps, 2, rng.integers(0, 2, size=r), lambda p: p, None, None)

    def full(k: int, unit: int) -> list[Fraction]:  # the map m + lo of one region and unit
        return [Fraction(float(m[k, i, unit])) + Fraction(float(lo[k, i, unit])) for i in range(3)]

    for line in (breakpoint, argmax):
        eq, err = line.coefficients(polygons)
        for k in range(r):
            if line is breakpoint:
                truth = [*full(k, 1)[:2], full(k, 1)[2] - Fraction(0.25)]
            else:
                truth = [a - b for a, b in zip(full(k, 2), full(k, argmax.current[k]), strict=True)]
            for u, v in [(-box, -box), (box, -box), (box, box), (-box, box)]:
                point = (Fraction(u), Fraction(v), Fraction(1))
                got = sum(Fraction(float(c)) * x for c, x in zip(eq[k], point, strict=True))
                exact_value = sum(c * x for c, x in zip(truth, point, strict=True))
                assert abs(got - exact_value) <= Fraction(float(err[k]))


@pytest.mark.parametrize("double", [True, False])
def test_maps_that_overflow_are_refused_in_either_precision(double):
    """On a tiny box the values stay finite while the maps' slopes overflow. A float64 map's
    ``nu`` (its size over the box) stayed finite too, and so did a compensated map's error
    bound: both precisions let infinite maps through before."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    model = model.double()
    with torch.no_grad():
        model[0].weight.fill_(1e300)
        model[2].weight.fill_(1e10)
    box = (0.0, 1e-150, 0.0, 1e-150)  # values about 1e160 at the corners, slopes 2e310
    with maps_in(double):
        with pytest.raises(regions.InvalidModelError, match="node '2' overflows float64"):
            regions.decompose(model, box)


def test_three_slices_for_the_nodes_whose_rounding_grows_longest():
    """Nodes with more than 20 activation layers after them take three slices (their rounding
    is amplified through all of those layers' bounds), those with at most 10 one, the others
    two."""
    net = regions.trace(testing.mlp(4, 23))
    n_slices = region_maps.slices(net)
    linear = [i for i, node in enumerate(net.nodes) if type(node).__name__ == "Affine"]
    # 23, 22, 21 layers after; 20 to 11; 10 to 0
    assert [n_slices[i] for i in linear] == [3, 3, 3] + [2] * 10 + [1] * 11
