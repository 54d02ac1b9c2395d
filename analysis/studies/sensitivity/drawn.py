"""One perturbation drawn: the nets of the sensitivity study's second figure with their exact
partitions, measured once for the figure and for the explorer pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

import regions
from analysis.lab.data import Dataset
from analysis.lab.models import MLP
from analysis.lab.sgd import accuracy, dataset_for
from analysis.lab.train import TrainResult
from analysis.studies.sensitivity.hausdorff import hausdorff_distance
from analysis.studies.sensitivity.perturbation import Perturbation, perturb

__all__ = ["DRAW_EPS", "DrawnNet", "drawn_nets"]

DRAW_EPS = 0.1  # eps of the drawn perturbation (figure 2)


@dataclass(frozen=True, eq=False)
class DrawnNet:
    """A trained net, or that net with one layer perturbed, measured exactly.

    Attributes
    ----------
    depth : int
        Hidden layers of the net.
    slug : str
        ``'trained'`` or ``'layer-k'`` (layer ``k`` perturbed): for file names.
    title : str
        Panel title, e.g. ``'layer 1, ε = 0.1'``.
    model : MLP
        The net as drawn (perturbed where the title says so).
    data : Dataset
        Test set and box of the trained net.
    partition : regions.Partition
        Exact partition of ``model`` over ``data.box``.
    test_acc : float
        Test accuracy of ``model``, in [0, 1].
    moved : float or None
        Hausdorff distance (input units) between this decision boundary and the trained
        net's; None for the trained net itself.
    before : np.ndarray, shape (E, 2, 2)
        The trained net's exact decision boundary, as segments.
    seed : int
        Noise seed of the perturbations of this row.
    """

    depth: int
    slug: str
    title: str
    model: MLP
    data: Dataset
    partition: regions.Partition
    test_acc: float
    moved: float | None
    before: np.ndarray
    seed: int


def drawn_nets(
    results: Mapping[int, TrainResult], seed: int = 0, eps: float = DRAW_EPS
) -> list[list[DrawnNet]]:
    """Each trained net, then the same net with layer 1 and with its last hidden layer
    perturbed at relative size ``eps``.

    Parameters
    ----------
    results : mapping of int to TrainResult
        One trained net per depth (hidden layers); its config gives the dataset and box.
    seed : int
        Noise seed of the perturbations.
    eps : float
        Relative noise size (:class:`Perturbation`).

    Returns
    -------
    list of list of DrawnNet
        One row of three per depth, in the order of ``results``.

    Examples
    --------
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.train import TrainConfig, train
    >>> from analysis.studies.sensitivity.drawn import drawn_nets
    >>> config = TrainConfig("sine", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...                      model=MLPConfig(hidden=(3, 3)))
    >>> (row,) = drawn_nets({2: train(config, progress=False)})
    >>> for net in row:
    ...     print(net.slug, "|", net.title)
    trained | trained
    layer-1 | layer 1, ε = 0.1
    layer-2 | layer 2 (last hidden), ε = 0.1
    >>> row[0].moved is None, row[1].moved >= 0.0
    (True, True)
    """
    rows = []
    for depth, result in results.items():
        model = result.model
        data = dataset_for(result.config)
        trained = regions.decompose(model, domain=data.box)
        before = trained.decision_boundary().segments
        nets = [("trained", "trained", model, trained)]
        for layer, where in ((1, ""), (depth, " (last hidden)")):
            net = perturb(model, Perturbation(layer, eps, seed))
            title = f"layer {layer}{where}, ε = {eps:g}"
            nets.append((f"layer-{layer}", title, net, regions.decompose(net, domain=data.box)))
        rows.append(
            [
                DrawnNet(
                    depth=depth,
                    slug=slug,
                    title=title,
                    model=net,
                    data=data,
                    partition=part,
                    test_acc=accuracy(net, data.X_test, data.y_test),
                    moved=None
                    if part is trained
                    else hausdorff_distance(before, part.decision_boundary().segments),
                    before=before,
                    seed=seed,
                )
                for slug, title, net, part in nets
            ]
        )
    return rows
