"""Probability grids, grid accuracy and exact misclassified area (analysis.lab.surfaces)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import regions
from analysis.lab.data import get_boundary
from analysis.lab.models import MLP
from analysis.lab.surfaces import grid_accuracy, misclassified_area, probability_grid
from regions import DEFAULT_BOX

BOX = DEFAULT_BOX  # [-2, 2]^2, area 16


def line_net(shift: float = 0.0, k: float = 3.0) -> MLP:
    """A ReLU net whose logit difference is exactly ``k * (y - x - shift)``.

    Hidden units ``relu(+-k (y - x - shift))``; logit 1 takes the first, logit 0 the second.
    """
    model = MLP(hidden=(2,), seed=0)
    with torch.no_grad():
        model.blocks[0].linear.weight.copy_(torch.tensor([[-k, k], [k, -k]]))
        model.blocks[0].linear.bias.copy_(torch.tensor([-k * shift, k * shift]))
        model.output.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
        model.output.bias.zero_()
    return model


def strip_area(shift: float, half: float = 2.0) -> float:
    """Area of the square [-half, half]^2 between the lines y = x and y = x + shift."""
    side = 2 * half
    return side**2 / 2 - (side - abs(shift)) ** 2 / 2


def test_probability_grid_shape_range_and_orientation() -> None:
    model = line_net()
    surface = probability_grid(model, BOX, resolution=31)
    assert surface.xs.shape == surface.ys.shape == (31,)
    assert surface.P.shape == (31, 31)
    assert surface.P.dtype == np.float64
    assert np.all((surface.P >= 0) & (surface.P <= 1))
    assert surface.box == BOX
    # P[i, j] belongs to (xs[j], ys[i]): class 1 lies above the diagonal y > x.
    assert surface.P[-1, 0] > 0.99 and surface.P[0, -1] < 0.01
    assert surface.points.shape == (31 * 31, 2)
    np.testing.assert_array_equal(surface.points[1], [surface.xs[1], surface.ys[0]])


def test_probability_grid_uses_eval_mode_and_restores_training_mode() -> None:
    model = MLP(hidden=(8, 8), keep_prob=0.5, batch_norm=True, seed=1)
    model.train()
    first = probability_grid(model, BOX, resolution=16)
    second = probability_grid(model, BOX, resolution=16)
    np.testing.assert_array_equal(first.P, second.P)  # no dropout noise
    assert model.training and all(m.training for m in model.modules())


def test_probability_grid_rejects_tiny_resolution() -> None:
    with pytest.raises(ValueError, match="resolution"):
        probability_grid(line_net(), BOX, resolution=1)


def test_exact_net_has_zero_misclassified_area_and_perfect_grid_accuracy() -> None:
    boundary = get_boundary("line")
    model = line_net()
    error = misclassified_area(regions.decompose(model, domain=BOX), boundary, BOX)
    assert error.area == pytest.approx(0.0, abs=1e-9)
    assert error.fraction == pytest.approx(0.0, abs=1e-9)
    # Off the diagonal (f = 0, where float32 rounding decides the tie) the grid agrees.
    surface = probability_grid(model, BOX, resolution=101)
    wrong = surface.predicted.ravel() != boundary.labels(surface.points)
    assert np.all(boundary.f(surface.points[wrong]) == 0.0)
    assert grid_accuracy(surface, boundary) >= 1.0 - 1.0 / 101


@pytest.mark.parametrize("shift", [0.5, -0.5, 1.25])
def test_shifted_boundary_misclassifies_the_strip_between_the_lines(shift: float) -> None:
    boundary = get_boundary("line")
    model = line_net(shift)
    error = misclassified_area(regions.decompose(model, domain=BOX), boundary, BOX)
    expected = strip_area(shift)  # shift 0.5: 8 - 3.5^2 / 2 = 1.875
    assert error.area == pytest.approx(expected, rel=1e-9)
    assert error.fraction == pytest.approx(expected / 16.0, rel=1e-9)
    # The grid estimate converges to the exact value; at 201 points per axis (spacing 0.02)
    # the strip's two edges move it by well under 1% of the box.
    accuracy = grid_accuracy(probability_grid(model, BOX, resolution=201), boundary)
    assert accuracy == pytest.approx(1.0 - error.fraction, abs=0.01)


def test_grid_accuracy_matches_a_direct_count() -> None:
    boundary = get_boundary("ellipse")
    surface = probability_grid(MLP(hidden=(6, 6), seed=3), BOX, resolution=40)
    predicted = (surface.P > 0.5).ravel()
    expected = np.mean(predicted == (boundary.f(surface.points) > 0))
    assert grid_accuracy(surface, boundary) == pytest.approx(expected)
