"""Region and class polygons on non-convex domains whose boundary runs along a breakpoint line
or the decision boundary: rounding must leave no spike along the shared stretch."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import regions
from regions.clipping import without_spikes
from regions.constructions import line_arrangement
from regions.exact_geometry import cell_pieces, point_side

_STEP = Fraction(1, 10**6)  # from a vertex into its polygon, far beyond rounding


def _inward_points(geom: shapely.Geometry) -> list[tuple[Fraction, Fraction]]:
    """For each vertex of each ring, a point _STEP from it along the bisector of its two
    edges' left normals (rings oriented with the interior on the left): inside the polygon
    near the vertex, unless the vertex is the tip of a spike (its edges double back)."""
    out = []
    for part in shapely.get_parts(shapely.orient_polygons(geom)):
        for ring in [part.exterior, *part.interiors]:
            xy = [tuple(map(Fraction, p)) for p in np.asarray(ring.coords)[:-1]]
            for i, v in enumerate(xy):
                u, w = xy[i - 1], xy[(i + 1) % len(xy)]
                d = [0.0, 0.0]
                for a, b in ((u, v), (v, w)):  # left normals, of unit length in floats
                    ex, ey = float(b[0] - a[0]), float(b[1] - a[1])
                    n = np.hypot(ex, ey)
                    d[0] -= ey / n
                    d[1] += ex / n
                size = np.hypot(*d)
                step = [Fraction(c / size) * _STEP if size > 1e-3 else 0 for c in d]
                out.append((v[0] + step[0], v[1] + step[1]))
    return out


def _all_inside(geom, domain, side) -> bool:
    """Whether every vertex of ``geom`` has a point strictly inside the exact region near it:
    strictly inside the domain, and ``side(point) > 0``."""
    points = _inward_points(geom)
    inside = point_side(points, domain) == 1
    return bool(inside.all()) and all(side(p) > 0 for p in points)


@st.composite
def along_an_edge(draw):
    """A domain whose slanted inner edge lies on the line ``a . x + c = 0``, which crosses the
    domain's outer edges at points floats may not hold; all moved by a signed permutation."""
    p = draw(st.sampled_from([1, 2, 4, 5, 7, 10, 11]))
    k = draw(st.integers(1, 3))
    x, y = 1 + 3 * k, 1 + p * k  # the line p x - 3 y + 3 - p = 0 through (1, 1) and (x, y)
    top = max(y, 4) + 1
    ring = np.array([(0, 0), (x, 0), (x, y), (1, 1), (1, top), (0, top)], dtype=float)
    a, c = np.array([p, -3.0]), 3.0 - p
    m = np.array(draw(st.sampled_from([[[1, 0], [0, 1]], [[0, 1], [1, 0]]])), dtype=float)
    m = m * np.array(draw(st.sampled_from([[1, 1], [-1, 1], [1, -1], [-1, -1]])))[:, None]
    return shapely.Polygon(ring @ m.T), m @ a, c


def _affine_side(a: np.ndarray, c: float, sign: int):
    return lambda q: sign * (Fraction(a[0]) * q[0] + Fraction(a[1]) * q[1] + Fraction(c))


@settings(max_examples=60, deadline=None)
@given(along_an_edge())
def test_region_polygons_along_a_domain_edge_have_no_spike(case):
    domain, a, c = case
    part = regions.decompose(line_arrangement(a[None], np.array([c])), domain)
    assert len(part) == 2
    for geom, on in zip(part.to_shapely(), part.patterns[:, 0], strict=True):
        assert _all_inside(geom, domain, _affine_side(a, c, 1 if on else -1)), geom.wkt


@settings(max_examples=60, deadline=None)
@given(along_an_edge())
def test_predicted_regions_along_a_domain_edge_have_no_spike(case):
    domain, a, c = case
    # relu(x + 100), relu(y + 100) are on everywhere: the logit is a . x + c.
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2, dtype=torch.float64))
        model[0].bias.fill_(100.0)
        model[2].weight.copy_(torch.tensor(a[None], dtype=torch.float64))
        model[2].bias.fill_(c - 100.0 * a.sum())
    part = regions.decompose(model, domain)
    for cls, sign in ((1, 1), (0, -1)):
        region = part.predicted_region(cls)
        assert _all_inside(region, domain, _affine_side(a, c, sign)), (cls, region.wkt)


def test_the_judge_finds_the_spike():
    # The class 0 region of the seed case as float clipping gave it: the stretch from (1, 1)
    # to (4, 2) is the domain's edge and the decision boundary both, and the float boundary
    # from (0, 2/3) rounded down runs just inside the domain along it.
    domain = shapely.Polygon([(0, 0), (4, 0), (4, 2), (1, 1), (1, 4), (0, 4)])
    spiky = shapely.Polygon([(0, 4), (1, 4), (1, 1), (4, 2), (0, 2 / 3), (0, 4)])
    side = _affine_side(np.array([1.0, -3.0]), 2.0, -1)
    assert not _all_inside(spiky, domain, side)
    exact = cell_pieces(domain, [(0, Fraction(2, 3)), (4, 2), (4, 4), (0, 4)]).closures()
    fixed = without_spikes(spiky, exact, 1e-9)
    assert _all_inside(fixed, domain, side)
    assert fixed.bounds == (0.0, 2 / 3, 1.0, 4.0)


def test_a_needle_far_from_every_exact_piece_is_no_spike_of_a_thin_true_region():
    # Vertices within reach of an exact piece stay, however sharp the corner: a true
    # needle of width 1e-12 keeps its tip.
    needle = shapely.Polygon([(0, 0), (10, 1e-12), (0, 2e-12)])
    closure = np.array([needle])
    assert without_spikes(needle, closure, 1e-15).equals_exact(needle, 0)
