"""The folding study (analysis.studies.folding): exact folding along segments, exact images
and fold detection, the ring's enclosure, the chi jobs, the folding net and the figures."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from torch import nn

import regions
from analysis.figures.panels import position_colors
from analysis.lab.options import QuickMode, RunOptions
from analysis.lab.train import train
from analysis.studies.depth_width.nets import train_config
from analysis.studies.folding.chi import ChiJob, summarize
from analysis.studies.folding.experiment import EXPERIMENT
from analysis.studies.folding.figures import bowl_figure, fold_groups_figure, images_figure
from analysis.studies.folding.folding_net import (
    DISC_SIDES,
    HOLE_CENTRE,
    HOLE_RADIUS,
    fold_readout,
    folded_images,
    folding_partition,
    hole_preimage,
)
from analysis.studies.folding.images import (
    colored_images,
    find_folds,
    project,
    region_images,
    warped_grid,
)
from analysis.studies.folding.measures import (
    chi_by_layer,
    folding_distribution,
    folding_measure,
    pattern_walk,
    random_segments,
)
from analysis.studies.folding.net_figures import folding_figure, hole_figure
from analysis.studies.folding.ring import (
    NARROW_DEPTHS,
    QUICK_RING_TRAINING,
    WIDE_HIDDEN,
    enclosure,
    ring_config,
)
from regions.constructions import folding_net, sawtooth

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


def _sampled_walk(model: nn.Sequential, p: np.ndarray, q: np.ndarray) -> list[tuple]:
    """Patterns of the model at 2001 points along [p, q], consecutive repeats merged; points
    within 1e-9 of a breakpoint (where float64 cannot be trusted) are skipped."""
    x = torch.tensor(p + np.linspace(0, 1, 2001)[:, None] * (q - p))
    pats, near = [], np.zeros(len(x), dtype=bool)
    with torch.no_grad():
        for module in model:
            if isinstance(module, nn.ReLU):
                pats.append(x.numpy() > 0)
                near |= np.any(np.abs(x.numpy()) < 1e-9, axis=1)
            x = module(x)
    rows = [tuple(r) for r in np.hstack(pats)[~near].tolist()]
    return [r for i, r in enumerate(rows) if i == 0 or r != rows[i - 1]]


def _is_subsequence(small: list[tuple], big: list[tuple]) -> bool:
    it = iter(big)
    return all(any(s == b for b in it) for s in small)


# ----------------------------------------------------------------- folding measure
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    depth=st.integers(1, 3),
    ends=st.lists(st.floats(-1.9, 1.9), min_size=4, max_size=4),
)
def test_walk_meets_every_sampled_pattern_in_order(seed, depth, ends):
    model = random_net((5,) * depth, seed)
    p, q = np.array(ends[:2]), np.array(ends[2:])
    if np.linalg.norm(q - p) < 1e-3:
        return
    walk = [tuple(r) for r in pattern_walk(model, p, q).tolist()]
    assert all(a != b for a, b in zip(walk, walk[1:], strict=False))  # repeats merged
    assert _is_subsequence(_sampled_walk(model, p, q), walk)
    # The walk is the sequence of 2D regions the segment crosses.
    part = regions.decompose(model, BOX)
    pieces = regions.decompose_line(model, p, q)
    crossed = part.patterns[part.locate(pieces.to_input(pieces.midpoints))]
    assert np.array_equal(crossed, pieces.patterns)


def test_a_piece_narrower_than_any_tolerance_is_a_step():
    # relu(x) and relu(x - 2^-50): a strip 2^-50 wide that sampling or clipping with a
    # tolerance loses; the walk steps into it and out.
    first = nn.Linear(2, 2, dtype=torch.float64)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
        first.bias.copy_(torch.tensor([0.0, -(2.0**-50)]))
    model = nn.Sequential(first, nn.ReLU(), nn.Linear(2, 1, dtype=torch.float64))
    walk = pattern_walk(model, [-1.0, 0.0], [1.0, 0.0])
    np.testing.assert_array_equal(walk, [[False, False], [True, False], [True, True]])
    assert folding_measure(model, [-1.0, 0.0], [1.0, 0.0]) == 0.0


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    width=st.integers(1, 8),
    ends=st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4),
)
def test_one_hidden_layer_never_folds(seed, width, ends):
    # Every boundary is a line, crossed at most once: the walk only moves away from its start.
    p, q = np.array(ends[:2]), np.array(ends[2:])
    if np.linalg.norm(q - p) < 1e-3:
        return
    assert folding_measure(random_net((width,), seed), p, q) == 0.0


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), depth=st.integers(2, 4))
def test_per_layer_measure_is_the_measure_of_the_truncated_net(seed, depth):
    model = random_net((4,) * depth, seed)
    segments = random_segments(10, BOX, seed)
    chi = chi_by_layer(model, segments)
    for k in range(1, depth + 1):
        truncated = nn.Sequential(*model[: 2 * k], nn.Linear(4, 1, dtype=torch.float64))
        expected = folding_distribution(truncated, segments)
        np.testing.assert_array_equal(folding_distribution(model, segments, layer=k), expected)
        np.testing.assert_array_equal(chi[k - 1], expected)


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 7])
def test_sawtooth_closed_form(depth):
    # 2^L strips, one bit flips per boundary (2^L - 1 steps); the farthest pattern is L away.
    net = regions.trace(sawtooth(depth))
    assert folding_measure(net, *HALF) == pytest.approx(1 - depth / (2**depth - 1), abs=1e-15)
    # Per layer: the first k layers of the sawtooth are the depth-k sawtooth.
    for k in range(1, depth + 1):
        expected = 1 - k / (2**k - 1)
        assert folding_measure(net, *HALF, layer=k) == pytest.approx(expected, abs=1e-15)
        assert folding_measure(sawtooth(k), *HALF) == pytest.approx(expected, abs=1e-15)


def test_per_layer_walk_merges_repeated_patterns():
    model = sawtooth(4)
    assert len(pattern_walk(model, *HALF)) == 16
    assert len(pattern_walk(model, *HALF, layer=2)) == 4
    # Layer 2 alone: its second unit is on where tent(x) > 1/2, for x in (1/4, 3/4): off, on,
    # off (its first unit is on throughout), so the walk comes back to its start.
    walk = pattern_walk(model, *HALF, layer=2, cumulative=False)
    np.testing.assert_array_equal(walk, [[True, False], [True, True], [True, False]])
    assert folding_measure(model, *HALF, layer=2, cumulative=False) == 0.5
    with pytest.raises(ValueError, match=r"layer must be in 1\.\.4"):
        folding_measure(model, *HALF, layer=5)
    with pytest.raises(ValueError, match="length 0"):
        folding_measure(model, [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"shape \(n, 2, d\)"):
        folding_distribution(model, np.zeros((3, 2)))


def test_segment_inside_one_region_has_zero_folding():
    assert folding_measure(sawtooth(3), np.array([0.01, 0.1]), np.array([0.02, 0.9])) == 0.0


def test_segments_on_a_plane_are_walked_in_its_coordinates():
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU()
    ).double()
    plane = ([0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [0.0, 2.0, 1.0])  # (u, v) -> (u, 2 v, 1)
    segments = random_segments(20, BOX, seed=3)
    lifted = np.concatenate([segments * [1.0, 2.0], np.ones((20, 2, 1))], axis=2)
    on_plane = chi_by_layer(model, segments, plane=plane)
    np.testing.assert_array_equal(on_plane, chi_by_layer(model, lifted))
    assert on_plane[-1].max() > 0  # three layers do fold some of them


def test_random_segments_and_distribution():
    segs = random_segments(50, (0, 1, 0, 1), seed=7)
    assert segs.shape == (50, 2, 2)
    assert np.array_equal(segs, random_segments(50, (0, 1, 0, 1), seed=7))
    assert segs.min() >= 0 and segs.max() <= 1
    net = regions.trace(sawtooth(4))
    chi = folding_distribution(net, segs)
    assert chi.shape == (50,) and np.all((chi >= 0) & (chi < 1))
    one = [folding_measure(net, p, q, layer=2) for p, q in segs[:10]]
    np.testing.assert_array_equal(folding_distribution(net, segs[:10], layer=2), one)
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
    configs = [ring_config((2,) * d, QUICK_RING_TRAINING) for d in NARROW_DEPTHS]
    rows = [enclosure(train(c, progress=False), n_segments=20)[0] for c in configs]
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


# ------------------------------------------------------------------------- exact images
def hidden(model: nn.Sequential, k: int, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model[: 2 * k](torch.as_tensor(x)).numpy()


@pytest.mark.parametrize("seed", [0, 3])
def test_colored_pieces_tile_the_domain_and_map_exactly(seed):
    model = random_net((5, 2, 3), seed)
    part = regions.decompose(model, BOX)
    for k in (1, 2, 3):
        ci = colored_images(part, k, cells=12)
        areas = np.array([shapely.Polygon(p).area for p in ci.pieces])
        assert areas.min() > 0
        np.testing.assert_allclose(areas.sum(), 16.0, rtol=1e-12)
        # No two pieces overlap: the union has the same area as the sum.
        union = shapely.union_all([shapely.Polygon(p) for p in ci.pieces])
        np.testing.assert_allclose(union.area, 16.0, rtol=1e-9)
        # Every vertex and every interior point maps as the model does.
        for piece, image in zip(ci.pieces[::7], ci.images[::7], strict=True):
            np.testing.assert_allclose(image, hidden(model, k, piece), atol=1e-10)
            np.testing.assert_allclose(
                image.mean(axis=0), hidden(model, k, piece.mean(axis=0)), atol=1e-10
            )
        assert ci.centroids.shape == (len(ci.pieces), 2)


def test_warped_grid_lines_follow_the_model():
    model = random_net((4, 4), 1)
    part = regions.decompose(model, BOX)
    grid = warped_grid(part, 2, n_lines=5)
    assert len(grid.lines) == 10 and grid.horizontal.sum() == 5
    for (p, q), line in zip(grid.inputs, grid.lines, strict=True):
        np.testing.assert_allclose(line[0], hidden(model, 2, p), atol=1e-10)
        np.testing.assert_allclose(line[-1], hidden(model, 2, q), atol=1e-10)
        # Between the vertices the image is straight: midpoints of the input line map onto
        # the polyline (the image at the input midpoint lies on one of its segments).
        mid = hidden(model, 2, (p + q) / 2)
        a, b = line[:-1], line[1:]
        t = np.clip(
            np.einsum("ij,ij->i", mid - a, b - a)
            / np.maximum(np.einsum("ij,ij->i", b - a, b - a), 1e-300),
            0,
            1,
        )
        dist = np.linalg.norm(a + t[:, None] * (b - a) - mid, axis=1)
        assert dist.min() < 1e-9


def test_figures_have_labelled_axes():
    model = random_net((2, 2, 3), 2)
    part = regions.decompose(model, BOX)
    fig = images_figure(part, cells=8, n_lines=5, title="t")
    assert len(fig.axes) == 9
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert fig.axes[1].get_xlabel() == "layer 1: unit 1"  # width 2: its own units
    assert fig.axes[7].get_xlabel() == "layer 3: principal axis 1"
    folds = fold_groups_figure(part)
    assert all(ax.get_title().startswith(f"layer {k}:") for k, ax in enumerate(folds.axes, 1))
    bowl = bowl_figure(
        [regions.decompose(random_net((3,), 0), BOX)],
        [1],
        [(np.ones(3), -1.0)],
        np.zeros((3, 2)),
        np.array([0, 1, 1]),
        ["demo"],
    )
    assert bowl.axes[0].get_zlabel() == "unit 3"


# ------------------------------------------------------------------------- chi study
def test_chi_by_layer_rows_are_per_layer_measures():
    model = random_net((8, 8, 8), 2)
    segments = random_segments(30, BOX, seed=1)
    chi = chi_by_layer(model, segments)
    assert chi.shape == (3, 30)
    np.testing.assert_array_equal(chi[0], 0.0)  # one layer never folds
    assert chi[1].max() > 0 and chi[-1].max() > 0
    np.testing.assert_array_equal(chi[-1], folding_distribution(model, segments))
    np.testing.assert_array_equal(chi[1], folding_distribution(model, segments, layer=2))


def test_chi_jobs_and_summary(tmp_path):
    quick = EXPERIMENT.chi_jobs(RunOptions(tmp_path, tmp_path, quick=True))
    full = EXPERIMENT.chi_jobs(RunOptions(tmp_path, tmp_path))
    assert len(quick) < len(full)
    assert {j.n_segments for j in quick} == {100}
    # Trained nets are scaled by the one quick mode; nets at initialisation are not trained.
    assert {j.config for j in quick if j.trained} <= {
        QuickMode().train(j.config) for j in quick if j.trained
    }
    # Matched budgets: every net of one budget is within 5 % of it.
    for job in full:
        hidden = job.config.model.hidden
        n = sum((a + 1) * b for a, b in zip((2, *hidden), (*hidden, 2), strict=True))
        assert abs(n - job.budget) <= 0.05 * job.budget
    job = ChiJob(train_config((3,)), n_segments=10, budget=20)
    row = summarize(job, job.run(None))
    assert row.mean_chi == 0.0 and row.folded == 0.0 and row.budget == 20


# ----------------------------------------------------------------------- the folding net
P = 2


@pytest.fixture(scope="module")
def net_part() -> regions.Partition:
    return folding_partition()


def tent_power(x: np.ndarray, k: int) -> np.ndarray:
    """The 2-fold zigzag t(x) = 1 - |2x - 1| applied k times."""
    for _ in range(k):
        x = 1 - np.abs(2 * x - 1)
    return x


def folded_by_model(xy: np.ndarray, k: int) -> np.ndarray:
    """Folded coordinates of input points (n, 2) from the torch model's first k layers."""
    model = folding_net(P, 3, 3)
    with torch.no_grad():
        h = model[: 2 * k](torch.as_tensor(xy, dtype=torch.float64)).numpy()
    return h @ fold_readout(P).T


def polygon_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


@pytest.mark.parametrize("k", [1, 2])
def test_readout_gives_iterated_zigzag(k: int) -> None:
    xy = np.random.default_rng(k).random((200, 2))
    np.testing.assert_allclose(folded_by_model(xy, k), tent_power(xy, k), atol=1e-12)


@pytest.mark.parametrize("k", [1, 2])
def test_every_region_covers_the_square(net_part: regions.Partition, k: int) -> None:
    fold = folded_images(net_part, k)
    assert len(fold.polygons) == P ** (2 * k)
    assert fold.copies == P ** (2 * k)
    for poly, image, M, d in zip(fold.polygons, fold.images, fold.maps, fold.offsets, strict=True):
        # The region's affine map agrees with the model and sends it onto the unit square.
        np.testing.assert_allclose(poly @ M.T + d, image, atol=1e-12)
        np.testing.assert_allclose(image, folded_by_model(poly, k), atol=1e-12)
        hull = shapely.convex_hull(shapely.MultiPoint(image))
        assert shapely.symmetric_difference(hull, shapely.box(0, 0, 1, 1)).area < 1e-12
        assert abs(np.linalg.det(M)) == pytest.approx(P ** (2 * k))


@pytest.mark.parametrize("k", [1, 2])
def test_hole_preimage_is_replicated(net_part: regions.Partition, k: int) -> None:
    pre = hole_preimage(folded_images(net_part, k))
    assert len(pre.components) == P ** (2 * k)
    disc_area = polygon_area(pre.hole)
    assert disc_area == pytest.approx(
        0.5 * DISC_SIDES * HOLE_RADIUS**2 * np.sin(2 * np.pi / DISC_SIDES)
    )
    for comp in pre.components:
        # Each copy is the disc shrunk by the map's determinant, and maps into the disc.
        assert comp.area == pytest.approx(disc_area / P ** (2 * k), rel=1e-9)
        inside = np.asarray(shapely.get_coordinates(comp.representative_point()))
        assert np.linalg.norm(folded_by_model(inside, k)[0] - HOLE_CENTRE) < HOLE_RADIUS


def test_hole_on_a_fold_merges_copies(net_part: regions.Partition) -> None:
    # Beyond folded x = 1 the disc is cut by the fold at x = 1/2: mirror pieces join.
    pre = hole_preimage(folded_images(net_part, 1), centre=(0.95, 0.62))
    assert len(pre.components) == 2


def test_position_colors_are_rgb_and_distinct() -> None:
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]])
    rgb = position_colors(corners, (0, 1, 0, 1))
    assert rgb.shape == (5, 3)
    assert np.all((rgb >= 0) & (rgb <= 1))
    gaps = np.linalg.norm(rgb[:, None] - rgb[None], axis=2)
    assert gaps[~np.eye(5, dtype=bool)].min() > 0.15


@pytest.mark.parametrize("build", [folding_figure, hole_figure])
def test_figures_have_labelled_panels(net_part: regions.Partition, build) -> None:
    fig = build(net_part)
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 4
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert fig.get_suptitle()
