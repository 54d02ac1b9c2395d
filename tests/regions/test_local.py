"""Local complexity: local_counts against brute force, exactly on ties, and its errors."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import shapely
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import regions
from regions.constructions import line_arrangement

F = Fraction


def _exact_dist2_below(p: np.ndarray, poly: np.ndarray, r: float) -> bool:
    """dist(p, convex CCW polygon)^2 < r^2, all in rationals (the definition, by brute force)."""
    px, py = F(float(p[0])), F(float(p[1]))
    verts = [(F(float(x)), F(float(y))) for x, y in poly]
    edges = list(zip(verts, verts[1:] + verts[:1], strict=True))
    if all((bx - ax) * (py - ay) - (by - ay) * (px - ax) >= 0 for (ax, ay), (bx, by) in edges):
        return True  # inside or on the boundary: distance 0
    best = None
    for (ax, ay), (bx, by) in edges:
        ux, uy = bx - ax, by - ay
        t = ((px - ax) * ux + (py - ay) * uy) / (ux * ux + uy * uy)
        t = min(max(t, F(0)), F(1))
        dx, dy = px - ax - t * ux, py - ay - t * uy
        d2 = dx * dx + dy * dy
        best = d2 if best is None else min(best, d2)
    return best < F(r) ** 2


def _exact_counts(part: regions.Partition, points: np.ndarray, r: float) -> list[int]:
    return [sum(_exact_dist2_below(p, poly, r) for poly in part.polygons) for p in points]


def _random_net(seed: int, width: int, depth: int) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(seed)
    layers: list[torch.nn.Module] = []
    n_in = 2
    for _ in range(depth):
        linear = torch.nn.Linear(n_in, width).double()
        with torch.no_grad():
            linear.weight.copy_(torch.randn(width, n_in, generator=gen, dtype=torch.float64))
            linear.bias.copy_(0.5 * torch.randn(width, generator=gen, dtype=torch.float64))
        layers += [linear, torch.nn.ReLU()]
        n_in = width
    return torch.nn.Sequential(*layers, torch.nn.Linear(n_in, 2).double())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    width=st.integers(1, 5),
    depth=st.integers(1, 2),
    radius=st.floats(0.01, 1.5),
    n_points=st.integers(1, 12),
)
def test_counts_equal_exact_brute_force(
    seed: int, width: int, depth: int, radius: float, n_points: int
) -> None:
    part = regions.decompose(_random_net(seed, width, depth), (-1, 1, -1, 1))
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1.6, 1.6, (n_points, 2))  # some discs reach past the domain
    points[: n_points // 3] = part.vertices[rng.integers(0, len(part.vertices), n_points // 3)]
    assert part.local_counts(points, radius).tolist() == _exact_counts(part, points, radius)


@settings(max_examples=25, deadline=None)
@given(
    a=st.integers(-3, 3),
    b=st.integers(-3, 3),
    c=st.integers(-3, 3),
    radius=st.sampled_from([0.25, 0.5, 0.75, 1.0, 1.25]),
)
def test_ties_on_a_quarter_grid(a: int, b: int, c: int, radius: float) -> None:
    """Lines with small integer coefficients and centres on a grid of quarters: the distance
    often equals the radius exactly, where the open disc must not count the region."""
    normals = [[1, 0], [0, 1], [1, 1] if (a, b) == (0, 0) else [a, b]]
    part = regions.decompose(line_arrangement(normals, [0.5, -0.25, float(c) / 4]), (-2, 2, -2, 2))
    g = np.arange(-10, 11) / 4
    points = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)[::7]
    assert part.local_counts(points, radius).tolist() == _exact_counts(part, points, radius)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), radius=st.floats(0.05, 1.0))
def test_counts_equal_shapely_distance_on_a_non_convex_domain(seed: int, radius: float) -> None:
    """Regions clipped to an L with a hole: shapely's float distance per point and polygon
    agrees at every centre none of whose distances is within 1e-9 of the radius."""
    ell = shapely.Polygon(
        [(-1, -1), (1, -1), (1, 0), (0, 0), (0, 1), (-1, 1)],
        holes=[[(-0.6, -0.6), (-0.3, -0.6), (-0.3, -0.3), (-0.6, -0.3)]],
    )
    part = regions.decompose(_random_net(seed, 4, 2), ell)
    points = np.random.default_rng(seed).uniform(-1.3, 1.3, (20, 2))
    polys = part.to_shapely()
    dist = shapely.distance(shapely.points(points)[:, None], polys[None, :])
    clear = (np.abs(dist - radius) > 1e-9).all(axis=1)
    got = part.local_counts(points, radius)
    assert clear.sum() >= 10
    assert got[clear].tolist() == (dist[clear] < radius).sum(axis=1).tolist()


class _Squares:
    """The four squares of side ``scale`` around the origin, as a partition's polygons."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def to_shapely(self) -> np.ndarray:
        s = self.scale
        return shapely.box([0, -s, -s, 0], [0, 0, -s, -s], [s, 0, 0, s], [s, s, 0, 0])


def test_examples_and_density() -> None:
    part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    # Touching from outside does not count, at any scale of the coordinates (four squares
    # around the origin given directly: decompose itself needs a box wider than 1e-10).
    for scale in (1e-140, 1e-100, 1.0, 1e100, 1e150):  # the extremes leave the float filter
        squares = _Squares(scale)
        centre = np.array([[0.5 * scale, 0.2 * scale]])
        assert regions.local_counts(squares, centre, 0.2 * scale).tolist() == [1]
        assert regions.local_counts(squares, centre, np.nextafter(0.2 * scale, 1e300)).tolist() == [
            2
        ]
    density = part.local_density([[0.0, 0.0], [0.5, 0.5]], 0.25)
    assert density.tolist() == [4 / (math.pi * 0.0625), 1 / (math.pi * 0.0625)]
    assert part.local_counts(np.zeros((0, 2)), 0.3).shape == (0,)
    assert np.array_equal(
        part.local_counts([[0.1, 0.3]], 0.2), regions.local_counts(part, [[0.1, 0.3]], 0.2)
    )


@pytest.mark.parametrize(
    ("points", "radius", "message"),
    [
        ([0.0, 0.0], 0.1, r"points must have shape \(N, 2\)"),
        ([[0.0, np.nan]], 0.1, "points must be finite"),
        ([[0.0, 0.0]], 0.0, "radius must be a finite number > 0"),
        ([[0.0, 0.0]], math.inf, "radius must be a finite number > 0"),
        ([[0.0, 0.0]], "1", "radius must be a finite number > 0, got str"),
        ([[0.0, 0.0]], True, "radius must be a finite number > 0, got bool"),
    ],
)
def test_bad_input(points: object, radius: float, message: str) -> None:
    part = regions.decompose(line_arrangement([[1, 0]], [0]), (-1, 1, -1, 1))
    with pytest.raises(ValueError, match=f"regions.local: {message}"):
        part.local_counts(points, radius)
    with pytest.raises(ValueError, match=f"regions.local: {message}"):
        regions.local_density(part, points, radius)


def test_a_model_for_a_partition_is_refused_by_name() -> None:
    model = line_arrangement([[1, 0]], [0])
    with pytest.raises(TypeError, match="part must be a Partition .* got Sequential; decompose"):
        regions.local_counts(model, [[0.0, 0.0]], 0.5)


def test_a_radius_near_the_largest_float_counts_every_region_quietly() -> None:
    part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert part.local_counts([[0.0, 0.0], [5.0, 5.0]], 1.7e308).tolist() == [4, 4]
