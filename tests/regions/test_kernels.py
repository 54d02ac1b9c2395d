"""The compiled kernels (numba) give the numpy twins' results bit for bit: the cut's plan and
ring sources, the line intersections, and whole partitions decomposed either way."""

from __future__ import annotations

import numba  # noqa: F401  (the dev extra installs it: these tests compare both twins)
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import regions
from regions import intersections, kernels, layer_kernels, map_kernels, testing
from regions.crossings import side_flags
from regions.floats import EPS, SAFE
from regions.testing import mlp


@pytest.fixture
def twins(monkeypatch):
    """Call ``f()`` compiled and as numpy; returns both results."""

    def both(f):
        monkeypatch.setattr(kernels, "COMPILED", True)
        compiled = f()
        monkeypatch.setattr(kernels, "COMPILED", False)
        return compiled, f()

    return both


def assert_same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y, strict=True)


def rings(rng: np.random.Generator, n_poly: int) -> tuple[np.ndarray, ...]:
    """Random convex-looking sides: every ring a run of +1 vertices, then 0 / -1 ones, rotated;
    values with ties (repeated maxima) so the first largest one must be found."""
    lengths = rng.integers(3, 9, size=n_poly)
    sign, s = [], []
    for k in lengths:
        side = rng.choice([-1, 0, 1], size=k, p=[0.4, 0.2, 0.4]).astype(np.int8)
        side.sort()
        side = np.roll(side[::-1], rng.integers(k))
        values = rng.integers(-3, 4, size=k).astype(float) * side
        sign.append(side)
        s.append(values)
    return np.concatenate(sign), np.concatenate(s), lengths.astype(np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_plan_and_ring_sources_twins_agree(twins, seed):
    sign, s, lengths = rings(np.random.default_rng(seed), 300)
    compiled, numpy = twins(lambda: kernels.plan(sign, s, lengths))
    assert_same(compiled, numpy)
    assert 0 < numpy.split.sum() < len(lengths)
    k = lengths[numpy.split]
    assert_same(*twins(lambda: kernels.ring_sources(k, numpy)))
    rv = np.arange(k.sum())
    assert_same(*twins(lambda: kernels.crossed_edges(rv, k, numpy, len(rv))))


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.integers(0, 20), min_size=1, max_size=60), compiled=st.booleans())
def test_crossed_edges_are_the_first_of_each_key(ids, compiled):
    # One-vertex "rings" whose crossing edges run from a vertex to itself: the keys are the
    # vertex ids, and each distinct one is kept once, at its first occurrence.
    rv = np.array(ids, dtype=np.int64)
    one = np.arange(len(rv))
    plan = kernels.Plan(*(np.array([], dtype=np.int64),) * 4, one, one, one, one, one >= 0, one < 0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "COMPILED", compiled)
        edge, low, high, polygon, rank = kernels.crossed_edges(rv, np.ones_like(rv), plan, 21)
    _, first, inverse = np.unique(rv, return_index=True, return_inverse=True)
    assert edge.tolist() == first.tolist() == polygon.tolist()
    assert low.tolist() == high.tolist() == rv[first].tolist()
    assert rank.tolist() == inverse.ravel().tolist()


@pytest.mark.parametrize("seed", range(3))
def test_side_flag_twins_agree(twins, seed):
    rng = np.random.default_rng(seed)
    n_units, n_vertices = 37, 500
    z = rng.normal(size=(n_units, n_vertices)) * 10.0 ** rng.integers(-3, 3, size=(n_units, 1))
    t = np.where(rng.random(n_units) < 0.5, 0.0, rng.normal(size=n_units))
    slope = np.abs(rng.normal(size=n_units))
    slope[:2] = [np.inf, 0.0]
    fixed = np.abs(rng.normal(size=n_units)) * 1e-3
    z[2], t[2], slope[2], fixed[2] = 0.0, 0.0, 0.0, 0.0  # exactly on its breakpoint: unsettled
    r = np.abs(rng.normal(size=n_vertices)) * 1e-2
    r[:5] = [0.0, np.inf, 0.0, np.inf, 1e300]
    lengths = rng.integers(3, 8, size=200)
    # A ring store as cuts leave it: rings out of order, with replaced ones between them.
    ring = rng.integers(0, n_vertices, size=8 * 300)
    first = rng.permutation(np.arange(0, len(ring), 8))[:200]  # a slot of 8 each
    band = np.zeros(n_units)
    with np.errstate(all="ignore"):
        compiled, numpy = twins(
            lambda: side_flags(z, t, slope, fixed, r, ring, first, lengths, 1.0 + 2**-30, band)
        )
    for a, b in zip(compiled, numpy, strict=True):
        np.testing.assert_array_equal(a, b)
    assert 0 < numpy[0].mean() < 1 and 0 < numpy[1].mean() < 1 and numpy[2].any()


def test_provenance_twins_agree(twins):
    rng = np.random.default_rng(0)
    hull = rng.integers(-2, 3, size=(6, 3)).astype(float)
    hull[5] = hull[4]  # a repeated hull equation matches twice: not told apart
    lines = np.concatenate([hull, rng.normal(size=(40, 3)), hull[:2]])
    labels = rng.integers(-3, 5, size=len(lines))
    rows = rng.integers(0, len(lines), size=300)
    ids = [rng.integers(0, 100, size=300) for _ in range(4)]
    for hull_lines in (hull, np.full((1, 3), np.nan)):
        assert_same(*twins(lambda h=hull_lines: kernels.provenance(*ids, rows, (labels, lines), h)))
    told = twins(lambda: kernels.provenance(*ids, rows, (labels, lines), hull))[1][:, 3]
    outer = labels[rows] < 0
    assert set(told[outer].tolist()) <= {-1, -2, -3, -4, -5, -6}
    assert -6 not in told and -7 not in told  # hull edges 4 and 5 share an equation
    assert (told[outer] <= -2).any() and (told[outer] == -1).any()


def test_masked_map_twins_agree_bit_for_bit():
    rng = np.random.default_rng(1)
    m = rng.normal(size=(50, 3, 20)) * 10.0 ** rng.integers(-200, 200, size=(50, 1, 1))
    m[0, 0, :3] = [np.inf, -0.0, -1.0]
    nu = np.abs(rng.normal(size=(50, 20)))
    parent = rng.integers(0, 50, size=400)
    parent[:2] = 0
    slope = rng.integers(0, 2, size=(400, 20)).astype(np.uint8)
    numpy, compiled = [(np.empty((400, 3, 20)), np.empty((400, 20))) for _ in range(2)]
    with np.errstate(invalid="ignore"):  # inf * 0
        map_kernels._masked_numpy(m, nu, parent, slope, *numpy)
    map_kernels._masked_compiled(m, nu, parent, slope, *compiled)
    for a, b in zip(compiled, numpy, strict=True):
        np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))  # signed zeros too


@pytest.mark.parametrize("special", [None, np.nan, np.inf])
def test_finish_twins_agree_bit_for_bit_and_take_the_extremes(special):
    """Bias, rounded-up bounds and extremes, chunk by chunk, compiled and in numpy: the same
    arrays, and the extremes of the whole (NaN where any entry is NaN)."""
    rng = np.random.default_rng(2)
    m = rng.normal(size=(300, 3, 20)) * 10.0 ** rng.integers(-100, 100, size=(300, 1, 1))
    nu = np.abs(rng.normal(size=(300, 20))) * 10.0 ** rng.integers(-100, 100, size=(300, 1))
    b = rng.normal(size=20)
    m[7, 1, 4] = -0.0
    if special is not None:
        m[150, 2, 3] = special
        nu[250, 5] = special
    outs = []
    for run in (map_kernels._finish_numpy, map_kernels._finish_compiled):
        mm, nn, ext = m.copy(), nu.copy(), map_kernels.Extremes(20)
        for lo in range(0, 300, 64):  # chunks, as region_maps.affine makes them
            run(mm[lo : lo + 64], nn[lo : lo + 64], b, 1.25, ext.top, ext.bottom, ext.largest)
        outs.append((mm, nn, *ext.get()))
    for a, c in zip(*outs, strict=True):
        np.testing.assert_array_equal(a, c)  # NaN in the same places
        np.testing.assert_array_equal(np.signbit(a), np.signbit(c))
    mm, nn = outs[0][:2]
    np.testing.assert_array_equal(mm[:, :2], m[:, :2])
    np.testing.assert_array_equal(mm[:, 2], m[:, 2] + b)
    np.testing.assert_array_equal(nn, (nu + np.abs(b)) * 1.25)
    for got, want in zip(outs[0][2:], map_kernels.extremes(mm, nn), strict=True):
        np.testing.assert_array_equal(got, want)
    assert np.isnan(outs[0][2]).any() == (special is np.nan)


def _extremes(rng: np.random.Generator, width: int) -> tuple[np.ndarray, ...]:
    """Largest and smallest rows (3, width) of maps, of any scale, with 0 among them, and
    NaN, infinities and all-zero columns where they may occur."""
    scale = 10.0 ** rng.integers(-300, 300, size=(2, 3, width))
    top, bottom = np.abs(rng.normal(size=(2, 3, width))) * scale * [[[1.0]], [[-1.0]]]
    top[0, 0], bottom[1, 1], top[2, 3], bottom[0, 4] = np.nan, np.nan, np.inf, -np.inf
    top[:, 6] = 0.0
    bottom[:, 6] = -0.0
    return top, bottom


@pytest.mark.parametrize("compensated", [False, True])
def test_value_bounds_twins_agree_bit_for_bit(twins, compensated):
    """Per-unit value and gradient bounds from the maps' extremes (``NodeMaps.bounds``),
    compiled and in numpy: the same floats, NaN and infinities in the same places, zero
    boxes included; and a finite unit's bounds are what the formula gives."""
    rng = np.random.default_rng(5)
    top, bottom = _extremes(rng, 40)
    largest = np.abs(rng.normal(size=40)) * 10.0 ** rng.integers(-300, 300, size=40)
    largest[[2, 5]] = np.nan, np.inf
    lo = _extremes(rng, 40) if compensated else None
    for box in (2.0, 1e-300, 1e300, 0.0):

        def run(box=box):
            return map_kernels.value_bounds((top, bottom, largest), 1.5e-16, lo, 3.0, box)

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            compiled, numpy = twins(run)
        for a, b in zip(compiled, numpy, strict=True):
            np.testing.assert_array_equal(a, b)  # NaN in the same places
            np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
    j = 10  # a unit with finite extremes, at box 2: the bounds as written out
    own = 1.5e-16 * largest[j]
    if compensated:
        size = np.maximum(lo[0][:, j], -lo[1][:, j])
        own += 3.0 * (size[0] + size[1]) + size[2]
    du, dv, at_origin = np.maximum(top[:, j], -bottom[:, j])
    fixed, slope = map_kernels.value_bounds((top, bottom, largest), 1.5e-16, lo, 3.0, 2.0)
    gamma3 = 3 * EPS / (1 - 3 * EPS)
    assert fixed[j] == ((((du + dv) * 2.0 + at_origin) * gamma3 + own) * SAFE)
    assert slope[j] == ((own * np.sqrt(2) / 2.0 + (du + dv)) * SAFE)


@pytest.mark.parametrize("first", [0, 3])
def test_evaluate_twins_agree_bit_for_bit(first):
    """Values at points from their regions' maps, into a strided view of a larger pool (as
    the mesh's values are), compiled and in numpy: the same floats, specials included."""
    rng = np.random.default_rng(3)
    # rows of one scale on half the regions (where the order of the sums shows), of any
    # scale on the other half
    scale = rng.integers(-150, 150, size=(40, 3, 1))
    scale[:20] = scale[:20, :1]
    m = rng.normal(size=(40, 3, 20)) * 10.0**scale
    m[0, 0, :4] = [np.inf, -0.0, np.nan, -np.inf]
    xy = rng.normal(size=(700, 2))
    xy[:3] = [[0.0, -0.0], [-0.0, 1.0], [1e-300, -1e300]]
    regions = rng.integers(0, 40, size=700)
    regions[:5] = 0
    outs = []
    for run in (map_kernels._evaluate_numpy, map_kernels._evaluate_compiled):
        pool = np.full((20 - first, 1500), 7.0)
        with np.errstate(all="ignore"):
            run(m, regions, xy, first, pool[:, :700])
        outs.append(pool)
    np.testing.assert_array_equal(outs[0].view(np.int64), outs[1].view(np.int64))
    assert np.all(outs[0][:, 700:] == 7.0)  # nothing written past the view
    v = 100
    r = regions[v]
    want = (m[r, 0, first:] * xy[v, 0] + m[r, 1, first:] * xy[v, 1]) + m[r, 2, first:]
    np.testing.assert_array_equal(outs[0][:, v], want)


def _scattered_store(rng: np.random.Generator, n_poly: int) -> tuple[np.ndarray, ...]:
    """A polygon table over a ring store whose rings lie out of order with dead rows between
    them (as cuts leave it), over ``n_poly`` vertices, each on some ring and some on several."""
    length = rng.integers(3, 7, size=n_poly).astype(np.int64)
    gap = rng.integers(0, 3, size=n_poly)
    first = np.empty(n_poly, np.int64)
    at = 0
    for p in rng.permutation(n_poly):
        at += gap[p]
        first[p] = at
        at += length[p]
    ring = rng.integers(0, n_poly, size=at + 5).astype(np.int64)
    live = np.concatenate([np.arange(f, f + k) for f, k in zip(first, length, strict=True)])
    ring[rng.choice(live, size=n_poly, replace=False)] = np.arange(n_poly)
    return first, length, ring


@pytest.mark.parametrize("compiled", [True, False])
def test_layer_start_twins_agree_with_the_numpy_definition(compiled, monkeypatch):
    """Each vertex's source is the last polygon (in order) whose ring holds it, parents are
    reset and the values are the maps' at the vertices, compiled and in numpy: the same."""
    monkeypatch.setattr(kernels, "COMPILED", compiled)
    rng = np.random.default_rng(5)
    first, length, ring = _scattered_store(rng, 60)
    rows = np.concatenate([np.arange(f, f + k) for f, k in zip(first, length, strict=True)])
    want = np.full(80, -1)  # room beyond the 60 vertices, left alone
    want[ring[rows]] = np.repeat(np.arange(60), length)  # numpy: the last write wins
    m = rng.normal(size=(60, 3, 7))
    xy = rng.normal(size=(60, 2))
    parent = rng.integers(0, 60, size=60)
    source = np.full(80, -1)
    values = np.full((7, len(xy)), np.nan)
    assert layer_kernels.started(first, length, ring, parent, source, m, xy, values)
    np.testing.assert_array_equal(source, want)
    np.testing.assert_array_equal(parent, np.arange(60))
    expected = np.empty_like(values)
    map_kernels._evaluate_numpy(m, want[: len(xy)], xy, 0, expected)
    np.testing.assert_array_equal(values.view(np.int64), expected.view(np.int64))


@pytest.mark.parametrize("n_bits", [1, 8, 13, 16, 40])
def test_layer_snapshot_twins_agree_bit_for_bit(twins, n_bits):
    """Regions through the parents, the store laid out in polygon order, the offsets and the
    bits packed as ``np.packbits``, compiled and in numpy."""
    rng = np.random.default_rng(n_bits)
    first, length, ring = _scattered_store(rng, 50)
    used = len(ring)
    store = (ring, rng.integers(-1, 9, size=used), rng.normal(size=(used, 3)), rng.random(used))
    parent, origin = rng.integers(0, 20, size=50), rng.integers(0, 1000, size=20)
    bits = rng.random((50, n_bits)) < 0.5

    def run():
        table = (first.copy(), length.copy(), parent.copy())
        out = layer_kernels.snapshot(*table, origin, store, used, bits)  # rows past used: room
        return (*table, *out[:3], *(a[: out[4]] for a in out[3]), np.array([out[4]]))

    compiled, numpy = twins(run)
    assert_same(compiled, numpy)
    new_first, _, new_parent, regions_, start, packed, new_ring, *_ = numpy
    np.testing.assert_array_equal(regions_, origin[parent])
    np.testing.assert_array_equal(new_parent, np.arange(50))
    np.testing.assert_array_equal(packed, np.packbits(bits, axis=1))
    np.testing.assert_array_equal(new_first, start[:-1])
    for p in range(50):  # each ring moved whole to its offset
        laid = new_ring[start[p] : start[p + 1]]
        np.testing.assert_array_equal(laid, ring[first[p] : first[p] + length[p]])


def test_evaluate_twins_agree_where_the_rows_cancel():
    """A first layer's map on a tiny domain at (1e7, 1e7) (found by a hypothesis hunt): its
    terms of about 3e14 cancel to about 1, where the order of the sums shows (an einsum gave
    1.46875 at the third corner, the compiled loop 1.5, and the filter settled one sign more
    in compiled mode)."""
    m = np.array([[[2.0152925614186984e07], [9.3261919834576733e06], [-2.9479117597644550e14]]])
    xy = np.array(
        [
            [9999999.999999968, 9999999.999999955],
            [10000000.000000032, 9999999.999999959],
            [10000000.00000001, 10000000.000000022],
            [9999999.999999978, 10000000.000000015],
        ]
    )
    outs = [np.empty((1, 4)), np.empty((1, 4))]
    map_kernels._evaluate_numpy(m, np.zeros(4, dtype=np.int64), xy, 0, outs[0])
    map_kernels._evaluate_compiled(m, np.zeros(4, dtype=np.int64), xy, 0, outs[1])
    np.testing.assert_array_equal(outs[0], outs[1])
    assert outs[0][0, 2] == (m[0, 0, 0] * xy[2, 0] + m[0, 1, 0] * xy[2, 1]) + m[0, 2, 0] == 1.5


def test_nothing_split(twins):
    sign = np.array([1, 1, 0, 0, -1, -1], dtype=np.int8)
    out = twins(lambda: kernels.plan(sign, sign.astype(float), np.array([3, 3])))
    assert_same(*out)
    assert out[0][1].tolist() == [False, False]


def test_intersection_twins_agree_at_every_scale(twins):
    rng = np.random.default_rng(0)
    n = 100_000

    def lines() -> np.ndarray:
        out = rng.normal(size=(n, 3)) * 10.0 ** rng.integers(-150, 150, size=(n, 1))
        out[rng.random((n, 3)) < 0.15] = 0.0  # axis-parallel lines, zero offsets
        return out

    l1, l2 = lines(), lines()
    l2[:1000] = l1[:1000] * 3.0  # parallel pairs
    e1, e2 = (np.abs(rng.normal(size=n)) * 10.0 ** rng.integers(-300, 0, size=n) for _ in "12")
    with np.errstate(all="ignore"):
        compiled, numpy = twins(lambda: intersections.intersect(l1, e1, l2, e2, 1e3))
    assert_same(compiled, numpy)
    assert 0 < np.isfinite(numpy[1]).sum() < n


def same_partition(a: regions.Partition, b: regions.Partition) -> None:
    for name in ("vertices", "ring", "start", "edge_label", "cell_bits"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), strict=True)
    # The same signs left to exact arithmetic (its vertices' distance bounds too).
    np.testing.assert_array_equal(a.cut_state.r, b.cut_state.r, strict=True)
    # The same maps carried through the pass (map_kernels' and compensated_kernels' twins),
    # with their bounds.
    for name in ("m", "nu", "lo"):
        x, y = getattr(a.cut_state.output, name), getattr(b.cut_state.output, name)
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_array_equal(x, y, strict=True)
    assert (a.cut_state.n_filtered, a.cut_state.n_exact) == (
        b.cut_state.n_filtered,
        b.cut_state.n_exact,
    )


@settings(max_examples=30, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3)))
def test_adversarial_partitions_are_the_same_either_way(case):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "COMPILED", True)
        compiled = case.decompose()
        patch.setattr(kernels, "COMPILED", False)
        same_partition(compiled, case.decompose())


@pytest.mark.parametrize(
    ("width", "depth", "init", "half"),
    [(16, 3, "default", 1.0), (64, 3, "default", 1.0), (32, 8, "he+bias", 3.0)],
)
def test_benchmark_nets_are_the_same_either_way(twins, width, depth, init, half):
    model = mlp(width, depth, init, 0)
    box = (-half, half, -half, half)
    compiled, numpy = twins(lambda: regions.decompose(model, box))
    same_partition(compiled, numpy)
    np.testing.assert_array_equal(compiled.affine()[0], numpy.affine()[0], strict=True)


def test_vertices_placed_exactly_are_the_same_either_way(twins):
    """2^27 relu(x + 2) - 2^27 relu(x + 2) + 2^-27 (relu(y + 2) - 2) = 2^-27 y: the maps'
    error bound (about 2^-24) exceeds the cut line's gradient, so its vertices on the box's
    sides cannot be placed from line equations: the compiled cut hands them to exact
    arithmetic."""
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1), torch.nn.ReLU()
    ).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        net[0].bias.fill_(2.0)
        net[2].weight.copy_(torch.tensor([[2.0**27, -(2.0**27), 2.0**-27]]))
        net[2].bias.fill_(-(2.0**-26))
    compiled, numpy = twins(lambda: regions.decompose(net, (-1.0, 1.0, -1.0, 1.0)))
    same_partition(compiled, numpy)
    assert compiled.vertices[4:].tolist() == [[-1.0, 0.0], [1.0, 0.0]]
    assert np.all(compiled.cut_state.r < 1e-15)


def test_too_many_regions_stops_at_the_same_cut_either_way(twins):
    model = mlp(64, 3, "default", 0)

    def message() -> str:
        with pytest.raises(regions.TooManyRegionsError) as info:
            regions.decompose(model, (-1.0, 1.0, -1.0, 1.0), max_regions=1000)
        return str(info.value)

    compiled, numpy = twins(message)
    assert compiled == numpy and "after unit 8 of activation layer 2" in compiled


@pytest.mark.parametrize("n", [0, 1, 2, 31, 32, 33, 63, 64, 65, 96, 128, 129, 200, 257, 1000])
@pytest.mark.parametrize("compiled", [True, False])
def test_stable_order_is_numpys_stable_argsort(n, compiled):
    """The cut's own merge sort (insertion-sorted runs of 32, merged bottom-up) orders the
    crossed edges' keys as numpy's stable sort does, ties (shared edges) in index order: one
    run or several, an odd or even number of merge passes, and no keys at all."""
    rng = np.random.default_rng(n)
    sort = kernels._stable_order if compiled else kernels._stable_order.py_func
    for distinct in (1, 3, max(1, n // 4), 10 * n + 1):  # all tied, many ties, few, none
        keys = rng.integers(0, distinct, n).astype(np.int64)
        order, scratch = np.empty(n, np.int64), np.empty(n, np.int64)
        sort(keys, order, scratch)
        np.testing.assert_array_equal(order, np.argsort(keys, kind="stable"))
