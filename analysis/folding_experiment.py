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
from analysis.depth_width import INIT_BIAS_STD, describe, matched_widths, net_for
from analysis.folding import folding_distribution, random_segments
from analysis.folding_chi import (
    ChiStudy,
    ChiSummary,
    chi_depth_figure,
    chi_layers_figure,
    summarize,
)
from analysis.folding_pictures import (
    DISC_SIDES,
    HOLE_RADIUS,
    folding_figure,
    folding_partition,
    hole_figure,
)
from analysis.folding_views import bowl_figure, fold_groups_figure, images_figure, output_plane
from analysis.models import MLPConfig
from analysis.plots import (
    annotate,
    draw_decision_boundary,
    draw_region_boundaries,
    draw_true_boundary,
)
from analysis.report import ExperimentReport, FigureFile, Table
from analysis.style import POSITIVE_FILL_COLOR, save_figure, style
from analysis.train import TrainConfig, TrainResult, dataset_for, train_many

if TYPE_CHECKING:
    from analysis.experiments import RunOptions

__all__ = [
    "FAR_BOX",
    "NARROW_DEPTHS",
    "WIDE_HIDDEN",
    "Enclosure",
    "Row",
    "enclosure",
    "ring_config",
    "run",
]

NAME = "folding"
FAR_BOX: Box = (-10.0, 10.0, -10.0, 10.0)  # 5x the data box: a bounded component stays inside
NARROW_DEPTHS = tuple(range(1, 7))
WIDE_HIDDEN: tuple[tuple[int, ...], ...] = ((3,), (32, 3))
N_SEGMENTS, QUICK_SEGMENTS = 400, 100
FOLD_DEPTH = 4  # the width-2 ring net whose folding is drawn
BOWL_POINTS = 800
CHI_PANEL_DEPTHS = (2, 4, 8)
DESCRIPTION = (
    "ReLU MLPs trained with seeded SGD on ring; the exact predicted inner-class region on the "
    f"box {FAR_BOX} is split into connected components, and those not reaching the box's edge "
    "are bounded. Nets whose layers all have width 2 (depth 1 to 6) have none; a width-3 "
    "layer gives one. chi: Lewandowski et al.'s space-folding measure of random segments in "
    "the data box, computed exactly from the regions each segment crosses; the chi study "
    "compares nets of matched parameter budgets at initialisation (He-normal weights, biases "
    "N(0, 0.5^2)) and after the classic training. Table: study 'ring' (enclosure) and 'chi'."
)
ENCLOSURE_CAPTION = (
    "Exact regions, decision boundary and predicted inner class (shaded) on the data box, one "
    "net per panel; bounded: inner components that do not reach the edge of the large box."
)
IMAGES_CAPTION = (
    "Net {net}, row k: left, the input plane coloured by a colour wheel (hue: direction from "
    "the centre, saturation: distance) with the exact regions of layers 1..k; middle, the "
    "exact image of every small coloured piece under layers 1..k, {view}; right, a grid of "
    "input lines pushed exactly through the same layers. Colour jumps in the middle panel "
    "are fold lines; grid lines collapsing onto an axis are ReLUs switching off."
)
FOLDS_CAPTION = (
    "Regions of layers 1..k whose images at layer k have the same dimension and overlap "
    "(area, or length for images flattened to segments): every later layer computes the same "
    "thing on them. One colour per group; grey: regions nothing else is folded onto."
)
BOWL_CAPTION = (
    "The exact image of the data box in the 3 hidden units of a one-layer width-3 net: a "
    "piecewise-linear surface (one flat face per region, filled by the predicted class: "
    "orange inner, blue outer) with test points coloured by true class, and the output "
    "layer's decision plane (grey). The inner disc lands in the bowl's corner, cut off by "
    "one plane."
)
CHI_LAYERS_CAPTION = (
    "Distribution of the exact folding measure chi over {n} random segments in the data box "
    "for nets of about {budget} parameters, truncated after layer k (k = depth: the whole "
    "net), at initialisation (seed 0) and trained. Boxes: quartiles; whiskers: 5th to 95th "
    "percentile; dots: means."
)
CHI_DEPTH_CAPTION = (
    "Whole-net chi against depth at matched parameter budgets: mean over {n} random "
    "segments (left) and the share of segments that fold at all (right). Solid: at "
    "initialisation, mean over {seeds} seeds (bars: min to max); dashed: trained, seed 0. "
    "One-layer nets never fold."
)
FOLDING_NET_CAPTION = (
    "Hand-built folding_net(2, 3) on the unit square. Left: the input coloured by position "
    "(x: blue to orange, y: dark to pale) with the regions of the first k folding layers. "
    "Right: the exact images of those regions in folded coordinates (t^k(x), t^k(y)), each "
    "filled with the colour of its region's centroid. All 4^k images are the same unit "
    "square; they are drawn as a stack shifted diagonally so every copy shows."
)
HOLE_CAPTION = (
    f"A disc of radius {HOLE_RADIUS} (a regular {DISC_SIDES}-gon) in the folded coordinates "
    "after layer k (right) and its exact preimage in the input square (left), computed by "
    "inverting each region's affine map: it is replicated 4^k times, once per region."
)


def ring_config(hidden: Sequence[int], *, quick: bool = False, seed: int = 0) -> TrainConfig:
    """Training run of an MLP with these hidden widths on ``ring`` (plain SGD, seeded).

    Width-2 nets fail whatever the training, so ``quick`` only shortens it; the settings were
    chosen so that ``hidden=(32, 3)`` passes 99 % test accuracy with the full run (seed 0).

    Parameters
    ----------
    hidden : sequence of int
        Hidden widths of the MLP (biases initialised with std 0.1).
    quick : bool
        1000 training and test points and 20 epochs at learning rate 0.05, instead of 4000,
        4000, 100 epochs at 0.02; batches of 50 either way.
    seed : int
        Initialisation and shuffling seed.

    Returns
    -------
    TrainConfig
        The run to pass to :func:`analysis.train.train` (or ``train_many``).

    Examples
    --------
    >>> from analysis.folding_experiment import ring_config
    >>> full, quick = ring_config((2, 2)), ring_config((2, 2), quick=True)
    >>> full.dataset, full.model.hidden, full.n_train, full.epochs, full.lr
    ('ring', (2, 2), 4000, 100, 0.02)
    >>> quick.n_train, quick.epochs, quick.lr, quick.batch_size
    (1000, 20, 0.05, 50)
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

    Examples
    --------
    Computed by :func:`enclosure`; a net of width-2 layers has no bounded component:

    >>> from analysis.folding_experiment import Enclosure
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


def _components(region: shapely.Geometry) -> np.ndarray:
    parts = shapely.get_parts(region)
    return parts[~shapely.is_empty(parts) & (shapely.area(parts) > 0)]


def enclosure(
    result: TrainResult, box: Box = FAR_BOX, *, n_segments: int = N_SEGMENTS, seed: int = 0
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
        Random segments in :data:`analysis.data.DEFAULT_BOX` for the mean chi.
    seed : int
        Seed of those segments (:func:`analysis.folding.random_segments`).

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

    >>> import numpy as np, torch
    >>> from analysis.folding_experiment import enclosure, ring_config
    >>> from analysis.models import MLP
    >>> from analysis.train import History, TrainResult
    >>> def hand_set(normals):
    ...     net = MLP(hidden=(len(normals),), seed=0)
    ...     first, out = net.linears()
    ...     with torch.no_grad():
    ...         _ = first.weight.copy_(torch.tensor(normals)); _ = first.bias.zero_()
    ...         _ = out.weight.copy_(torch.tensor([[1.0] * len(normals), [0.0] * len(normals)]))
    ...         _ = out.bias.copy_(torch.tensor([0.0, 1.5]))
    ...     history = History.from_dict(  # placeholder curves: the net was not trained
    ...         {"epoch": [1], "loss": [0.0], "train_acc": [0.0], "test_acc": [0.0]})
    ...     config = ring_config(net.config.hidden, quick=True)
    ...     return TrainResult(net.eval(), history, config, False, net.state_dict())
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


@dataclass(frozen=True)
class Row:
    """One net of the experiment's table (enclosure columns are None outside the ring study).

    Attributes
    ----------
    study : str
        ``"ring"`` (the enclosure nets) or ``"chi"`` (matched-budget nets).
    widths : str
        Hidden widths.
    stage : str
        ``"init"`` or the dataset trained on.
    seed : int
    test_acc : float or None
        Test accuracy in [0, 1]; None at initialisation.
    n_regions : int
        Exact regions (on the large box for ring nets, on the data box otherwise).
    mean_chi : float
        Mean whole-net chi of random segments in the data box.
    n_components, n_bounded : int or None
        Inner-class components on the large box, and how many are bounded.
    bounded_area : float or None
        Area of the bounded ones (squared input units).

    Examples
    --------
    >>> from dataclasses import asdict
    >>> from analysis.folding_experiment import Row
    >>> row = Row("chi", "2 × 3", "init", seed=0, test_acc=None, n_regions=14, mean_chi=0.1)
    >>> row.n_components is None and row.n_bounded is None  # no enclosure columns
    True
    >>> list(asdict(row))[:4]
    ['study', 'widths', 'stage', 'seed']
    """

    study: str
    widths: str
    stage: str
    seed: int
    test_acc: float | None
    n_regions: int
    mean_chi: float
    n_components: int | None = None
    n_bounded: int | None = None
    bounded_area: float | None = None


def _rows(enclosures: list[Enclosure], chi: list[ChiSummary]) -> list[Row]:
    rows = [
        Row(
            "ring",
            e.hidden,
            "ring",
            0,
            e.test_acc,
            e.n_regions,
            e.mean_chi,
            e.n_components,
            e.n_bounded,
            e.bounded_area,
        )
        for e in enclosures
    ]
    rows += [
        Row("chi", c.widths, c.stage, c.seed, c.test_acc, c.n_regions, c.mean_chi) for c in chi
    ]
    return rows


def run(options: RunOptions) -> ExperimentReport:
    """Train the ring nets (cached), check enclosure exactly, measure chi, draw everything.

    Parameters
    ----------
    options : RunOptions
        Output and cache directories, quick mode, worker processes, progress bars.

    Returns
    -------
    ExperimentReport
        Nine figures (written as PNG and PDF under ``options.out_dir / 'folding'``) and the
        table of :class:`Row` s: the ring nets' enclosure numbers, then the chi study.

    Examples
    --------
    The runner is registered as experiment ``folding``; a run trains about 20 nets and takes
    minutes even in quick mode (``python -m analysis reproduce --experiment folding --quick``):

    >>> from pathlib import Path
    >>> from analysis.experiments import EXPERIMENTS, RunOptions
    >>> from analysis.folding_experiment import NARROW_DEPTHS, WIDE_HIDDEN, run
    >>> EXPERIMENTS["folding"] is run
    True
    >>> len(NARROW_DEPTHS) + len(WIDE_HIDDEN)  # ring nets: width 2 at depths 1..6, two wider
    8
    >>> options = RunOptions(out_dir=Path("out"), cache_dir=Path("out/cache"), quick=True)
    >>> report = run(options)  # doctest: +SKIP
    >>> [f.stem for f in report.figures][:2]  # doctest: +SKIP
    ['folding/ring_enclosure', 'folding/ring_narrow_images']
    """
    hiddens = [(2,) * d for d in NARROW_DEPTHS] + list(WIDE_HIDDEN)
    configs = [ring_config(h, quick=options.quick) for h in hiddens]
    results = train_many(configs, options.cache_dir, options.jobs, options.progress)
    n_segments = QUICK_SEGMENTS if options.quick else N_SEGMENTS
    done = [enclosure(r, n_segments=n_segments) for r in results]
    rows, parts = [d[0] for d in done], [d[1] for d in done]
    by_hidden = dict(zip(hiddens, results, strict=True))
    out = options.out_dir / NAME
    figures: list[FigureFile] = []

    def save(fig: Figure, stem: str, caption: str) -> None:
        save_figure(fig, out / stem)
        figures.append(FigureFile(f"{NAME}/{stem}", caption))

    with style():
        save(_figure(rows, parts), "ring_enclosure", ENCLOSURE_CAPTION)
    # Folding of trained nets, exactly: a width-2 ring net (its own coordinates) and a
    # width-3 one, on the data box.
    narrow = (2,) * FOLD_DEPTH
    narrow_part = regions.decompose(by_hidden[narrow].model, DEFAULT_BOX)
    name = "-".join(map(str, narrow))
    save(
        images_figure(narrow_part, title=f"ring, widths {name}"),
        "ring_narrow_images",
        IMAGES_CAPTION.format(net=name, view="in each layer's own two units"),
    )
    save(
        fold_groups_figure(narrow_part, title=f"ring, widths {name}: regions folded together"),
        "ring_narrow_folds",
        FOLDS_CAPTION,
    )
    single = by_hidden[WIDE_HIDDEN[0]]
    test = dataset_for(single.config)
    acc = float(single.history.test_acc[-1])
    save(
        bowl_figure(
            [regions.decompose(single.model, DEFAULT_BOX)],
            [1],
            [output_plane(single.model)],
            test.X_test[:BOWL_POINTS],
            test.y_test[:BOWL_POINTS],
            [f"ring, one layer of width 3: test accuracy {acc:.3f}"],
        ),
        "ring_bowl",
        BOWL_CAPTION,
    )
    # The measure across depth and width at matched budgets.
    study = ChiStudy()
    jobs, chi_results = study.run(options)
    summaries = [summarize(j, r) for j, r in zip(jobs, chi_results, strict=True)]
    resolved = study.resolved(options.quick)
    panels = []
    for d in CHI_PANEL_DEPTHS:
        widths = matched_widths(resolved.trained_budget, d)
        stages = sorted(
            (
                ("init" if j.dataset is None else f"trained on {j.dataset}", np.asarray(r["chi"]))
                for j, r in zip(jobs, chi_results, strict=True)
                if j.hidden == widths and j.seed == 0 and j.budget == resolved.trained_budget
            ),
            key=lambda stage: stage[0] != "init",
        )
        panels.append((f"{describe(widths)} (≈{resolved.trained_budget} params)", stages))
    save(
        chi_layers_figure(panels),
        "chi_by_layer",
        CHI_LAYERS_CAPTION.format(budget=resolved.trained_budget, n=resolved.n_segments),
    )
    save(
        chi_depth_figure(summaries),
        "chi_depth_width",
        CHI_DEPTH_CAPTION.format(seeds=resolved.seeds, n=resolved.n_segments),
    )
    deep_widths = matched_widths(resolved.trained_budget, 4)
    deep, _ = net_for(
        deep_widths, resolved.datasets[-1], 0, INIT_BIAS_STD, options.quick, str(options.cache_dir)
    )
    deep_part = regions.decompose(deep, DEFAULT_BOX)
    deep_name = "-".join(map(str, deep_widths))
    save(
        images_figure(deep_part, title=f"{resolved.datasets[-1]}, widths {deep_name}"),
        "deep_images",
        IMAGES_CAPTION.format(
            net=f"{deep_name} trained on {resolved.datasets[-1]}",
            view="projected onto each layer's two leading principal axes",
        ),
    )
    # The hand-built folding net: exact, no training, the same in quick and full runs.
    demo = folding_partition()
    save(folding_figure(demo), "folding_net_images", FOLDING_NET_CAPTION)
    save(hole_figure(demo), "folding_net_hole", HOLE_CAPTION)
    return ExperimentReport(
        name=NAME,
        title="Space folding: exact images, the folding measure, and the ring",
        description=DESCRIPTION,
        quick=options.quick,
        figures=tuple(figures),
        table=Table.from_records(_rows(rows, summaries)),
    )
