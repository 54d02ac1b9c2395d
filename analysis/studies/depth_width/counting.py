"""Exact counts and region statistics of one net: what the depth-versus-width study measures.

One-layer nets
--------------
A one-hidden-layer net's regions are the cells of its line arrangement, counted exactly in
O(n^2 log n) by :func:`regions.arrangement_cells` (:func:`one_layer_count`): 600 units take
about 0.1 s, where the general decomposition takes seconds. The tests check it against
:func:`regions.decompose`, with and without general position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
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
    "STATS_BOX",
    "Count",
    "constructions_table",
    "count_net",
    "one_layer_count",
    "region_statistics",
    "train_counting",
]

STATS_BOX: Box = (-4.0, 4.0, -4.0, 4.0)  # region statistics: the data box and a margin of 2
BOUNDARY_BINS = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8, math.inf)  # distance to the decision boundary
DATA_BINS = (0.0, 0.5, 1.0, 2.0)  # Chebyshev distance outside the data box [-2, 2]^2


def one_layer_count(model: MLP, box: Box = DEFAULT_BOX) -> Count | None:
    """Exact counts of a one-hidden-layer ReLU net from its line arrangement, or None.

    Activation regions are the cells of the arrangement of the units' breakpoint lines
    (:func:`regions.arrangement_cells`). Crossing a line changes the output map by
    ``sum_i |s_i| V[:, i]`` times the line's equation, over the units ``i`` that draw it (unit
    ``i``'s equation is ``s_i`` times the line's, ``V`` the output weights): the linear
    regions are the cells of the lines where that sum is nonzero, decided in rationals.

    Parameters
    ----------
    model : MLP
        Any lab net; only a one-hidden-layer ReLU net without batch norm or skip is counted.
    box : (xmin, xmax, ymin, ymax)
        The domain, in input units.

    Returns
    -------
    Count or None
        ``method='arrangement'``; None for any other net.

    Examples
    --------
    >>> import regions
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.depth_width.counting import one_layer_count
    >>> net = MLP((30,), seed=0, bias_std=0.5)
    >>> count = one_layer_count(net)
    >>> count.by_depth[-1] == regions.count(net), count.method
    (True, 'arrangement')
    >>> one_layer_count(MLP((3, 3), seed=0)) is None
    True
    """
    config = model.config
    plain = config.activation == "relu" and not config.batch_norm and not any(config.residual or ())
    if len(config.hidden) != 1 or not plain:
        return None
    weight = model.blocks[0].linear.weight.detach().double().numpy()
    bias = model.blocks[0].linear.bias.detach().double().numpy()
    out = model.output.weight.detach().double().numpy()
    first, line_of = regions.distinct_lines(weight, bias)
    kink = [[Fraction(0)] * out.shape[0] for _ in first]
    for i in np.flatnonzero(line_of >= 0):
        ref = weight[first[line_of[i]]]
        axis = 0 if ref[0] != 0 else 1  # unit i's equation is s times its line's
        s = abs(Fraction(weight[i, axis]) / Fraction(ref[axis]))
        row = kink[line_of[i]]
        kink[line_of[i]] = [k + s * Fraction(v) for k, v in zip(row, out[:, i], strict=True)]
    bends = first[[any(k) for k in kink]] if len(first) else first
    n = regions.arrangement_cells(weight, bias, box)
    # Where the output bends at every line, the linear regions are the same cells.
    linear = (
        n
        if len(bends) == len(first)
        else regions.arrangement_cells(weight[bends], bias[bends], box)
    )
    return Count((1, n), linear, "arrangement")


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
        (:func:`one_layer_count`, for one-hidden-layer nets).

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

    One-hidden-layer ReLU nets are counted from their line arrangement
    (:func:`one_layer_count`), every other net by :func:`regions.decompose`.

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
    Count(by_depth=(1, 4), linear=4, method='arrangement')
    >>> count_net(MLP((2, 2), seed=0)).method
    'decompose'
    """
    shallow = one_layer_count(model, box)
    if shallow is not None:
        return shallow
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
    the data box (:data:`BOUNDARY_BINS`; band areas from shapely buffers clipped to the box,
    whose round joins are polygons: 1e-4 relative at most on this module's examples), and
    outside the data box (Chebyshev distance, :data:`DATA_BINS`); plus the median distance
    from a region to its nearest training point. Inside the data box every point is within
    about 0.05 of a training point (10,000 uniform samples on 16 square units), so "near the
    data" means the data box and "far" means the margin around it.

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
