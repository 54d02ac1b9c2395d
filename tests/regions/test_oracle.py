"""The judge is judged: the exact oracle against a naive Fraction evaluation, the float model,
and its own affine maps; the exact polygon predicates against shapely; regions.testing's
strategies draw what they promise."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import regions
from regions import testing
from regions.constructions import sawtooth
from regions.domain import as_plane
from regions.exact_geometry import (
    boundary_meets_interior,
    cell_pieces,
    is_simple,
    point_side,
    polygon_area,
    rational_grid,
)
from regions.exact_segments import inside_midpoints, inside_spans, inward, segment_meets_interior
from regions.network import Activation, Affine, Concat, Sum
from regions.oracle import exact_affine, exact_eval, exact_patterns, exact_signs, n_columns


def naive(net: regions.Network, plane: regions.Plane, point) -> tuple:
    """The model at one plane point, straight from the definitions, every number a Fraction.

    Returns (logits, preactivations per layer, signs per breakpoint column)."""
    u, v = (Fraction(c) for c in point)
    F = lambda a: [[Fraction(x) for x in row] for row in np.atleast_2d(a).tolist()]  # noqa: E731
    values = [[a * u + b * v + c for a, b, c in F(plane.map)]]
    pre, signs = [], []
    for node in net.nodes[1:]:
        if isinstance(node, Affine):
            x = values[node.src]
            values.append(
                [sum(w * xi for w, xi in zip(row, x, strict=True)) + b
                 for row, b in zip(F(node.W), F(node.b)[0], strict=True)]
            )  # fmt: skip
        elif isinstance(node, Sum):
            cols = [values[j] for j in node.srcs]
            values.append([sum(Fraction(s) * c[k] for s, c in zip(node.signs, cols, strict=True))
                           for k in range(len(cols[0]))])  # fmt: skip
        elif isinstance(node, Concat):
            values.append([x for j in node.srcs for x in values[j]])
        else:
            z = values[node.src]
            pre.append(z)
            out = []
            for zj, t, s, o in zip(
                z, F(node.thresholds), F(node.slopes), F(node.offsets), strict=True
            ):
                signs += [(zj > tk) - (zj < tk) for tk in t]
                p = sum(zj > tk for tk in t)
                out.append(s[p] * zj + o[p])
            values.append(out)
    return values[net.output], pre, signs


def apply_exact(act: Activation, z: list[Fraction]) -> list[Fraction]:
    """An activation on exact preactivations: piece = breakpoints exceeded."""
    out = []
    for zj, t, s, o in zip(z, act.thresholds, act.slopes, act.offsets, strict=True):
        p = sum(zj > Fraction(tk) for tk in t)
        out.append(Fraction(s[p]) * zj + Fraction(o[p]))
    return out


class Residual(nn.Module):
    """Sum, subtraction, Concat, scaling and Hardtanh, in one model."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(4, 4)
        self.out = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.a(x))
        g = h - 0.375 * nn.functional.hardtanh(self.b(h), -0.5, 0.25)
        return self.out(torch.cat([g, nn.functional.leaky_relu(h, 0.125)], dim=1))


def random_rationals(rng: np.random.Generator, n: int) -> list[tuple[Fraction, Fraction]]:
    return [
        (Fraction(int(a), int(d)), Fraction(int(b), int(d)))
        for a, b, d in zip(rng.integers(-300, 300, n), rng.integers(-300, 300, n),
                           rng.integers(1, 97, n), strict=True)
    ]  # fmt: skip


@settings(max_examples=40, deadline=None, derandomize=True)
@given(model=testing.nets(), seed=st.integers(0, 1000))
def test_oracle_matches_naive_fractions(model, seed):
    net = regions.trace(model)
    plane = as_plane(None, 2)
    points = random_rationals(np.random.default_rng(seed), 6) + [(Fraction(0), Fraction(0))]
    for p, got in zip(points, exact_eval(net, plane, points), strict=True):
        logits, pre, signs = naive(net, plane, p)
        assert got.point == p
        assert list(got.logits) == logits
        assert [list(z) for z in got.pre] == pre
        assert list(got.signs) == signs
    assert exact_signs(net, plane, points).tolist() == [naive(net, plane, p)[2] for p in points]


def test_oracle_follows_sums_concats_and_planes():
    torch.manual_seed(0)
    model = Residual().double().eval()
    net = regions.trace(model)
    plane = as_plane(([0.5, -1.0, 2.0], ([1.0, 2.0, 0.0], [0.0, -1.0, 3.0])), 3)
    points = random_rationals(np.random.default_rng(1), 20)
    exact = exact_eval(net, plane, points)
    for p, got in zip(points, exact, strict=True):
        logits, pre, signs = naive(net, plane, p)
        assert (list(got.logits), [list(z) for z in got.pre], list(got.signs)) == (
            logits,
            pre,
            signs,
        )
    # and the float model agrees to rounding
    floats = np.array([[float(u), float(v)] for u, v in points])
    with torch.no_grad():
        expected = model(torch.as_tensor(plane.to_input(floats))).numpy()
    got = np.array([[float(x) for x in e.logits] for e in exact])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert n_columns(net) == 4 * 1 + 4 * 2 + 4 * 1


@settings(max_examples=30, deadline=None, derandomize=True)
@given(model=testing.nets(activations=("relu", "hardtanh")), seed=st.integers(0, 1000))
def test_signs_beside_a_point_are_those_a_tiny_step_away(model, seed):
    """toward=(d1, d2) means p + e d1 + e^2 d2 for every small e > 0; e = 1e-40 is small
    enough for these nets, and lattice points sit on many of their lines."""
    net = regions.trace(model)
    plane = as_plane(None, 2)
    rng = np.random.default_rng(seed)
    points = [(Fraction(int(a), 2), Fraction(int(b), 2)) for a, b in rng.integers(-4, 5, (8, 2))]
    pairs = [((1, 0), (0, 1)), ((-1, 2), (3, 1)), ((0, -1), (1, 0)), ((2, -3), (-1, -1))]
    dirs = np.array([pairs[i] for i in rng.integers(0, len(pairs), 8)])
    e = Fraction(1, 10**40)
    stepped = [
        (u + e * int(d[0, 0]) + e * e * int(d[1, 0]), v + e * int(d[0, 1]) + e * e * int(d[1, 1]))
        for (u, v), d in zip(points, dirs, strict=True)
    ]
    got = exact_signs(net, plane, points, toward=dirs)
    assert got.tolist() == [naive(net, plane, p)[2] for p in stepped]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(model=testing.nets(), seed=st.integers(0, 1000))
def test_exact_affine_reproduces_the_model_on_its_piece(model, seed):
    net = regions.trace(model)
    plane = as_plane(None, 2)
    points = random_rationals(np.random.default_rng(seed), 8)
    exact = exact_eval(net, plane, points)
    pats = np.array([e.pattern for e in exact]).reshape(len(points), -1)
    A, c = exact_affine(net, plane, pats)
    for (u, v), e, a, b in zip(points, exact, A, c, strict=True):
        assert [ai[0] * u + ai[1] * v + bi for ai, bi in zip(a, b, strict=True)] == list(e.logits)
    for k in range(1, net.n_layers + 1):
        Ap, cp = exact_affine(net, plane, pats, layer=k, pre=True)
        Aa, ca = exact_affine(net, plane, pats, layer=k)
        for (u, v), e, a, b, aa, ba in zip(points, exact, Ap, cp, Aa, ca, strict=True):
            z = [ai[0] * u + ai[1] * v + bi for ai, bi in zip(a, b, strict=True)]
            assert z == list(e.pre[k - 1])
            out = [ai[0] * u + ai[1] * v + bi for ai, bi in zip(aa, ba, strict=True)]
            assert out == apply_exact(net.activations[k - 1], z)


def test_exact_affine_single_pattern_and_errors():
    net = regions.trace(sawtooth(1))  # 2 relu(x) - 4 relu(x - 1/2)
    A, c = exact_affine(net, None, [True, False])
    assert A.tolist() == [[2, 0]] and c.tolist() == [0]
    with pytest.raises(ValueError, match="impossible pattern"):
        exact_affine(regions.trace(nn.Sequential(nn.Linear(2, 1), nn.Hardtanh())), None, [0, 1])
    with pytest.raises(ValueError, match="at least 2 columns"):
        exact_affine(net, None, [True])
    with pytest.raises(ValueError, match="layer must be in 1..1"):
        exact_affine(net, None, [True, True], layer=2)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        exact_eval(net, None, [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        exact_eval(net, None, [[float("nan"), 0.0]])
    with pytest.raises(TypeError, match="numbers or Fractions"):
        exact_eval(net, None, [["1", 0.0]])
    with pytest.raises(ValueError, match="independent"):
        exact_signs(net, None, [[0, 0]], toward=[(1, 1), (2, 2)])
    with pytest.raises(ValueError, match="one pair per point"):
        exact_signs(net, None, [[0, 0], [1, 1]], toward=np.zeros((3, 2, 2)))
    assert exact_patterns(net, None, np.zeros((0, 2))).shape == (0, 2)


def test_the_oracle_sees_what_float64_rounds_away():
    """relu(1 - 1e12 x) at the float nearest 1e-12: exactly 1 - 1e12 * fl(1e-12) > 0."""
    model = nn.Sequential(nn.Linear(2, 1), nn.ReLU()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[-1e12, 0.0]], dtype=torch.float64))
        model[0].bias.fill_(1.0)
    net = regions.trace(model)
    (p,) = exact_eval(net, None, [[1e-12, 0.0]])
    assert p.pre[0][0] == 1 - Fraction(10**12) * Fraction(1e-12) > 0
    assert p.pattern == (True,)
    assert net.forward(np.array([[1e-12, 0.0]]))[1][0][0, 0] <= 0  # float64 says off


# --------------------------------------------------------------------------- exact geometry
@settings(max_examples=40, deadline=None, derandomize=True)
@given(poly=testing.polygons(convex=False, scales=(1.0, 1e3), centres=(0.0, 1e4)))
def test_point_side_and_area_match_shapely_away_from_the_boundary(poly):
    xmin, ymin, xmax, ymax = poly.bounds
    rng = np.random.default_rng(0)
    pts = rng.uniform([xmin, ymin], [xmax, ymax], (200, 2))
    side = point_side(pts, poly)
    far = shapely.distance(poly.boundary, shapely.points(pts)) > 1e-9 * (xmax - xmin)
    inside = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
    assert np.array_equal(side[far], np.where(inside[far], 1, -1))
    assert float(polygon_area(poly)) == pytest.approx(poly.area, rel=1e-12)
    assert polygon_area(np.asarray(poly.exterior.coords)[::-1]) < 0  # clockwise


def test_point_side_on_edges_vertices_and_holes():
    square = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))
    pts = [[0, 0], [2, 0], [1.5, 1.5], [1, 1.5], [3, 3], [0.5, 0.5], [5, 1], [2, 4 + 2**-50]]
    assert point_side(pts, square).tolist() == [0, 0, -1, 0, 1, 1, -1, -1]
    assert polygon_area(square) == 15
    eps = Fraction(1, 10**30)  # rationals below float resolution
    assert point_side([(Fraction(4) - eps, 2), (Fraction(4) + eps, 2)], square).tolist() == [1, -1]


def test_is_simple_matches_geos_on_integer_rings():
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(1500):
        ring = rng.integers(0, 4, (rng.integers(3, 7), 2)).astype(float)
        if len({tuple(p) for p in ring.tolist()}) == len(ring):  # GEOS drops repeated points
            assert is_simple(ring) == shapely.LinearRing(ring).is_simple, ring.tolist()
            checked += 1
    assert checked > 500


def test_boundary_meets_interior_matches_geos_on_integer_polygons():
    # Small integer coordinates: GEOS's relate is exact on them, and they put polygon edges
    # along cell edges, through cell corners and touching them from outside.
    rng = np.random.default_rng(1)
    seen = {True: 0, False: 0}
    for _ in range(1500):
        poly = shapely.Polygon(rng.integers(0, 6, (rng.integers(3, 8), 2)).astype(float))
        cell = shapely.convex_hull(shapely.multipoints(rng.integers(0, 6, (4, 2)).astype(float)))
        if not (poly.is_valid and poly.area > 0 and cell.geom_type == "Polygon"):
            continue
        corners = np.asarray(shapely.orient_polygons(cell).exterior.coords)[:-1]
        expected = shapely.relate_pattern(poly.exterior, cell, "T********")
        assert boundary_meets_interior(poly, corners) == expected, (poly.wkt, cell.wkt)
        seen[expected] += 1
    assert min(seen.values()) > 100


def test_boundary_meets_interior_with_holes_and_repeated_corners():
    frame = shapely.box(0, 0, 6, 6).difference(shapely.box(2, 2, 4, 4))
    inside_hole = [[2.5, 2.5], [3.5, 2.5], [3.5, 3.5], [2.5, 3.5]]
    assert not boundary_meets_interior(frame, inside_hole)
    assert boundary_meets_interior(frame, [[1, 1], [3, 1], [3, 1], [3, 3], [1, 3]])  # on the hole
    assert not boundary_meets_interior(frame, [[0, 0], [2, 0], [2, 0], [2, 2], [0, 2]])
    eps = Fraction(1, 10**30)  # a cell reaching past the hole's edge by less than an ulp
    assert boundary_meets_interior(frame, [(1, 1), (2 + eps, 1), (2 + eps, 3), (1, 3)])


def integer_polygon(rng: np.random.Generator, top: int, most: int) -> shapely.Polygon:
    """3 times in 10 a square frame around a box hole; else a polygon of 3 to ``most - 1``
    random integer corners below ``top`` (often invalid: callers skip those)."""
    if rng.random() < 0.3:
        lo = rng.integers(1, 4, 2)
        hi = lo + rng.integers(1, 6 - lo)
        hole = [[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]]
        return shapely.Polygon([[0, 0], [6, 0], [6, 6], [0, 6]], [hole])
    return shapely.Polygon(rng.integers(0, top, (rng.integers(3, most), 2)).astype(float))


def test_segment_meets_interior_matches_geos_on_integer_polygons():
    # Small integer coordinates: GEOS's relate is exact on them, and they put segments along
    # polygon edges, through corners, touching from outside and along holes' edges.
    rng = np.random.default_rng(2)
    seen, holes = {True: 0, False: 0}, 0
    for _ in range(1500):
        poly = integer_polygon(rng, 6, 8)
        p, q = rng.integers(0, 7, (2, 2)).astype(float)
        if not (poly.is_valid and poly.area > 0 and (p != q).any()):
            continue
        expected = shapely.relate_pattern(shapely.LineString([p, q]), poly, "1********")
        assert segment_meets_interior(poly, p, q) == expected, (poly.wkt, p, q)
        seen[expected] += 1
        holes += len(poly.interiors)
    assert min(seen.values()) > 100 and holes > 100


def test_inside_spans_match_geos_on_integer_polygons():
    # The spans are the parts of the segment in the polygon less those along its boundary:
    # GEOS's, whose crossings are rounded, to 1e-9 of the segment. Exactly, each span's ends
    # lie on the boundary but for the segment's own.
    rng = np.random.default_rng(3)
    seen, joined = 0, 0
    for _ in range(1500):
        poly = integer_polygon(rng, 6, 8)
        p, q = (tuple(map(Fraction, v)) for v in rng.integers(0, 7, (2, 2)).tolist())
        if not (poly.is_valid and poly.area > 0 and p != q):
            continue
        spans = inside_spans(poly, p, q)
        line = shapely.LineString([p, q])
        geos = shapely.line_merge(
            shapely.difference(shapely.intersection(line, poly), poly.boundary)
        )
        parts = [g for g in shapely.get_parts(geos) if g.length > 0]
        assert len(parts) == len(spans), (poly.wkt, p, q)
        inside = sum(float(t1 - t0) for t0, t1 in spans) * line.length
        assert abs(inside - sum(g.length for g in parts)) <= 1e-9 * line.length
        ends = [t for span in spans for t in span]
        at = [(p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])) for t in ends]
        on_ends = zip(point_side(at, poly).tolist() if at else [], ends, strict=True)
        assert all(s == 0 if 0 < t < 1 else s >= 0 for s, t in on_ends)
        # The pieces between crossings that lie inside (their midpoints, strictly) make up the
        # spans, joined where they meet.
        d = (q[0] - p[0]) or (q[1] - p[1])
        mids = [
            ((m[0] - p[0]) if q[0] != p[0] else (m[1] - p[1])) / d
            for m in inside_midpoints(poly, p, q)
        ]
        assert all(any(t0 < t < t1 for t0, t1 in spans) for t in mids)
        assert all(any(t0 < t < t1 for t in mids) for t0, t1 in spans)
        seen += len(spans)
        joined += len(mids) > len(spans)  # touching the boundary
    assert seen > 300 and joined > 5


def test_segment_meets_interior_an_ulp_off_an_edge():
    frame = shapely.box(0, 0, 6, 6).difference(shapely.box(2, 2, 4, 4))
    eps = Fraction(1, 10**30)
    assert not segment_meets_interior(frame, (2, 2), (2, 4))  # along the hole's edge
    assert segment_meets_interior(frame, (2 - eps, 2), (2 - eps, 4))  # beside it, in the frame
    assert not segment_meets_interior(frame, (2 + eps, 2), (2 + eps, 4))  # in the hole
    assert segment_meets_interior(frame, (2, 3), (2 - eps, 3))  # from the edge out, by 1e-30
    assert not segment_meets_interior(frame, (1, 1), (1, 1))  # no length


def test_the_pieces_at_a_shared_side_are_those_beside_its_inside_midpoints():
    # Two triangles on either side of an integer segment pq, and integer polygons (holes
    # too): there is a midpoint where pq runs through the polygon's interior, strictly inside
    # it; the piece of each triangle whose closure holds it (piece_at) is the piece holding
    # the point a hair (1e-9, far below these polygons' features) into the triangle.
    rng = np.random.default_rng(8)
    seen = 0
    hair = Fraction(1, 10**9)
    for _ in range(2500):
        poly = integer_polygon(rng, 6, 8)
        p, q, c, d = (tuple(map(Fraction, v)) for v in rng.integers(0, 7, (4, 2)).tolist())
        side = (q[0] - p[0]) * (c[1] - p[1]) - (q[1] - p[1]) * (c[0] - p[0])
        other = (q[0] - p[0]) * (d[1] - p[1]) - (q[1] - p[1]) * (d[0] - p[0])
        if not (poly.is_valid and poly.area > 0 and side > 0 and other < 0):
            continue
        mids = inside_midpoints(poly, p, q)
        assert bool(mids) == segment_meets_interior(poly, p, q)
        if not mids:
            continue
        assert point_side(mids, poly).tolist() == [1] * len(mids)
        normal = (p[1] - q[1], q[0] - p[0])  # to the left, the first triangle
        for corners, sign in (([p, q, c], 1), ([q, p, d], -1)):
            pieces = cell_pieces(poly, corners)
            beside = [(x + sign * hair * normal[0], y + sign * hair * normal[1]) for x, y in mids]
            held = pieces.piece_at(mids)
            assert (held >= 0).all() and held.tolist() == pieces.piece_of(beside).tolist()
        seen += len(mids)
    assert seen > 100


def test_inward_steps_from_every_boundary_point_into_the_interior():
    # Integer polygons (holes too): from each corner and each edge's midpoint, a hair (1e-9
    # of the direction, far below these polygons' features) along the direction found lies
    # strictly inside; a point off the boundary has no such direction.
    rng = np.random.default_rng(9)
    seen, holes = 0, 0
    hair = Fraction(1, 10**9)
    for _ in range(300):
        poly = integer_polygon(rng, 6, 8)
        if not (poly.is_valid and poly.area > 0):
            continue
        rings = [np.asarray(r.coords) for r in (poly.exterior, *poly.interiors)]
        points = [tuple(map(Fraction, v)) for r in rings for v in r[:-1].tolist()]
        points += [
            tuple((Fraction(a) + Fraction(b)) / 2 for a, b in zip(u, v, strict=True))
            for r in rings
            for u, v in zip(r[:-1].tolist(), r[1:].tolist(), strict=True)
        ]
        for x, y in points:
            dx, dy = inward(poly, (x, y))
            assert point_side([(x + hair * dx, y + hair * dy)], poly)[0] == 1, (poly.wkt, x, y)
        seen += len(points)
        holes += len(poly.interiors)
        for inside in rational_grid(poly, 8)[:1]:
            with pytest.raises(ValueError, match="not on the polygon's boundary"):
                inward(poly, inside)
    assert seen > 1000 and holes > 20
    # A hole touching the outer ring at (-2, 0): beside it, the frame's inside is two wedges.
    touch = shapely.Polygon([(-2, -2), (2, -2), (2, 2), (-2, 2)], [[(-2, 0), (0, 1), (0, -1)]])
    dx, dy = inward(touch, (-2, 0))
    assert point_side([(-2 + hair * dx, hair * dy)], touch)[0] == 1


def test_inside_midpoints_across_thin_spikes():
    # A segment crossing two spikes 2e-30 wide: a midpoint in each, whose pieces of the
    # cells below and above are the spikes' parts there.
    w = Fraction(1, 10**30)
    spikes = [(-2, -2), (2, -2), (2, 0), (Fraction(1, 2) + w, 0), (Fraction(1, 2), 3)]
    spikes += [(Fraction(1, 2) - w, 0), (-Fraction(1, 2) + w, 0), (-Fraction(1, 2), 3)]
    spikes += [(-Fraction(1, 2) - w, 0), (-2, 0)]
    below, above = [(-3, -3), (3, -3), (3, 1), (-3, 1)], [(-3, 1), (3, 1), (3, 4), (-3, 4)]
    mids = inside_midpoints(spikes, (3, 1), (-3, 1))
    assert [float(x) for x, _ in mids] == [0.5, -0.5] and all(y == 1 for _, y in mids)
    assert cell_pieces(spikes, below).piece_at(mids).tolist() == [0, 0]  # one piece below
    tips = cell_pieces(spikes, above)
    assert len(tips) == 2 and sorted(tips.piece_at(mids).tolist()) == [0, 1]


def test_cell_pieces_match_geos_on_integer_polygons():
    # GEOS's overlay is exact on small integer coordinates; its pieces' points fall in
    # distinct exact pieces, and each exact piece's point is strictly inside both polygons.
    rng = np.random.default_rng(5)
    seen = Counter()
    for _ in range(1500):
        poly = integer_polygon(rng, 7, 9)
        cell = shapely.convex_hull(shapely.multipoints(rng.integers(0, 7, (5, 2)).astype(float)))
        if not (poly.is_valid and poly.area > 0 and cell.geom_type == "Polygon"):
            continue
        parts = shapely.get_parts(shapely.intersection(poly, cell))
        parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)]
        corners = np.asarray(shapely.orient_polygons(cell).exterior.coords)[:-1]
        pieces = cell_pieces(poly, corners)
        assert len(pieces) == len(parts), (poly.wkt, cell.wkt)
        if len(parts):
            assert np.all(point_side(pieces.points, poly) == 1)
            assert np.all(point_side(pieces.points, corners) == 1)
            found = pieces.piece_of(shapely.get_coordinates(shapely.point_on_surface(parts)))
            assert sorted(found.tolist()) == list(range(len(parts)))
        seen[len(parts)] += 1
    assert seen[0] > 30 and seen[1] > 500 and seen[2] > 60 and seen[3] > 0


def test_cell_pieces_by_hand():
    u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]  # a U
    box = [[0, 2], [3, 2], [3, 4], [0, 4]]
    pieces = cell_pieces(u, box)  # its two arms; the gap's walls are vertical edges
    assert len(pieces) == 2
    assert pieces.piece_of([[0.5, 2.5], [2.5, 2.5], [1.5, 2.5], [1, 2.5], [0.5, 3.5]]).tolist() == [
        pieces.piece_of([[0.5, 2.5]])[0],
        1 - pieces.piece_of([[0.5, 2.5]])[0],
        -1,
        -1,
        -1,
    ]
    vee = [[0, 0], [4, 0], [4, 4], [2, 2], [0, 4]]  # a V cut into a square's top
    top = [[0, 2], [4, 2], [4, 4], [0, 4]]
    assert len(cell_pieces(vee, top)) == 2  # two triangles meeting at (2, 2)
    raised = [[0, 0], [4, 0], [4, 4], [2, 2 + Fraction(1, 10**20)], [0, 4]]
    assert len(cell_pieces(raised, top)) == 1  # joined under the V's apex, 1e-20 high
    apex, below = [2, 2 + Fraction(1, 10**20)], [2, 2 + Fraction(1, 10**21)]
    assert cell_pieces(raised, top).piece_of([apex, below]).tolist() == [-1, 0]
    notch = [[0, 0], [4, 0], [4, Fraction(5, 2)], [2, 3], [4, Fraction(7, 2)], [4, 4], [0, 4]]
    pieces = cell_pieces(notch, top)  # a wedge from the right, its tip at (2, 3)
    assert len(pieces) == 1 and pieces.piece_of([[2, 3], [2, 2.9], [3, 3]]).tolist() == [-1, 0, -1]
    frame = shapely.box(0, 0, 6, 6).difference(shapely.box(2, 2, 4, 4))
    assert len(cell_pieces(frame, [[1, 1], [5, 1], [5, 5], [1, 5]])) == 1  # a ring around it
    assert len(cell_pieces(frame, [[1, 3], [5, 3], [5, 5], [1, 5]])) == 1  # one band, bent
    assert len(cell_pieces(frame, [[1, 2], [5, 2], [5, 4], [1, 4]])) == 2  # left and right
    eps = Fraction(1, 10**30)  # a cell reaching past the hole's edge by 1e-30
    assert len(cell_pieces(frame, [[2 - eps, 2], [4 + eps, 2], [4 + eps, 4], [2 - eps, 4]])) == 2


def test_rational_grid_points_are_strictly_inside():
    ell = shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    pts = rational_grid(ell, 10)
    assert len(pts) == 75 and np.all(point_side(pts, ell) == 1)
    tiny = rational_grid((0.0, 1e-7, 1e7, 1e7 + 1.0), 40)
    assert len(tiny) == 1600
    with pytest.raises(ValueError, match="positive int"):
        rational_grid((0, 1, 0, 1), 0)


# ---------------------------------------------------------------------- the strategies
@settings(max_examples=60, deadline=None, derandomize=True)
@given(model=testing.nets(), data=st.data())
def test_nets_are_small_float64_mlps(model, data):
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert 2 <= len(linears) <= 4 and all(m.out_features <= 6 for m in linears[:-1])
    assert all(isinstance(m, (nn.Linear, nn.ReLU, nn.LeakyReLU, nn.Hardtanh)) for m in model)
    assert not model.training


def test_adversarial_nets_reach_every_promised_feature():
    """Over a fixed set of draws: weights spanning 1e-8..1e8, duplicated rows (identical and
    scaled), integer weights, zero biases and every activation kind all occur."""
    seen: dict[str, bool] = dict.fromkeys(
        ["tiny", "huge", "duplicate", "scaled duplicate", "integer", "zero bias", "Hardtanh",
         "LeakyReLU", "through anchor"], False)  # fmt: skip
    anchors = np.array([[2.0, 2.0], [-2.0, 2.0]])

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(model=testing.nets(anchors=anchors))
    def look(model):
        for m in model:
            seen[type(m).__name__] = True
        for lin in [m for m in model if isinstance(m, nn.Linear)]:
            W, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
            w = np.abs(W[W != 0])
            seen["tiny"] |= bool(w.size and w.min() <= 1e-7)
            seen["huge"] |= bool(w.size and w.max() >= 1e7)
            seen["integer"] |= bool(np.all(W == np.round(W)) and np.abs(W).max() >= 1)
            seen["zero bias"] |= bool(np.all(b == 0))
            for i in range(len(W)):
                for j in range(i):
                    same = np.array_equal(W[i], W[j]) and W[i].any()
                    ratio = W[i] / np.where(W[j] == 0, np.nan, W[j])
                    r = ratio[np.isfinite(ratio)]
                    seen["duplicate"] |= bool(same)
                    seen["scaled duplicate"] |= bool(
                        not same and r.size == W.shape[1] and np.all(r == r[0]) and r[0] > 0
                    )
        first = model[0]
        W, b = first.weight.detach().numpy(), first.bias.detach().numpy()
        seen["through anchor"] |= bool(
            np.any(np.isclose(W @ anchors.T + b[:, None], 0) & (W != 0).any(1)[:, None])
        )

    look()
    assert all(seen.values()), seen


def test_planes_are_independent_and_cases_cut_far_domains():
    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(plane=testing.planes(5))
    def independent(plane):
        origin, (d1, d2) = plane
        assert len(origin) == len(d1) == len(d2) == 5
        assert np.linalg.matrix_rank(np.array([d1, d2])) == 2

    independent()
    counts = []

    @settings(max_examples=20, deadline=None, derandomize=True)
    @given(case=testing.cases(domain=testing.boxes(scales=(1.0,), centres=(1e7,)), max_layers=1))
    def far(case):
        net = regions.trace(case.model)
        xmin, xmax, ymin, ymax = case.domain
        corners = [[xmin, ymin], [xmax, ymax], [xmin, ymax], [xmax, ymin]]
        counts.append(len({tuple(r) for r in exact_signs(net, None, corners).tolist()}))

    far()
    assert max(counts) > 1  # some first-layer line crosses the unit box at 1e7


def test_testing_needs_hypothesis_and_regions_does_not_import_it(monkeypatch):
    package = Path(regions.__file__).parent
    for path in package.glob("*.py"):
        imported = {
            alias.name if isinstance(node, ast.Import) else f"{'.' * node.level}{node.module}"
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in (node.names if isinstance(node, ast.Import) else [node])
        }
        if path.name != "testing.py":
            assert not {"hypothesis", ".testing", "regions.testing"} & imported, path.name
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "regions.testing")
    with pytest.raises(ImportError, match=re.escape("pip install relu-regions[testing]")):
        importlib.import_module("regions.testing")
