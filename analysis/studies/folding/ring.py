"""The ring: narrow nets fold the plane but cannot enclose the ring's inner class.

A ReLU net whose hidden layers all have width <= 2 (the input dimension) has only unbounded
decision regions (Johnson 2019; Beise, Da Cruz & Schroder 2021): however deep, it can fold
the plane onto itself but never enclose the disc of ``ring``. :func:`enclosure` checks that
exactly: every connected component of the exact predicted inner-class region, computed on a
box far larger than the data (:data:`FAR_BOX`), must reach the box's edge. A net with a layer
of width 3 encloses the disc in a bounded component.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely

import regions
from analysis.lab.data import Box
from analysis.lab.models import MLPConfig
from analysis.lab.sgd import TrainConfig
from analysis.lab.train import TrainResult
from analysis.studies.folding.measures import folding_distribution, random_segments
from regions import DEFAULT_BOX

__all__ = [
    "FAR_BOX",
    "NARROW_DEPTHS",
    "QUICK_RING_TRAINING",
    "RING_TRAINING",
    "WIDE_HIDDEN",
    "Enclosure",
    "components",
    "enclosure",
    "ring_config",
]

FAR_BOX: Box = (-10.0, 10.0, -10.0, 10.0)  # 5x the data box: a bounded component stays inside
NARROW_DEPTHS = tuple(range(1, 7))
WIDE_HIDDEN: tuple[tuple[int, ...], ...] = ((3,), (32, 3))
RING_TRAINING: Mapping[str, Any] = MappingProxyType(
    {"n_train": 4000, "n_test": 4000, "epochs": 100, "lr": 0.02}
)
"""How the ring nets train (batches of 50, biases initialised with std 0.1)."""
QUICK_RING_TRAINING: Mapping[str, Any] = MappingProxyType(
    {"n_train": 1000, "n_test": 1000, "epochs": 20, "lr": 0.05}
)
"""The quick-mode ring training (the folding study's ``quick_changes``)."""


def ring_config(
    hidden: Sequence[int], training: Mapping[str, Any] = RING_TRAINING, *, seed: int = 0
) -> TrainConfig:
    """The training run of one ring net.

    Parameters
    ----------
    hidden : sequence of int
        Hidden widths of the MLP (biases initialised with std 0.1).
    training : mapping
        Sizes, epochs and learning rate: :data:`RING_TRAINING`, or
        :data:`QUICK_RING_TRAINING` in quick mode; batches of 50 either way.
    seed : int
        Initialisation and shuffling seed.

    Returns
    -------
    TrainConfig
        The run to pass to :func:`analysis.lab.train.train`.

    Examples
    --------
    >>> from analysis.studies.folding.ring import QUICK_RING_TRAINING, ring_config
    >>> full, quick = ring_config((2, 2)), ring_config((2, 2), QUICK_RING_TRAINING)
    >>> full.dataset, full.model.hidden, full.n_train, full.epochs, full.lr
    ('ring', (2, 2), 4000, 100, 0.02)
    >>> quick.n_train, quick.epochs, quick.lr, quick.batch_size
    (1000, 20, 0.05, 50)
    """
    return TrainConfig(
        "ring",
        batch_size=50,
        model=MLPConfig(hidden=tuple(hidden), bias_std=0.1),
        seed=seed,
        **training,
    )


@dataclass(frozen=True)
class Enclosure:
    """How a net's exact inner-class region (class 1) sits in a large box.

    Attributes
    ----------
    hidden : str
        Hidden widths, e.g. ``"2-2-2"``.
    min_width : int
        Narrowest hidden layer.
    test_acc : float
        Test accuracy in [0, 1] after training.
    n_regions : int
        Exact activation regions on the large box.
    n_components : int
        Connected components of the predicted inner-class region on the large box.
    n_bounded : int
        Components that do not reach the box's edge (bounded ones, for a large enough box).
    bounded_area : float
        Their total area (squared input units; the disc's is 8).
    mean_chi : float
        Mean exact space-folding measure of random segments in the data box.

    Examples
    --------
    Computed by :func:`enclosure`; a net of width-2 layers has no bounded component:

    >>> from analysis.studies.folding.ring import Enclosure
    >>> row = Enclosure("2-2", 2, 0.57, n_regions=6, n_components=1, n_bounded=0,
    ...                 bounded_area=0.0, mean_chi=0.0)
    >>> row.hidden, row.n_bounded, row.bounded_area
    ('2-2', 0, 0.0)
    """

    hidden: str
    min_width: int
    test_acc: float
    n_regions: int
    n_components: int
    n_bounded: int
    bounded_area: float
    mean_chi: float


def components(region: shapely.Geometry) -> np.ndarray:
    """The polygons of positive area that ``region`` consists of (shapely array)."""
    parts = shapely.get_parts(region)
    return parts[~shapely.is_empty(parts) & (shapely.area(parts) > 0)]


def enclosure(
    result: TrainResult, box: Box = FAR_BOX, *, n_segments: int = 400, seed: int = 0
) -> tuple[Enclosure, regions.Partition]:
    """Exact enclosure numbers of a trained ring net, and its partition of ``box``.

    A component "reaches the edge" when its distance to the box's boundary is below 1e-9 of
    the box's diameter (vertices on the edge are computed, not snapped).

    Parameters
    ----------
    result : TrainResult
        A two-class MLP on ``ring`` (class 1: the inner disc), its config and history; the
        last recorded test accuracy is copied.
    box : (xmin, xmax, ymin, ymax)
        Box decomposed exactly (input units), much larger than the data.
    n_segments : int
        Random segments in :data:`regions.DEFAULT_BOX` for the mean chi.
    seed : int
        Seed of those segments (:func:`~analysis.studies.folding.measures.random_segments`).

    Returns
    -------
    (Enclosure, regions.Partition)
        The table row and the exact partition of ``box``.

    Examples
    --------
    A hand-set width-3 layer in place of a trained net: class 1 where
    ``sum_i relu(n_i . x) < 1.5`` for three unit normals 120 degrees apart, the regular
    hexagon of inradius 1.5 (area ``4.5 sqrt(3)``); two units ``relu(x)``, ``relu(y)`` leave
    the lower-left quadrant unbounded instead.

    >>> from analysis.lab.models import MLP
    >>> from analysis.lab.train import History, TrainResult
    >>> from analysis.studies.folding.ring import QUICK_RING_TRAINING, enclosure, ring_config
    >>> def hand_set(normals):
    ...     net = MLP(hidden=(len(normals),), seed=0)
    ...     first, out = net.linears()
    ...     with torch.no_grad():
    ...         _ = first.weight.copy_(torch.tensor(normals)); _ = first.bias.zero_()
    ...         _ = out.weight.copy_(torch.tensor([[1.0] * len(normals), [0.0] * len(normals)]))
    ...         _ = out.bias.copy_(torch.tensor([0.0, 1.5]))
    ...     history = History.from_dict(  # placeholder curves: the net was not trained
    ...         {"epoch": [1], "loss": [0.0], "train_acc": [0.0], "test_acc": [0.0]})
    ...     config = ring_config(net.config.hidden, QUICK_RING_TRAINING)
    ...     return TrainResult(net.eval(), history, config, False, net.state_dict(), None)
    >>> angles = np.deg2rad([90, 210, 330])
    >>> hexagon = hand_set(np.stack([np.cos(angles), np.sin(angles)], axis=1).tolist())
    >>> row, part = enclosure(hexagon, n_segments=20)
    >>> row.hidden, row.n_regions, row.n_components, row.n_bounded
    ('3', 6, 1, 1)
    >>> round(row.bounded_area, 4), round(4.5 * 3**0.5, 4)
    (7.7942, 7.7942)
    >>> row.mean_chi  # one hidden layer never folds
    0.0
    >>> row, _ = enclosure(hand_set([[1.0, 0.0], [0.0, 1.0]]), n_segments=20)
    >>> row.hidden, row.n_components, row.n_bounded
    ('2', 1, 0)
    """
    part = regions.decompose(result.model, box)
    comps = components(part.predicted_region(1))
    edge = shapely.box(box[0], box[2], box[1], box[3]).boundary
    tol = 1e-9 * part.domain.diameter
    bounded = shapely.distance(comps, edge) > tol
    segments = random_segments(n_segments, DEFAULT_BOX, seed)
    chi = folding_distribution(part.network, segments)
    hidden = result.config.model.hidden
    row = Enclosure(
        hidden="-".join(map(str, hidden)),
        min_width=min(hidden),
        test_acc=float(result.history.test_acc[-1]),
        n_regions=len(part),
        n_components=len(comps),
        n_bounded=int(bounded.sum()),
        bounded_area=float(shapely.area(comps[bounded]).sum()),
        mean_chi=float(chi.mean()),
    )
    return row, part
