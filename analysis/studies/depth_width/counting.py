"""Exact counts and region statistics of one net: what the depth-versus-width study measures.

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
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import torch
from scipy.spatial import cKDTree

import regions
from analysis.lab.data import Box
from analysis.lab.models import MLP
from analysis.lab.sgd import TrainConfig, build_model, dataset_for, run_sgd, sgd_optimizer
from regions import DEFAULT_BOX, constructions

__all__ = [
    "BOUNDARY_BINS",
    "DATA_BINS",
    "SHALLOW_DECOMPOSE_MAX",
    "STATS_BOX",
    "Count",
    "constructions_table",
    "count_net",
    "one_layer_count",
    "region_statistics",
    "train_counting",
]

SHALLOW_DECOMPOSE_MAX = 300  # one-layer nets wider than this use the arrangement formula
STATS_BOX: Box = (-4.0, 4.0, -4.0, 4.0)  # region statistics: the data box and a margin of 2
BOUNDARY_BINS = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8, math.inf)  # distance to the decision boundary
DATA_BINS = (0.0, 0.5, 1.0, 2.0)  # Chebyshev distance outside the data box [-2, 2]^2


def one_layer_count(weight: np.ndarray, bias: np.ndarray, box: Box = DEFAULT_BOX) -> int:
    """Number of cells cut from ``box`` by the lines ``weight[i] . x + bias[i] = 0``.

    Each line that enters a convex domain adds one cell, and each crossing point inside it adds
    one cell less than the number of lines through it (Euler's formula for the arrangement):
    ``1 + L + sum_p (m_p - 1)``, which is ``1 + L + I`` for lines in general position with
    ``I`` crossings. Lines through one point (zero biases), parallel lines and repeated lines
    are all counted; crossings within ``1e-9`` of the box's size count as one point. That is a
    tolerance, unlike :func:`regions.decompose`, which decides every such coincidence exactly:
    the formula is for nets too wide to decompose, where it is the faster estimate.

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
    >>> from analysis.studies.depth_width.counting import one_layer_count
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
    >>> from analysis.studies.depth_width.counting import Count
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
    >>> from analysis.studies.depth_width.counting import count_net
    >>> from analysis.lab.models import MLP
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


def train_counting(
    config: TrainConfig, every: int
) -> tuple[MLP, list[int], list[list[int]], list[int]]:
    """Train ``config`` with the lab's SGD loop, counting at step 0 and every ``every`` steps.

    Returns
    -------
    model : MLP
        The trained net (bit-identical to :func:`analysis.lab.train.train`'s).
    steps : list of int
        The SGD steps counted at: 0, ``every``, ... and the last.
    by_depth : list of list of int
        :attr:`Count.by_depth` at each of those steps.
    linear : list of int
        :attr:`Count.linear` at each of those steps.
    """
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

    >>> from analysis.lab.models import MLP
    >>> from analysis.lab.options import QuickMode
    >>> from analysis.studies.depth_width.counting import STATS_BOX, region_statistics
    >>> from analysis.studies.depth_width.nets import train_config
    >>> net = MLP((2,), seed=0)
    >>> with torch.no_grad():
    ...     _ = net.blocks[0].linear.weight.copy_(torch.eye(2))
    ...     _ = net.output.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    ...     _ = net.output.bias.copy_(torch.tensor([0.0, -0.5]))
    >>> config = QuickMode().train(train_config((2,), "line"))
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


def constructions_table() -> list[tuple[str, Any, int, str]]:
    """(label, net, exact count on [0, 1]^2, formula) of the hand-built nets that attain the
    depth lower bounds: sawtooths, 2D sawtooths and folding nets.

    Examples
    --------
    >>> from analysis.studies.depth_width.counting import constructions_table
    >>> [(label, count, formula) for label, _, count, formula in constructions_table()][:2]
    [('sawtooth L=1', 2, '2^1 = 2'), ('sawtooth L=2', 4, '2^2 = 4')]
    """
    families = (
        ("sawtooth", constructions.sawtooth, (1, 2, 3, 4), lambda d: f"2^{d} = {2**d}"),
        ("2D sawtooth", constructions.sawtooth_2d, (1, 2, 3), lambda d: f"4^{d} = {4**d}"),
        (
            "folding p=2",
            lambda d: constructions.folding_net(2, d),
            (1, 2, 3),
            lambda d: f"2^{2 * (d - 1)}·7 = {constructions.folding_net_count(2, d)}",
        ),
    )
    out = []
    for name, build, depths, formula in families:
        for depth in depths:
            net = build(depth)
            out.append((f"{name} L={depth}", net, regions.count(net, (0, 1, 0, 1)), formula(depth)))
    return out
