"""What a trained net predicts over the input box, and how far that is from the truth.

Two views of the same question: :func:`probability_grid` samples P(class 1) on a regular
grid (for any net, smooth or not), :func:`misclassified_area` measures the exact area the
net gets wrong (piecewise-linear nets only, from their exact partition). No plotting here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
import torch

from analysis.data import DEFAULT_BOX, Box
from analysis.models import predict_proba

if TYPE_CHECKING:
    from analysis.data import Boundary
    from regions import Partition


@dataclass(frozen=True, eq=False)
class Surface:
    """P(class 1) of a net sampled on a regular grid.

    Attributes
    ----------
    xs : ndarray, shape (res,)
        Grid abscissae, from ``box[0]`` to ``box[1]`` inclusive.
    ys : ndarray, shape (res,)
        Grid ordinates, from ``box[2]`` to ``box[3]`` inclusive.
    P : ndarray, shape (res, res), float64
        ``P[i, j]`` is P(class 1) at ``(xs[j], ys[i])`` (rows follow y, as for ``imshow``
        with ``origin='lower'`` and for ``contour(xs, ys, P)``). Values lie in [0, 1].
    """

    xs: np.ndarray
    ys: np.ndarray
    P: np.ndarray

    @property
    def box(self) -> Box:
        """The sampled box ``(xmin, xmax, ymin, ymax)``."""
        return (float(self.xs[0]), float(self.xs[-1]), float(self.ys[0]), float(self.ys[-1]))

    @property
    def points(self) -> np.ndarray:
        """Grid points in the row-major order of ``P.ravel()``, shape (res * res, 2)."""
        X, Y = np.meshgrid(self.xs, self.ys)
        return np.column_stack([X.ravel(), Y.ravel()])

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class (1 where P > 0.5, as argmax of two logits), shape (res, res)."""
        return (self.P > 0.5).astype(np.int64)


@dataclass(frozen=True)
class MisclassifiedArea:
    """Exact area where a net's predicted class differs from the true class.

    Attributes
    ----------
    area : float
        Area of the symmetric difference between predicted and true positive sets, in
        squared input units.
    fraction : float
        ``area`` divided by the area of the box, in [0, 1].
    """

    area: float
    fraction: float


def probability_grid(
    model: torch.nn.Module, box: Box = DEFAULT_BOX, resolution: int = 200
) -> Surface:
    """Sample P(class 1) of ``model`` on a ``resolution`` x ``resolution`` grid over ``box``.

    The net is evaluated in eval mode (dropout off, batch-norm running statistics) by
    :func:`analysis.models.predict_proba`, which restores every submodule's mode after.

    Parameters
    ----------
    model
        A two-input, two-logit classifier such as :class:`analysis.models.MLP`.
    box
        ``(xmin, xmax, ymin, ymax)``; the grid includes the edges.
    resolution
        Grid points per axis, at least 2.

    Returns
    -------
    Surface
        The sampled probabilities, float64 in [0, 1].
    """
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    xs = np.linspace(box[0], box[1], resolution)
    ys = np.linspace(box[2], box[3], resolution)
    X, Y = np.meshgrid(xs, ys)
    P = predict_proba(model, np.column_stack([X.ravel(), Y.ravel()]))
    P = np.asarray(P, dtype=np.float64).reshape(resolution, resolution)
    return Surface(xs=xs, ys=ys, P=P)


def grid_accuracy(surface: Surface, boundary: Boundary) -> float:
    """Fraction of grid points of ``surface`` whose predicted class is the true label.

    A resolution-limited estimate of ``1 - misclassified_area(...).fraction`` that also
    works for nets without an exact partition (sigmoid, tanh, ...).
    """
    truth = np.asarray(boundary.labels(surface.points)).reshape(surface.P.shape)
    return float(np.mean(surface.predicted == truth))


def misclassified_area(partition: Partition, boundary: Boundary, box: Box) -> MisclassifiedArea:
    """Exact area of the box where the net behind ``partition`` predicts the wrong class.

    The predicted positive set comes from the exact partition; the true one from
    ``boundary.positive_region(box)``, which is exact for straight boundaries and a dense
    polygon for curved ones. Both are restricted to ``box``.

    Parameters
    ----------
    partition
        Exact partition of a piecewise-linear net, covering ``box``.
    boundary
        The true class boundary.
    box
        ``(xmin, xmax, ymin, ymax)``.

    Returns
    -------
    MisclassifiedArea
        Area of the symmetric difference and its fraction of the box area.
    """
    xmin, xmax, ymin, ymax = box
    domain = shapely.box(xmin, ymin, xmax, ymax)
    predicted = shapely.intersection(partition.predicted_region(1), domain)
    truth = boundary.positive_region(box)
    area = float(shapely.symmetric_difference(predicted, truth).area)
    return MisclassifiedArea(area=area, fraction=area / float(domain.area))
