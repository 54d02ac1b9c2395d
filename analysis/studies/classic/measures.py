"""The classic study's numbers for one trained net: accuracies and the exact partition.

:func:`evaluate` samples a net's P(class 1) on a grid (any net) and, for a piecewise-linear
net, decomposes it exactly: region counts and the exact misclassified area against the
known true boundary. No drawing here; :mod:`analysis.studies.classic.figures` draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import regions
from analysis.lab.data import Box, get_boundary
from analysis.lab.surfaces import Surface, grid_accuracy, misclassified_area, probability_grid
from analysis.lab.train import TrainResult

__all__ = ["GRID_RESOLUTION", "ResultRow", "evaluate"]

GRID_RESOLUTION = 200  # points per axis of the probability grid (heat maps, grid accuracy)


@dataclass(frozen=True)
class ResultRow:
    """Numbers for one trained net.

    Attributes
    ----------
    experiment, boundary, setting : str
        Which net: experiment name, true boundary name and column label (one line).
    test_acc : float
        Accuracy on the clean test set after the last epoch, in [0, 1].
    grid_acc : float
        Fraction of the 200 x 200 grid over the box classified correctly, in [0, 1].
    n_regions : int or None
        Exact number of activation regions in the box; None if not piecewise linear.
    n_linear_regions : int or None
        Regions left after merging neighbours with the same affine map.
    misclassified_area : float or None
        Exact area (squared input units) where the predicted class is wrong.
    misclassified_fraction : float or None
        ``misclassified_area`` over the box area, in [0, 1].
    train_seconds : float or None
        Wall time of the training run that produced the cached weights, in seconds.

    Examples
    --------
    Rows come from :func:`evaluate`; for a net that is not piecewise linear the exact
    measures are None:

    >>> import dataclasses
    >>> from analysis.studies.classic.measures import ResultRow
    >>> row = ResultRow(experiment="activation", boundary="line", setting="tanh",
    ...                 test_acc=0.98, grid_acc=0.975, n_regions=None, n_linear_regions=None,
    ...                 misclassified_area=None, misclassified_fraction=None, train_seconds=1.5)
    >>> [f.name for f in dataclasses.fields(row)][3:5], row.n_regions is None
    (['test_acc', 'grid_acc'], True)
    """

    experiment: str
    boundary: str
    setting: str
    test_acc: float
    grid_acc: float
    n_regions: int | None
    n_linear_regions: int | None
    misclassified_area: float | None
    misclassified_fraction: float | None
    train_seconds: float | None


def evaluate(
    result: TrainResult, *, experiment: str, setting: str, box: Box
) -> tuple[Surface, regions.Partition | None, ResultRow]:
    """Probability grid, accuracies and (if piecewise linear) exact partition of one net.

    Parameters
    ----------
    result
        The trained (or cached) net; its config names the true boundary.
    experiment, setting
        Labels for the result row (the setting is joined onto one line).
    box
        ``(xmin, xmax, ymin, ymax)`` of the grid and the partition.

    Returns
    -------
    (Surface, Partition or None, ResultRow)
        The probability grid (``GRID_RESOLUTION`` x ``GRID_RESOLUTION`` points), the exact
        partition (None for a net that is not piecewise linear) and the numbers.

    Examples
    --------
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.sgd import TrainConfig
    >>> from analysis.lab.train import train
    >>> from analysis.studies.classic.measures import evaluate
    >>> from analysis.studies.depth_width.bounds import one_layer_max
    >>> config = TrainConfig("abs", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> surface, part, row = evaluate(train(config, progress=False), experiment="demo",
    ...                               setting="1 ×   4", box=(-2, 2, -2, 2))
    >>> row.experiment, row.boundary, row.setting  # labels on one line, single-spaced
    ('demo', 'abs', '1 × 4')
    >>> surface.P.shape, len(part) == row.n_regions <= one_layer_max(4)
    ((200, 200), True)
    >>> abs(row.misclassified_area - 16 * row.misclassified_fraction) < 1e-12  # box area 16
    True
    >>> 0.0 <= row.grid_acc <= 1.0 and row.train_seconds >= 0
    True
    """
    boundary = get_boundary(result.config.dataset)
    surface = probability_grid(result.model, box, GRID_RESOLUTION)
    part = None
    n_regions = n_linear = area = fraction = None
    if regions.is_piecewise_linear(result.model):
        part = regions.decompose(result.model, domain=box)
        n_regions = len(part)
        n_linear = part.linear_regions().n
        error = misclassified_area(part, boundary, box)
        area, fraction = error.area, error.fraction
    row = ResultRow(
        experiment=experiment,
        boundary=boundary.name,
        setting=" ".join(setting.split()),
        test_acc=float(result.history.test_acc[-1]),
        grid_acc=grid_accuracy(surface, boundary),
        n_regions=n_regions,
        n_linear_regions=n_linear,
        misclassified_area=area,
        misclassified_fraction=fraction,
        train_seconds=result.train_seconds,
    )
    return surface, part, row
