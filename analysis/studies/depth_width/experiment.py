"""Experiment ``depth-vs-width``: exact region counts against the theoretical bounds.

Its settings and jobs are those of
:class:`~analysis.studies.depth_width.settings.DepthWidthSettings`; :class:`DepthWidth` adds
its report: six figures and the table. Every job's result is cached
under ``<cache>/sweeps/`` and trained weights in the lab's model cache, so a rerun only
redraws.
"""

from __future__ import annotations

from dataclasses import dataclass

import regions
from analysis.lab.options import RunOptions
from analysis.lab.sgd import accuracy, dataset_for
from analysis.lab.train import TrainResult, train
from analysis.studies.depth_width.counting import constructions_table
from analysis.studies.depth_width.figures import (
    budget_figure,
    construction_figure,
    layer_figure,
    statistics_figure,
    sweep_figure,
    training_figure,
)
from analysis.studies.depth_width.nets import describe
from analysis.studies.depth_width.results import Counts
from analysis.studies.depth_width.settings import DepthWidthSettings
from analysis.studies.experiment import (
    EXPLORER_MAX_REGIONS,
    Drawing,
    Exploration,
    Report,
    Results,
    Table,
)
from regions import DEFAULT_BOX

__all__ = ["EXPERIMENT", "DepthWidth"]

DESCRIPTION = (
    "Exact region counts on [-2, 2]² of ReLU nets with 2 inputs and 2 logits. "
    "Initialisation: He-normal weights, biases N(0, {bias_std}²) (zero biases would make every "
    "first-layer line pass through the origin); {seeds} seeds per net at initialisation. "
    "Trained nets: seed 0, classic training (plain SGD, lr 0.01, 10,000 samples, batch 1,000, "
    "100 epochs) from that initialisation. Matched budgets: widths w or w + 1 per "
    "layer chosen so the parameter count is closest to each budget (within 5%). One-layer "
    "nets are counted exactly from their line arrangement. "
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


@dataclass(frozen=True)
class DepthWidth(DepthWidthSettings):
    """The registered depth-versus-width experiment: its settings, jobs and report.

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.studies.depth_width.experiment import EXPERIMENT
    >>> EXPERIMENT.name, EXPERIMENT.notebook
    ('depth-vs-width', '03_depth_vs_width.py')
    >>> quick = RunOptions(Path("out"), Path("out/cache"), quick=True)
    >>> len(EXPERIMENT.jobs(quick)), len(EXPERIMENT.jobs(RunOptions(Path("out"), Path("c"))))
    (73, 269)
    """

    name: str = "depth-vs-width"
    title: str = "Depth versus width: exact counts, bounds and layer-by-layer pictures"
    notebook: str = "03_depth_vs_width.py"

    def report(self, results: Results, options: RunOptions) -> Report:
        """The six figures and the table, from the jobs' results."""
        setup = options.sized(self)
        counts = Counts(setup, options, results)
        mode = " (quick mode)" if options.quick else ""
        focus = {
            ds: train(
                setup.stats_job(ds, options).config, cache_dir=options.cache_dir, progress=False
            )
            for ds in setup.datasets
        }
        parts = {ds: regions.decompose(r.model, domain=DEFAULT_BOX) for ds, r in focus.items()}
        drawings = (
            Drawing("budget", BUDGET_CAPTION, budget_figure(counts, mode)),
            Drawing("depth-width", SWEEP_CAPTION, sweep_figure(counts, mode)),
            Drawing("training", TRAINING_CAPTION, training_figure(counts, mode)),
            Drawing("layers", LAYERS_CAPTION, layer_figure(setup, parts, mode)),
            Drawing("constructions", CONSTRUCTIONS_CAPTION, construction_figure(mode)),
            Drawing("statistics", STATISTICS_CAPTION, statistics_figure(counts, mode)),
        )
        description = DESCRIPTION.format(bias_std=setup.bias_std, seeds=setup.seeds)
        pages = [_focus_page(focus[ds], parts[ds]) for ds in setup.datasets]
        pages += [_construction_page(label, net) for label, net in _deepest_constructions()]
        pages = [p for p in pages if len(p.partition) <= EXPLORER_MAX_REGIONS]
        return Report(description, drawings, Table.from_records(counts.rows()), tuple(pages))


def _focus_page(result: TrainResult, part: regions.Partition) -> Exploration:
    """The explorer page of the layer-by-layer net trained on one dataset."""
    data = dataset_for(result.config)
    name = result.config.dataset
    widths = describe(result.config.model.hidden)
    return Exploration(
        f"explore-{name}-{'x'.join(map(str, result.config.model.hidden))}",
        f"{name}, {widths} trained net ({len(part)} regions)",
        part,
        (data.X_test, data.y_test),
        accuracy(result.model, data.X_test, data.y_test),
    )


def _deepest_constructions() -> list[tuple[str, object]]:
    """(label, net) of the deepest net of each hand-built family."""
    deepest: dict[str, tuple[str, object]] = {}
    for label, net, _, _ in constructions_table():
        deepest[label.split(" L=")[0]] = (label, net)  # the table lists depths in order
    return list(deepest.values())


def _construction_page(label: str, net: object) -> Exploration:
    """The explorer page of one hand-built net, on [0, 1]^2 where its bound is attained."""
    part = regions.decompose(net, domain=(0, 1, 0, 1))
    slug = label.replace(" L=", "-L").replace(" p=", "-p").replace(" ", "-").lower()
    return Exploration(f"explore-{slug}", f"{label} ({len(part)} regions)", part)


EXPERIMENT = DepthWidth()
"""The registered experiment (``python -m analysis reproduce --experiment depth-vs-width``)."""
