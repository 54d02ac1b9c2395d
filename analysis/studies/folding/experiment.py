"""Experiment ``folding``: narrow nets fold the plane but cannot enclose the ``ring``.

Nets: width-2 MLPs of depth 1..6, a single width-3 layer (whose bounded inner region is a
polygon of at most six sides, about 95 % accurate), and a width-32 layer followed by a
width-3 layer (> 99 % accurate), each checked exactly by
:func:`~analysis.studies.folding.ring.enclosure`. For every net the table also gives the mean
exact space-folding measure chi (:mod:`analysis.studies.folding.measures`) of random segments
across the data box; the chi study (:mod:`analysis.studies.folding.chi`) compares nets of
matched budgets. Two more figures show folding itself on the hand-built ``folding_net(2, 3)``
(:mod:`analysis.studies.folding.folding_net`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

import regions
from analysis.lab.data import BOUNDARY_NAMES
from analysis.lab.jobs import Job
from analysis.lab.options import RunOptions
from analysis.lab.sgd import TrainConfig, dataset_for
from analysis.lab.train import train
from analysis.studies.depth_width.nets import describe, matched_widths, train_config
from analysis.studies.experiment import (
    EXPLORER_MAX_REGIONS,
    Drawing,
    Exploration,
    Report,
    Results,
    Table,
)
from analysis.studies.folding.chi import ChiJob, ChiSummary, summarize
from analysis.studies.folding.chi_figures import chi_depth_figure, chi_layers_figure
from analysis.studies.folding.figures import (
    bowl_figure,
    enclosure_figure,
    fold_groups_figure,
    images_figure,
)
from analysis.studies.folding.folding_net import DISC_SIDES, HOLE_RADIUS, folding_partition
from analysis.studies.folding.images import output_plane
from analysis.studies.folding.net_figures import folding_figure, hole_figure
from analysis.studies.folding.ring import (
    FAR_BOX,
    NARROW_DEPTHS,
    QUICK_RING_TRAINING,
    RING_TRAINING,
    WIDE_HIDDEN,
    Enclosure,
    enclosure,
    ring_config,
)
from regions import DEFAULT_BOX

__all__ = ["EXPERIMENT", "EnclosureJob", "Folding", "Row"]

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
    "Net {net}, row k: left, the input plane coloured by position (x: blue to orange, y: "
    "dark to pale) with the exact regions of layers 1..k; middle, the "
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


@dataclass(frozen=True)
class EnclosureJob(Job):
    """Train one ring net (through the cache) and measure its enclosure exactly.

    Attributes
    ----------
    config : TrainConfig
        The ring net's training run (:func:`~analysis.studies.folding.ring.ring_config`).
    n_segments : int
        Random segments of the mean chi.

    Examples
    --------
    >>> from analysis.studies.folding.experiment import EnclosureJob
    >>> from analysis.studies.folding.ring import QUICK_RING_TRAINING, ring_config
    >>> config = ring_config((2,), {**QUICK_RING_TRAINING, "epochs": 1})
    >>> result = EnclosureJob(config, n_segments=10).run(None)
    >>> result["hidden"], result["n_bounded"], result["mean_chi"]
    ('2', 0, 0.0)
    """

    version = 2  # 2: segments walked exactly by regions.decompose_line

    config: TrainConfig
    n_segments: int = 400

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """The :class:`~analysis.studies.folding.ring.Enclosure` fields."""
        result = train(self.config, cache_dir=cache_dir, progress=False)
        return asdict(enclosure(result, n_segments=self.n_segments)[0])


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
    >>> from analysis.studies.folding.experiment import Row
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


@dataclass(frozen=True)
class Folding:
    """The folding experiment: ring nets, the chi study and the folding net.

    Attributes
    ----------
    ring_training : mapping
        Sizes, epochs and learning rate of the ring nets
        (:func:`~analysis.studies.folding.ring.ring_config`).
    n_segments : int
        Random segments of the ring nets' mean chi.
    chi_budgets : tuple of int
        Parameter budgets compared at initialisation.
    chi_trained_budget : int
        Budget of the trained nets.
    chi_depths : tuple of int
        Hidden layers compared at every budget.
    chi_seeds : int
        Initialisations per net (seeds ``0..chi_seeds-1``).
    chi_datasets : tuple of str
        Datasets the trained nets learn (seed 0).
    chi_segments : int
        Random segments per net of the chi study.
    quick_changes : mapping
        Field overrides in quick mode (:meth:`RunOptions.sized`).

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.studies.folding.experiment import EXPERIMENT
    >>> quick = RunOptions(Path("out"), Path("out/cache"), quick=True)
    >>> [job.config.model.hidden for job in EXPERIMENT.chi_jobs(quick) if not job.trained][:2]
    [(200,), (200,)]
    >>> len(EXPERIMENT.jobs(quick)), EXPERIMENT.notebook
    (20, '04_space_folding.py')
    """

    ring_training: Mapping[str, Any] = field(default_factory=lambda: RING_TRAINING)
    n_segments: int = 400
    chi_budgets: tuple[int, ...] = (300, 1_000)
    chi_trained_budget: int = 1_000
    chi_depths: tuple[int, ...] = (1, 2, 4, 8)
    chi_seeds: int = 5
    chi_datasets: tuple[str, ...] = BOUNDARY_NAMES
    chi_segments: int = 400
    quick_changes: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType(
            {
                "ring_training": QUICK_RING_TRAINING,
                "n_segments": 100,
                "chi_budgets": (1_000,),
                "chi_seeds": 2,
                "chi_datasets": ("sine",),
                "chi_segments": 100,
            }
        )
    )
    name: str = "folding"
    title: str = "Space folding: exact images, the folding measure, and the ring"
    notebook: str = "04_space_folding.py"

    def ring_hidden(self) -> list[tuple[int, ...]]:
        """Hidden widths of the ring nets: width 2 at every depth, then the wider ones."""
        return [(2,) * d for d in NARROW_DEPTHS] + list(WIDE_HIDDEN)

    def enclosure_jobs(self, options: RunOptions) -> list[EnclosureJob]:
        """One job per ring net, as ``options`` sizes the study."""
        s = options.sized(self)
        return [
            EnclosureJob(ring_config(h, s.ring_training), s.n_segments) for h in s.ring_hidden()
        ]

    def chi_jobs(self, options: RunOptions) -> list[ChiJob]:
        """Trained nets first (slowest), then every net at initialisation."""
        s = options.sized(self)
        b = s.chi_trained_budget
        trained = [
            ChiJob(
                options.train_config(train_config(matched_widths(b, d), ds)),
                True,
                s.chi_segments,
                b,
            )
            for ds in s.chi_datasets
            for d in s.chi_depths
        ]
        init = [
            ChiJob(train_config(matched_widths(b, d), "line", seed), False, s.chi_segments, b)
            for b in s.chi_budgets
            for d in s.chi_depths
            for seed in range(s.chi_seeds)
        ]
        return trained + init

    def jobs(self, options: RunOptions) -> list[EnclosureJob | ChiJob]:
        """The ring nets, then the chi study."""
        return [*self.enclosure_jobs(options), *self.chi_jobs(options)]

    def report(self, results: Results, options: RunOptions) -> Report:
        """Nine figures and the table of ring and chi rows."""
        s = options.sized(self)
        ring_jobs = self.enclosure_jobs(options)
        enclosures = [Enclosure(**results[j]) for j in ring_jobs]
        nets = {
            h: train(j.config, cache_dir=options.cache_dir, progress=False)
            for h, j in zip(s.ring_hidden(), ring_jobs, strict=True)
        }
        parts = [regions.decompose(nets[h].model, FAR_BOX) for h in s.ring_hidden()]
        chi_jobs = self.chi_jobs(options)
        summaries = [summarize(j, results[j]) for j in chi_jobs]
        drawings = [
            Drawing("ring_enclosure", ENCLOSURE_CAPTION, enclosure_figure(enclosures, parts)),
            *self._ring_views(nets),
            *self._chi_views(s, chi_jobs, results, summaries, options),
        ]
        # The hand-built folding net: exact, no training, the same in quick and full runs.
        demo = folding_partition()
        drawings += [
            Drawing("folding_net_images", FOLDING_NET_CAPTION, folding_figure(demo)),
            Drawing("folding_net_hole", HOLE_CAPTION, hole_figure(demo)),
        ]
        table = Table.from_records(_rows(enclosures, summaries))
        pages = [
            Exploration(
                f"explore-ring-{e.hidden}", f"ring net {e.hidden}", part, accuracy=e.test_acc
            )
            for e, part in zip(enclosures, parts, strict=True)
            if len(part) <= EXPLORER_MAX_REGIONS
        ]
        pages.append(Exploration("explore-folding-net", "the hand-built folding net", demo))
        return Report(DESCRIPTION, tuple(drawings), table, tuple(pages))

    @staticmethod
    def _ring_views(nets: dict[tuple[int, ...], Any]) -> list[Drawing]:
        """How a width-2 ring net (its own coordinates) and a width-3 one fold the data box."""
        narrow = (2,) * FOLD_DEPTH
        narrow_part = regions.decompose(nets[narrow].model, DEFAULT_BOX)
        name = "-".join(map(str, narrow))
        single = nets[WIDE_HIDDEN[0]]
        test = dataset_for(single.config)
        acc = float(single.history.test_acc[-1])
        bowl = bowl_figure(
            [regions.decompose(single.model, DEFAULT_BOX)],
            [1],
            [output_plane(single.model)],
            test.X_test[:BOWL_POINTS],
            test.y_test[:BOWL_POINTS],
            [f"ring, one layer of width 3: test accuracy {acc:.3f}"],
        )
        return [
            Drawing(
                "ring_narrow_images",
                IMAGES_CAPTION.format(net=name, view="in each layer's own two units"),
                images_figure(narrow_part, title=f"ring, widths {name}"),
            ),
            Drawing(
                "ring_narrow_folds",
                FOLDS_CAPTION,
                fold_groups_figure(
                    narrow_part, title=f"ring, widths {name}: regions folded together"
                ),
            ),
            Drawing("ring_bowl", BOWL_CAPTION, bowl),
        ]

    @staticmethod
    def _chi_views(
        s: Folding,
        jobs: list[ChiJob],
        results: Results,
        summaries: list[ChiSummary],
        options: RunOptions,
    ) -> list[Drawing]:
        """chi by layer and across depth, and the images of a deep trained net."""
        budget = s.chi_trained_budget
        panels = []
        for d in CHI_PANEL_DEPTHS:
            widths = matched_widths(budget, d)
            stages = sorted(
                (
                    (
                        f"trained on {j.config.dataset}" if j.trained else "init",
                        np.asarray(results[j]["chi"]),
                    )
                    for j in jobs
                    if j.config.model.hidden == widths and j.config.seed == 0 and j.budget == budget
                ),
                key=lambda stage: stage[0] != "init",
            )
            panels.append((f"{describe(widths)} (≈{budget} params)", stages))
        dataset = s.chi_datasets[-1]
        deep_widths = matched_widths(budget, 4)
        deep = options.train_config(train_config(deep_widths, dataset))
        deep_part = regions.decompose(
            train(deep, cache_dir=options.cache_dir, progress=False).model, DEFAULT_BOX
        )
        deep_name = "-".join(map(str, deep_widths))
        return [
            Drawing(
                "chi_by_layer",
                CHI_LAYERS_CAPTION.format(budget=budget, n=s.chi_segments),
                chi_layers_figure(panels),
            ),
            Drawing(
                "chi_depth_width",
                CHI_DEPTH_CAPTION.format(seeds=s.chi_seeds, n=s.chi_segments),
                chi_depth_figure(summaries),
            ),
            Drawing(
                "deep_images",
                IMAGES_CAPTION.format(
                    net=f"{deep_name} trained on {dataset}",
                    view="projected onto each layer's two leading principal axes",
                ),
                images_figure(deep_part, title=f"{dataset}, widths {deep_name}"),
            ),
        ]


EXPERIMENT = Folding()
"""The registered experiment (``python -m analysis reproduce --experiment folding``)."""
