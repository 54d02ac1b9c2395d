"""Folding pictures of the hand-built folding net (analysis.folding_pictures)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from matplotlib.figure import Figure

import regions
from analysis.folding_pictures import (
    DISC_SIDES,
    HOLE_CENTRE,
    HOLE_RADIUS,
    fold_readout,
    folded_images,
    folding_figure,
    folding_partition,
    hole_figure,
    hole_preimage,
    position_colors,
)
from regions.constructions import folding_net

P = 2


@pytest.fixture(scope="module")
def part() -> regions.Partition:
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
def test_every_region_covers_the_square(part: regions.Partition, k: int) -> None:
    fold = folded_images(part, k)
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
def test_hole_preimage_is_replicated(part: regions.Partition, k: int) -> None:
    pre = hole_preimage(folded_images(part, k))
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


def test_hole_on_a_fold_merges_copies(part: regions.Partition) -> None:
    # Beyond folded x = 1 the disc is cut by the fold at x = 1/2: mirror pieces join.
    pre = hole_preimage(folded_images(part, 1), centre=(0.95, 0.62))
    assert len(pre.components) == 2


def test_position_colors_are_rgb_and_distinct() -> None:
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]])
    rgb = position_colors(corners)
    assert rgb.shape == (5, 3)
    assert np.all((rgb >= 0) & (rgb <= 1))
    gaps = np.linalg.norm(rgb[:, None] - rgb[None], axis=2)
    assert gaps[~np.eye(5, dtype=bool)].min() > 0.15


@pytest.mark.parametrize("build", [folding_figure, hole_figure])
def test_figures_have_labelled_panels(part: regions.Partition, build) -> None:
    fig = build(part)
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 4
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert fig.get_suptitle()
