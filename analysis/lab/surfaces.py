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

from analysis.lab.data import Box
from analysis.lab.models import predict_proba
from regions import DEFAULT_BOX

if TYPE_CHECKING:
    from analysis.lab.data import Boundary
    from regions import Partition

__all__ = [
    "MisclassifiedArea",
    "Surface",
    "grid_accuracy",
    "misclassified_area",
    "probability_grid",
]


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

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Linear(2, 2)  # logits (0, y - x): predicts class 1 exactly where y > x
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[0.0, 0.0], [-1.0, 1.0]]))
    ...     _ = net.bias.zero_()
    >>> from analysis.lab.surfaces import probability_grid
    >>> surface = probability_grid(net, box=(-1, 1, 0, 2), resolution=3)
    >>> surface.xs.tolist(), surface.ys.tolist(), surface.box
    ([-1.0, 0.0, 1.0], [0.0, 1.0, 2.0], (-1.0, 1.0, 0.0, 2.0))
    >>> surface.points.shape  # (res * res, 2), in the row-major order of P
    (9, 2)
    >>> surface.predicted.tolist()  # rows follow y: 1 where y > x
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
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

    Examples
    --------
    >>> from analysis.lab.surfaces import MisclassifiedArea
    >>> error = MisclassifiedArea(area=4.0, fraction=4.0 / 16.0)  # in the box [-2, 2]^2
    >>> error.area, error.fraction
    (4.0, 0.25)

    See :func:`misclassified_area` for how it is computed.
    """

    area: float
    fraction: float


def probability_grid(
    model: torch.nn.Module, box: Box = DEFAULT_BOX, resolution: int = 200
) -> Surface:
    """Sample P(class 1) of ``model`` on a ``resolution`` x ``resolution`` grid over ``box``.

    The net is evaluated in eval mode (dropout off, batch-norm running statistics) by
    :func:`analysis.lab.models.predict_proba`, which restores every submodule's mode after.

    Parameters
    ----------
    model
        A two-input, two-logit classifier such as :class:`analysis.lab.models.MLP`.
    box
        ``(xmin, xmax, ymin, ymax)``; the grid includes the edges.
    resolution
        Grid points per axis, at least 2.

    Returns
    -------
    Surface
        The sampled probabilities, float64 in [0, 1], shape ``(resolution, resolution)``.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Linear(2, 2)  # logits (0, y - x): predicts class 1 exactly where y > x
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[0.0, 0.0], [-1.0, 1.0]]))
    ...     _ = net.bias.zero_()
    >>> from analysis.lab.surfaces import probability_grid
    >>> surface = probability_grid(net, resolution=5)  # default box [-2, 2]^2
    >>> surface.P.shape, surface.P.dtype, surface.xs.tolist()
    ((5, 5), dtype('float64'), [-2.0, -1.0, 0.0, 1.0, 2.0])
    >>> surface.P.diagonal().tolist()  # on the line y = x the logits tie
    [0.5, 0.5, 0.5, 0.5, 0.5]
    >>> round(float(surface.P[4, 0]), 4)  # P(class 1) at (x, y) = (-2, 2): sigmoid(4)
    0.982
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

    Parameters
    ----------
    surface : Surface
        A sampled prediction surface (:func:`probability_grid`).
    boundary : Boundary
        The true class boundary.

    Returns
    -------
    float
        Fraction in [0, 1] of the ``res * res`` grid points classified correctly; points
        on the true boundary count as class 0, as in :meth:`Boundary.labels`.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Linear(2, 2)  # logits (0, y - x): predicts class 1 exactly where y > x
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[0.0, 0.0], [-1.0, 1.0]]))
    ...     _ = net.bias.zero_()
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.surfaces import grid_accuracy, probability_grid
    >>> surface = probability_grid(net, resolution=101)
    >>> grid_accuracy(surface, get_boundary("line"))
    1.0
    >>> round(grid_accuracy(surface, get_boundary("abs")), 2)  # exact: 1 - 4 / 16
    0.75
    """
    truth = np.asarray(boundary.labels(surface.points)).reshape(surface.P.shape)
    return float(np.mean(surface.predicted == truth))


def misclassified_area(part: Partition, boundary: Boundary, box: Box) -> MisclassifiedArea:
    """Exact area of the box where the net behind ``part`` predicts the wrong class.

    The predicted positive set comes from the exact partition; the true one from
    ``boundary.positive_region(box)``, which is exact for straight boundaries and a dense
    polygon for curved ones. Both are restricted to ``box``.

    Parameters
    ----------
    part
        Exact partition of a piecewise-linear net, covering ``box``.
    boundary
        The true class boundary.
    box
        ``(xmin, xmax, ymin, ymax)``.

    Returns
    -------
    MisclassifiedArea
        Area of the symmetric difference (squared input units) and its fraction of the box
        area.

    Examples
    --------
    A net predicting class 1 exactly where ``y > x`` is right everywhere for the ``line``
    boundary and wrong on the triangle ``x < y <= -x`` (area 4) for ``abs``:

    >>> import torch
    >>> net = torch.nn.Linear(2, 2)  # logits (0, y - x): predicts class 1 exactly where y > x
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[0.0, 0.0], [-1.0, 1.0]]))
    ...     _ = net.bias.zero_()
    >>> import regions
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.surfaces import misclassified_area
    >>> box = (-2.0, 2.0, -2.0, 2.0)
    >>> part = regions.decompose(net, domain=box)
    >>> misclassified_area(part, get_boundary("line"), box)
    MisclassifiedArea(area=0.0, fraction=0.0)
    >>> misclassified_area(part, get_boundary("abs"), box)
    MisclassifiedArea(area=4.0, fraction=0.25)
    """
    xmin, xmax, ymin, ymax = box
    domain = shapely.box(xmin, ymin, xmax, ymax)
    predicted = shapely.intersection(part.predicted_region(1), domain)
    truth = boundary.positive_region(box)
    area = float(shapely.symmetric_difference(predicted, truth).area)
    return MisclassifiedArea(area=area, fraction=area / float(domain.area))
