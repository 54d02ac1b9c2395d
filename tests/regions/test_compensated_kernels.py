"""The double-float maps' compiled passes (:mod:`regions.compensated_kernels`) give their numpy
twins' arrays bit for bit, the twins are :mod:`regions.compensated`'s own functions, and whole
partitions with double-float maps are the same either way."""

from __future__ import annotations

from fractions import Fraction

import numba  # noqa: F401  (the dev extra installs it: these tests compare both twins)
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from test_compensated import maps_in
from test_kernels import same_partition

import regions
from regions import kernels, testing
from regions.compensated import NO_PRODUCT, SplitMatrix, joined, prepare, shifted
from regions.compensated_kernels import Extremes, finished, prepared
from regions.floats import EPS, SAFE, gamma
from regions.map_kernels import extremes_of


def both(f):
    """``f()`` compiled and as numpy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "COMPILED", True)
        compiled = f()
        patch.setattr(kernels, "COMPILED", False)
        return compiled, f()


def same_bits(a: np.ndarray, b: np.ndarray) -> None:
    """Identical floats, NaN and signed zeros included."""
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))


def source_maps(special: float | None, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compensated maps (40, 3, 20) whose rows span 1e-300 to 1e300 (one row past where a
    head is kept at all, two on either side of that limit), with zeros, signed zeros and
    subnormals; their ``lo`` about 2^-60 of them, and bounds."""
    rng = np.random.default_rng(5)
    m = rng.normal(size=(40, 3, 20)) * 10.0 ** rng.integers(-300, 300, size=(40, 3, 1))
    m[1] = 0.0
    m[2, 0, :5] = [-0.0, 0.0, 5e-324, -2e-310, 1.0]
    m[3, 1] = rng.normal(size=20) * 2.0**1010  # no head: the row is its tail
    m[4, 0] = rng.uniform(-1, 1, size=20) * 2.0 ** (960 + bits)  # the largest with a head
    m[4, 1] = m[4, 0] * 2.0
    m[4, 0, 0] = m[4, 1, 0] = 2.0 ** (959 + bits) * 1.5  # exponents 960 + bits and one more
    lo = m * 2.0**-60 * rng.uniform(-1, 1, size=m.shape)
    nu = np.abs(rng.normal(size=(40, 20))) * 10.0 ** rng.integers(-200, 200, size=(40, 1))
    if special is not None:
        m[7, 2, 4] = special
    return m, lo, nu


@pytest.mark.parametrize("n_slices", [3, 2, 1])
@pytest.mark.parametrize("masked", [True, False])
@pytest.mark.parametrize("special", [None, np.nan, np.inf])
def test_prepared_twins_agree_bit_for_bit_and_are_prepare(masked, special, n_slices):
    bits = SplitMatrix(np.ones((5, 20))).bits
    m, lo, nu = source_maps(special, bits)
    rng = np.random.default_rng(6)
    parent = rng.integers(0, 40, size=300)
    parent[:8] = np.arange(8)  # the special rows, surely
    slope = rng.integers(0, 2, size=(300, 20)).astype(np.uint8) if masked else None
    if masked:
        slope[4, 0] = 1
    # Length bounds far below, near and above the rows' own; unknown, infinite and NaN ones.
    eta = np.sqrt(20) * nu.max(axis=1) * rng.choice([1e-3, 1.0, 1e3], size=40)
    eta[[5, 6, 7]] = [np.inf, np.nan, 0.0]
    for known in (eta, None):
        with np.errstate(all="ignore"):
            compiled, numpy = both(
                lambda known=known: prepared(m, lo, nu, parent, slope, bits, n_slices, known)
            )
            a, b, err = m[parent], lo[parent], nu[parent]
            if masked:
                a, b, err = a * slope[:, None, :], b * slope[:, None, :], err * slope
            own = np.sqrt(20) * (1 + 2 * EPS) * err.max(axis=1) * SAFE
            length = own if known is None else np.where(known[parent] <= own, known[parent], own)
            want = (*prepare(a.reshape(-1, 20), b.reshape(-1, 20), bits, n_slices), err, length)
        np.testing.assert_array_equal(compiled[5], numpy[5], strict=True)
        np.testing.assert_array_equal(numpy[5], want[5], strict=True)
        if known is not None:  # a NaN or infinite bound gives way, 0 stays, both kinds win
            assert np.array_equal(numpy[5][parent == 6], own[parent == 6])
            assert np.array_equal(numpy[5][parent == 5], own[parent == 5])
            assert not np.any(numpy[5][parent == 7])
            assert 0 < np.count_nonzero(numpy[5] < own) < len(parent)
    for i, (c, x, y) in enumerate(zip(compiled[:5], numpy[:5], want[:5], strict=True)):
        if i == 3:  # scales: numpy's max picks either zero of 0.0 and -0.0; none reaches a bound
            np.testing.assert_array_equal(c, x, strict=True)
            np.testing.assert_array_equal(x, y, strict=True)
        else:
            same_bits(c, x)
            same_bits(x, y)
    ha, hb, y, scales, _, _ = compiled
    if n_slices == 1:  # no heads at all; the second scale bounds each row's length
        assert not np.any(ha) and not np.any(hb) and not np.any(scales[2])
        finite = np.isfinite(scales[1])
        assert np.count_nonzero(finite) > 400 and np.all(finite[np.all(np.abs(y) < 1e150, 1)])
        for row, bound in zip(y[finite], scales[1, finite], strict=True):
            length = sum((Fraction(float(v)) ** 2 for v in row), Fraction(0))
            assert length <= Fraction(float(bound)) ** 2
            assert Fraction(float(bound)) ** 2 <= length * (1 + Fraction(1, 10**8)) + 1e-300
        return
    assert np.any(ha[9]) and not np.any(ha[10])  # region 3's row past 2^1000: no head
    assert np.any(hb[9]) == (n_slices == 3) and not np.any(hb[10])  # nor a second one
    assert ha[12, 0] != 0 and not np.any(ha[13])  # region 4's rows either side of the limit
    assert np.isnan(scales[0, 23]) == (special is not None)  # region 7's constant row


@pytest.mark.parametrize("n_slices", [3, 2, 1])
@pytest.mark.parametrize("special", [None, np.nan, np.inf])
def test_finished_twins_agree_bit_for_bit_and_are_two_sums(special, n_slices):
    """Maps from a chunk's products, compiled and in numpy: the same arrays, and those of
    :mod:`regions.compensated`'s ``joined``, ``shifted`` and ``SplitMatrix.bound``."""
    rng = np.random.default_rng(7)
    k, n, o, box = 50, 20, 12, 3.0
    w = SplitMatrix(rng.normal(size=(o, n)), n_slices)
    head = rng.normal(size=(3 * k, o)) * 10.0 ** rng.integers(-250, 250, size=(3 * k, 1))
    p2, p3 = (head * 2.0**-23 * rng.uniform(-1, 1, size=head.shape) for _ in range(2))
    rest = head * 2.0**-46 * rng.uniform(-1, 1, size=head.shape)
    p2[:6] = -head[:6]  # cancelling to zero
    p3[:6], rest[:6] = 0.0, -0.0
    rest[6, :3] = [-0.0, 0.0, 1e-320]
    p3[7] = -p2[7]  # the small products cancelling
    scales = np.abs(rng.normal(size=(3, 3 * k))) * 10.0 ** rng.integers(-100, 100, size=(1, 3 * k))
    nu = np.abs(rng.normal(size=(k, o)))
    # Regions whose terms of nu are all of the size of lo's rounding: every sum's order shows.
    head[90:120] = rng.normal(size=(30, o))
    rest[90:120] = head[90:120] * 2.0**-30
    scales[:, 90:120] = 1e-19 * rng.uniform(0.5, 1.5, size=(3, 30))  # bounds of about 1e-32
    nu[30:40] = 1e-32 * rng.uniform(size=(10, o))
    bias = rng.normal(size=o)
    if special is not None:
        head[40, 3] = special
        scales[1, 60] = special
        scales[0, 63] = special  # region 21: with one slice, its other bound
    products = {
        3: (head, p2, p3, rest),
        2: (head, NO_PRODUCT, NO_PRODUCT, rest),
        1: (NO_PRODUCT, NO_PRODUCT, NO_PRODUCT, head),  # one rounded product, signed zeros too
    }[n_slices]

    # The sources' error lengths: far below, near and above what nu says; 0, inf and NaN.
    length = np.sqrt(n) * nu.max(axis=1) * rng.choice([1e-6, 0.3, 1e3], size=k)
    length[[0, 1, 2]] = [0.0, np.inf, np.nan]

    def run():  # in chunks, as region_maps makes the maps
        m, lo, out_nu, ext = np.empty((k, 3, o)), np.empty((k, 3, o)), nu.copy(), Extremes(o)
        eta = np.empty(k)
        for c in range(0, k, 16):
            rows = slice(3 * c, 3 * c + 48)
            out = (m[c : c + 16], lo[c : c + 16], out_nu[c : c + 16], eta[c : c + 16])
            chunk = tuple(p[rows] if p.size else p for p in products)
            finished(chunk, bias, w, scales[:, rows], box, out, ext, length[c : c + 16])
        return m, lo, out_nu, eta, ext.top, ext.bottom, ext.lo_top, ext.lo_bottom, ext.largest

    with np.errstate(all="ignore"):
        compiled, numpy = both(run)
        m, lo = np.empty((3 * k, o)), np.empty((3 * k, o))
        joins = joined(*products, (m, lo)).reshape(k, 3, o)
        m, lo = m.reshape(k, 3, o), lo.reshape(k, 3, o)
        m[:, 2], lo[:, 2], _ = shifted(m[:, 2], lo[:, 2], 0.0, bias)
        sc = scales.reshape(3, -1, 3)
        rho = w.bound(box * (sc[:, :, 0] + sc[:, :, 1]) + sc[:, :, 2], 2 * box + 1)
        rho += box * (joins[:, 0] + joins[:, 1]) + joins[:, 2]
        rho += EPS * np.abs(lo[:, 2])  # this layer's rounding
        through = (nu * (1 + gamma(n + 1)) + rho) * SAFE  # the sources' errors through |W|
        norm, row = w.norms
        normwise = (length[:, None] * row + rho) * SAFE
        want_nu = np.where(normwise < through, normwise, through)
        root = np.sqrt(o) * (1 + 2 * EPS)
        fewer = want_nu.max(axis=1) * root * SAFE
        alone = (norm * length + rho.max(axis=1) * root * SAFE) * SAFE
        want_eta = np.where(fewer <= alone, fewer, alone)
    for c, x in zip(compiled, numpy, strict=True):
        np.testing.assert_array_equal(c, x, strict=True)  # extremes: either zero, as np.max
    for c, x, y in zip(compiled[:4], numpy[:4], (m, lo, want_nu, want_eta), strict=True):
        same_bits(c, x)
        same_bits(x, y)
    extremes = (*extremes_of(m), *extremes_of(lo), want_nu.max(axis=0, initial=0.0))
    for got, want in zip(compiled[4:], extremes, strict=True):
        np.testing.assert_array_equal(got, want, strict=True)
    # A NaN scale spoils the bound; an infinite one too, but one slice's other bound stands.
    for region in (20, 21):
        assert np.isfinite(compiled[2][region]).all() == (
            special is None or (special == np.inf and n_slices == 1)
        )
    if n_slices == 1:  # either of one slice's bounds wins somewhere
        sc = scales.reshape(3, -1, 3)
        q = box * (sc[:, :, 0] + sc[:, :, 1]) + sc[:, :, 2]
        by_max, by_length = np.multiply.outer(q[0], w.sizes[0]), np.multiply.outer(q[1], row)
        assert 0 < np.count_nonzero(by_length < by_max) < by_max.size - 12
    # Either bound wins somewhere; unknown lengths (inf, NaN) leave nu to |W|, 0 to rho.
    finite = np.isfinite(through)
    assert 0 < np.count_nonzero(normwise[finite] < through[finite]) < np.count_nonzero(finite)
    assert np.array_equal(compiled[2][1:3], through[1:3])
    assert np.array_equal(compiled[2][0], np.minimum(through[0], rho[0] * SAFE))


@settings(max_examples=25, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3), max_layers=4, max_width=8))
def test_partitions_with_double_float_maps_are_the_same_either_way(case):
    with maps_in(double=True):
        compiled, numpy = both(case.decompose)
    assert compiled.cut_state.output.lo is not None
    same_partition(compiled, numpy)


@pytest.mark.parametrize("negative_slope", [0.0, 0.1])
def test_deep_nets_with_double_float_maps_are_the_same_either_way(negative_slope):
    """The rule's own choice (compensated from 14 He layers of 64), ReLU and LeakyReLU."""
    model = testing.mlp(64, 14, "he+bias", 0, negative_slope)
    compiled, numpy = both(lambda: regions.decompose(model, (-0.3, 0.3, -0.3, 0.3)))
    assert compiled.cut_state.output.lo is not None
    same_partition(compiled, numpy)
    np.testing.assert_array_equal(compiled.affine()[0], numpy.affine()[0], strict=True)


def test_affine_after_affine_with_double_float_maps_is_the_same_either_way():
    """Two Linear layers in a row: the second reads built maps, not a ReLU layer's."""
    torch.manual_seed(3)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 9), torch.nn.Linear(9, 7), torch.nn.ReLU(), torch.nn.Linear(7, 1)
    )
    with maps_in(double=True):
        compiled, numpy = both(lambda: regions.decompose(model))
    assert compiled.cut_state.output.lo is not None and len(compiled) > 7
    same_partition(compiled, numpy)
    regions.certify(compiled)
