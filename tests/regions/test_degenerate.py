"""Non-generic networks: never a crash, never lost or double-counted area."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import shapely
import torch
from checks import check_affine, check_all, check_locate, check_tiling
from exact_checks import check_interior_points
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import regions
from regions.constructions import line_arrangement


def one_layer(W, b) -> nn.Module:
    return line_arrangement(np.asarray(W, dtype=float), np.asarray(b, dtype=float))


def test_duplicate_units_draw_one_line():
    model = one_layer([[1, 1], [1, 1], [2, 2]], [0, 0, 0])  # same line three times
    part = regions.decompose(model)
    assert len(part) == 2
    check_all(model, part)


def test_parallel_units():
    model = one_layer([[1, 0], [1, 0], [-1, 0]], [0.5, -0.5, 1.0])  # x = -0.5, 0.5, 1
    part = regions.decompose(model)
    assert len(part) == 4
    check_all(model, part)


def test_coincident_with_opposite_orientation():
    model = one_layer([[1, -1], [-1, 1]], [0, 0])  # y = x from both sides
    part = regions.decompose(model)
    assert len(part) == 2
    check_all(model, part)


def test_zero_weight_and_dead_units_draw_nothing():
    # zero weights with positive bias (always on), negative bias (always off), exactly zero
    model = one_layer([[0, 0], [0, 0], [0, 0], [1, 0], [1, 0]], [1, -1, 0, 10, -10])
    part = regions.decompose(model)
    assert len(part) == 1
    check_tiling(part)
    check_affine(model, part)
    check_locate(part)


@pytest.mark.parametrize("compiled", [True, False])
def test_a_unit_constant_at_a_breakpoint_before_a_second_breakpoint(monkeypatch, compiled):
    # Hardtanh(0, 6) of x and of 0: the dead unit sits exactly on its first breakpoint on every
    # polygon (settled in exact arithmetic), and the second breakpoint must still be cut.
    monkeypatch.setattr(regions.kernels, "COMPILED", compiled)
    first = nn.Linear(2, 2, dtype=torch.float64)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64))
        first.bias.zero_()
    model = nn.Sequential(first, nn.Hardtanh(0.0, 6.0), nn.Linear(2, 1, dtype=torch.float64))
    part = regions.decompose(model, (-1, 10, -1, 1))
    assert sorted(part.patterns.astype(int).tolist()) == [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0]]
    check_all(model, part)


def test_lines_through_domain_corners():
    model = one_layer([[1, -1], [1, 1]], [0, 0])  # both diagonals of [-2, 2]^2
    part = regions.decompose(model)
    assert len(part) == 4
    np.testing.assert_allclose(part.areas, 4.0)
    check_all(model, part)


def test_line_along_domain_edge_adds_nothing():
    model = one_layer([[1, 0], [0, 1]], [2, -2])  # x = -2 and y = 2: the box's edges
    assert regions.count(model) == 1


def test_many_lines_through_one_point():
    # Integer normals and biases chosen so all 7 lines pass exactly through (1/2, -1/4).
    W = np.array([[1, 0], [0, 1], [1, 1], [1, -1], [2, 1], [1, 2], [1, -4]], dtype=float)
    b = -W @ np.array([0.5, -0.25])
    model = one_layer(W, b)
    part = regions.decompose(model)
    assert len(part) == 14
    check_all(model, part)


def _exact_arrangement_count(W: np.ndarray, b: np.ndarray) -> int:
    """Regions of lines that all cross the box's interior: 1 + lines + sum over the distinct
    crossing points inside of (lines through it - 1), in Fractions."""
    lines = [(Fraction(w0), Fraction(w1), Fraction(c)) for (w0, w1), c in zip(W, b, strict=True)]
    points: dict[tuple[Fraction, Fraction], set[int]] = {}
    for i, (a1, b1, c1) in enumerate(lines):
        for j in range(i + 1, len(lines)):
            a2, b2, c2 = lines[j]
            det = a1 * b2 - a2 * b1
            x, y = (b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det
            if abs(x) < 2 and abs(y) < 2:
                points.setdefault((x, y), set()).update({i, j})
    return 1 + len(lines) + sum(len(through) - 1 for through in points.values())


def test_nearly_concurrent_float_lines_count_exactly():
    # cos/sin normals with rounded biases: meant to meet at (0.3, -0.2), but the float64
    # lines are in general position: 21 distinct crossings about 1e-17 apart, 29 regions.
    angles = np.linspace(0, np.pi, 7, endpoint=False)
    W = np.stack([np.cos(angles), np.sin(angles)], 1)
    b = -W @ np.array([0.3, -0.2])
    part = regions.decompose(one_layer(W, b))
    assert len(part) == _exact_arrangement_count(W, b) == 29


def test_second_layer_through_existing_vertex():
    # Layer 1 cuts at x = 0 and y = 0; layer 2's unit switches on x + y = 0 on the positive
    # quadrant only (through the vertex at the origin) and along the quadrant's edges.
    l1 = nn.Linear(2, 2).double()
    l2 = nn.Linear(2, 1).double()
    with torch.no_grad():
        l1.weight.copy_(torch.eye(2, dtype=torch.float64))
        l1.bias.zero_()
        l2.weight.copy_(torch.tensor([[1.0, -1.0]], dtype=torch.float64))
        l2.bias.zero_()
    model = nn.Sequential(l1, nn.ReLU(), l2, nn.ReLU(), nn.Linear(1, 1).double())
    part = regions.decompose(model)
    # Quadrant x>0,y>0 is split by y = x; x>0,y<0 has h = x > 0 (one region); x<0,y>0 has
    # h = -y < 0; x<0,y<0 has h = 0 on a whole quadrant (dead, touching, not switching).
    assert len(part) == 5
    check_all(model, part)


def test_preactivation_touching_zero_without_sign_change():
    # relu(|x|) style: unit 3 sees relu(x) + relu(-x) = |x| which touches 0 at x = 0 only.
    l1 = nn.Linear(2, 2).double()
    l2 = nn.Linear(2, 1).double()
    with torch.no_grad():
        l1.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64))
        l1.bias.zero_()
        l2.weight.copy_(torch.tensor([[1.0, 1.0]], dtype=torch.float64))
        l2.bias.zero_()
    model = nn.Sequential(l1, nn.ReLU(), l2, nn.ReLU(), nn.Linear(1, 1).double())
    part = regions.decompose(model)
    assert len(part) == 2
    check_all(model, part)


@pytest.mark.parametrize("eps", [1e-3, 1e-5, 1e-7])
def test_thin_slivers_are_counted(eps):
    # Two parallel lines eps apart: the strip between them is a region, however thin.
    model = one_layer([[1, 0], [1, 0]], [0.0, -eps])
    part = regions.decompose(model)
    assert len(part) == 3
    assert np.isclose(part.areas.min(), 4 * eps, rtol=1e-6)
    check_tiling(part)


def test_sliver_corner_triangle_is_counted():
    # A line cutting off a tiny triangle at a domain corner.
    eps = 1e-6
    model = one_layer([[1, 1]], [4 - eps])  # x + y = -4 + eps near corner (-2, -2)
    part = regions.decompose(model)
    assert len(part) == 2
    assert np.isclose(part.areas.min(), eps**2 / 2, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    widths=st.lists(st.integers(1, 8), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
    leaky=st.booleans(),
)
def test_nets_with_half_integer_weights(widths, seed, leaky):
    # Weights and biases in {-1, -0.5, 0, 0.5, 1}: parallel, coincident and concurrent lines,
    # dead units and units sitting exactly at their breakpoint on whole regions, everywhere.
    rng = np.random.default_rng(seed)
    layers, n = [], 2
    for w in widths:
        layers += [nn.Linear(n, w), nn.LeakyReLU(0.5) if leaky else nn.ReLU()]
        n = w
    model = nn.Sequential(*layers, nn.Linear(n, 2)).double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.as_tensor(rng.integers(-2, 3, tuple(p.shape)) / 2.0))
    check_all(model, regions.decompose(model, (-1.0, 1.5, -0.5, 2.0)))


def test_non_convex_domain_cut_an_ulp_from_its_corner():
    """A line through the corner (-0.0233, 0.2779) of a non-convex octagon (3x + 3y = 0.7638)
    leaves a cell whose float corners lie an ulp apart, in an order that makes the float ring
    cross itself: clipping the cells to the domain (GEOS) refused it. Found by hypothesis."""
    net = nn.Sequential(
        nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1), nn.ReLU(), nn.Linear(1, 1)
    ).double()
    w1 = [[0.0, -3.0], [3.0, 3.0], [0.0, 1.0], [1.0, 2.0], [3.0, 3.0]]
    b1 = [0.153655096367517, -0.7771122903905093, 0.2726875902992142, -0.14239732060089916]
    b1 += [-0.7638109495211725]
    w2 = [0.17990297729366117, 0.6004348846393118, 1.0384100933490565, -1.7534947384016062]
    w2 += [-0.3083358373605023]
    with torch.no_grad():
        for param, value in zip(
            net.parameters(),
            [w1, b1, [w2], [-0.33494736955864474], [[0.6231734983032104]], [-0.29893783021583475]],
            strict=True,
        ):
            param.copy_(torch.tensor(value, dtype=torch.float64))
    octagon = shapely.Polygon(
        [
            [0.20781906467433078, 0.051218365455839],
            [0.18991389448850288, 0.23290823440121627],
            [-0.023293005091921098, 0.2778966549323119],
            [-0.26644755035695267, 0.2044224354789259],
            [-0.3076604712613814, -0.09188915934532753],
            [-0.2407633302255901, -0.2726875902992142],
            [0.14164794830531421, -0.4779134000780034],
            [0.39306197663997683, -0.30575683180473884],
        ]
    )
    part = regions.decompose(net, octagon)
    assert abs(part.areas.sum() - octagon.area) <= 1e-12 * octagon.area
    assert 1 <= part.linear_regions().n <= len(part)
    check_affine(net, part)


def test_tiny_non_convex_domain_far_out_keeps_its_regions():
    """A non-convex octagon 7e-8 across at (0, 1e7), where float64 steps are 1.9e-9: GEOS
    intersected its hull's cells with it as empty polygons (no region at all) until the
    overlay moved near the origin (found by a randomised run of the linear-regions test)."""
    corners = [
        [1.5476446705297917e-08, 10000000.000000004],
        [6.9745840145329e-09, 10000000.000000007],
        [-4.25907044750592e-09, 10000000.000000041],
        [-3.7075812009263596e-08, 10000000.00000002],
        [-2.585270870634052e-08, 10000000.0],
        [-1.940893252537996e-08, 9999999.999999974],
        [7.732733505722113e-09, 9999999.999999974],
        [3.04997194493587e-08, 9999999.999999981],
    ]
    domain = shapely.Polygon(corners)
    net = line_arrangement([[-1.0, -1.0]], [10000000.000000015])  # x + y = 1e7 + 1.5e-8
    part = regions.decompose(net, domain)
    # The same figure moved down by 1e7, exactly (every y and the line's offset are within a
    # factor of two of 1e7): the line cuts the octagon's notch off, three regions.
    moved = np.array(corners) - [0.0, 1e7]
    assert np.array_equal(moved + [0.0, 1e7], corners)
    near = regions.decompose(
        line_arrangement([[-1.0, -1.0]], [10000000.000000015 - 1e7]), shapely.Polygon(moved)
    )
    assert len(part) == len(near) == 3 and regions.count(net, domain) == 3
    assert sorted(part.patterns[:, 0].tolist()) == sorted(near.patterns[:, 0].tolist())
    assert np.all(part.areas > 0)
    assert shapely.covered_by(part.to_shapely(), domain.buffer(4 * np.spacing(1e7))).all()
    # Float64 geometry: the pieces' corners are on the 1.9e-9 grid around the domain.
    slack = 4 * np.spacing(1e7) * shapely.length(domain)
    assert abs(part.areas.sum() - domain.area) <= slack
    check_interior_points(part)  # each region's point shows its pattern, exactly
