"""Experiment ``folding``: narrow nets fold the plane but cannot enclose the ``ring``.

A ReLU net whose hidden layers all have width <= 2 (the input dimension) has only unbounded
decision regions (Johnson 2019; Beise, Da Cruz & Schroder 2021): however deep, it can fold
the plane onto itself but never enclose the disc of ``ring``. Here that is checked exactly:
every connected component of the exact predicted inner-class region, computed on a box far
larger than the data (:data:`FAR_BOX`), must reach the box's edge. A net with a layer of
width 3 encloses the disc in a bounded component.

Nets: width-2 MLPs of depth 1..6, a single width-3 layer (whose bounded inner region is a
polygon of at most six sides, about 95 % accurate), and a width-32 layer followed by a
width-3 layer (> 99 % accurate). For every net the table also gives the mean exact space-folding
measure chi (:mod:`analysis.folding`) of random segments across the data box.

Two more figures show folding itself on the hand-built ``folding_net(2, 3)``
(:mod:`analysis.folding_pictures`): the exact images of the regions of the first k layers,
4^k copies on one square, and a disc in the folded representation whose exact preimage is
replicated 4^k times in the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from matplotlib.figure import Figure

import regions
from analysis.data import DEFAULT_BOX, Box, get_boundary
from analysis.folding import folding_distribution, random_segments
from analysis.folding_pictures import (
    DISC_SIDES,
    HOLE_RADIUS,
    folding_figure,
    folding_partition,
    hole_figure,
)
from analysis.models import MLPConfig
from analysis.plots import (
    annotate,
    draw_decision_boundary,
    draw_region_boundaries,
    draw_true_boundary,
)
from analysis.report import ExperimentReport, FigureFile, Table
from analysis.style import POSITIVE_FILL_COLOR, save_figure, style
from analysis.train import TrainConfig, TrainResult, train_many

if TYPE_CHECKING:
    from analysis.experiments import RunOptions

__all__ = [
    "FAR_BOX",
    "NARROW_DEPTHS",
    "WIDE_HIDDEN",
    "Enclosure",
    "enclosure",
    "ring_config",
    "run",
]

NAME = "folding"
FAR_BOX: Box = (-10.0, 10.0, -10.0, 10.0)  # 5x the data box: a bounded component stays inside
NARROW_DEPTHS = tuple(range(1, 7))
WIDE_HIDDEN: tuple[tuple[int, ...], ...] = ((3,), (32, 3))
N_SEGMENTS, QUICK_SEGMENTS = 400, 100


def ring_config(hidden: Sequence[int], *, quick: bool = False, seed: int = 0) -> TrainConfig:
    """Training run of an MLP with these hidden widths on ``ring`` (plain SGD, seeded).

    Width-2 nets fail whatever the training, so ``quick`` only shortens it; the settings were
    chosen so that ``hidden=(32, 3)`` passes 99 % test accuracy with the full run (seed 0).
    """
    return TrainConfig(
        "ring",
        n_train=1000 if quick else 4000,
        n_test=1000 if quick else 4000,
        epochs=20 if quick else 100,
        batch_size=50,
        lr=0.05 if quick else 0.02,
        model=MLPConfig(hidden=tuple(hidden), bias_std=0.1),
        seed=seed,
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
    """

    hidden: str
    min_width: int
    test_acc: float
    n_regions: int
    n_components: int
    n_bounded: int
    bounded_area: float
    mean_chi: float


def _components(region: shapely.Geometry) -> np.ndarray:
    parts = shapely.get_parts(region)
    return parts[~shapely.is_empty(parts) & (shapely.area(parts) > 0)]


def enclosure(
    result: TrainResult, box: Box = FAR_BOX, *, n_segments: int = N_SEGMENTS, seed: int = 0
) -> tuple[Enclosure, regions.Partition]:
    """Exact enclosure numbers of a trained ring net, and its partition of ``box``.

    A component "reaches the edge" when its distance to the box's boundary is below 1e-9 of
    the box's diameter (vertices on the edge are computed, not snapped).
    """
    part = regions.decompose(result.model, box)
    comps = _components(part.predicted_region(1))
    edge = shapely.box(box[0], box[2], box[1], box[3]).boundary
    tol = 1e-9 * part.domain.diameter
    bounded = shapely.distance(comps, edge) > tol
    segments = random_segments(n_segments, DEFAULT_BOX, seed)
    chi = folding_distribution(part, segments)
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


def _figure(rows: list[Enclosure], parts: list[regions.Partition]) -> Figure:
    fig = Figure(figsize=(2.0 * len(rows), 2.9), layout="constrained")
    axes = fig.subplots(1, len(rows), squeeze=False, sharey=True)[0]
    clip = shapely.box(DEFAULT_BOX[0], DEFAULT_BOX[2], DEFAULT_BOX[1], DEFAULT_BOX[3])
    truth = get_boundary("ring")
    for ax, row, part in zip(axes, rows, parts, strict=True):
        for poly in _components(shapely.intersection(part.predicted_region(1), clip)):
            xy = np.asarray(poly.exterior.coords)
            ax.fill(xy[:, 0], xy[:, 1], color=POSITIVE_FILL_COLOR, lw=0, zorder=0)
        draw_region_boundaries(ax, part)
        draw_decision_boundary(ax, part)
        draw_true_boundary(ax, truth, DEFAULT_BOX)
        ax.set_xlim(*DEFAULT_BOX[:2])
        ax.set_ylim(*DEFAULT_BOX[2:])
        ax.set_aspect("equal")
        ax.set_xlabel("x")
        ax.set_title(f"widths {row.hidden}", fontsize="small")
        annotate(ax, f"acc {row.test_acc:.3f}\nbounded {row.n_bounded}")
    axes[0].set_ylabel("y")
    fig.suptitle(
        "Ring: predicted inner class (shaded), exact decision boundary (black), "
        "true boundary (dashed)"
    )
    return fig


def run(options: RunOptions) -> ExperimentReport:
    """Train the ring nets (cached), check enclosure exactly, draw them, return the table."""
    hiddens = [(2,) * d for d in NARROW_DEPTHS] + list(WIDE_HIDDEN)
    configs = [ring_config(h, quick=options.quick) for h in hiddens]
    results = train_many(configs, options.cache_dir, options.jobs, options.progress)
    n_segments = QUICK_SEGMENTS if options.quick else N_SEGMENTS
    done = [enclosure(r, n_segments=n_segments) for r in results]
    rows, parts = [d[0] for d in done], [d[1] for d in done]
    stem = f"{NAME}/ring_enclosure"
    with style():
        save_figure(_figure(rows, parts), options.out_dir / stem)
    # The hand-built folding net: exact, no training, the same in quick and full runs.
    demo = folding_partition()
    folds_stem, hole_stem = f"{NAME}/folding_net_images", f"{NAME}/folding_net_hole"
    save_figure(folding_figure(demo), options.out_dir / folds_stem)
    save_figure(hole_figure(demo), options.out_dir / hole_stem)
    return ExperimentReport(
        name=NAME,
        title="Folding without enclosing: width-2 nets on the ring",
        description=(
            "ReLU MLPs trained with seeded SGD on ring; the exact predicted inner-class region "
            f"on the box {FAR_BOX} is split into connected components, and those not reaching "
            "the box's edge are bounded. Nets whose layers all have width 2 (depth 1 to 6) "
            "have none; a width-3 layer gives one. Mean chi: exact space-folding measure of "
            "random segments in the data box."
        ),
        quick=options.quick,
        figures=(
            FigureFile(
                stem,
                "Exact regions, decision boundary and predicted inner class (shaded) on the data "
                "box, one net per panel; bounded: inner components that do not reach the edge "
                "of the large box.",
            ),
            FigureFile(
                folds_stem,
                "Hand-built folding_net(2, 3) on the unit square. Left: the input coloured by "
                "position (x: blue to orange, y: dark to pale) with the regions of the first k "
                "folding layers. Right: the exact images of those regions in folded coordinates "
                "(t^k(x), t^k(y)), each filled with the colour of its region's centroid. All "
                "4^k images are the same unit square; they are drawn as a stack shifted "
                "diagonally so every copy shows.",
            ),
            FigureFile(
                hole_stem,
                f"A disc of radius {HOLE_RADIUS} (a regular {DISC_SIDES}-gon) in the folded "
                "coordinates after layer k (right) and its exact preimage in the input square "
                "(left), computed by inverting each region's affine map: it is replicated "
                "4^k times, once per region.",
            ),
        ),
        table=Table.from_records(rows),
    )
