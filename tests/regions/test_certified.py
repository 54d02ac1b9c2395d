"""Certified exactness (issue 11): every region, pattern and boundary judged in exact arithmetic.

The judge is :mod:`regions.oracle` (the model in rational arithmetic, no tolerance) and
:mod:`regions.exact_geometry`; the checks are in ``exact_checks.py``. Hypothesis draws hard
nets from :mod:`regions.testing`: weights spanning 1e-8..1e8, duplicated units, integer
weights with many lines through common points, lines through the domain's corners, on
domains from 1e-7 to 1e6 wide and as far out as 1e7.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np
import pytest
import shapely
import torch
from exact_checks import UP_RIGHT, check_exact, check_locate
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from torch import nn

import regions
from regions import testing
from regions.constructions import line_arrangement
from regions.exact_geometry import rational_grid
from regions.oracle import exact_affine, exact_eval, exact_patterns, exact_signs

# Deterministic, and no shrinking: the checks say which region or point failed, and shrinking
# these examples takes minutes. Add Phase.shrink locally for a minimal failing net.
EXACT = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)


def sequential(*layers: tuple, final: nn.Module | None = None) -> nn.Sequential:
    """Linear layers given as (W, b) with ReLUs between (and ``final`` after the last)."""
    modules: list[nn.Module] = []
    for k, (W, b) in enumerate(layers):
        W = torch.as_tensor(W, dtype=torch.float64)
        lin = nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(torch.as_tensor(b, dtype=torch.float64))
        modules.append(lin)
        if k < len(layers) - 1:
            modules.append(nn.ReLU())
    if final is not None:
        modules.append(final)
    return nn.Sequential(*modules).eval()


def check_maps(part: regions.Partition) -> None:
    """The output maps equal the exact maps of the regions' patterns, to float rounding."""
    A, c = part.affine()
    eA, ec = exact_affine(part.network, part.plane, part.patterns)
    exact = np.concatenate([eA.reshape(len(part), -1), ec], axis=1).astype(float)
    got = np.concatenate([A.reshape(len(part), -1), c], axis=1)
    scale = np.abs(exact).max(axis=1, keepdims=True)
    assert np.all(np.abs(got - exact) <= 1e-12 * scale), "an output map is not the exact one"


def witnesses(part: regions.Partition, points: list) -> None:
    """The points lie in distinct true regions (distinct exact patterns), each a region."""
    pats = exact_patterns(part.network, part.plane, points)
    assert len({row.tobytes() for row in pats}) == len(points), "witnesses share a region"
    known = {row.tobytes() for row in part.patterns}
    lost = [p for p, row in zip(points, pats, strict=True) if row.tobytes() not in known]
    assert not lost, f"the regions of {lost} are missing ({len(part)} regions found)"


# ------------------------------------------------------------------ the property tests
@EXACT
@given(case=testing.cases(domain=st.just(regions.DEFAULT_BOX)))
def test_adversarial_nets_are_exact_on_the_default_box(case):
    check_exact(case.decompose())


@EXACT
@given(case=testing.cases(domain=st.one_of(testing.boxes(), testing.polygons(convex=True))))
def test_adversarial_nets_are_exact_on_domains_at_every_scale_and_place(case):
    check_exact(case.decompose())


@EXACT
@given(case=testing.cases(domain=testing.polygons(convex=False)))
def test_adversarial_nets_on_non_convex_domains_at_every_scale_and_place(case):
    # Cells the domain's boundary does not cross are exact regions however thin; those it
    # crosses are clipped in float64, each at least one region (README, "How exact is
    # exact"). Before, float64 clipping lost slivers, and locate the domain's corners.
    check_exact(case.decompose())


@EXACT
@given(case=testing.cases(domain=testing.polygons(convex=False)))
def test_coarser_views_on_non_convex_domains_are_the_truncated_nets(case):
    # at_depth(k) is the partition of the net cut after its k-th activation layer, which the
    # checks above judge exactly: the same regions, patterns and areas. Before, it clipped
    # every cell in float64 and lost the slivers a full-depth partition keeps. Points are
    # located in them as in a full-depth partition.
    part = case.decompose()
    modules = list(case.model)
    for k in range(1, part.depth):
        coarse = part.at_depth(k)
        truncated = regions.decompose(nn.Sequential(*modules[: 2 * k]), case.domain)
        assert len(coarse) == len(truncated), f"depth {k}"
        assert sorted(map(bytes, coarse.patterns)) == sorted(map(bytes, truncated.patterns))
        assert sorted(coarse.areas.tolist()) == sorted(truncated.areas.tolist())
        check_locate(coarse, rational_grid(case.domain, 10))


@EXACT
@given(case=testing.cases(domain=testing.boxes(scales=(1.0, 4.0)), n_inputs=(3, 4)))
def test_adversarial_nets_are_exact_on_planes_through_wider_inputs(case):
    check_exact(case.decompose())


@EXACT
@given(
    model=testing.nets(adversarial=False),
    domain=testing.domains(scales=(1.0, 4.0), centres=(0.0, 0.5)),
)
def test_ordinary_nets_are_exact(model, domain):
    check_exact(regions.decompose(model, domain))


@EXACT
@given(
    model=testing.nets(activations=("relu", "leaky", "hardtanh")),
    layer=st.integers(0, 2),
    power=st.integers(-60, 60),
)
def test_power_of_two_rescaling_changes_no_pattern(model, layer, power):
    """relu(2^a z) = 2^a relu(z) (and LeakyReLU; Hardtanh with its bounds times 2^a), so
    scaling layer k's weights and bias by 2^a and the next Linear's weights by 2^-a is the
    same model, and float64 computes it bit for bit the same way."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    k = layer % (len(linears) - 1)
    scaled = copy.deepcopy(model)
    lin, act, nxt = (scaled[2 * k], scaled[2 * k + 1], scaled[2 * k + 2])
    with torch.no_grad():
        lin.weight.mul_(2.0**power)
        lin.bias.mul_(2.0**power)
        nxt.weight.mul_(2.0**-power)
    if isinstance(act, nn.Hardtanh):
        act.min_val, act.max_val = act.min_val * 2.0**power, act.max_val * 2.0**power
    before, after = regions.decompose(model), regions.decompose(scaled)
    assert len(before) == len(after)
    rows = lambda p: {row.tobytes() for row in p.patterns}  # noqa: E731
    assert rows(before) == rows(after)
    pts = rational_grid(before.domain, 30)
    up = exact_patterns(before.network, before.plane, pts, toward=UP_RIGHT)
    assert np.array_equal(up, exact_patterns(after.network, after.plane, pts, toward=UP_RIGHT))
    clear = np.all(exact_signs(before.network, before.plane, pts) != 0, axis=1)
    located = before.patterns[before.locate(pts[clear])]
    assert np.array_equal(located, after.patterns[after.locate(pts[clear])])


# ------------------------------------------------------------- issue 11's own examples
def test_three_layer_1e6_net_has_four_regions():
    """relu(relu(1 - 1e6 relu(1e6 x)) - 1/2) on [-1, 1]^2: kinks at x = 0, 5e-13 and 1e-12."""
    model = sequential(([[1e6, 0.0]], [0.0]), ([[-1e6]], [1.0]), ([[1.0]], [-0.5]), final=nn.ReLU())
    part = regions.decompose(model, (-1, 1, -1, 1))
    witnesses(part, [[-0.5, 0.0], [2.5e-13, 0.0], [7.5e-13, 0.0], [0.5, 0.0]])
    assert len(part) == 4
    check_exact(part)
    xs = np.unique(part.vertices[:, 0])
    assert xs.tolist()[:2] == [-1.0, 0.0] and xs[-1] == 1.0 and len(xs) == 5
    for x, true in zip(xs[2:4], (Fraction(5, 10**13), Fraction(10**-12)), strict=True):
        assert abs(Fraction(x) - true) <= Fraction(np.spacing(x)), x  # rounded intersections
    A, c = part.affine()
    r = part.locate([[0.25, 0.0]])[0]
    assert A[r].tolist() == [[0.0, 0.0]] and c[r].tolist() == [0.0]  # the model is 0 there
    check_maps(part)


def test_1e6_net_keeps_its_thin_strip_and_corner_triangle():
    """Issue 11's second net on [-2, 2]^2. The issue counts 6 regions; exactly there are 7:
    besides the strip 0.2999 < y < 0.3 (x < 0) there is the triangle x > 0,
    0.2999 < y < 0.3 - 1e6 x of area about 5e-15. The witnesses prove all 7 exist."""
    model = sequential(
        ([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], [0.0, 2.0, -0.2999]),
        ([[1e6, 1.0, 0.0]], [-2.3]),
        ([[1.0]], [0.0]),
    )
    part = regions.decompose(model)
    witnesses(
        part,
        [
            [-1.0, 0.0],  # x < 0, below the strip
            [-1.0, 0.29995],  # x < 0, in the strip
            [-1.0, 1.0],  # x < 0, above it
            [1e-9, 0.0],  # x > 0, left of the second layer's line x = (0.3 - y) / 1e6
            [1.0, 0.0],  # x > 0, right of it
            [1e-11, 0.29995],  # the triangle
            [1.0, 1.0],  # x > 0, above 0.2999 and right of the line
        ],
    )
    assert len(part) == 7
    check_exact(part)
    check_maps(part)


@pytest.mark.parametrize("seed", [0, 5, 7])
def test_five_layer_nets_with_a_few_weights_scaled_by_1e4_to_1e8(seed):
    """Issue 11's third example: 2-10-10-10-10-10-1 ReLU nets with 8 weights of hidden layers
    scaled by 10^4..10^8. (Before certification these seeds lost regions, put interior
    points outside their regions and gave regions wrong patterns.)"""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = [nn.Linear(2, 10)]
    for _ in range(4):
        layers += [nn.ReLU(), nn.Linear(10, 10)]
    model = nn.Sequential(*layers, nn.ReLU(), nn.Linear(10, 1)).double().eval()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    layer, row, col, power = (
        rng.integers(lo, hi, 8) for lo, hi in ((1, 5), (0, 10), (0, 10), (4, 9))
    )
    with torch.no_grad():
        for k, i, j, e in zip(layer, row, col, power, strict=True):
            linears[k].weight[i, j] *= 10.0**e
    part = regions.decompose(model)
    check_exact(part)
    check_maps(part)
    check_exact_vertices(part)


def check_exact_vertices(part: regions.Partition) -> None:
    """The fallback's memo, walked only as deep as each decision needed, gives the exact
    values of every layer once asked for everything: the same as a fresh exact evaluation."""
    exact = part.cut_state.exact
    known = list(exact._points)[:40]
    assert known, "no vertex needed exact arithmetic"
    for v in known:
        deep = exact.point(v)
        fresh = exact_eval(part.network, part.plane, [deep.point])[0]
        for layer, row in enumerate(fresh.pre):
            assert [deep.pre(layer, u) for u in range(len(row))] == list(row)
        assert deep.logit(0) == fresh.logits[0]


def test_tol_zero_is_exact():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 1))
    model = model.double().eval()
    part = regions.decompose(model, tol=0)
    check_exact(part)
    assert len(part) == len(regions.decompose(model)) > 10


def test_tol_counts_the_vertices_it_moves_once_each():
    """x = 0, y = 0 and x + 2y = 1e-5: with tol=1e-5 only the origin moves (onto the third
    line), but the warning counted it once for each polygon around it: 4."""
    model = line_arrangement(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 2.0]]), [0.0, 0.0, -1e-5])
    with pytest.warns(UserWarning, match=r"tol=1e-05 put 1 vertices on breakpoint lines"):
        part = regions.decompose(model, tol=1e-5)
    assert len(part) == len(regions.decompose(model)) - 1  # the sliver merged


def lines_through(domain: tuple[float, float, float, float]) -> nn.Sequential:
    """A 2-layer net whose first-layer lines cross the box: through its centre and at 1/3 and
    2/3 of its width and height, with slopes 0, 1, -2 and infinity."""
    xmin, xmax, ymin, ymax = domain
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [2.0, 1.0], [1.0, 0.0]])
    anchors = np.array(
        [
            [xmin + (xmax - xmin) / 3, ymin],
            [xmin, ymin + 2 * (ymax - ymin) / 3],
            [(xmin + xmax) / 2, (ymin + ymax) / 2],
            [(xmin + xmax) / 2, (ymin + ymax) / 2],
            [xmin + 2 * (xmax - xmin) / 3, ymin],
        ]
    )
    b1 = -np.einsum("ij,ij->i", W1, anchors)
    W2 = np.array([[1.0, -1.0, 0.5, 1.0, -2.0], [0.5, 1.0, -1.0, 0.25, 1.0]])
    b2 = -W2 @ np.maximum(W1 @ anchors[2] + b1, 0)  # second-layer lines through the centre
    return sequential((W1, b1), (W2, b2), (np.ones((1, 2)), [0.0]))


@pytest.mark.parametrize(
    "domain",
    [(0.0, 1e-7, 0.0, 1e-7), (-1e6, 1e6, -1e6, 1e6), (1e7, 1e7 + 1, 1e7, 1e7 + 1)],
    ids=["tiny", "huge", "far"],
)
def test_tiny_huge_and_far_boxes(domain):
    part = regions.decompose(lines_through(domain), domain)
    assert len(part) > 8
    assert abs(part.areas.sum() - part.domain.area) <= 1e-12 * part.domain.area
    check_exact(part)


def test_convex_pentagon_near_a_million_keeps_its_area():
    """A unit square at (1e6, 1e6) with a fifth corner 0.005 above its top edge: that corner
    turns little against coordinates of 1e6 but cuts off 0.25% of the area if dropped."""
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.005], [0.0, 1.0]]) + 1e6
    pentagon = shapely.Polygon(corners)
    xmin, ymin, xmax, ymax = pentagon.bounds
    part = regions.decompose(lines_through((xmin, xmax, ymin, ymax)), pentagon)
    assert part.domain.convex and len(part) > 8
    # The cells cover the pentagon to the rounding of cut vertices on its slanted edges
    # (BOUNDARY_ULPS units in the last place of 1e6 along the perimeter): about 1e-8.
    check_exact(part)
    vertices = {tuple(v) for v in part.vertices.tolist()}
    assert all(tuple(v) in vertices for v in corners.tolist()), "a corner was dropped"


def test_line_at_a_shallow_angle_to_a_slanted_edge_far_out():
    """A line through a corner of a quadrilateral near (0, 1e7), at 0.006 rad to one of the
    corner's edges (found by a randomised run of the adversarial tests): the cut vertex on
    that edge, 2.6e-8 from the corner, is ill-conditioned, and its float point lands 20 ulps
    off the edge, 3.5e-7 from the exact vertex. The partition is still exact, and the vertex
    within its rigorous distance bound of the exact one."""
    corners = [
        [9004.064380978425, 9538421.504670938],
        [385356.72313753853, 10416449.40057082],
        [-320123.8189271634, 10018405.646406217],
        [-433662.0292218652, 9830915.315983875],
    ]
    w, b = (2.0, 3.0), -28633272.642774772
    part = regions.decompose(sequential(([w], [b]), ([[1.0]], [0.0])), shapely.Polygon(corners))
    assert len(part) == 2
    check_exact(part)
    # The exact vertex: where w . x + b = 0 crosses the edge from corner 3 to corner 0.
    a, c = ([Fraction(v) for v in p] for p in (corners[3], corners[0]))
    fa, fc = (w[0] * p[0] + w[1] * p[1] + Fraction(b) for p in (a, c))
    t = fa / (fa - fc)
    exact = [a[i] + t * (c[i] - a[i]) for i in range(2)]
    near = np.flatnonzero(np.abs(part.vertices - corners[0]).max(axis=1) < 1e-3)
    vertex = int(near[part.cut_state.r[near] > 0][0])
    gap = sum((Fraction(float(part.vertices[vertex, i])) - exact[i]) ** 2 for i in range(2))
    assert gap <= Fraction(float(part.cut_state.r[vertex])) ** 2


def test_locate_is_exact_an_ulp_either_side_of_a_line_far_out():
    """On a box at 1e7 the float forward pass cannot tell the sides of a slanted line an ulp
    away; ``locate`` must, and must give points on it a region that holds them."""
    model = sequential(([[0.3, -0.7]], [0.4 * 1e7]), final=nn.ReLU())
    domain = (1e7, 1e7 + 1, 1e7, 1e7 + 1)
    part = regions.decompose(model, domain)
    assert len(part) == 2
    # y on the line 0.3 x - 0.7 y + 4e6 = 0, exactly, for float x; then the floats around it.
    W, b = (Fraction(float(v)) for v in (0.3, -0.7)), Fraction(0.4 * 1e7)
    w1, w2 = W
    pts = []
    for x in np.linspace(1e7 + 0.1, 1e7 + 0.9, 9):
        y = float(-(w1 * Fraction(x) + b) / w2)
        pts += [[x, np.nextafter(y, -np.inf)], [x, y], [x, np.nextafter(y, np.inf)]]
    pts = np.array(pts)
    signs = exact_signs(part.network, part.plane, pts)[:, 0]
    assert {-1, 1} <= set(signs.tolist())  # both sides within an ulp of the line
    found = part.locate(pts)
    assert np.all(part.patterns[found[signs > 0], 0]) and not np.any(
        part.patterns[found[signs < 0], 0]
    )
