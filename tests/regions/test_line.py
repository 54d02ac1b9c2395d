"""regions.decompose_line: exact pieces along a segment, judged in rational arithmetic.

What is right on degenerate segments (documented in ``decompose_line``'s pieces' patterns):

- A segment through a vertex of the 2D partition breaks once there (every unit switching at
  that point merges into one break) and never enters the regions that only touch the vertex.
- A segment along a region boundary lies in no region's interior. Its pieces carry the
  model's own pattern on the segment, where a unit exactly at its breakpoint reads 0 (``z > t``
  is false): the pattern of the region on the unit's off side in general, and, when a deeper
  unit is identically at its breakpoint on the segment too, a pattern of no 2D region at all.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import shapely
import torch
from exact_model import check_line
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import regions
from regions.constructions import line_arrangement, sawtooth


def sequential(*layers: tuple) -> nn.Sequential:
    """Float64 MLP from (W, b) pairs and activation modules."""
    mods: list[nn.Module] = []
    for item in layers:
        if isinstance(item, nn.Module):
            mods.append(item)
            continue
        W = torch.as_tensor(np.asarray(item[0], dtype=np.float64))
        lin = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(torch.as_tensor(np.asarray(item[1], dtype=np.float64)))
        mods.append(lin)
    return nn.Sequential(*mods).eval()


def random_mlp(widths, seed, activation=nn.ReLU, init="default"):
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    n = 2
    for w in widths:
        layers += [nn.Linear(n, w), activation()]
        n = w
    model = nn.Sequential(*layers, nn.Linear(n, 2)).double()
    return model.eval()


# ----------------------------------------------------------------- known answers


@pytest.mark.parametrize("depth", range(1, 11))
def test_sawtooth_has_2_to_the_depth_pieces(depth):
    pieces = regions.decompose_line(sawtooth(depth), [0.0, 0.0], [1.0, 0.0])
    n = 2**depth
    assert len(pieces) == n
    assert pieces.exact_breaks() == [Fraction(k, n) for k in range(1, n)]
    assert pieces.breaks.tolist() == [k / n for k in range(1, n)]
    # Break k / 2^L is drawn by the layer of its first appearance: L - (2-adic valuation of k).
    valuation = [(k & -k).bit_length() - 1 for k in range(1, n)]
    assert pieces.break_layer.tolist() == [depth - v for v in valuation]
    assert [len(pieces.at_depth(k)) for k in range(depth + 1)] == [2**k for k in range(depth + 1)]
    a, _ = pieces.affine()
    assert np.array_equal(np.abs(a[:, 0]), np.full(n, float(n)))


def test_docstring_semantics_of_parameters():
    pieces = regions.decompose_line(sawtooth(2), [0.0, 0.5], [1.0, 0.5])
    assert pieces.to_input([0.5]).tolist() == [[0.5, 0.5]]
    assert pieces.locate([0.0, 0.25, 0.3, 1.0, -0.1]).tolist() == [0, 1, 1, 3, -1]
    assert repr(pieces) == "LinePieces(4 pieces, depth 2 of 2, 4 breakpoints)"
    with pytest.raises(AttributeError):
        pieces.depth = 1  # frozen


# ----------------------------------------------------- exact on random and adversarial nets


@pytest.mark.parametrize(
    ("widths", "activation"),
    [
        ((8, 8), nn.ReLU),
        ((6, 6, 6), nn.ReLU),
        ((7, 5), lambda: nn.LeakyReLU(0.1)),
        ((5, 5), lambda: nn.Hardtanh(-0.3, 0.4)),
        ((4, 4, 4), nn.ReLU6),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_random_nets_are_exact(widths, activation, seed):
    model = random_mlp(widths, seed, activation)
    rng = np.random.default_rng(seed)
    for start, end in rng.uniform(-2, 2, (3, 2, 2)):
        check_line(model, regions.decompose_line(model, start, end), start, end)


def test_huge_range_of_scales_issue_11_first_example():
    # Boundaries at x = 0, 5e-13 and 1e-12; the old 2D core merged two of them.
    model = sequential(
        ([[1e6, 0.0]], [0.0]),
        nn.ReLU(),
        ([[-1e6]], [1.0]),
        nn.ReLU(),
        ([[1.0]], [-0.5]),
        nn.ReLU(),
        ([[1.0]], [0.0]),
    )
    start, end = [-1.0, 0.0], [1.0, 0.0]
    pieces = regions.decompose_line(model, start, end)
    half = Fraction(1, 2)
    assert pieces.exact_breaks() == [
        half,
        half + Fraction(1, 4 * 10**12),
        half + Fraction(1, 2 * 10**12),
    ]
    assert pieces.break_layer.tolist() == [1, 3, 2]
    check_line(model, pieces, start, end)


def test_thin_strip_issue_11_second_example():
    model = sequential(
        ([[1, 0], [0, 1], [0, 1]], [0, 2, -0.2999]),
        nn.ReLU(),
        ([[1e6, 1, 0]], [-2.3]),
        nn.ReLU(),
        ([[1.0]], [0.0]),
    )
    start, end = [0.0, -2.0], [0.0, 2.0]  # up the y axis, through the strip near y = 0.3
    pieces = regions.decompose_line(model, start, end)
    check_line(model, pieces, start, end)
    assert len(pieces) == 3


@pytest.mark.parametrize("seed", range(4))
def test_weights_scaled_by_up_to_1e8(seed):
    model = random_mlp((5, 5, 5, 5), seed)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for lin in [m for m in model if isinstance(m, nn.Linear)]:
            rows = rng.choice(lin.weight.shape[0], size=2, replace=False)
            lin.weight[rows] *= torch.as_tensor(10.0 ** rng.uniform(-8, 8, (2, 1)))
    for start, end in rng.uniform(-2, 2, (3, 2, 2)):
        check_line(model, regions.decompose_line(model, start, end), start, end)


def test_breaks_closer_than_float_resolution_stay_distinct():
    # x and x - 2^-60 switch 2^-61 apart in s, below the spacing of floats near 1/2.
    model = line_arrangement(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0.0, -(2.0**-60)]))
    start, end = [-1.0, 0.0], [1.0, 0.0]
    pieces = regions.decompose_line(model, start, end)
    assert len(pieces) == 3
    assert pieces.exact_breaks() == [Fraction(1, 2), Fraction(1, 2) + Fraction(1, 2**61)]
    assert pieces.breaks.tolist() == [0.5, 0.5]  # one float for two exact breaks
    check_line(model, pieces, start, end)


def test_breaks_1e13_apart():
    model = line_arrangement(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([-1e-13, 0.0]))
    pieces = regions.decompose_line(model, [-1.0, 0.0], [1.0, 0.0])
    assert len(pieces) == 3
    assert pieces.break_unit.tolist() == [1, 0]  # x = 0 first, then x = 1e-13
    check_line(model, pieces, [-1.0, 0.0], [1.0, 0.0])


def test_duplicated_units_draw_one_break():
    model = line_arrangement(np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]), np.zeros(3))
    pieces = regions.decompose_line(model, [-1.0, -1.0], [1.0, 0.0])
    assert len(pieces) == 2
    assert pieces.break_switch.tolist() == [0]  # the lowest column draws it
    assert pieces.patterns.tolist() == [[False] * 3, [True] * 3]
    check_line(model, pieces, [-1.0, -1.0], [1.0, 0.0])


def test_powers_of_two_rescaling_changes_nothing():
    model = random_mlp((6, 6), 3)
    scaled = random_mlp((6, 6), 3)
    with torch.no_grad():  # layer 1 times 2^40, layer 2's weights times 2^-40: same function
        scaled[0].weight.mul_(2.0**40)
        scaled[0].bias.mul_(2.0**40)
        scaled[2].weight.mul_(2.0**-40)
    a = regions.decompose_line(model, [-2.0, -1.0], [2.0, 1.5])
    b = regions.decompose_line(scaled, [-2.0, -1.0], [2.0, 1.5])
    assert a.exact_breaks() == b.exact_breaks()
    assert np.array_equal(a.patterns, b.patterns)


scales = st.sampled_from([1e-8, 1e-4, 1.0, 1.0, 1e4, 1e8])
small = st.integers(-3, 3).map(float)


def _two_ends(values: list[float]) -> tuple[list[float], list[float]]:
    """A segment's start and end from four numbers (the end moved where they coincide)."""
    start, end = values[:2], values[2:]
    return start, end if start != end else [end[0] + 1.0, end[1]]


segment_ends = st.lists(small.map(lambda v: v / 2), min_size=4, max_size=4).map(_two_ends)
"""Segments with ends on a grid of halves, for the adversarial nets."""


@st.composite
def adversarial_nets(draw):
    """ReLU nets with integer weights, a few units scaled by 1e-8..1e8 and duplicated units."""
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    layers: list = []
    n = 2
    for w in widths:
        W = np.array(
            draw(st.lists(st.lists(small, min_size=n, max_size=n), min_size=w, max_size=w))
        )
        b = np.array(draw(st.lists(small, min_size=w, max_size=w)))
        scale = np.array(draw(st.lists(scales, min_size=w, max_size=w)))
        W, b = W * scale[:, None], b * scale
        if draw(st.booleans()):  # duplicate a unit
            W, b = np.vstack([W, W[:1]]), np.append(b, b[0])
        layers += [(W, b), nn.ReLU()]
        n = len(b)
    return sequential(*layers, (np.ones((1, n)), [0.0]))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(model=adversarial_nets(), ends=segment_ends)
def test_adversarial_nets_are_exact(model, ends):
    start, end = ends
    check_line(model, regions.decompose_line(model, start, end), start, end)


def test_output_map_where_a_duplicated_unit_cancels():
    """Units 0 and 2 of the second layer are equal, about 3e8 on the segment, and the third
    layer takes their difference: the output's slope, 0.0018, is what float64 keeps of terms
    of 3e8 (found by a randomised run of the test above). Exact breaks and patterns, and the
    output map to rounding of those terms, not of the output's own size."""
    model = sequential(
        ([[2e8, 0.0], [3e4, 0.0], [3.0, -3.0], [1e8, 3e8]], [-3e8, 0.0, 1.0, 0.0]),
        nn.ReLU(),
        ([[1e4, 1e4, -3e4, 3e4], [-2e-8, 2e-8, 1e-8, 1e-8], [1e4, 1e4, -3e4, 3e4]], [1e4, 0, 1e4]),
        nn.ReLU(),
        ([[-1.0, 3.0, 1.0], [-2e-8, -2e-8, 0.0]], [1.0, 3e-8]),
        nn.ReLU(),
        ([[1.0, 1.0]], [0.0]),
    )
    start, end = [1.0, -1.0], [2.0, -1.0]
    pieces = regions.decompose_line(model, start, end)
    assert len(pieces) == 3
    check_line(model, pieces, start, end)


# ------------------------------------------------------------ against the 2D partition


def crossed(part: regions.Partition, start, end) -> int:
    """Regions of the 2D partition the segment crosses (positive length inside)."""
    line = shapely.LineString([start, end])
    lengths = shapely.length(shapely.intersection(part.to_shapely(), line))
    return int(np.sum(lengths > 1e-9 * line.length))


@pytest.mark.parametrize("seed", range(3))
def test_piece_sequence_is_the_partitions_region_sequence(seed):
    model = random_mlp((16, 16, 16), seed)
    part = regions.decompose(model, (-1, 1, -1, 1))
    rng = np.random.default_rng(seed)
    for start, end in rng.uniform(-1, 1, (4, 2, 2)):
        pieces = regions.decompose_line(model, start, end)
        region = part.locate(pieces.to_input(pieces.midpoints))
        assert np.array_equal(part.patterns[region], pieces.patterns)
        assert np.all(region[1:] != region[:-1])
        assert len(pieces) == crossed(part, start, end)
        for k in range(part.depth + 1):
            coarse = pieces.at_depth(k)
            view = part.at_depth(k)
            located = view.locate(coarse.to_input(coarse.midpoints))
            assert np.array_equal(view.patterns[located], coarse.patterns)


def test_segment_through_a_vertex_where_four_lines_meet():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    model = line_arrangement(W, np.zeros(4))
    start, end = [-1.0, -0.5], [1.0, 0.5]  # through the origin, between the lines
    pieces = regions.decompose_line(model, start, end)
    assert pieces.exact_breaks() == [Fraction(1, 2)]
    assert pieces.break_switch.tolist() == [0]  # four units switch there; the first draws it
    part = regions.decompose(model, (-1, 1, -1, 1))
    region = part.locate(pieces.to_input(pieces.midpoints))
    assert np.array_equal(part.patterns[region], pieces.patterns)
    assert crossed(part, start, end) == 2  # of the 8 regions meeting at the origin
    check_line(model, pieces, start, end)


def test_second_layer_line_through_a_first_layer_vertex():
    model = sequential(
        (np.eye(2), [0, 0]), nn.ReLU(), ([[1.0, -1.0]], [0.0]), nn.ReLU(), ([[1.0]], [0.0])
    )
    part = regions.decompose(model, (-1, 1, -1, 1))
    for start, end in [([-1.0, -0.5], [1.0, 0.5]), ([-0.5, -1.0], [0.75, 1.0])]:
        pieces = regions.decompose_line(model, start, end)
        region = part.locate(pieces.to_input(pieces.midpoints))
        assert np.array_equal(part.patterns[region], pieces.patterns)
        assert len(pieces) == crossed(part, start, end)
        check_line(model, pieces, start, end)


def test_segment_along_a_boundary_takes_the_off_side():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    model = line_arrangement(W, np.zeros(4))
    start, end = [-1.0, -1.0], [1.0, 1.0]  # along x = y: unit 2 is 0 all the way
    pieces = regions.decompose_line(model, start, end)
    assert pieces.exact_breaks() == [Fraction(1, 2)]
    assert not pieces.patterns[:, 2].any()
    # The off side of unit 2 (x - y < 0) is just above the segment.
    part = regions.decompose(model, (-1, 1, -1, 1))
    above = pieces.to_input(pieces.midpoints) + [0.0, 1e-6]
    assert np.array_equal(part.patterns[part.locate(above)], pieces.patterns)
    check_line(model, pieces, start, end)


def test_segment_along_a_boundary_can_have_a_pattern_no_region_has():
    # Units a = x and b = -x; then c = relu(b). On x = 0 all three read 0; left of it the
    # pattern is (0, 1, 1), right of it (1, 0, 0).
    model = sequential(
        ([[1.0, 0.0], [-1.0, 0.0]], [0, 0]),
        nn.ReLU(),
        ([[0.0, 1.0]], [0.0]),
        nn.ReLU(),
        ([[1.0]], [0.0]),
    )
    start, end = [0.0, -1.0], [0.0, 1.0]
    pieces = regions.decompose_line(model, start, end)
    assert len(pieces) == 1
    assert pieces.patterns.tolist() == [[False, False, False]]
    part = regions.decompose(model, (-1, 1, -1, 1))
    assert sorted(map(tuple, part.patterns.tolist())) == [(False, True, True), (True, False, False)]
    check_line(model, pieces, start, end)


# ---------------------------------------------------------------------------- the API


def test_plane_coordinates_match_input_coordinates():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 1))
    model = model.double().eval()
    plane = ([0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [0.0, 2.0, 1.0])  # exact in floats
    on_plane = regions.decompose_line(model, [-1.0, -0.5], [1.0, 0.75], plane=plane)
    direct = regions.decompose_line(model, [-1.0, -1.0, 1.0], [1.0, 1.5, 1.0])
    assert on_plane.exact_breaks() == direct.exact_breaks()
    assert np.array_equal(on_plane.patterns, direct.patterns)
    assert on_plane.segment.tolist() == [[-1.0, -1.0, 1.0], [1.0, 1.5, 1.0]]
    check_line(model, on_plane, [-1.0, -0.5], [1.0, 0.75])
    part = regions.decompose(model, (-1, 1, -1, 1), plane=plane)
    region = part.locate(np.array([-1.0, -0.5]) + on_plane.midpoints[:, None] * [2.0, 1.25])
    assert np.array_equal(part.patterns[region], on_plane.patterns)
    # The partition's own plane is accepted as it is.
    again = regions.decompose_line(part.network, [-1.0, -0.5], [1.0, 0.75], plane=part.plane)
    assert again.exact_breaks() == direct.exact_breaks()
    with pytest.raises(regions.DomainError, match="Plane, \\(origin"):
        regions.decompose_line(model, [-1.0, -0.5], [1.0, 0.75], plane=3.0)
    with pytest.raises(regions.DomainError, match="input width 3"):
        regions.decompose_line(
            model,
            [0.0, 0.0],
            [1.0, 1.0],
            plane=regions.decompose(nn.Linear(2, 1), (-1, 1, -1, 1)).plane,
        )


def test_one_input_model_takes_numbers_and_a_network_is_reused():
    model = sequential(([[1.0], [1.0], [-1.0]], [0.0, -1.0, 0.5]), nn.ReLU(), ([[1, 1, 1]], [0]))
    net = regions.trace(model)
    pieces = regions.decompose_line(net, -2.0, 2.0)
    # x = -2 + 4 s crosses 0, 1/2 and 1
    assert pieces.exact_breaks() == [Fraction(1, 2), Fraction(5, 8), Fraction(3, 4)]
    assert pieces.network is net
    check_line(model, pieces, [-2.0], [2.0])


def test_hidden_maps_agree_with_the_model():
    model = random_mlp((8, 8), 4, lambda: nn.LeakyReLU(0.2))
    pieces = regions.decompose_line(model, [-2.0, 1.0], [2.0, -1.5])
    s = pieces.midpoints
    x = torch.as_tensor(pieces.to_input(s))
    with torch.no_grad():
        h1 = model[0](x)
        checks = {(1, True): h1, (1, False): model[1](h1), (2, True): model[2](model[1](h1))}
    for (layer, pre), want in checks.items():
        a, b = pieces.affine(layer=layer, pre=pre)
        assert a.shape == b.shape == (len(pieces), 8)
        np.testing.assert_allclose(a * s[:, None] + b, want.numpy(), rtol=1e-9, atol=1e-12)
    coarse = pieces.at_depth(1)
    a, b = coarse.affine(layer=1)
    assert a.shape == (len(coarse), 8)
    with pytest.raises(ValueError, match="not affine"):
        coarse.affine()
    with pytest.raises(ValueError, match="1..2"):
        pieces.affine(layer=3)
    with pytest.raises(TypeError, match="layer must be an int"):
        pieces.affine(layer=1.5)
    with pytest.raises(ValueError, match="0..2"):
        pieces.at_depth(3)
    with pytest.raises(TypeError, match="k must be an int"):
        pieces.at_depth(1.0)


def test_tol_merges_on_purpose_and_counts_it():
    model = line_arrangement(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0.0, -1e-9]))
    exact = regions.decompose_line(model, [-1.0, 0.0], [1.0, 0.0])
    merged = regions.decompose_line(model, [-1.0, 0.0], [1.0, 0.0], tol=1e-6)
    assert (len(exact), exact.merged) == (3, 0)
    assert (len(merged), merged.merged) == (2, 1)
    assert merged.patterns.tolist() == [[False, False], [True, True]]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start": [0.0, 0.0, 0.0]}, regions.DomainError, r"start must have shape \(2,\)"),
        ({"end": [0.0, float("nan")]}, regions.DomainError, "end has non-finite"),
        ({"end": [0.0, 0.0]}, regions.DomainError, "coincide"),
        ({"start": [-1e308, 0.0], "end": [1e308, 0.0]}, regions.DomainError, "too long"),
        ({"start": "ab"}, regions.DomainError, "start must be a point"),
        ({"tol": -1.0}, ValueError, r"tol must be in \[0, 1\)"),
        ({"tol": "0"}, TypeError, "tol must be a number"),
        ({"max_pieces": 0}, ValueError, "max_pieces must be >= 1"),
        ({"max_pieces": 2.5}, TypeError, "max_pieces must be an int"),
        ({"plane": ([0, 0], [1, 0], [2, 0])}, regions.DomainError, "parallel"),
        ({"max_pieces": 3}, regions.TooManyRegionsError, "max_pieces=3"),
    ],
)
def test_bad_input_gets_a_clear_error(kwargs, error, match):
    args = {"start": [0.0, 0.0], "end": [1.0, 0.0], **kwargs}
    with pytest.raises(error, match=match):
        regions.decompose_line(sawtooth(3), **args)


def test_overflow_is_an_invalid_model():
    model = sequential(([[1e200, 0.0]], [0.0]), nn.ReLU(), ([[1e200]], [0.0]))
    with pytest.raises(regions.InvalidModelError, match="overflow"):
        regions.decompose_line(model, [-1.0, 0.0], [1.0, 0.0])


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 6), nn.Linear(6, 2), nn.Linear(2, 5)
        self.head = nn.Linear(9, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x - self.b(torch.relu(self.a(x)))  # a residual subtraction
        cat = torch.cat([h, torch.relu(self.c(h)), x], dim=1)  # and a concatenation
        return self.head(torch.relu(cat))


@pytest.mark.parametrize("seed", range(2))
def test_residual_and_concatenated_graphs(seed):
    torch.manual_seed(seed)
    model = Residual().double().eval()
    part = regions.decompose(model, (-2, 2, -2, 2))
    rng = np.random.default_rng(seed)
    for start, end in rng.uniform(-2, 2, (3, 2, 2)):
        pieces = regions.decompose_line(model, start, end)
        points = pieces.to_input(pieces.midpoints)
        assert np.array_equal(part.patterns[part.locate(points)], pieces.patterns)
        assert len(pieces) == crossed(part, start, end)
        a, b = pieces.affine()
        with torch.no_grad():
            want = model(torch.as_tensor(points)).numpy()
        np.testing.assert_allclose(a * pieces.midpoints[:, None] + b, want, rtol=1e-9, atol=1e-12)


def test_a_model_without_activations_is_one_piece():
    model = sequential(([[2.0, -1.0], [0.5, 0.5]], [1.0, 0.0]))
    pieces = regions.decompose_line(model, [0.0, 0.0], [1.0, 1.0])
    assert (len(pieces), pieces.patterns.shape, pieces.breaks.size) == (1, (1, 0), 0)
    a, b = pieces.affine()
    assert a.tolist() == [[1.0, 1.0]] and b.tolist() == [[1.0, 0.0]]
