"""Exact space folding along segments, exact folding maps and fold detection (analysis.folding)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import regions
from analysis.folding import (
    crossed_regions,
    find_folds,
    folding_distribution,
    folding_measure,
    pattern_walk,
    project,
    random_segments,
    region_images,
)
from analysis.folding_experiment import NARROW_DEPTHS, WIDE_HIDDEN, enclosure, ring_config
from analysis.train import train, train_many
from regions.constructions import sawtooth

BOX = (-2.0, 2.0, -2.0, 2.0)
HALF = ((0.0, 0.5), (1.0, 0.5))  # the horizontal segment through every sawtooth strip


def random_net(widths: tuple[int, ...], seed: int) -> nn.Sequential:
    """A float64 ReLU MLP on 2 inputs with the given hidden widths and one output."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    n_in = 2
    for w in widths:
        layers += [nn.Linear(n_in, w, dtype=torch.float64), nn.ReLU()]
        n_in = w
    return nn.Sequential(*layers, nn.Linear(n_in, 1, dtype=torch.float64))


def _check_tiling(part: regions.Partition, p: np.ndarray, q: np.ndarray) -> None:
    idx, t0, t1 = crossed_regions(part, p, q)
    assert len(idx) >= 1
    assert np.all(t1 > t0)
    np.testing.assert_allclose((t1 - t0).sum(), 1.0, atol=1e-12)
    np.testing.assert_allclose(t0[1:], t1[:-1], atol=1e-12)
    assert t0[0] == pytest.approx(0.0, abs=1e-12) and t1[-1] == pytest.approx(1.0, abs=1e-12)
    mid = p + 0.5 * (t0 + t1)[:, None] * (q - p)
    assert np.array_equal(part.locate(mid), idx)


# ----------------------------------------------------------------- crossed regions
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    depth=st.integers(1, 3),
    ends=st.lists(st.floats(-1.9, 1.9), min_size=4, max_size=4),
)
def test_pieces_tile_the_segment_and_agree_with_locate(seed, depth, ends):
    part = regions.decompose(random_net((5,) * depth, seed), BOX)
    p, q = np.array(ends[:2]), np.array(ends[2:])
    if np.linalg.norm(q - p) < 1e-3:
        return
    _check_tiling(part, p, q)


def test_segment_along_a_boundary_is_assigned_once():
    # The sawtooth's strip boundaries are vertical lines x = j / 2^L.
    part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    idx, t0, t1 = crossed_regions(part, np.array([0.25, 0.0]), np.array([0.25, 1.0]))
    assert len(idx) == 1 and t0[0] == 0.0 and t1[0] == 1.0


def test_non_convex_domain_uses_clipped_regions():
    domain = shapely.Polygon(
        [(-2, -2), (2, -2), (2, 2), (-2, 2)], [[(-1, -1), (1, -1), (1, 1), (-1, 1)]]
    )
    part = regions.decompose(random_net((4, 4), 3), domain)
    p, q = np.array([-1.8, -1.5]), np.array([1.7, -1.2])  # below the hole
    _check_tiling(part, p, q)
    # Across the hole: a gap of parameter 2 / 3.5 between the pieces.
    idx, t0, t1 = crossed_regions(part, np.array([-1.75, 0.0]), np.array([1.75, 0.0]))
    np.testing.assert_allclose((t1 - t0).sum(), 1.5 / 3.5, atol=1e-9)


def test_crossed_regions_rejects_bad_input():
    part = regions.decompose(sawtooth(1), (0, 1, 0, 1))
    with pytest.raises(ValueError):
        crossed_regions(part, np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        crossed_regions(part, np.zeros(3), np.ones(3))


# ----------------------------------------------------------------- folding measure
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    width=st.integers(1, 8),
    ends=st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4),
)
def test_one_hidden_layer_never_folds(seed, width, ends):
    # Every boundary is a line, crossed at most once: the walk only moves away from its start.
    part = regions.decompose(random_net((width,), seed), BOX)
    p, q = np.array(ends[:2]), np.array(ends[2:])
    if np.linalg.norm(q - p) < 1e-3:
        return
    assert folding_measure(part, p, q) == 0.0


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), depth=st.integers(2, 4))
def test_per_layer_measure_is_the_measure_of_the_coarser_partition(seed, depth):
    part = regions.decompose(random_net((4,) * depth, seed), BOX)
    segments = random_segments(10, BOX, seed)
    for k in range(1, depth + 1):
        np.testing.assert_array_equal(
            folding_distribution(part, segments, layer=k),
            folding_distribution(part.at_depth(k), segments),
        )


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 7])
def test_sawtooth_closed_form(depth):
    # 2^L strips, one bit flips per boundary (2^L - 1 steps); the farthest pattern is L away.
    part = regions.decompose(sawtooth(depth), (0, 1, 0, 1))
    assert folding_measure(part, *HALF) == pytest.approx(1 - depth / (2**depth - 1), abs=1e-15)
    # Per layer: the first k layers of the sawtooth are the depth-k sawtooth.
    for k in range(1, depth + 1):
        expected = 1 - k / (2**k - 1)
        assert folding_measure(part, *HALF, layer=k) == pytest.approx(expected, abs=1e-15)
        assert folding_measure(part.at_depth(k), *HALF) == pytest.approx(expected, abs=1e-15)


def test_per_layer_walk_merges_repeated_patterns():
    part = regions.decompose(sawtooth(4), (0, 1, 0, 1))
    assert len(crossed_regions(part, *HALF)) == 16
    assert len(pattern_walk(part, *HALF, layer=2)) == 4
    # Layer 2 alone: its second unit is on where tent(x) > 1/2, for x in (1/4, 3/4): off, on,
    # off (its first unit is on throughout), so the walk comes back to its start.
    walk = pattern_walk(part, *HALF, layer=2, cumulative=False)
    np.testing.assert_array_equal(walk, [[True, False], [True, True], [True, False]])
    assert folding_measure(part, *HALF, layer=2, cumulative=False) == 0.5
    with pytest.raises(ValueError):
        folding_measure(part, *HALF, layer=5)


def test_segment_inside_one_region_has_zero_folding():
    part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    assert folding_measure(part, np.array([0.01, 0.1]), np.array([0.02, 0.9])) == 0.0


def test_random_segments_and_distribution():
    segs = random_segments(50, (0, 1, 0, 1), seed=7)
    assert segs.shape == (50, 2, 2)
    assert np.array_equal(segs, random_segments(50, (0, 1, 0, 1), seed=7))
    assert segs.min() >= 0 and segs.max() <= 1
    part = regions.decompose(sawtooth(4), (0, 1, 0, 1))
    chi = folding_distribution(part, segs)
    assert chi.shape == (50,) and np.all((chi >= 0) & (chi < 1))
    one = [folding_measure(part, p, q, layer=2) for p, q in segs[:10]]
    np.testing.assert_array_equal(folding_distribution(part, segs[:10], layer=2), one)
    with pytest.raises(ValueError):
        random_segments(3, (1, 0, 0, 1), seed=0)


# ----------------------------------------------------------------- folding maps
@pytest.mark.parametrize("seed", [0, 1])
def test_region_images_match_forward_pass(seed):
    model = random_net((6, 4, 2), seed)
    part = regions.decompose(model, BOX)
    rng = np.random.default_rng(seed)
    for k in (1, 2, 3):
        images = region_images(part, k)
        assert len(images) == len(part)
        for i in rng.choice(len(part), size=min(20, len(part)), replace=False):
            # An interior point as a convex combination of the vertices: its image is the same
            # combination of the vertex images (the map is affine on the region).
            verts = part.polygons[i]
            w = rng.dirichlet(np.ones(len(verts)))
            x = torch.as_tensor(w @ verts)
            with torch.no_grad():
                h = model[: 2 * k](x).numpy()
            np.testing.assert_allclose(w @ images[i], h, atol=1e-10)


def test_project_units_and_pca():
    images = (np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 2.0]]), np.array([[3.0, 0.0, 0.0]]))
    xy = project(images, (2, 0))
    np.testing.assert_array_equal(xy[0], [[2.0, 0.0], [2.0, 1.0]])
    pca = project(images, "pca")
    assert [a.shape for a in pca] == [(2, 2), (1, 2)]
    # Distances are kept when the vertices span at most two dimensions.
    flat = np.concatenate(images)
    d = np.linalg.norm(flat[:, None] - flat[None], axis=-1)
    p = np.concatenate(pca)
    np.testing.assert_allclose(np.linalg.norm(p[:, None] - p[None], axis=-1), d, atol=1e-12)
    with pytest.raises(ValueError):
        project(images, "tsne")


def abs_fold_net() -> nn.Sequential:
    """Layer 1 computes relu(+-x), relu(+-y); layer 2 (width 2) is (|x| + .1, |y| + .1):
    the four quadrants of [-1, 1]^2 land on the same square, four copies."""
    first = nn.Linear(2, 4, dtype=torch.float64)
    second = nn.Linear(4, 2, dtype=torch.float64)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0], [-1, 0], [0, 1], [0, -1]]))
        first.bias.zero_()
        second.weight.copy_(torch.tensor([[1.0, 1, 0, 0], [0, 0, 1, 1]]))
        second.bias.fill_(0.1)
    return nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), nn.Linear(2, 1, dtype=torch.float64))


def test_find_folds_groups_the_four_quadrants():
    part = regions.decompose(abs_fold_net(), (-1, 1, -1, 1))
    assert len(part) == 4
    folds = find_folds(part, layer=2)
    assert folds.n_groups == 1 and folds.max_copies == 4
    assert len(folds.pairs) == 6
    np.testing.assert_allclose(folds.overlap, 1.0)
    for img in region_images(part, 2):
        np.testing.assert_allclose(
            shapely.convex_hull(shapely.multipoints(img)).area, 1.0, atol=1e-12
        )
    # Layer 1 has width 4 and is injective: (relu x, relu -x, relu y, relu -y) sends the
    # quadrants to four squares in four different coordinate planes, no two with area in
    # common. Projected onto (relu x, relu y) they become a square, two of its edges and its
    # corner, of different dimensions: no folds. Projected onto (relu x, relu -x), the two
    # quadrants with y > 0 flatten onto the same segments as the two with y < 0: the
    # documented caveat of a wide layer's projection.
    assert find_folds(part, layer=1, units=(0, 2)).max_copies == 1
    folds = find_folds(part, layer=1, units=(0, 1))
    assert folds.n_groups == 2 and folds.max_copies == 2
    np.testing.assert_allclose(folds.overlap, 1.0)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_sawtooth_folds_its_strip_onto_two_segments(depth):
    # Layer k of the sawtooth sends each of its 2^k strips onto one of two segments that meet
    # at (1/2, 0): [0, 1/2] x {0} (length 1/2) and the diagonal to (1, 1/2) (length 1/sqrt 2).
    # x -> t^(k-1)(x) folds [0, 1] 2^(k-1) times before layer k splits it in two. The images
    # are flat (no area), so the folds are found by length.
    part = regions.decompose(sawtooth(depth), (0, 1, 0, 1))
    for k in range(1, depth + 1):
        folds = find_folds(part.at_depth(k), layer=k)
        assert folds.max_copies == 2 ** (k - 1)
        assert folds.n_groups == (2 if k > 1 else 0)
        lengths = np.unique(folds.overlap.round(12))
        assert lengths.tolist() == ([0.5, round(np.sqrt(0.5), 12)] if k > 1 else [])


# ----------------------------------------------------------------- the ring demonstration
def test_width_two_nets_never_enclose_the_ring():
    # Johnson (2019): every decision region of a net with all widths <= 2 is unbounded, so
    # every inner-class component reaches the edge of a box 5x the data box, at every depth.
    configs = [ring_config((2,) * d, quick=True) for d in NARROW_DEPTHS]
    rows = [enclosure(r, n_segments=20)[0] for r in train_many(configs, None, progress=False)]
    for row in rows:
        assert row.min_width == 2 and row.n_bounded == 0 and row.bounded_area == 0.0
    # Not vacuous: most of these nets do predict the inner class somewhere.
    assert sum(row.n_components > 0 for row in rows) >= 3


def test_a_width_three_layer_encloses_the_ring():
    result = train(ring_config(WIDE_HIDDEN[-1]), progress=False, record_every=100)
    row, part = enclosure(result, n_segments=20)
    assert row.test_acc > 0.99
    assert row.n_bounded >= 1
    # The bounded component is the disc (area 8) up to the classification error.
    assert abs(row.bounded_area - 8.0) < 0.5
    assert part.domain.diameter == pytest.approx(20 * np.sqrt(2))
