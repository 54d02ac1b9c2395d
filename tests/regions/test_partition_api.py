"""The Partition's views: neighbours, boundaries, coarser and merged partitions, decisions."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from checks import model_forward
from exact_checks import check_exact, whole_cells
from torch import nn

import regions
from regions.constructions import line_arrangement, sawtooth
from regions.exact_geometry import boundary_meets_interior, cell_pieces, point_side
from regions.oracle import exact_patterns, exact_signs


def random_relu(widths, seed, outputs=2):
    torch.manual_seed(seed)
    layers, n = [], 2
    for w in widths:
        layers += [nn.Linear(n, w), nn.ReLU()]
        n = w
    return nn.Sequential(*layers, nn.Linear(n, outputs)).double().eval()


def test_polygons_are_counter_clockwise_and_convex():
    part = regions.decompose(random_relu([8, 8], 1))
    for poly in part.polygons:
        d = np.roll(poly, -1, axis=0) - poly
        cross = d[:, 0] * np.roll(d[:, 1], -1) - d[:, 1] * np.roll(d[:, 0], -1)
        assert np.all(cross > -1e-12)


def test_centroids_match_shapely():
    part = regions.decompose(random_relu([6, 6], 2))
    expected = shapely.get_coordinates(shapely.centroid(part.to_shapely()))
    np.testing.assert_allclose(part.centroids, expected, atol=1e-10)


def test_adjacent_regions_differ_in_the_separating_unit():
    part = regions.decompose(random_relu([7], 3))
    adj = part.adjacency()
    pats = part.patterns
    diff = pats[adj.pairs[:, 0]] != pats[adj.pairs[:, 1]]
    # One hidden layer: neighbours differ in exactly one unit, the one labelling their edge.
    assert np.all(diff.sum(axis=1) == 1)
    assert np.array_equal(np.argmax(diff, axis=1), adj.switch)
    assert np.all(adj.layer == 1)
    # Euler: interior edges = adjacency pairs for lines in general position.
    assert len(adj) == len(part.boundaries())


def test_boundary_segments_lie_on_their_units_breakpoints():
    model = random_relu([6, 5, 4], 4)
    part = regions.decompose(model)
    b = part.boundaries()
    assert set(np.unique(b.layer)) <= {1, 2, 3} and len(b) > 0
    _, pre = part.network.forward(b.segments.mean(axis=1))
    values = np.array(
        [
            pre[layer - 1][i, unit]
            for i, (layer, unit) in enumerate(zip(b.layer, b.unit, strict=True))
        ]
    )
    assert np.abs(values).max() < 1e-9
    with_domain = part.boundaries(include_domain=True)
    on_edge = with_domain.layer == 0
    lengths = np.linalg.norm(np.diff(with_domain.segments, axis=1)[:, 0], axis=1)
    assert np.isclose(lengths[on_edge].sum(), 16.0)  # perimeter of [-2, 2]^2


def test_hidden_layer_maps_agree_with_activations():
    model = random_relu([5, 6, 4], 5)
    part = regions.decompose(model)
    p = part.points
    h = torch.as_tensor(p)
    for k in (1, 2, 3):
        pre = model[: 2 * k - 1](h).detach().numpy()
        post = model[: 2 * k](h).detach().numpy()
        A, c = part.affine(layer=k)
        np.testing.assert_allclose(np.einsum("rij,rj->ri", A, p) + c, post, atol=1e-9)
        A, c = part.affine(layer=k, pre=True)
        np.testing.assert_allclose(np.einsum("rij,rj->ri", A, p) + c, pre, atol=1e-9)
    assert part.layer_patterns(2).shape == (len(part), 6)
    with pytest.raises(ValueError, match="layer must be in 1..3"):
        part.affine(layer=4)


def test_locate_outside_and_on_boundaries():
    part = regions.decompose(random_relu([6, 6], 6))
    idx = part.locate([[5.0, 0.0], [0.0, -2.5]])
    assert np.all(idx == -1)
    b = part.boundaries(include_domain=True).segments.mean(axis=1)
    found = part.locate(b)
    assert np.all(found >= 0)
    # the region found touches the point
    dist = shapely.distance(part.to_shapely()[found], shapely.points(b))
    assert dist.max() < 1e-9


def test_a_sliver_at_a_corner_of_a_non_convex_domain_is_a_region():
    # Both lines pass within rounding of the corner c (their biases are -W c, rounded): on the
    # hull they cut off a sliver there, thinner than float64 resolves, inside the domain
    # (which is its hull near c). GEOS's float64 clipping lost it, and with it the corner:
    # 2 regions, and locate(c) gave -1.
    c = np.array([0.3771906632801799, -0.39631458987390566])
    domain = shapely.Polygon([c, c + [4, 0.3], c + [2, 1], c + [3.7, 3.1], c + [0.2, 2.9]])
    W = np.array(
        [
            [0.6404226504432821, 0.10490011715303971],
            [-0.535669373161111, 0.36159505490948474],
        ]
    )
    net = line_arrangement(W, -(W @ c))
    part = regions.decompose(net, domain)
    hull = regions.decompose(net, domain.convex_hull)
    assert len(hull) == 3 and len(part) == 3  # the notch crosses one cell, in one piece
    sliver = int(np.flatnonzero(hull.areas == 0)[0])
    assert part.patterns.tolist() == hull.patterns.tolist()
    assert part.areas[sliver] == 0 and part.region_cell.tolist() == [0, 1, 2]
    corners = np.asarray(domain.exterior.coords)[:-1]
    found = part.locate(corners)
    assert found[0] == sliver and np.all(found >= 0)  # every corner is in the domain
    signs = exact_signs(part.network, part.plane, corners)
    clash = ((signs > 0) & ~part.patterns[found]) | ((signs < 0) & part.patterns[found])
    assert not clash.any()  # and gets a region whose closure holds it, exactly
    assert part.locate([c - [1e-9, 0.0]])[0] == -1  # just outside it
    # Every cell is one region, so the neighbours are the hull's where an edge between them
    # runs through the domain's interior, decided exactly: the crossed cell's piece shares its
    # long edge with the whole cell beside it (GEOS dropped the piece's copy of their vertex at
    # the corner for one an ulp away), and an edge an ulp long with the sliver.
    assert part.adjacency().pairs.tolist() == hull.adjacency().pairs.tolist() == [[0, 2], [1, 2]]


def corner_and_lobe(c, w):
    """A line through c (its bias -w c, rounded) and a polygon with a convex corner at c, on
    the line's negative side but within rounding of it, and a lobe crossing it far from c."""
    c, w = np.asarray(c), np.asarray(w)
    t = np.array([-w[1], w[0]])
    a, b = c - w + 0.3 * t, c - w - 0.3 * t
    p1 = b - 2 * t
    p2, p3 = p1 + 1.5 * w, p1 + 1.5 * w - 0.5 * t
    p4 = p3 - 2 * w
    domain = shapely.Polygon([c, b, p1, p2, p3, p4, p4 + 3 * t + 0.01 * w, a])
    return line_arrangement(w[None, :], -(w[None, :] @ c)), domain


def test_a_corner_an_ulp_across_a_line_is_a_region_beside_a_big_piece():
    # The rounded line passes an ulp inside the corner: the cell beyond it holds the lobe and
    # a sliver at the corner. float64 clipping kept only the lobe (2 regions for 3): the
    # pieces of cells within rounding of the domain's corners are now found exactly.
    net, domain = corner_and_lobe(
        [0.6265404784005448, 0.8255111545554434], [0.809114507928309, 0.5876510129829868]
    )
    part = regions.decompose(net, domain)
    assert [len(cell_pieces(domain, part.exact_corners(c))) for c in range(2)] == [2, 1]
    assert len(part) == 3 and part.region_cell.tolist() == [0, 0, 1]
    sliver = int(np.flatnonzero(part.areas == 0)[0])
    assert (
        shapely.distance(
            part.to_shapely()[sliver], shapely.Point(0.6265404784005448, 0.8255111545554434)
        )
        < 1e-15
    )
    assert part.patterns[sliver].tolist() == part.patterns[part.region_cell == 0][0].tolist()


def test_a_corner_an_ulp_short_of_a_line_adds_no_region():
    # The rounded line passes an ulp outside the corner: float64 clipping made a sliver of
    # area 1e-33 there that no exact piece holds (3 regions for 2); it goes.
    net, domain = corner_and_lobe(
        [-0.11924569056843204, 0.9091809873814745], [0.8097217830492258, -0.586813968865417]
    )
    part = regions.decompose(net, domain)
    assert [len(cell_pieces(domain, part.exact_corners(c))) for c in range(2)] == [1, 1]
    assert len(part) == 2 and np.all(part.areas > 0.2)


def test_parts_joined_by_a_neck_thinner_than_float64_are_one_region():
    # Found by a random campaign: a line (bias -w c, rounded) passes within rounding of the
    # domain's reflex corner c and leaves, in the cell beyond it, two lobes that touch in
    # float64 only at c, but are joined exactly by a neck thinner than float64 resolves.
    # They were two regions (5 for 4); they are one, a MultiPolygon of the two parts.
    domain = shapely.Polygon(
        [
            (77.09389398454191, 267.9416934695948),
            (-737.8914667370799, 601.955467919727),
            (-661.5583797015669, 78.71193289128978),
            (-700.4350343570958, -12.055237928471957),  # c
            (-979.4291175789272, -57.42112876788184),
            (392.6377503140802, -606.9464128577197),
            (525.4107799569417, -403.7406975053168),
            (160.26912080842578, -84.16698450160654),
        ]
    )
    w = [[1.0103558580483245, -0.8326096141575327], [0.8827201885195486, 0.2567301180409596]]
    part = regions.decompose(line_arrangement(w, [697.6513331447688, 496.8115962906888]), domain)
    pieces = [len(cell_pieces(domain, part.exact_corners(c))) for c in range(part.n_cells)]
    assert pieces == [1, 1, 1, 1] and len(part) == 4
    geoms = part.to_shapely()
    (joined,) = np.flatnonzero(shapely.get_num_geometries(geoms) > 1)
    lobes = shapely.get_parts(geoms[joined])
    assert len(lobes) == 2 and shapely.distance(lobes[0], lobes[1]) == 0
    assert part.locate(shapely.get_coordinates(shapely.centroid(lobes))).tolist() == [joined] * 2
    ring = part.polygons[joined]  # one ring through both lobes, bridged at c: twice through c
    assert np.all(ring == domain.exterior.coords[3], axis=1).sum() == 2
    assert np.all(np.any(ring != np.roll(ring, 1, axis=0), axis=1))  # no edge of no length
    x, y = ring.T
    shoelace = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
    assert shoelace == pytest.approx(part.areas[joined], rel=1e-12)
    # Local complexity sees both lobes' edges: points just beyond each lobe's corners.
    corners, lobe = shapely.get_coordinates(lobes, return_index=True)
    centre = shapely.get_coordinates(shapely.centroid(lobes))[lobe]
    beyond = corners + 1e-3 * (corners - centre) / np.linalg.norm(corners - centre, axis=1)[:, None]
    near = shapely.distance(geoms[:, None], shapely.points(beyond)[None, :]) < 2e-3
    assert regions.local_counts(part, beyond, 2e-3).tolist() == near.sum(axis=0).tolist()
    check_exact(part)


def test_spikes_of_the_domain_across_a_line_are_neighbours_of_the_cell_below():
    # Two spikes 2e-13 wide cross the line y = 1: the cell above is two regions (their tips)
    # and the cell below one, bordering each tip along 2e-13 of the line. The tips' float64
    # boundaries shared less than 1e-12 of the domain's diameter with it, and the pairs were
    # lost; they are decided exactly now.
    w = 1e-13
    spikes = [(0.5 + w, 0), (0.5, 1.5), (0.5 - w, 0), (-0.5 + w, 0), (-0.5, 1.5), (-0.5 - w, 0)]
    domain = shapely.Polygon([(-2, -2), (2, -2), (2, 0), *spikes, (-2, 0)])
    part = regions.decompose(line_arrangement([[0, 1]], [-1.0]), domain)
    assert part.region_cell.tolist() == [0, 0, 1] and part.areas[:2].max() < 1e-13
    assert part.adjacency().pairs.tolist() == [[0, 2], [1, 2]]
    check_exact(part)


THREE = np.array(
    [
        [0.345584192064786, 0.8216181435011584],
        [0.33043707618338714, -1.303157231604361],
        [0.9053558666731177, 0.4463745723640113],
    ]
)
"""Three lines' weights: through a point c with biases -W c, rounded, they miss it by an ulp and
leave a triangle about an ulp across there."""


def test_a_tiny_cell_inside_a_non_convex_domain_keeps_its_neighbours():
    # Three lines within rounding of (0.5, 0.5), inside the L, leave a triangle there about an
    # ulp across: a region (float64 clipping lost it), whose neighbours are the hull's, across
    # edges an ulp long. One of them is a cell the L's boundary crosses (one piece): the
    # float64 piece shared no length with the triangle, and the pair was missed.
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    net = line_arrangement(THREE, -(THREE @ [0.5, 0.5]))
    hull, part = regions.decompose(net, ell.convex_hull), regions.decompose(net, ell)
    assert len(hull) == len(part) == 7 and part.region_cell.tolist() == list(range(7))
    (tiny,) = np.flatnonzero(hull.areas < 1e-20)
    around = [p for p in hull.adjacency().pairs.tolist() if tiny in p]
    assert len(around) == 3 and not whole_cells(part)[[a + b - tiny for a, b in around]].all()
    assert [p for p in part.adjacency().pairs.tolist() if tiny in p] == around


def test_a_cell_too_thin_to_clip_at_a_reflex_corner_is_a_region():
    # Three lines within rounding of the L's reflex corner (1, 1) leave a triangle there
    # about an ulp across; the L's two edges into the corner enter it, so its interior meets
    # the L's: a region. Clipped in float64 it came out empty, and the L had 6 regions.
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    part = regions.decompose(line_arrangement(THREE, -(THREE @ np.ones(2))), ell)
    assert part.n_cells == 7 and len(part) == 7
    (tiny,) = np.flatnonzero(part.areas == 0)
    cell = int(part.region_cell[tiny])
    corners = part.exact_corners(cell)
    assert boundary_meets_interior(ell, corners)  # decided here in rationals
    assert point_side([part.exact_point(cell)], corners)[0] == 1
    exact = exact_patterns(part.network, part.plane, [part.exact_point(cell)])[0]
    assert exact.tolist() == part.patterns[tiny].tolist()
    # Its zero-area polygon lies where the cell meets the L, at the corner.
    assert shapely.distance(part.to_shapely()[tiny], shapely.Point(1, 1)) < 1e-15


def test_a_tiny_cell_inside_a_non_convex_domain_is_a_region_at_every_depth():
    # The tiny triangle of the test above, drawn by a first layer; a second layer adds a line
    # elsewhere. at_depth(1) clipped every cell in float64 and lost it: 6 regions for 7.
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    first = line_arrangement(THREE, -(THREE @ [0.5, 0.5]))
    second = nn.Linear(3, 3).double()
    with torch.no_grad():
        second.weight.copy_(torch.eye(3))
        second.bias.copy_(torch.tensor([0.0, 0.0, -0.1]))
    net = nn.Sequential(first[0], first[1], second, nn.ReLU(), nn.Linear(3, 1).double())
    part = regions.decompose(net, ell)
    assert part.counts_by_depth().tolist() == [1, 7, 10]
    coarse = part.at_depth(1)
    (tiny,) = np.flatnonzero(coarse.areas == 0)
    inside = coarse.exact_point(int(coarse.region_cell[tiny]))  # from its exact corners
    exact = exact_patterns(part.network, part.plane, [inside])[0][: coarse.patterns.shape[1]]
    assert exact.tolist() == coarse.patterns[tiny].tolist()


def test_linear_regions_merge_regions_with_equal_maps():
    # Unit 2's output weight is zero: crossing its line changes the pattern, not the map.
    model = line_arrangement(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    part = regions.decompose(model)
    assert len(part) == 4
    lin = part.linear_regions()
    assert lin.n == 2
    assert len(np.unique(lin.labels)) == 2
    # a generic net: every activation region is its own linear region
    assert regions.decompose(random_relu([5, 5], 7)).linear_regions().n == len(
        regions.decompose(random_relu([5, 5], 7))
    )


def test_at_depth_views():
    model = sawtooth(4)
    part = regions.decompose(model, (0, 1, 0, 1))
    assert list(part.counts_by_depth()) == [1, 2, 4, 8, 16]
    coarse = part.at_depth(2)
    assert coarse.depth == 2 and coarse.patterns.shape[1] == 4
    with pytest.raises(ValueError, match="not affine"):
        coarse.affine()
    with pytest.raises(ValueError, match="k must be in 0..4"):
        part.at_depth(5)


def diagonal_classifier(outputs: int) -> nn.Module:
    """Logit difference y - x (2 outputs) or logit y - x (1 output), via one ReLU layer."""
    model = line_arrangement(
        np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]), np.zeros(4)
    )
    head = nn.Linear(4, outputs, dtype=torch.float64)
    with torch.no_grad():
        w = torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=torch.float64)  # y - x
        head.weight.copy_(w[None] if outputs == 1 else torch.stack([-w / 2, w / 2]))
        head.bias.zero_()
    model[2] = head
    return model


@pytest.mark.parametrize("outputs", [1, 2])
def test_decision_boundary_of_the_diagonal(outputs):
    part = regions.decompose(diagonal_classifier(outputs))
    db = part.decision_boundary()
    assert np.isclose(db.length, 4 * np.sqrt(2))
    pts = db.segments.reshape(-1, 2)
    np.testing.assert_allclose(pts[:, 0], pts[:, 1], atol=1e-12)
    merged = db.to_shapely()
    assert len(merged.geoms) == 1  # one polyline corner to corner
    pos = part.predicted_region(1)
    assert np.isclose(pos.area, 8.0)
    assert pos.contains(shapely.Point(-1, 1))


def test_decision_boundary_three_classes_against_a_grid():
    model = random_relu([8, 8], 8, outputs=3)
    part = regions.decompose(model)
    db = part.decision_boundary()
    # Predicted class is constant off the boundary: grid points far from it agree with the
    # class regions, and the class regions tile the domain.
    areas = [part.predicted_region(k).area for k in range(3)]
    assert np.isclose(sum(areas), 16.0)
    g = np.stack(
        np.meshgrid(np.linspace(-1.99, 1.99, 80), np.linspace(-1.97, 1.98, 80)), -1
    ).reshape(-1, 2)
    cls = model_forward(model, g).argmax(axis=1)
    far = shapely.distance(db.to_shapely(), shapely.points(g)) > 1e-6
    for k in range(3):
        inside = shapely.contains_xy(part.predicted_region(k), g[:, 0], g[:, 1])
        assert np.array_equal(inside[far], (cls == k)[far])


def test_non_convex_domain_splits_regions_into_connected_pieces():
    # A U-shaped domain cut by the line y = 0.5: the base below, two arms above.
    u = shapely.Polygon([(-2, -2), (2, -2), (2, 2), (1, 2), (1, -1), (-1, -1), (-1, 2), (-2, 2)])
    model = line_arrangement(np.array([[0.0, 1.0]]), np.array([-0.5]))
    part = regions.decompose(model, u)
    assert len(part) == 3
    assert np.isclose(part.areas.sum(), u.area)
    assert len(part.adjacency()) == 2
    found = part.locate([[-1.5, 1.5], [1.5, 1.5], [0, -1.5], [0, 1.5]])
    assert len(set(found[:3])) == 3 and found[3] == -1  # (0, 1.5) lies in the notch
    check_exact(part)  # and every point in the arms' cell gets the arm that holds it


def test_boundaries_along_a_non_convex_domains_edge_are_not_between_regions():
    # The line x = 1 runs through the L from (1, 0) to (1, 1), then along its inner edge to
    # (1, 2), where it borders one region only. Float64 clipping kept that stretch as a
    # breakpoint's boundary, and as a stretch of the decision boundary (relu(x - 1) > 0).
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    part = regions.decompose(line_arrangement(np.array([[1.0, 0.0]]), np.array([-1.0])), ell)
    b = part.boundaries()
    assert np.sort(b.segments, axis=1).tolist() == [[[1.0, 0.0], [1.0, 1.0]]]
    assert b.layer.tolist() == [1] and b.unit.tolist() == [0]
    assert np.sort(part.decision_boundary().segments, axis=1).tolist() == [[[1.0, 0.0], [1.0, 1.0]]]
    with_domain = part.boundaries(include_domain=True)
    assert len(with_domain) == 7 and with_domain.layer.tolist().count(0) == 6


def test_boundaries_touching_a_non_convex_domains_corner_are_one_piece():
    # x + y = 2 runs through the L's interior on both sides of its reflex corner (1, 1), which
    # it only touches: GEOS cuts it there in two.
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    part = regions.decompose(line_arrangement(np.array([[1.0, 1.0]]), np.array([-2.0])), ell)
    (segment,) = part.boundaries().segments
    assert sorted(map(tuple, segment.tolist())) == [(0.0, 2.0), (2.0, 0.0)]


def test_boundaries_from_a_rounded_vertex_on_a_non_convex_domains_edge():
    # Two lines cross exactly at (1.5, 1), on the L's inner edge, and run into the notch above
    # it; float64 puts their vertex just below, inside the L, so that float clipping kept two
    # slivers beyond it.
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    normals = np.array([[75409297.0, 27375235.0], [33543225.0, -22974975.0]])
    offsets = np.array([-140489180.5, -27339862.5])  # both exactly through (1.5, 1)
    part = regions.decompose(line_arrangement(normals, offsets), ell)
    vertex = part.vertices[np.abs(part.vertices - [1.5, 1.0]).max(axis=1) < 1e-9]
    assert vertex.tolist() == [[1.5, 1.0 - 2.0**-52]]  # the case: rounded into the L
    b = part.boundaries()
    assert sorted(b.unit.tolist()) == [0, 1]  # one segment of each line, down to y = 0
    assert (b.segments[:, :, 1].min(axis=1) == 0).all()
    check_exact(part)


def test_decision_boundary_along_a_non_convex_domains_edge_is_clipped_exactly():
    # The logit x - 3y + 2 vanishes on the line through (0, 2/3), (1, 1) and (4, 2): across
    # the domain, then along its slanted inner edge from (1, 1) to (4, 2), where the class
    # changes toward the notch only. The class cut's vertex (0, 2/3) rounds down, so the
    # float segment from it to (4, 2) runs just inside the domain there: clipping its float
    # ends kept that stretch.
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2, dtype=torch.float64))
        model[0].bias.fill_(10.0)  # relu(x + 10), relu(y + 10): on everywhere
        model[2].weight.copy_(torch.tensor([[1.0, -3.0]], dtype=torch.float64))
        model[2].bias.fill_(22.0)
    domain = shapely.Polygon([(0, 0), (4, 0), (4, 2), (1, 1), (1, 4), (0, 4)])
    part = regions.decompose(model, domain)
    db = part.decision_boundary()
    (segment,) = db.segments
    assert sorted(map(tuple, segment.tolist())) == [(0.0, 2 / 3), (1.0, 1.0)]
    assert part.predicted_region(1).area == pytest.approx(16 / 3)  # below the line
    check_exact(part)


def test_a_non_convex_domain_that_no_cell_crosses():
    # The two lines (one as two units) run from the reflex corner (1/4, 5/8) to other
    # corners, one along the domain's edge to (5/8, 3/4), so every cell lies in the domain
    # whole or outside it: the fragile-cell test, given no crossed cell, took the largest of
    # no margins (ValueError) and every geometry failed with it.
    domain = shapely.Polygon(
        [(0.625, 0), (0.625, 0.75), (0.25, 0.625), (0.125, 1), (-0.5, -0.625), (0.5, -0.125)]
    )
    normals = np.array([[0.75, 0.25], [0.75, 0.25], [-0.125, 0.375]])
    part = regions.decompose(
        line_arrangement(normals, np.array([-0.34375, -0.34375, -0.203125])), domain
    )
    assert (len(part), part.n_cells) == (3, 4)
    assert whole_cells(part).all()
    assert part.areas.sum() == domain.area
    check_exact(part)


def test_locate_steps_off_a_non_convex_domains_boundary_into_the_domain():
    # The line x = 1 runs along the L's inner edge from (1, 1) to (1, 2). Stepping from a
    # point of that edge toward the hull's middle, (1, 1), follows both, and the tie's
    # quarter turn then leaves the L for x > 1, whose one region, (1, 2] x [0, 1], does not
    # reach the point: locate gave it until the step went into the domain instead.
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    part = regions.decompose(line_arrangement(np.array([[1.0, 0.0]]), np.array([-1.0])), ell)
    left, right = part.locate([[0.5, 1.5], [1.5, 0.5]]).tolist()
    assert len(part) == 2 and left != right
    assert part.locate([[1, 1.5], [1, 2], [1, 1.75]]).tolist() == [left] * 3
    check_exact(part)


def test_the_old_names_of_the_breakpoints_warn_and_give_the_same_objects():
    import regions.breakpoints
    import regions.partition

    for module in (regions, regions.partition, regions.breakpoints):
        with pytest.warns(DeprecationWarning, match=rf"{module.__name__}\.Switches is deprecated"):
            assert module.Switches is regions.Breakpoints
    with pytest.raises(AttributeError, match="no attribute 'Switchez'"):
        _ = regions.Switchez
    part = regions.decompose(sawtooth(3), (0, 1, 0, 1)).at_depth(2)
    with pytest.warns(DeprecationWarning, match="use Partition.breakpoints"):
        assert part.switches is part.breakpoints
    with pytest.warns(DeprecationWarning, match="use Partition.n_breakpoints"):
        assert part.n_switches == part.n_breakpoints == 4
    pieces = regions.decompose_line(sawtooth(2), [0.0, 0.5], [1.0, 0.5])
    with pytest.warns(DeprecationWarning, match="use LinePieces.breakpoints"):
        assert pieces.switches is pieces.breakpoints


@pytest.mark.parametrize("widths", [(8, 16, 8), (8, 5, 16), (5, 8, 3)])
def test_stacked_patterns_read_every_level_through_the_ancestors(widths):
    """``cell_bits`` (whole bytes copied where the levels before the last are, unpacked and
    repacked otherwise) against each region's bits read level by level, and against the
    model's own activations at the cells' interior points."""
    torch.manual_seed(4)
    layers, n = [], 2
    for w in widths:
        layers += [nn.Linear(n, w), nn.ReLU()]
        n = w
    model = nn.Sequential(*layers, nn.Linear(n, 1)).double()
    part = regions.decompose(model, (-2, 2, -2, 2))
    ancestor, columns = np.arange(len(part.cell_bits)), []
    for level in reversed(part.levels):
        columns.append(np.unpackbits(level.bits[ancestor], axis=1, count=level.n_bits))
        ancestor = level.parent[ancestor]
    expected = np.concatenate(columns[::-1], axis=1)
    assert expected.shape[1] == sum(widths)
    np.testing.assert_array_equal(part.cell_bits, np.packbits(expected, axis=1))
    # and they are the patterns: every unit's sign at an interior point of each cell
    x = torch.as_tensor(part.points)
    signs = []
    for layer in model[:-1]:
        x = layer(x)
        if isinstance(layer, nn.Linear):
            signs.append((x > 0).numpy())
    np.testing.assert_array_equal(part.patterns, np.concatenate(signs, axis=1))


def test_a_clipped_piece_with_a_hair_thin_strip_gets_a_point_inside() -> None:
    """Region 2 (area 9) has a strip 1e-5 wide along the hole's edge, down to the box's edge:
    GEOS's point on its surface was the vertex (0, -4), on the breakpoint x = 0, so locate
    gave that point to another region. Its inscribed circle's centre is well inside."""
    domain = shapely.Polygon([(-4, -4), (4, -4), (4, 4), (-4, 4)], [[(-2, -1), (2, -1), (0, 2)]])
    part = regions.decompose(
        line_arrangement(np.array([[-3e-05, -2e-05], [-3.0, 0.0]]), np.array([4e-05, 0.0])),
        domain,
    )
    assert np.array_equal(part.locate(part.points), np.arange(len(part)))
    assert (exact_signs(part.network, part.plane, part.points) != 0).all()
    check_exact(part)


def thin_strip_net() -> nn.Sequential:
    """2-1-3-2: the breakpoints of units 0 and 2 of the second layer (the first layer's unit
    at 1e-10 / 1.5 and at 5e-11) are near-parallel lines on a box near (1e6, 1e6), bounding
    a strip of exact area 4.3e-18, far thinner than float64 resolves there."""
    m = nn.Sequential(nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 3), nn.ReLU(), nn.Linear(3, 2))
    m = m.double()  # before the weights, which float32 would round
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor([[-59525898.46504717, -35996663.88559403]]))
        m[0].bias.fill_(95522951377417.27)
        m[2].weight.copy_(torch.tensor([[-1.5], [1.0], [20000.0]]))
        m[2].bias.copy_(torch.tensor([1e-10, 0.0, 1e-06]))
        m[4].weight.copy_(torch.tensor([[3.0, 2.0, -2.0], [2.0, 3.0, -2.0]]))
        m[4].bias.copy_(torch.tensor([-1.0, -1.0]))
    return m.eval()


def test_a_cell_rounded_clockwise_has_area_zero() -> None:
    """The thin strip's rounded corners run clockwise (a float area of -3.6e-10): its area
    is 0, nearer the exact one than a negative number, and the areas still sum to the box's."""
    part = regions.decompose(thin_strip_net(), (1e6, 1e6 + 4, 1e6, 1e6 + 8))
    assert (part.areas >= 0).all()
    assert part.areas.sum() == pytest.approx(32.0, rel=1e-9)


def one_class_net() -> nn.Sequential:
    """2-2-2-1 with a logit of at most -2 on the box [1e4, 4204304]^2 (exactly, at every
    vertex), but lines drawn by weights of 1e5: class 0 everywhere."""
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor([[-3.0, 1.0], [-1.0, -1.0]]))
        m[0].bias.copy_(torch.tensor([2641440.0, 4214304.0]))
        m[2].weight.copy_(torch.tensor([[-100000.0, -1.0], [200000.0, -2.0]]))
        m[2].bias.copy_(torch.tensor([2.0, 0.0]))
        m[4].weight.copy_(torch.tensor([[-2.0, -1.0]]))
        m[4].bias.fill_(-2.0)
    return m.double().eval()


def test_a_class_predicted_everywhere_is_the_domain() -> None:
    """The cells' coverage union came out self-intersecting (the area right), and on the box
    with a hole the clip found no union of the right area and raised."""
    box = (1e4, 4204304, 1e4, 4204304)
    hole = [(1058576, 2107152), (1058576, 3155728), (2107152, 2107152)]
    holed = shapely.Polygon(shapely.box(1e4, 1e4, 4204304, 4204304).exterior.coords, [hole])
    for domain in (box, holed):
        part = regions.decompose(one_class_net(), domain)
        region = part.predicted_region(0)
        assert region.is_valid
        assert shapely.equals_exact(region, part.domain.polygon, tolerance=0.0)
        assert part.predicted_region(1).is_empty


def test_class_regions_of_cut_vertices_placed_within_their_bounds() -> None:
    """The thin strip's class cut places vertices 2.6e-6 from their exact points (within
    their bounds of 1e-4), so the class cells overlap by more than the float area allowance:
    the union allows for the vertices' bounds, and the two classes still tile the box."""
    part = regions.decompose(thin_strip_net(), (1e6, 1e6 + 4, 1e6, 1e6 + 8))
    zero, one = part.predicted_region(0), part.predicted_region(1)
    assert zero.is_valid and one.is_valid
    assert zero.area > 4 and one.area > 27
    assert zero.area + one.area == pytest.approx(32.0, abs=1e-3)
    assert zero.intersection(one).area < 1e-3


def test_a_decision_boundary_that_is_not_there_is_an_empty_multilinestring() -> None:
    boundary = regions.decompose(one_class_net(), (1e4, 4204304, 1e4, 4204304)).decision_boundary()
    assert len(boundary) == 0
    lines = boundary.to_shapely()
    assert isinstance(lines, shapely.MultiLineString) and lines.is_empty
