"""What the dynamics study measures at a checkpoint (no matplotlib).

:func:`measure` decomposes a net over the study's domain (wider than the data, so that some
of it is far from any sample) and records the exact region counts (in total and after each
layer), the linear pieces, the decision boundary, the accuracies, the mean distance of the
region vertices near the data to the decision boundary, and the exact local complexity
(:func:`regions.local_counts`) at several radii around five kinds of location
(:data:`LOCATIONS`). Where the points of each location are is fixed by :class:`Probe` and
:func:`fixed_points`, except near the learned decision boundary, which moves with the net.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import torch

import regions
from analysis.lab.data import Box, Dataset, get_boundary
from analysis.lab.sgd import accuracy
from regions import DEFAULT_BOX

__all__ = ["LOCATIONS", "Probe", "along", "fixed_points", "measure", "row_columns"]

LOCATIONS = ("train", "test", "true boundary", "decision boundary", "far")
"""Where local complexity is measured: at training points, at test points, on the true
boundary, on the net's decision boundary (evenly spaced by arc length) and far from the data
(uniform in the part of the domain at least ``Probe.far`` from the data box)."""


@dataclass(frozen=True)
class Probe:
    """Where and at which radii local complexity is measured.

    Attributes
    ----------
    domain : Box
        Decomposition domain, containing the data box ``[-2, 2]^2`` with room around it.
    radii : tuple of float
        Disc radii, in input units.
    n_points : int
        Points per location.
    far : float
        Far points lie at least this far (sup norm) from the data box, and ``max(radii)``
        inside the domain's edge.
    seed : int
        Seed of the points' draw.

    Examples
    --------
    >>> from analysis.studies.dynamics.measures import Probe
    >>> Probe().domain, Probe().radii
    ((-4.0, 4.0, -4.0, 4.0), (0.05, 0.1, 0.2))
    """

    domain: Box = (-4.0, 4.0, -4.0, 4.0)
    radii: tuple[float, ...] = (0.05, 0.1, 0.2)
    n_points: int = 200
    far: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain", tuple(float(v) for v in self.domain))
        object.__setattr__(self, "radii", tuple(float(r) for r in self.radii))
        xmin, xmax, ymin, ymax = self.domain
        inner = 2.0 + self.far + max(self.radii)
        if not (xmin <= -inner and ymin <= -inner and xmax >= inner and ymax >= inner):
            raise ValueError(
                f"Probe.domain {self.domain} leaves no room for far points: it must contain "
                f"[-{inner}, {inner}]^2 (data box, far margin {self.far}, largest radius)"
            )
        if self.n_points < 1 or min(self.radii) <= 0:
            raise ValueError("Probe needs n_points >= 1 and radii > 0")


def along(lines: shapely.Geometry, n: int) -> np.ndarray:
    """``n`` points (n, 2) evenly spaced by arc length along ``lines`` (none if empty).

    Examples
    --------
    >>> import shapely
    >>> from analysis.studies.dynamics.measures import along
    >>> along(shapely.LineString([(0, 0), (4, 0)]), 4).tolist()
    [[0.5, 0.0], [1.5, 0.0], [2.5, 0.0], [3.5, 0.0]]
    >>> along(shapely.MultiLineString([]), 3).shape
    (0, 2)
    """
    if lines.is_empty or lines.length == 0:
        return np.zeros((0, 2))
    parts = shapely.get_parts(lines)
    lengths = shapely.length(parts)
    at = (np.arange(n) + 0.5) / n * lengths.sum()
    which = np.minimum(np.searchsorted(np.cumsum(lengths), at), len(parts) - 1)
    offset = at - np.concatenate([[0.0], np.cumsum(lengths)[:-1]])[which]
    return shapely.get_coordinates(shapely.line_interpolate_point(parts[which], offset))


def fixed_points(data: Dataset, probe: Probe) -> dict[str, np.ndarray]:
    """The points (n, 2) of every location but the decision boundary's, drawn from ``seed``.

    Examples
    --------
    >>> from analysis.lab.data import make_dataset
    >>> from analysis.studies.dynamics.measures import Probe, fixed_points
    >>> points = fixed_points(make_dataset("ellipse", 500, 100), Probe(n_points=50))
    >>> {name: p.shape for name, p in points.items()}
    {'train': (50, 2), 'test': (50, 2), 'true boundary': (50, 2), 'far': (50, 2)}
    >>> import numpy as np
    >>> bool((np.abs(points["far"]).max(axis=1) >= 3).all())
    True
    """
    rng = np.random.default_rng(probe.seed)
    n = probe.n_points
    train = data.X_train[rng.choice(len(data.X_train), min(n, len(data.X_train)), replace=False)]
    test = data.X_test[rng.choice(len(data.X_test), min(n, len(data.X_test)), replace=False)]
    box = shapely.box(*np.array(DEFAULT_BOX)[[0, 2, 1, 3]])
    region = get_boundary(data.name).positive_region(DEFAULT_BOX)
    true = along(shapely.difference(region.boundary, box.exterior), n)
    reach = np.array(probe.domain) + max(probe.radii) * np.array([1, -1, 1, -1])
    far = np.zeros((0, 2))
    while len(far) < n:  # uniform in the domain less the data box grown by ``far``
        draw = rng.uniform(reach[[0, 2]], reach[[1, 3]], (4 * n, 2))
        far = np.concatenate([far, draw[np.abs(draw).max(axis=1) >= 2.0 + probe.far]])
    return {
        "train": train.astype(np.float64),
        "test": test.astype(np.float64),
        "true boundary": true,
        "far": far[:n],
    }


def measure(
    net: torch.nn.Module, data: Dataset, probe: Probe, fixed: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Every number of one checkpoint.

    Parameters
    ----------
    net : torch.nn.Module
        The net at the checkpoint, in eval mode.
    data : Dataset
        Its training and test data.
    probe : Probe
        Domain, radii and points per location.
    fixed : dict
        :func:`fixed_points` of ``data`` and ``probe``.

    Returns
    -------
    dict
        ``regions`` (over ``probe.domain``), ``regions_by_layer`` (after layers 1..L),
        ``linear_pieces`` (regions with equal maps merged), ``boundary_pieces`` (straight
        segments of the decision boundary), ``boundary_length``, ``train_acc``, ``test_acc``,
        ``vertex_distance`` (mean distance of the region vertices inside the data box to the
        decision boundary; NaN without one) and ``lc``: for each location, the mean number
        of regions meeting the open disc of each radius about its points (NaN where a
        location has no points).

    Examples
    --------
    >>> from analysis.lab.data import make_dataset
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.dynamics.measures import Probe, fixed_points, measure
    >>> data, probe = make_dataset("line", 200, 100), Probe(n_points=20)
    >>> row = measure(MLP((4, 4), seed=0).eval(), data, probe, fixed_points(data, probe))
    >>> row["regions"] == row["regions_by_layer"][-1], sorted(row["lc"])[0]
    (True, 'decision boundary')
    >>> all(v >= 1 for v in row["lc"]["train"])  # every disc about a sample meets a region
    True
    """
    part = regions.decompose(net, probe.domain)
    lines = part.decision_boundary()
    geometry = lines.to_shapely()
    points = {**fixed, "decision boundary": along(geometry, probe.n_points)}
    lc = {
        name: [
            float(part.local_counts(pts, r).mean()) if len(pts) else math.nan for r in probe.radii
        ]
        for name, pts in points.items()
    }
    inside = part.vertices[(np.abs(part.vertices) <= 2.0).all(axis=1)]
    distance = (
        float(shapely.distance(shapely.points(inside), geometry).mean())
        if len(lines) and len(inside)
        else math.nan
    )
    return {
        "regions": len(part),
        "regions_by_layer": part.counts_by_depth()[1:].tolist(),
        "linear_pieces": part.linear_regions().n,
        "boundary_pieces": len(lines),
        "boundary_length": lines.length,
        "train_acc": accuracy(net, data.X_train, data.y_train),
        "test_acc": accuracy(net, data.X_test, data.y_test),
        "vertex_distance": distance,
        "lc": {name: lc[name] for name in LOCATIONS},
    }


def row_columns(row: dict[str, Any], radii: tuple[float, ...]) -> dict[str, Any]:
    """One measured row flattened into table columns, in a fixed order: ``step``, ``regions``,
    ``regions_l1``.., the boundary and accuracy columns, ``vertex_distance``, then
    ``lc_<location>_r<radius>`` for each location and radius.

    Examples
    --------
    >>> from analysis.studies.dynamics.measures import row_columns
    >>> row = {"lc": {"far": [1.0, 2.0]}, "regions_by_layer": [3, 7], "regions": 7, "step": 5}
    >>> list(row_columns(row, (0.1, 0.2)).items())
    [('step', 5), ('regions', 7), ('regions_l1', 3), ('regions_l2', 7),
     ('lc_far_r0.1', 1.0), ('lc_far_r0.2', 2.0)]
    """
    first = ("step", "regions")
    flat = {k: row[k] for k in first if k in row}
    flat.update({f"regions_l{k}": n for k, n in enumerate(row["regions_by_layer"], start=1)})
    rest = ("linear_pieces", "boundary_pieces", "boundary_length", "train_acc", "test_acc")
    flat.update({k: row[k] for k in (*rest, "vertex_distance") if k in row})
    for name, values in row["lc"].items():
        key = name.replace(" ", "_")
        flat.update({f"lc_{key}_r{r:g}": v for r, v in zip(radii, values, strict=True)})
    return flat
