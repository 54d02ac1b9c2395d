"""Depth versus width: exact region counts against the theoretical bounds (experiment 4).

The claim under test: the *maximum* number of linear regions grows exponentially with depth
but only polynomially with width (Montufar et al. 2014; Serra et al. 2018), so depth is the
more parameter-efficient way to buy regions; yet random and trained nets come nowhere near
those maxima, their region density growing like the number of neurons squared whatever the
depth (Hanin & Rolnick 2019).

Every count is exact (:mod:`regions`), on the data box [-2, 2]^2 unless stated. The work is a
list of :class:`~analysis.sweeps.Job` s run by :func:`analysis.sweeps.run_sweep`, one JSON
result per job under ``<cache>/sweeps/depth-vs-width/``; trained weights go to the lab's model
cache. A rerun therefore only redraws.

Initialisation
--------------
He-normal weights and biases drawn from N(0, ``INIT_BIAS_STD``^2). Zero biases (the lab's
default) put every first-layer breakpoint line through the origin: a fan of ``n`` lines with
``2 n`` regions, a degenerate start. Hanin & Rolnick (2019) draw biases with variance 1e-6 for
that reason, but on a box centred at the origin that still puts every first-layer line within
about 1e-3 of it, so all first-layer crossings, and the regions, pile up in a tiny disc. With
std 0.5 a first-layer line's distance to the origin, ``|b| / |w|``, is typically about 0.3:
lines spread over the middle of the box. Trained nets start from the same initialisation
(their at-initialisation counts are the same nets before the first step).

Wide one-layer nets
-------------------
A one-hidden-layer net's regions are the cells of its line arrangement. Above
``SHALLOW_DECOMPOSE_MAX`` units the general decomposition becomes slow (600 units: about 15 s,
1,000: 90 s), so such nets are counted with the exact arrangement formula
``1 + (lines meeting the box) + sum over crossing points (lines through it - 1)``
(:func:`one_layer_count`), exact for any arrangement; the tests check it against
:func:`regions.decompose`, with and without general position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
from scipy.spatial import cKDTree

import regions
from analysis import bounds, style
from analysis.data import BOUNDARY_NAMES, DEFAULT_BOX, Box, get_boundary
from analysis.models import MLP, MLPConfig
from analysis.plots import annotate, draw_regions
from analysis.report import ExperimentReport, FigureFile, Table
from analysis.style import save_figure
from analysis.sweeps import Job, run_sweep
from analysis.train import (
    TrainConfig,
    build_model,
    dataset_for,
    run_sgd,
    sgd_optimizer,
    train,
)
from regions import constructions

if TYPE_CHECKING:
    from analysis.experiments import RunOptions

__all__ = [
    "BOUNDARY_BINS",
    "DATA_BINS",
    "EXPERIMENT",
    "INIT_BIAS_STD",
    "NAME",
    "SHALLOW_DECOMPOSE_MAX",
    "STATS_BOX",
    "Count",
    "CountJob",
    "CurveJob",
    "DepthWidth",
    "Row",
    "StatsJob",
    "construction_figure",
    "count_net",
    "describe",
    "layer_figure",
    "matched_widths",
    "net_for",
    "n_parameters",
    "one_layer_count",
    "region_statistics",
    "train_config",
]

NAME = "depth-vs-width"
INIT_BIAS_STD = 0.5
SHALLOW_DECOMPOSE_MAX = 300  # one-layer nets wider than this use the arrangement formula
STATS_BOX: Box = (-4.0, 4.0, -4.0, 4.0)  # region statistics: the data box and a margin of 2
BOUNDARY_BINS = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8, math.inf)  # distance to the decision boundary
DATA_BINS = (0.0, 0.5, 1.0, 2.0)  # Chebyshev distance outside the data box [-2, 2]^2
AREA = (DEFAULT_BOX[1] - DEFAULT_BOX[0]) * (DEFAULT_BOX[3] - DEFAULT_BOX[2])


# --------------------------------------------------------------------------- architectures
def n_parameters(widths: Sequence[int], n_in: int = 2, n_out: int = 2) -> int:
    """Weights and biases of a fully connected net ``n_in -> widths... -> n_out``.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths.
    n_in, n_out : int
        Inputs and logits.

    Returns
    -------
    int
        ``sum((a + 1) * b)`` over consecutive layer sizes ``a -> b``.

    Examples
    --------
    >>> from analysis.depth_width import n_parameters
    >>> n_parameters([10])  # 3 * 10 + 11 * 2
    52
    >>> n_parameters([4, 4]), n_parameters([4, 4], n_out=1)
    (42, 37)
    """
    sizes = (n_in, *widths, n_out)
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def matched_widths(budget: int, depth: int, n_in: int = 2, n_out: int = 2) -> tuple[int, ...]:
    """Nearly constant hidden widths whose parameter count is closest to ``budget``.

    Layers have width ``w`` or ``w + 1`` (the wider ones first): constant widths alone
    step too coarsely for deep nets at small budgets (4 layers at budget 100: 82 or 117
    parameters). Among all such profiles the closest count wins; ties go to the profile with
    fewer wide layers. Every budget >= 100 with depth <= 8 is hit within 5% (tests check it).

    Parameters
    ----------
    budget : int
        Target number of parameters (>= 1).
    depth : int
        Hidden layers (>= 1).
    n_in, n_out : int
        Inputs and logits.

    Returns
    -------
    tuple of int, length ``depth``
        Hidden widths, non-increasing.

    Examples
    --------
    >>> from analysis.depth_width import matched_widths, n_parameters
    >>> matched_widths(100, 4), n_parameters(matched_widths(100, 4))
    ((5, 5, 4, 4), 99)
    >>> for depth in (1, 2, 4, 8):
    ...     widths = matched_widths(1000, depth)
    ...     print(depth, widths, n_parameters(widths))
    1 (200,) 1002
    2 (29, 28) 985
    4 (17, 17, 17, 17) 1005
    8 (12, 11, 11, 11, 11, 11, 11, 11) 995
    """
    if budget < 1 or depth < 1:
        raise ValueError(f"budget and depth must be >= 1, got {budget}, {depth}")
    best: tuple[int, tuple[int, ...]] | None = None
    w = 1
    while True:
        for k in range(depth):
            widths = (w + 1,) * k + (w,) * (depth - k)
            error = abs(n_parameters(widths, n_in, n_out) - budget)
            if best is None or error < best[0]:
                best = (error, widths)
        if n_parameters((w,) * depth, n_in, n_out) > budget:
            return best[1]
        w += 1


def describe(widths: Sequence[int]) -> str:
    """``'4 × 55'`` for constant widths, ``'5-5-4-4'`` otherwise.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths (non-empty).

    Returns
    -------
    str
        A short label for figures and tables.

    Examples
    --------
    >>> from analysis.depth_width import describe
    >>> describe((55, 55, 55, 55)), describe((5, 5, 4, 4)), describe([200])
    ('4 × 55', '5-5-4-4', '1 × 200')
    """
    if len(set(widths)) == 1:
        return f"{len(widths)} × {widths[0]}"
    return "-".join(map(str, widths))


# ------------------------------------------------------------------------------- counting
def one_layer_count(weight: np.ndarray, bias: np.ndarray, box: Box = DEFAULT_BOX) -> int:
    """Exact number of cells cut from ``box`` by the lines ``weight[i] . x + bias[i] = 0``.

    Each line that enters a convex domain adds one cell, and each crossing point inside it adds
    one cell less than the number of lines through it (Euler's formula for the arrangement):
    ``1 + L + sum_p (m_p - 1)``, which is ``1 + L + I`` for lines in general position with
    ``I`` crossings. Lines through one point (zero biases), parallel lines and repeated lines
    are all counted exactly; crossings within ``1e-9`` of the box's size count as one point,
    the tolerance :func:`regions.decompose` uses for a vertex on a line.

    Parameters
    ----------
    weight : ndarray, shape (n, 2)
        Line normals (a one-hidden-layer net's first weight matrix).
    bias : ndarray, shape (n,)
        Line offsets.
    box : (xmin, xmax, ymin, ymax)
        The domain, in input units.

    Returns
    -------
    int
        Number of cells.

    Examples
    --------
    The lines x = 0.5, y = 0.5 and x + y = 0 cross three times in [-2, 2]^2 but do not
    cross (and x + y = 0 does not enter) in [0, 1]^2; :func:`regions.count` agrees:

    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> from analysis.depth_width import one_layer_count
    >>> W, b = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -0.5, 0.0])
    >>> one_layer_count(W, b), regions.count(line_arrangement(W, b), (-2, 2, -2, 2))
    (7, 7)
    >>> one_layer_count(W, b, (0, 1, 0, 1)), regions.count(line_arrangement(W, b), (0, 1, 0, 1))
    (4, 4)

    Six lines through the origin make 12 sectors, not the 22 cells of general position:

    >>> angle = np.arange(6) * np.pi / 6
    >>> one_layer_count(np.stack([np.cos(angle), np.sin(angle)], axis=1), np.zeros(6))
    12
    """
    W, b = np.asarray(weight, np.float64), np.asarray(bias, np.float64)
    x0, x1, y0, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    values = corners @ W.T + b
    meets = (values.min(axis=0) < 0) & (values.max(axis=0) > 0)
    W, b = W[meets], b[meets]
    # A repeated line (the same up to a positive or negative scale) cuts nothing new.
    first = np.where(W[:, 0] != 0, W[:, 0], W[:, 1])
    scale = np.linalg.norm(W, axis=1) * np.sign(first)
    line = np.unique(np.round(np.hstack([W, b[:, None]]) / scale[:, None], 12), axis=0)
    W, b = line[:, :2], line[:, 2]
    quantum = 1e-9 * max(x1 - x0, y1 - y0)
    points = []
    for i in range(len(W) - 1):  # row by row keeps memory O(crossings), not O(n^2) at once
        a, c = W[i + 1 :], b[i + 1 :]
        det = W[i, 0] * a[:, 1] - W[i, 1] * a[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (-b[i] * a[:, 1] + W[i, 1] * c) / det
            y = (-W[i, 0] * c + b[i] * a[:, 0]) / det
        inside = (x > x0) & (x < x1) & (y > y0) & (y < y1)
        points.append(np.round(np.stack([x[inside], y[inside]], axis=1) / quantum))
    if not points:
        return 1 + len(W)
    _, pairs = np.unique(np.concatenate(points), axis=0, return_counts=True)
    # m lines through one point cross in m (m - 1) / 2 pairs.
    through = np.rint((1 + np.sqrt(1 + 8 * pairs)) / 2)
    return int(1 + len(W) + (through - 1).sum())


@dataclass(frozen=True)
class Count:
    """Exact counts of one net on the box.

    Attributes
    ----------
    by_depth : tuple of int
        Activation regions drawn by the first k hidden layers, k = 0..L (``by_depth[-1]`` is
        the net's count).
    linear : int
        Linear regions: neighbours with the same affine map merged.
    method : str
        ``'decompose'`` (:func:`regions.decompose`) or ``'arrangement'``
        (:func:`one_layer_count`; linear regions then equal activation regions, as they do
        for lines in general position).

    Examples
    --------
    >>> from analysis.depth_width import Count
    >>> c = Count(by_depth=(1, 4, 9), linear=8, method="decompose")
    >>> c.by_depth[-1], c.linear  # activation and linear regions of the whole net
    (9, 8)
    """

    by_depth: tuple[int, ...]
    linear: int
    method: str


def count_net(model: MLP, box: Box = DEFAULT_BOX) -> Count:
    """Exact activation-region counts per depth and linear-region count of ``model``.

    One-hidden-layer nets wider than :data:`SHALLOW_DECOMPOSE_MAX` are counted by
    :func:`one_layer_count`; their linear-region count is taken equal to the activation
    count, as it is unless two neighbouring cells happen to share their output map.

    Parameters
    ----------
    model : MLP
        A ReLU net.
    box : (xmin, xmax, ymin, ymax)
        The domain, in input units.

    Returns
    -------
    Count
        Counts on ``box``.

    Examples
    --------
    Two hidden units whose breakpoint lines are the axes cut the box into its quadrants:

    >>> import torch
    >>> from analysis.depth_width import count_net
    >>> from analysis.models import MLP
    >>> net = MLP((2,), seed=0)
    >>> with torch.no_grad():
    ...     _ = net.blocks[0].linear.weight.copy_(torch.eye(2))
    >>> count_net(net)
    Count(by_depth=(1, 4), linear=4, method='decompose')

    A wide one-layer net is counted by the arrangement formula:

    >>> wide = count_net(MLP((400,), seed=0, bias_std=0.5))
    >>> wide.method, wide.by_depth[0], wide.linear == wide.by_depth[-1]
    ('arrangement', 1, True)
    """
    hidden = model.config.hidden
    if len(hidden) == 1 and hidden[0] > SHALLOW_DECOMPOSE_MAX:
        layer = model.blocks[0].linear
        n = one_layer_count(
            layer.weight.detach().double().numpy(), layer.bias.detach().double().numpy(), box
        )
        return Count((1, n), n, "arrangement")
    part = regions.decompose(model, domain=box)
    by_depth = tuple(int(c) for c in part.counts_by_depth())
    return Count(by_depth, part.linear_regions().n, "decompose")


# ------------------------------------------------------------------------------------ jobs
def train_config(
    hidden: Sequence[int], dataset: str, seed: int, bias_std: float, quick: bool
) -> TrainConfig:
    """Classic training settings (quickened in quick mode) for one net of the experiment.

    Parameters
    ----------
    hidden : sequence of int
        Hidden widths.
    dataset : str
        Dataset name.
    seed : int
        Seed of initialisation, shuffling and dropout.
    bias_std : float
        Std of the initial biases (He-normal weights).
    quick : bool
        Apply :func:`analysis.experiments.quicken`.

    Returns
    -------
    TrainConfig

    Examples
    --------
    >>> from analysis.depth_width import INIT_BIAS_STD, train_config
    >>> full = train_config((4, 4), "sine", seed=1, bias_std=INIT_BIAS_STD, quick=False)
    >>> full.model.hidden, full.model.bias_std, full.seed, full.n_train, full.epochs
    ((4, 4), 0.5, 1, 10000, 100)
    >>> quick = train_config((4, 4), "sine", seed=1, bias_std=INIT_BIAS_STD, quick=True)
    >>> quick.n_train, quick.batch_size, quick.epochs  # 1,000 SGD steps
    (2000, 100, 50)
    """
    config = TrainConfig(
        dataset=dataset,
        model=MLPConfig(hidden=tuple(hidden), bias_std=bias_std),
        seed=seed,
    )
    from analysis.experiments import quicken  # here: experiments imports this module

    return quicken(config) if quick else config


def net_for(
    hidden: Sequence[int],
    dataset: str | None,
    seed: int,
    bias_std: float,
    quick: bool,
    cache_dir: str | None,
) -> tuple[MLP, float | None]:
    """A study net at initialisation (``dataset=None``) or trained through the model cache.

    The initialisation is the one :func:`train_config` trains from (it depends on ``seed``
    only), so a net at initialisation and after training pair up.

    Returns
    -------
    model : MLP
    test_acc : float or None
        Test accuracy in [0, 1] after training; None at initialisation.

    Examples
    --------
    >>> from analysis.depth_width import net_for
    >>> model, acc = net_for((4, 4), None, seed=0, bias_std=0.5, quick=True, cache_dir=None)
    >>> model.n_parameters, acc
    (42, None)
    """
    config = train_config(hidden, dataset or "line", seed, bias_std, quick)
    if dataset is None:
        return build_model(config), None
    result = train(config, cache_dir=cache_dir, progress=False)
    return result.model, float(result.history.test_acc[-1])


@dataclass(frozen=True)
class CountJob(Job):
    """Exact counts of one net at initialisation (``dataset=None``) or after training.

    The initialisation is the one :func:`train_config` would train from (it depends on
    ``seed`` only), so a net's count at initialisation and after training pair up.

    Attributes
    ----------
    hidden : tuple of int
        Hidden widths.
    seed : int
        Training (and initialisation) seed.
    bias_std : float
        Std of the initial biases.
    dataset : str or None
        Dataset to train on; None counts the net at initialisation.
    quick : bool
        Quick-mode training.

    Examples
    --------
    Three lines (biases N(0, 0.5^2)) at initialisation, no training:

    >>> from analysis.depth_width import CountJob
    >>> job = CountJob((3,), seed=0, bias_std=0.5)
    >>> len(job.key())  # the file name of its result in a sweep
    16
    >>> result = job.run(cache_dir=None)
    >>> result["n_parameters"], result["method"], result["test_acc"], result["by_depth"][0]
    (17, 'decompose', None, 1)
    >>> result["linear"] <= result["by_depth"][-1] <= 7  # 3 lines cut at most 7 cells
    True
    """

    hidden: tuple[int, ...]
    seed: int
    bias_std: float
    dataset: str | None = None
    quick: bool = False

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """Build (or train, through the model cache ``cache_dir``) the net and count it.

        Returns
        -------
        dict
            ``n_parameters`` (int), ``by_depth`` (list of int, per :class:`Count`),
            ``linear`` (int), ``method`` (str) and ``test_acc`` (float in [0, 1], or None at
            initialisation).
        """
        model, test_acc = net_for(
            self.hidden, self.dataset, self.seed, self.bias_std, self.quick, cache_dir
        )
        count = count_net(model)
        return {
            "n_parameters": model.n_parameters,
            "by_depth": list(count.by_depth),
            "linear": count.linear,
            "method": count.method,
            "test_acc": test_acc,
        }


@dataclass(frozen=True)
class CurveJob(Job):
    """Exact counts every ``every`` SGD steps while training one net.

    :meth:`run` trains with ``train``'s own loop (:func:`analysis.train.run_sgd`) and counts
    after every ``every``-th step; the tests check that the final weights equal ``train``'s
    bit for bit.

    Attributes
    ----------
    hidden : tuple of int
        Hidden widths.
    dataset : str
        Dataset trained on.
    seed : int
        Training seed.
    bias_std : float
        Std of the initial biases.
    every : int
        SGD steps between counts.
    quick : bool
        Quick-mode training.

    Examples
    --------
    A 2-unit net over the 1,000 SGD steps of quick mode, counted every 500 steps:

    >>> from analysis.depth_width import CurveJob
    >>> result = CurveJob((2,), "line", seed=0, bias_std=0.5, every=500, quick=True).run()
    >>> result["steps"], len(result["regions"]), len(result["by_depth"][0])
    ([0, 500, 1000], 3, 2)
    >>> all(1 <= n <= 4 for n in result["regions"])  # 2 lines: at most 4 cells
    True
    >>> sorted(result["state"])  # the final weights, as lists
    ['blocks.0.linear.bias', 'blocks.0.linear.weight', 'output.bias', 'output.weight']
    """

    hidden: tuple[int, ...]
    dataset: str
    seed: int
    bias_std: float
    every: int
    quick: bool = False

    def run(self, cache_dir: str | None = None) -> dict[str, Any]:
        """Train (never cached; ``cache_dir`` is unused) and count along the way.

        Returns
        -------
        dict
            ``steps`` (list of int: 0, ``every``, ..., and the last step), ``regions``,
            ``by_depth`` and ``linear`` (one entry per step, as in :class:`Count`) and
            ``state`` (the final ``state_dict`` as nested lists).
        """
        config = train_config(self.hidden, self.dataset, self.seed, self.bias_std, self.quick)
        model, steps, by_depth, linear = _train_counting(config, self.every)
        return {
            "steps": steps,
            "regions": [c[-1] for c in by_depth],
            "by_depth": by_depth,
            "linear": linear,
            "state": {k: v.tolist() for k, v in model.state_dict().items()},
        }


def _train_counting(
    config: TrainConfig, every: int
) -> tuple[MLP, list[int], list[list[int]], list[int]]:
    """Train like :func:`analysis.train._fit`, counting at step 0 and every ``every`` steps."""
    data = dataset_for(config)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    model = build_model(config)
    steps: list[int] = []
    by_depth: list[list[int]] = []
    linear: list[int] = []

    def record(step: int) -> None:
        count = count_net(model)
        steps.append(step)
        by_depth.append(list(count.by_depth))
        linear.append(count.linear)

    def every_k(step: int, idx: torch.Tensor, loss: torch.Tensor) -> None:
        if (step + 1) % every == 0:
            model.eval()
            record(step + 1)

    record(0)
    step = run_sgd(model, sgd_optimizer(model, config), config, X, y, after_step=every_k)
    if steps[-1] != step:
        record(step)
    return model, steps, by_depth, linear


@dataclass(frozen=True)
class StatsJob(Job):
    """Region statistics of one trained net on :data:`STATS_BOX` (data box plus a margin).

    Attributes
    ----------
    hidden : tuple of int
        Hidden widths.
    dataset : str
        Dataset trained on.
    seed : int
        Training seed.
    bias_std : float
        Std of the initial biases.
    quick : bool
        Quick-mode training.

    Examples
    --------
    >>> from analysis.depth_width import StatsJob
    >>> job = StatsJob((2,), "line", seed=0, bias_std=0.5, quick=True)
    >>> job.version, job.to_dict()
    (2, {'hidden': [2], 'dataset': 'line', 'seed': 0, 'bias_std': 0.5, 'quick': True})
    >>> stats = job.run(cache_dir=None)  # trains 1,000 quick SGD steps, nothing cached
    >>> stats["n_regions"] == len(stats["areas"]) == len(stats["vertices"])
    True
    >>> round(sum(stats["areas"]), 9)  # the regions tile [-4, 4]^2
    64.0
    """

    version = 2  # 2: boundary densities measured inside the data box only

    hidden: tuple[int, ...]
    dataset: str
    seed: int
    bias_std: float
    quick: bool = False

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """Train (through the model cache ``cache_dir``) and measure; see
        :func:`region_statistics`."""
        config = train_config(self.hidden, self.dataset, self.seed, self.bias_std, self.quick)
        model = train(config, cache_dir=cache_dir, progress=False).model
        return region_statistics(regions.decompose(model, domain=STATS_BOX), config)


def _band_density(
    distance: np.ndarray, band_area: np.ndarray, edges: Sequence[float]
) -> list[float | None]:
    """Regions per unit area in each distance band (None for an empty band)."""
    counts = np.histogram(distance, bins=np.asarray(edges))[0]
    return [float(c / a) if a > 1e-12 else None for c, a in zip(counts, band_area, strict=True)]


def region_statistics(part: regions.Partition, config: TrainConfig) -> dict[str, Any]:
    """Areas, vertex counts and region densities of a partition of :data:`STATS_BOX`.

    A region is placed by its interior point (``part.points``). Densities are regions per
    unit area (squared input units) in distance bands: to the exact decision boundary, inside
    the data box (:data:`BOUNDARY_BINS`; band areas exact, from shapely buffers clipped to
    the box), and outside the data box (Chebyshev distance, :data:`DATA_BINS`); plus the
    median distance from a region to its nearest training point. Inside the data box every
    point is within about 0.05 of a training point (10,000 uniform samples on 16 square
    units), so "near the data" means the data box and "far" means the margin around it.

    Parameters
    ----------
    part : regions.Partition
        Exact partition of :data:`STATS_BOX` of a two-logit net.
    config : TrainConfig
        The net's training configuration (for the training points).

    Returns
    -------
    dict
        ``n_regions`` (int); ``areas`` (R floats, squared input units); ``vertices`` (R
        ints); ``boundary_length`` (input units); ``boundary_density`` (one per band of
        :data:`BOUNDARY_BINS`, regions per unit area, None for an empty band);
        ``train_distance_median`` (input units); ``density_data_box``; ``density_outside``
        (one per band of :data:`DATA_BINS`).

    Examples
    --------
    A net set by hand to ``logit_1 - logit_0 = relu(x) + relu(y) - 0.5``: four quadrants
    of area 16, each placed by its interior point (+-2, +-2), on the data box's corners:

    >>> import regions
    >>> import torch
    >>> from analysis.depth_width import STATS_BOX, region_statistics, train_config
    >>> from analysis.models import MLP
    >>> net = MLP((2,), seed=0)
    >>> with torch.no_grad():
    ...     _ = net.blocks[0].linear.weight.copy_(torch.eye(2))
    ...     _ = net.output.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    ...     _ = net.output.bias.copy_(torch.tensor([0.0, -0.5]))
    >>> config = train_config((2,), "line", 0, 0.5, quick=True)
    >>> st = region_statistics(regions.decompose(net, STATS_BOX), config)
    >>> st["n_regions"], st["areas"], st["vertices"]
    (4, [16.0, 16.0, 16.0, 16.0], [4, 4, 4, 4])
    >>> round(st["boundary_length"], 4)  # 4 + sqrt(0.5) + 4
    8.7071
    >>> st["density_data_box"], st["density_outside"]  # 4 regions on 16 square units
    (0.25, [0.0, 0.0, 0.0])
    >>> st["boundary_density"][:-1]  # every interior point is > 0.8 from the boundary
    [0.0, 0.0, 0.0, 0.0, 0.0]
    """
    points = part.points
    half = DEFAULT_BOX[1]
    outside = np.maximum(np.abs(points).max(axis=1) - half, 0.0)
    inside = outside == 0
    data_box = shapely.box(DEFAULT_BOX[0], DEFAULT_BOX[2], DEFAULT_BOX[1], DEFAULT_BOX[3])
    boundary = part.decision_boundary()
    result: dict[str, Any] = {
        "n_regions": len(part),
        "areas": part.areas.tolist(),
        "vertices": [len(p) for p in part.polygons],
        "boundary_length": boundary.length,
    }
    if len(boundary):
        # Inside the data box only, so the sparse margin does not pose as "far from the boundary".
        lines = boundary.to_shapely()
        distance = shapely.distance(lines, shapely.points(points[inside]))
        cum = [
            0.0
            if d == 0
            else (data_box.area if math.isinf(d) else lines.buffer(d).intersection(data_box).area)
            for d in BOUNDARY_BINS
        ]
        result["boundary_density"] = _band_density(distance, np.diff(cum), BOUNDARY_BINS)
    else:
        result["boundary_density"] = [None] * (len(BOUNDARY_BINS) - 1)
    data = dataset_for(config)
    result["train_distance_median"] = float(np.median(cKDTree(data.X_train).query(points)[0]))
    squares = [(2 * (half + d)) ** 2 for d in DATA_BINS]
    result["density_data_box"] = float(inside.sum() / squares[0])
    result["density_outside"] = _band_density(outside[~inside], np.diff(squares), DATA_BINS)
    return result


# ------------------------------------------------------------------------------ experiment
def _run_job(job: Job, cache_dir: str | None) -> Any:
    """Sweep worker: every job type knows how to run itself."""
    return job.run(cache_dir)


@dataclass(frozen=True)
class DepthWidth:
    """The depth-versus-width study: what to count, and the runner that draws it.

    Attributes
    ----------
    budgets : tuple of int
        Parameter budgets (2 inputs, 2 logits) of the matched-budget comparison.
    depths : tuple of int
        Depths compared at every budget (1 is the shallow-wide net).
    seeds : int
        Initialisations per net at initialisation (seeds 0..seeds-1).
    train_datasets : tuple of str
        Datasets the matched-budget nets are trained on (seed 0).
    depth_sweep : (width, depths)
        Fixed width, varying depth (at initialisation).
    width_sweep : (depth, widths)
        Fixed depth, varying width (at initialisation).
    curve_budget, curve_depths, curve_every : int, tuple of int, int
        Counts during training: nets of these depths at this budget, counted every
        ``curve_every`` SGD steps, on every dataset of ``datasets``.
    focus : (budget, depth)
        The net drawn layer by layer and whose region statistics are reported.
    datasets : tuple of str
        Datasets of the curves, the layer pictures and the statistics.
    bias_std : float
        Std of the initial biases (see the module docstring).
    quick_changes : dict
        Field overrides applied in quick mode (empty: use the fields as they are).

    Examples
    --------
    >>> from analysis.depth_width import EXPERIMENT, DepthWidth, n_parameters
    >>> from analysis.experiments import EXPERIMENTS
    >>> EXPERIMENTS["depth-vs-width"] is EXPERIMENT
    True
    >>> setup = DepthWidth()
    >>> [w for b, d, w in setup.budget_nets() if b == 100]  # depths 1, 2, 4, 8
    [(20,), (8, 7), (5, 5, 4, 4), (3, 3, 3, 3, 3, 3, 3, 3)]
    >>> setup.focus_widths(), n_parameters(setup.focus_widths())
    ((17, 17, 17, 17), 1005)
    >>> len(setup.init_jobs((4, 4))), setup.sweep_nets()[:2]
    (5, [('depth', (16,)), ('depth', (16, 16))])
    >>> len(setup.curve_jobs(quick=False))  # 4 depths on 4 datasets
    16

    A smaller study: fields are plain values, so :func:`dataclasses.replace` makes one.

    >>> from dataclasses import replace
    >>> small = replace(setup, budgets=(100,), depths=(1, 2), seeds=2)
    >>> [job.hidden for _, _, w in small.budget_nets() for job in small.init_jobs(w)]
    [(20,), (20,), (8, 7), (8, 7)]
    """

    budgets: tuple[int, ...] = (100, 300, 1_000, 3_000, 10_000)
    depths: tuple[int, ...] = (1, 2, 4, 8)
    seeds: int = 5
    train_datasets: tuple[str, ...] = BOUNDARY_NAMES
    depth_sweep: tuple[int, tuple[int, ...]] = (16, (1, 2, 3, 4, 6, 8, 10))
    width_sweep: tuple[int, tuple[int, ...]] = (3, (4, 8, 16, 32, 64, 128))
    curve_budget: int = 1_000
    curve_depths: tuple[int, ...] = (1, 2, 4, 8)
    curve_every: int = 25
    focus: tuple[int, int] = (1_000, 4)
    datasets: tuple[str, ...] = BOUNDARY_NAMES
    bias_std: float = INIT_BIAS_STD
    quick_changes: dict[str, Any] = field(
        default_factory=lambda: {
            "budgets": (100, 300, 1_000, 3_000),
            "seeds": 3,
            "train_datasets": ("line", "sine"),
            "depth_sweep": (16, (1, 2, 4, 6, 8)),
            "width_sweep": (3, (4, 8, 16, 32, 64)),
            "curve_depths": (1, 4, 8),
            "curve_every": 50,
        }
    )

    name: str = NAME
    title: str = "Depth versus width: exact counts, bounds and layer-by-layer pictures"

    # ------------------------------------------------------------------------ the jobs
    def init_jobs(self, hidden: Sequence[int]) -> list[CountJob]:
        """One count at initialisation of ``hidden`` per seed ``0..seeds - 1``."""
        return [CountJob(tuple(hidden), s, self.bias_std) for s in range(self.seeds)]

    def budget_nets(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """(budget, depth, widths) of the matched-budget comparison."""
        return [(b, d, matched_widths(b, d)) for b in self.budgets for d in self.depths]

    def sweep_nets(self) -> list[tuple[str, tuple[int, ...]]]:
        """(sweep, widths) of the fixed-width and fixed-depth sweeps."""
        width, depths = self.depth_sweep
        depth, widths = self.width_sweep
        return [("depth", (width,) * d) for d in depths] + [("width", (w,) * depth) for w in widths]

    def curve_jobs(self, quick: bool) -> list[CurveJob]:
        """Counts during training: each depth of ``curve_depths`` on each dataset."""
        return [
            CurveJob(
                matched_widths(self.curve_budget, d), ds, 0, self.bias_std, self.curve_every, quick
            )
            for ds in self.datasets
            for d in self.curve_depths
        ]

    def focus_widths(self) -> tuple[int, ...]:
        """Hidden widths of the focus net (``focus``: budget, depth)."""
        return matched_widths(*self.focus)

    # ----------------------------------------------------------------------- running
    def __call__(self, options: RunOptions) -> ExperimentReport:
        """Run the sweeps (resuming from their result files), draw and report."""
        run = replace(self, quick_changes={}, **self.quick_changes) if options.quick else self
        return run._report(options)

    def _report(self, options: RunOptions) -> ExperimentReport:
        quick = options.quick
        sweep_dir = Path(options.cache_dir) / "sweeps" / self.name
        fn = partial(_run_job, cache_dir=str(options.cache_dir))
        trained = [
            CountJob(w, 0, self.bias_std, ds, quick)
            for _, _, w in self.budget_nets()
            for ds in self.train_datasets
        ]
        curves = self.curve_jobs(quick)
        init = [j for _, _, w in self.budget_nets() for j in self.init_jobs(w)]
        init += [j for _, w in self.sweep_nets() for j in self.init_jobs(w)]
        focus_train = [
            CountJob(self.focus_widths(), 0, self.bias_std, ds, quick) for ds in self.datasets
        ]
        # Training jobs first: they are the slowest, so the pool stays busy to the end.
        results = run_sweep(
            [*trained, *focus_train, *curves, *init],
            fn,
            sweep_dir,
            progress=options.progress,
            n_jobs=options.jobs,
            desc=f"{self.name}: counting",
        )
        by_key = {
            job.key(): r
            for job, r in zip([*trained, *focus_train, *curves, *init], results, strict=True)
        }
        stats_jobs = [
            StatsJob(self.focus_widths(), ds, 0, self.bias_std, quick) for ds in self.datasets
        ]
        stats = run_sweep(
            stats_jobs,
            fn,
            sweep_dir,
            progress=options.progress,
            n_jobs=options.jobs,
            desc=f"{self.name}: statistics",
        )
        data = _Collected(self, quick, by_key, curves, dict(zip(self.datasets, stats, strict=True)))
        out = Path(options.out_dir)
        mode = " (quick mode)" if quick else ""
        figures = []
        for stem, build, caption in (
            ("budget", data.budget_figure, BUDGET_CAPTION),
            ("depth-width", data.sweep_figure, SWEEP_CAPTION),
            ("training", data.training_figure, TRAINING_CAPTION),
            ("layers", partial(layer_figure, self, options), LAYERS_CAPTION),
            ("constructions", construction_figure, CONSTRUCTIONS_CAPTION),
            ("statistics", data.statistics_figure, STATISTICS_CAPTION),
        ):
            fig = build(f"{mode}")
            save_figure(fig, out / self.name / stem)
            figures.append(FigureFile(stem=f"{self.name}/{stem}", caption=caption))
        from analysis.experiments import QUICK_NOTE

        description = DESCRIPTION.format(bias_std=self.bias_std, seeds=self.seeds)
        return ExperimentReport(
            name=self.name,
            title=self.title,
            description=f"{description} {QUICK_NOTE}" if quick else description,
            quick=quick,
            figures=tuple(figures),
            table=Table.from_records(data.rows()),
        )


DESCRIPTION = (
    "Exact region counts on [-2, 2]² of ReLU nets with 2 inputs and 2 logits. "
    "Initialisation: He-normal weights, biases N(0, {bias_std}²) (zero biases would make every "
    "first-layer line pass through the origin); {seeds} seeds per net at initialisation. "
    "Trained nets: seed 0, classic training (plain SGD, lr 0.01, 10,000 samples, batch 1,000, "
    "100 epochs) from that initialisation. Matched budgets: widths w or w + 1 per "
    "layer chosen so the parameter count is closest to each budget (within 5%). One-layer "
    "nets wider than "
    f"{SHALLOW_DECOMPOSE_MAX} units are counted with the exact line-arrangement formula. "
    "Bounds are for the whole plane (Serra et al. 2018 upper, Montufar et al. 2014 lower); "
    "the density law is Hanin & Rolnick's (2019) regions ≈ C N² area."
)
BUDGET_CAPTION = (
    "Regions versus parameters at matched budgets, deep against shallow, at initialisation "
    "(mean ± std over seeds) and after training (one net per dataset, mean as line); dashed: "
    "Serra et al. upper bound, dotted: Montufar et al. lower bound (what the best weights reach)"
)
SWEEP_CAPTION = (
    "Regions at initialisation versus depth at fixed width and versus width at fixed depth, "
    "with the bounds and the fitted law C N² area; right: every net at initialisation, regions "
    "per unit area against the number of neurons N, coloured by depth"
)
TRAINING_CAPTION = "Exact activation-region counts during training, several depths at one budget"
LAYERS_CAPTION = (
    "Layer-by-layer refinement of one trained net per dataset: the partition after layer 1, 2, "
    "…, each layer's boundaries (bent hyperplanes) in its own colour; black: exact decision "
    "boundary"
)
CONSTRUCTIONS_CAPTION = (
    "Hand-built nets that attain the depth lower bounds, with exact counts and their formulas"
)
STATISTICS_CAPTION = (
    "Region statistics of the layer-by-layer nets on [-4, 4]² (data in [-2, 2]²): region areas, "
    "vertices per region, region density against distance to the exact decision boundary and "
    "outside the data box"
)


# --------------------------------------------------------------------------- the numbers
@dataclass(frozen=True)
class Row:
    """One number of the report.

    Attributes
    ----------
    part : str
        Which figure: budget, depth, width, training, layers, constructions, statistics.
    architecture : str
        Hidden widths (``'4 × 55'``) or construction.
    n_parameters, n_neurons : int or None
        Trainable scalars and hidden units.
    condition : str
        ``'init'``, ``'trained on <dataset>'``, ``'step <k> on <dataset>'``, ...
    quantity : str
        What ``mean`` is (``'regions'``, ``'linear regions'``, a density, ...).
    mean : float
        The value (a mean over ``n`` nets).
    std : float or None
        Standard deviation over the ``n`` nets.
    n : int
        Nets (seeds or datasets) averaged.
    serra_upper, montufar_lower : float or None
        Bounds on the whole plane for the architecture (None where not applicable).
    per_layer : str
        Activation regions after each hidden layer, ``'1/a/b/...'``.

    Examples
    --------
    >>> from analysis.depth_width import Row, describe, n_parameters
    >>> widths = (5, 5, 4, 4)
    >>> row = Row("budget 100", describe(widths), n_parameters(widths), sum(widths), "init",
    ...           "regions", 41.2, 6.5, 5, None, 11.0, "1/9/20/33/41")
    >>> row.architecture, row.n_parameters, row.per_layer.split("/")[-1]
    ('5-5-4-4', 99, '41')
    """

    part: str
    architecture: str
    n_parameters: int | None
    n_neurons: int | None
    condition: str
    quantity: str
    mean: float
    std: float | None
    n: int
    serra_upper: float | None
    montufar_lower: float | None
    per_layer: str


def _bound(name: str, widths: Sequence[int]) -> float | None:
    try:
        return float(bounds.BOUNDS[name](list(widths), 2))
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True, eq=False)
class _Collected:
    """Sweep results indexed for the figures and the table."""

    setup: DepthWidth
    quick: bool
    results: dict[str, Any]
    curves: list[CurveJob]
    stats: dict[str, Any]

    def init(self, widths: Sequence[int]) -> list[dict[str, Any]]:
        return [self.results[j.key()] for j in self.setup.init_jobs(widths)]

    def trained(self, widths: Sequence[int], dataset: str) -> dict[str, Any]:
        s = self.setup
        job = CountJob(tuple(widths), 0, s.bias_std, dataset, self.quick)
        return self.results[job.key()]

    def init_regions(self, widths: Sequence[int]) -> np.ndarray:
        return np.array([r["by_depth"][-1] for r in self.init(widths)], dtype=float)

    # ------------------------------------------------------------------------ figure 1
    def budget_figure(self, mode: str) -> Figure:
        s = self.setup
        with style.style():
            fig = Figure(figsize=(7.2, 3.4), layout="constrained")
            axes = fig.subplots(1, 2, sharey=True)
            for ax, trained in zip(axes, (False, True), strict=True):
                for depth in s.depths:
                    color, _ = _depth_style(depth)
                    nets = [w for b, d, w in s.budget_nets() if d == depth]
                    params = np.array([n_parameters(w) for w in nets])
                    if trained:
                        values = np.array(
                            [
                                [self.trained(w, ds)["by_depth"][-1] for ds in s.train_datasets]
                                for w in nets
                            ],
                            dtype=float,
                        )
                        for k in range(values.shape[1]):
                            ax.scatter(params, values[:, k], s=8, color=color, alpha=0.6, lw=0)
                        ax.plot(
                            params, values.mean(axis=1), "-", color=color, label=f"depth {depth}"
                        )
                    else:
                        values = np.array([self.init_regions(w) for w in nets])
                        ax.errorbar(
                            params,
                            values.mean(axis=1),
                            values.std(axis=1),
                            fmt="o-",
                            ms=3,
                            color=color,
                            capsize=2,
                            label=f"depth {depth}",
                        )
                    ax.plot(
                        params,
                        [_bound("serra_upper", w) or np.nan for w in nets],
                        "--",
                        color=color,
                        lw=0.8,
                    )
                    ax.plot(
                        params,
                        [_bound("montufar_lower", w) or np.nan for w in nets],
                        ":",
                        color=color,
                        lw=0.8,
                    )
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_xlabel("parameters")
                ax.set_title(
                    "after training (seed 0, one point per dataset)"
                    if trained
                    else f"at initialisation ({s.seeds} seeds)"
                )
                ax.grid(True, which="major", lw=0.3, alpha=0.5)
            axes[0].set_ylabel("regions in [-2, 2]²")
            handles, labels = axes[0].get_legend_handles_labels()
            handles += [
                Line2D([], [], color="#555555", ls="--", lw=0.8, label="upper bound (Serra)"),
                Line2D([], [], color="#555555", ls=":", lw=0.8, label="lower bound (Montufar)"),
            ]
            fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
            fig.suptitle(f"Regions versus parameters at matched budgets{mode}")
        return fig

    # ------------------------------------------------------------------------ figure 2
    def density_fit(self) -> bounds.DensityFit:
        nets = [w for _, w in self.setup.sweep_nets()] + [w for _, _, w in self.setup.budget_nets()]
        n = [sum(w) for w in nets for _ in range(self.setup.seeds)]
        counts = np.concatenate([self.init_regions(w) for w in nets])
        return bounds.fit_density_law(n, counts, AREA)

    def sweep_figure(self, mode: str) -> Figure:
        s = self.setup
        fit = self.density_fit()
        with style.style():
            fig = Figure(figsize=(9.6, 3.3), layout="constrained")
            axes = fig.subplots(1, 3)
            (width, depths), (depth, widths) = s.depth_sweep, s.width_sweep
            for ax, xs, nets, xlabel, title in (
                (
                    axes[0],
                    depths,
                    [(width,) * d for d in depths],
                    "depth (hidden layers)",
                    f"width {width}",
                ),
                (axes[1], widths, [(w,) * depth for w in widths], "width", f"depth {depth}"),
            ):
                counts = np.array([self.init_regions(w) for w in nets])
                ax.errorbar(
                    xs,
                    counts.mean(axis=1),
                    counts.std(axis=1),
                    fmt="o-",
                    ms=3,
                    capsize=2,
                    color=style.OKABE_ITO[5],
                    label="measured (init)",
                )
                ax.plot(
                    xs,
                    [_bound("serra_upper", w) or np.nan for w in nets],
                    "--",
                    color=style.OKABE_ITO[6],
                    label="upper bound (Serra)",
                )
                ax.plot(
                    xs,
                    [_bound("montufar_lower", w) or np.nan for w in nets],
                    ":",
                    color=style.OKABE_ITO[3],
                    label="lower bound (Montufar)",
                )
                ax.plot(
                    xs,
                    fit.predict([sum(w) for w in nets], AREA),
                    "-",
                    color=style.OKABE_ITO[1],
                    lw=0.9,
                    label=f"C N² area, C = {fit.constant:.3g}",
                )
                ax.set_yscale("log")
                ax.set_xlabel(xlabel)
                ax.set_ylabel("regions in [-2, 2]²")
                ax.set_title(f"varying {'depth' if ax is axes[0] else 'width'} at {title}")
                ax.grid(True, lw=0.3, alpha=0.5)
            axes[1].set_xscale("log", base=2)
            axes[0].legend(loc="upper left")
            ax = axes[2]
            nets = {w for _, w in s.sweep_nets()} | {w for _, _, w in s.budget_nets()}
            by_depth: dict[int, list[tuple[int, float]]] = {}
            for w in nets:
                for c in self.init_regions(w):
                    by_depth.setdefault(len(w), []).append((sum(w), c / AREA))
            for d in sorted(by_depth):
                pts = np.array(by_depth[d])
                color, marker = _depth_style(d)
                ax.scatter(
                    pts[:, 0],
                    pts[:, 1],
                    s=8,
                    lw=0,
                    alpha=0.75,
                    color=color,
                    marker=marker,
                    label=f"depth {d}",
                )
            grid = np.geomspace(
                min(p[0] for v in by_depth.values() for p in v),
                max(p[0] for v in by_depth.values() for p in v),
                50,
            )
            ax.plot(
                grid,
                fit.predict(grid, 1.0),
                "-",
                color="#000000",
                lw=0.9,
                label=f"C N², C = {fit.constant:.3g}",
            )
            ax.plot(
                grid,
                fit.predict(grid, 1.0, free=True),
                "--",
                color="#555555",
                lw=0.9,
                label=f"free fit, slope {fit.slope:.2f}",
            )
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("neurons N (hidden units)")
            ax.set_ylabel("regions per unit area")
            ax.set_title("density at initialisation")
            ax.legend(loc="upper left", ncols=2, fontsize=6)
            ax.grid(True, lw=0.3, alpha=0.5)
            fig.suptitle(f"Depth and width at initialisation{mode}")
        return fig

    # ------------------------------------------------------------------------ figure 3
    def training_figure(self, mode: str) -> Figure:
        s = self.setup
        with style.style():
            fig = Figure(figsize=(2.4 * len(s.datasets) + 0.4, 2.8), layout="constrained")
            axes = np.atleast_1d(fig.subplots(1, len(s.datasets), sharey=True))
            for ax, ds in zip(axes, s.datasets, strict=True):
                for d in s.curve_depths:
                    job = next(j for j in self.curves if j.dataset == ds and len(j.hidden) == d)
                    r = self.results[job.key()]
                    ax.plot(
                        r["steps"],
                        r["regions"],
                        color=_depth_style(d)[0],
                        label=f"depth {d}: {describe(job.hidden)}",
                    )
                ax.set_yscale("log")
                ax.set_xlabel("SGD step")
                ax.set_title(get_boundary(ds).name)
                ax.grid(True, lw=0.3, alpha=0.5)
            axes[0].set_ylabel("activation regions")
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
            fig.suptitle(f"Regions during training, ~{s.curve_budget:,} parameters{mode}")
        return fig

    # ------------------------------------------------------------------------ figure 6
    def statistics_figure(self, mode: str) -> Figure:
        s = self.setup
        with style.style():
            fig = Figure(figsize=(10.4, 2.9), layout="constrained")
            axes = fig.subplots(1, 4)
            for i, ds in enumerate(s.datasets):
                st, color = self.stats[ds], _depth_color(i)
                areas = np.asarray(st["areas"])
                bins = np.linspace(-8, 1.5, 39)
                axes[0].hist(np.log10(areas), bins=bins, histtype="step", color=color, label=ds)
                vertices = np.asarray(st["vertices"])
                vb = np.arange(2.5, max(vertices.max(), 8) + 1.5)
                axes[1].hist(vertices, bins=vb, histtype="step", color=color, density=True)
                mids = _mids(BOUNDARY_BINS, 1.2)
                axes[2].plot(
                    mids,
                    [np.nan if v is None else v for v in st["boundary_density"]],
                    "o-",
                    ms=3,
                    color=color,
                )
                axes[3].plot(
                    [0.0, *_mids(DATA_BINS)],
                    [
                        st["density_data_box"],
                        *[np.nan if v is None else v for v in st["density_outside"]],
                    ],
                    "o-",
                    ms=3,
                    color=color,
                )
            axes[0].set_xlabel("log10 region area")
            axes[0].set_ylabel("regions")
            axes[0].legend(loc="upper left")
            axes[1].set_xlabel("vertices per region")
            axes[1].set_ylabel("fraction of regions")
            axes[2].set_xscale("log")
            axes[2].set_yscale("log")
            axes[2].set_xlabel("distance to decision boundary (data box)")
            axes[2].set_ylabel("regions per unit area")
            axes[3].set_yscale("log")
            axes[3].set_xlabel("distance outside data box (0: inside)")
            axes[3].set_ylabel("regions per unit area")
            for ax in axes:
                ax.grid(True, lw=0.3, alpha=0.5)
            for ax in axes[2:]:  # plain numbers: the densities span little more than a decade
                ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
                ax.yaxis.set_major_formatter(ScalarFormatter())
                ax.yaxis.set_minor_formatter(NullFormatter())
            fig.suptitle(
                f"Region statistics, {describe(s.focus_widths())} trained nets, [-4, 4]²{mode}"
            )
        return fig

    # ---------------------------------------------------------------------------- table
    def rows(self) -> list[Row]:
        s = self.setup
        out: list[Row] = []

        def add(
            part: str, widths: Sequence[int], condition: str, results: list[dict[str, Any]]
        ) -> None:
            counts = np.array([r["by_depth"][-1] for r in results], dtype=float)
            linear = np.array([r["linear"] for r in results], dtype=float)
            layers = np.mean([r["by_depth"] for r in results], axis=0)
            common = dict(
                part=part,
                architecture=describe(widths),
                n_parameters=n_parameters(widths),
                n_neurons=sum(widths),
                condition=condition,
                n=len(results),
                serra_upper=_bound("serra_upper", widths),
                montufar_lower=_bound("montufar_lower", widths),
                per_layer="/".join(f"{v:.0f}" for v in layers),
            )
            out.append(
                Row(
                    quantity="regions", mean=float(counts.mean()), std=float(counts.std()), **common
                )
            )
            out.append(
                Row(
                    quantity="linear regions",
                    mean=float(linear.mean()),
                    std=float(linear.std()),
                    **common,
                )
            )

        for b, _, w in s.budget_nets():
            add(f"budget {b:,}", w, "init", self.init(w))
            for ds in s.train_datasets:
                add(f"budget {b:,}", w, f"trained on {ds}", [self.trained(w, ds)])
        for sweep, w in s.sweep_nets():
            add(sweep, w, "init", self.init(w))
        fit = self.density_fit()
        for quantity, value in (
            ("density C (regions / area / N²)", fit.constant),
            ("density free slope", fit.slope),
            ("density rms log residual", fit.rms_log_residual),
        ):
            out.append(
                Row(
                    "density law",
                    "all nets at init",
                    None,
                    None,
                    "init",
                    quantity,
                    float(value),
                    None,
                    fit.n_points,
                    None,
                    None,
                    "",
                )
            )
        for job in self.curves:
            r = self.results[job.key()]
            for k in sorted(
                {0, int(np.argmax(r["regions"])), len(r["steps"]) - 1}
            ):  # first, peak, last
                out.append(
                    Row(
                        "training",
                        describe(job.hidden),
                        n_parameters(job.hidden),
                        sum(job.hidden),
                        f"step {r['steps'][k]} on {job.dataset}",
                        "regions",
                        float(r["regions"][k]),
                        None,
                        1,
                        None,
                        None,
                        "/".join(map(str, r["by_depth"][k])),
                    )
                )
        fw = s.focus_widths()
        for ds in s.datasets:
            add("layers", fw, f"trained on {ds}", [self.trained(fw, ds)])
            st = self.stats[ds]
            areas = np.asarray(st["areas"])
            base = dict(
                part="statistics",
                architecture=describe(fw),
                n_parameters=n_parameters(fw),
                n_neurons=sum(fw),
                condition=f"trained on {ds}, [-4, 4]²",
                std=None,
                n=1,
                serra_upper=None,
                montufar_lower=None,
                per_layer="",
            )
            values = [
                ("regions", float(st["n_regions"])),
                ("median region area", float(np.median(areas))),
                ("mean vertices per region", float(np.mean(st["vertices"]))),
                ("density in data box", st["density_data_box"]),
                *(
                    (f"density {lo:g}-{hi:g} from decision boundary", v)
                    for lo, hi, v in zip(
                        BOUNDARY_BINS[:-1], BOUNDARY_BINS[1:], st["boundary_density"], strict=True
                    )
                ),
                *(
                    (f"density {lo:g}-{hi:g} outside data box", v)
                    for lo, hi, v in zip(
                        DATA_BINS[:-1], DATA_BINS[1:], st["density_outside"], strict=True
                    )
                ),
            ]
            out += [
                Row(quantity=q, mean=float("nan") if v is None else float(v), **base)
                for q, v in values
            ]
        for label, _, count, formula in _constructions():
            out.append(
                Row(
                    "constructions",
                    label,
                    None,
                    None,
                    "hand-built",
                    f"regions (formula {formula})",
                    float(count),
                    None,
                    1,
                    None,
                    None,
                    "",
                )
            )
        return out


def _mids(edges: Sequence[float], last_factor: float = 1.5) -> list[float]:
    """Plotting positions of distance bands (the last, open band at its lower edge x factor)."""
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        out.append(lo * last_factor if math.isinf(hi) else (lo + hi) / 2 if lo > 0 else hi / 2)
    return out


def _depth_color(i: int) -> str:
    """Okabe-Ito colours without black (reserved) and yellow (faint on white)."""
    palette = [c for j, c in enumerate(style.OKABE_ITO) if j not in (0, 4)]
    return palette[i % len(palette)]


_DEPTH_ORDER = (1, 2, 4, 8, 3, 6, 10, 5, 7, 9)  # the compared depths get the first colours
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


def _depth_style(depth: int) -> tuple[str, str]:
    """(colour, marker) of a depth, the same in every figure; markers tell apart depths
    that share a colour."""
    rank = _DEPTH_ORDER.index(depth) if depth in _DEPTH_ORDER else depth
    return _depth_color(rank), _MARKERS[rank % len(_MARKERS)]


# ------------------------------------------------------------------ figure 4: layer by layer
def layer_figure(setup: DepthWidth, options: RunOptions, mode: str) -> Figure:
    """Partition after each hidden layer of the focus net trained on every dataset.

    Parameters
    ----------
    setup : DepthWidth
        Its ``focus`` net, ``datasets`` and ``bias_std``.
    options : RunOptions
        ``quick`` and ``cache_dir`` (the nets are trained or loaded from the cache).
    mode : str
        Appended to the title.

    Returns
    -------
    Figure
        One row per dataset, one column per hidden layer ``k``: the boundaries drawn by
        layers ``1..k`` on [-2, 2]^2, annotated with the count after layer ``k``.

    Examples
    --------
    A 2 x 3 focus net on one dataset (trained in quick mode into a temporary cache):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.depth_width import DepthWidth, count_net, layer_figure, train_config
    >>> from analysis.experiments import RunOptions
    >>> from analysis.train import train
    >>> setup = DepthWidth(focus=(30, 2), datasets=("line",))
    >>> setup.focus_widths()
    (3, 3)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     options = RunOptions(Path(tmp), Path(tmp), quick=True, progress=False)
    ...     fig = layer_figure(setup, options, " (example)")
    ...     config = train_config((3, 3), "line", 0, setup.bias_std, quick=True)
    ...     count = count_net(train(config, cache_dir=tmp, progress=False).model)
    >>> [ax.get_title() for ax in fig.axes]
    ['after layer 1', 'after layer 2']
    >>> n = count.by_depth
    >>> fig.axes[1].texts[0].get_text() == f"{n[2]} regions (+{n[2] - n[1]})"
    True
    >>> fig.get_suptitle().splitlines()[1]
    '2 × 3 trained nets (example)'
    """
    widths = setup.focus_widths()
    depth = len(widths)
    with style.style():
        fig = Figure(
            figsize=(1.75 * depth + 0.6, 1.75 * len(setup.datasets) + 0.8), layout="constrained"
        )
        axes = fig.subplots(len(setup.datasets), depth, squeeze=False, sharex=True, sharey=True)
        for row, ds in enumerate(setup.datasets):
            config = train_config(widths, ds, 0, setup.bias_std, options.quick)
            model = train(config, cache_dir=options.cache_dir, progress=False).model
            part = regions.decompose(model, domain=DEFAULT_BOX)
            counts = part.counts_by_depth()
            for k in range(1, depth + 1):
                ax = axes[row, k - 1]
                b = part.at_depth(k).boundaries()
                for layer in range(1, k + 1):
                    sel = b.layer == layer
                    ax.add_collection(
                        LineCollection(
                            b.segments[sel],
                            colors=_depth_color(layer - 1),
                            linewidths=0.9 if layer == k else 0.45,
                            zorder=1 + (layer == k),
                        )
                    )
                if k == depth:
                    segs = part.decision_boundary().segments
                    ax.add_collection(
                        LineCollection(segs, colors="#000000", linewidths=1.4, zorder=4)
                    )
                ax.set_xlim(DEFAULT_BOX[:2])
                ax.set_ylim(DEFAULT_BOX[2:])
                ax.set_aspect("equal")
                annotate(ax, f"{counts[k]} regions (+{counts[k] - counts[k - 1]})")
                if row == 0:
                    ax.set_title(f"after layer {k}")
            axes[row, 0].set_ylabel(f"{ds}\ny")
        for ax in axes[-1]:
            ax.set_xlabel("x")
        handles = [
            Line2D([], [], color=_depth_color(i), lw=1.2, label=f"layer {i + 1}")
            for i in range(depth)
        ]
        handles.append(Line2D([], [], color="#000000", lw=1.4, label="decision boundary"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        fig.suptitle(f"Layer-by-layer refinement\n{describe(widths)} trained nets{mode}")
    return fig


# ------------------------------------------------------------------ figure 5: constructions
def _constructions() -> list[tuple[str, Any, int, str]]:
    """(label, net, exact count on [0, 1]^2, formula) of the hand-built nets drawn."""
    out = []
    for depth in (1, 2, 3, 4):
        net = constructions.sawtooth(depth)
        out.append(
            (
                f"sawtooth L={depth}",
                net,
                regions.count(net, (0, 1, 0, 1)),
                f"2^{depth} = {2**depth}",
            )
        )
    for depth in (1, 2, 3):
        net = constructions.sawtooth_2d(depth)
        out.append(
            (
                f"2D sawtooth L={depth}",
                net,
                regions.count(net, (0, 1, 0, 1)),
                f"4^{depth} = {4**depth}",
            )
        )
    for depth in (1, 2, 3):
        net = constructions.folding_net(2, depth)
        formula = f"2^{2 * (depth - 1)}·7 = {constructions.folding_net_count(2, depth)}"
        out.append((f"folding p=2 L={depth}", net, regions.count(net, (0, 1, 0, 1)), formula))
    return out


def construction_figure(mode: str) -> Figure:
    """Sawtooth, 2D sawtooth and folding nets with exact counts next to their formulas.

    Parameters
    ----------
    mode : str
        Appended to the title.

    Returns
    -------
    Figure
        One row per construction, one panel per depth: the exact regions on [0, 1]^2,
        titled with the exact count and the closed-form one.

    Examples
    --------
    >>> from analysis.depth_width import construction_figure
    >>> fig = construction_figure("")
    >>> len(fig.axes)  # 3 rows x 4 columns (two unused)
    12
    >>> for ax in fig.axes[:4]:
    ...     print(ax.get_title().splitlines())
    ['sawtooth L=1', '2 regions; 2^1 = 2']
    ['sawtooth L=2', '4 regions; 2^2 = 4']
    ['sawtooth L=3', '8 regions; 2^3 = 8']
    ['sawtooth L=4', '16 regions; 2^4 = 16']
    >>> fig.axes[6].get_title().splitlines()[1]  # 2D sawtooth, L = 3
    '64 regions; 4^3 = 64'
    """
    items = _constructions()
    rows = [
        [i for i in items if i[0].startswith(p)] for p in ("sawtooth", "2D sawtooth", "folding")
    ]
    n_cols = max(len(r) for r in rows)
    with style.style():
        fig = Figure(figsize=(1.8 * n_cols + 0.4, 1.9 * len(rows) + 0.5), layout="constrained")
        axes = fig.subplots(len(rows), n_cols, squeeze=False)
        for r, row in enumerate(rows):
            for c in range(n_cols):
                ax = axes[r, c]
                if c >= len(row):
                    ax.set_axis_off()
                    continue
                label, net, count, formula = row[c]
                draw_regions(ax, regions.decompose(net, domain=(0, 1, 0, 1)))
                ax.set_xlim(0, 1)
                ax.set_ylim(0, 1)
                ax.set_aspect("equal")
                ax.set_title(f"{label}\n{count} regions; {formula}")
                ax.set_xticks([0, 1])
                ax.set_yticks([0, 1])
                ax.set_xlabel("x", labelpad=-6)
                ax.set_ylabel("y", labelpad=-6)
        fig.suptitle(f"Constructions that attain the depth lower bounds{mode}")
    return fig


EXPERIMENT = DepthWidth()
"""The registered experiment (``python -m analysis reproduce --experiment depth-vs-width``)."""
