"""Exact folding views of trained-style nets (analysis.folding_views) and the chi study
(analysis.folding_chi)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from torch import nn

import regions
from analysis.folding import folding_distribution, random_segments
from analysis.folding_chi import ChiJob, ChiStudy, chi_by_layer, summarize
from analysis.folding_views import (
    bowl_figure,
    colored_images,
    fold_groups_figure,
    images_figure,
    warped_grid,
    wheel_colors,
)
from tests.analysis.test_folding import BOX, random_net


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
        assert ci.colors.shape == (len(ci.pieces), 3)


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


def test_wheel_colors_hue_follows_direction():
    xy = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [0.0, 0.0]])
    c = wheel_colors(xy, (-1, 1, -1, 1))
    assert np.all((c >= 0) & (c <= 1))
    assert len({tuple(row) for row in c.round(3)}) == 5
    np.testing.assert_allclose(c[-1], 0.95)  # the centre is white-ish (no saturation)


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
def test_chi_by_layer_rows_are_truncated_nets():
    model = random_net((6, 5, 4), 4)
    part = regions.decompose(model, BOX)
    segments = random_segments(30, BOX, seed=1)
    chi = chi_by_layer(part, segments)
    assert chi.shape == (3, 30)
    np.testing.assert_array_equal(chi[0], 0.0)  # one layer never folds
    np.testing.assert_allclose(chi[-1], folding_distribution(part, segments))
    np.testing.assert_allclose(chi[1], folding_distribution(part.at_depth(2), segments))


def test_chi_jobs_and_summary():
    study = ChiStudy()
    quick = study.jobs(quick=True)
    full = study.jobs(quick=False)
    assert len(quick) < len(full)
    assert {j.n_segments for j in quick} == {100}
    # Matched budgets: every net of one budget is within 5 % of it.
    for job in full:
        n = sum((a + 1) * b for a, b in zip((2, *job.hidden), (*job.hidden, 2), strict=True))
        assert abs(n - job.budget) <= 0.05 * job.budget
    job = ChiJob((3,), seed=0, bias_std=0.5, n_segments=10, budget=20)
    row = summarize(job, job.run(None))
    assert row.mean_chi == 0.0 and row.folded == 0.0 and row.budget == 20
