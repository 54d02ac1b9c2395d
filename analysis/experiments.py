"""The classic experiments as data, and the runner that turns them into figures and numbers.

Each classic experiment varies one thing about a small MLP (activation, depth, width,
dropout, batch norm, residual skips) and trains every setting on the four classic
boundaries (:data:`analysis.data.BOUNDARY_NAMES`). :class:`GridExperiment` holds the
settings; calling it with :class:`RunOptions` trains (or loads from the cache), evaluates
(probability grid, grid accuracy and, for piecewise-linear nets, the exact partition and
misclassified area), writes three figures and returns an
:class:`~analysis.report.ExperimentReport`.

:data:`EXPERIMENTS` maps names to runners (any callable ``RunOptions -> ExperimentReport``),
so new experiments register with one line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tqdm.auto import tqdm

import regions
from analysis.cache import entry_paths
from analysis.data import BOUNDARY_NAMES, DEFAULT_BOX, Box, get_boundary
from analysis.depth_width import EXPERIMENT as DEPTH_VS_WIDTH
from analysis.folding_experiment import run as run_folding
from analysis.models import MLPConfig
from analysis.plots import Panel, heatmap_grid, region_grid, surface_grid
from analysis.report import ExperimentReport, FigureFile, Table
from analysis.sensitivity_experiment import run as run_sensitivity
from analysis.style import save_figure
from analysis.surfaces import grid_accuracy, misclassified_area, probability_grid
from analysis.train import TrainConfig, TrainResult, train_many

__all__ = [
    "CLASSIC_EXPERIMENTS",
    "EXPERIMENTS",
    "GRID_RESOLUTION",
    "NOTEBOOKS",
    "QUICK_BATCH",
    "QUICK_NOTE",
    "QUICK_N_TEST",
    "QUICK_N_TRAIN",
    "QUICK_STEPS",
    "GridExperiment",
    "GridRun",
    "ResultRow",
    "RunOptions",
    "Runner",
    "Setting",
    "evaluate",
    "quicken",
]

GRID_RESOLUTION = 200  # points per axis of the probability grid (heat maps, grid accuracy)

# Quick mode keeps the classic number of SGD steps per net (10,000 samples / batch 1,000 x
# 100 epochs = 1,000) with 5x fewer samples and 10x smaller batches.
QUICK_STEPS = 1_000
QUICK_N_TRAIN = 2_000
QUICK_N_TEST = 500
QUICK_BATCH = 100
QUICK_NOTE = (
    f"Quick mode: at most {QUICK_N_TRAIN:,} training samples (unless the sample size is what "
    f"varies), {QUICK_N_TEST} test samples, batches of {QUICK_BATCH} and at most "
    f"{QUICK_STEPS:,} SGD steps per net."
)


@dataclass(frozen=True)
class RunOptions:
    """Where and how an experiment runs.

    Attributes
    ----------
    out_dir : Path
        Figures go to ``out_dir/<experiment name>/``.
    cache_dir : Path
        Trained models are cached here and reused.
    quick : bool
        Scaled-down training (see :func:`quicken`).
    jobs : int
        Training worker processes.
    progress : bool
        Show tqdm progress bars.

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.experiments import RunOptions
    >>> options = RunOptions(out_dir=Path("out"), cache_dir=Path("out/cache"), quick=True)
    >>> options.jobs, options.progress
    (1, True)

    :meth:`GridExperiment.run` shows a run with options pointing at a temporary directory.
    """

    out_dir: Path
    cache_dir: Path
    quick: bool = False
    jobs: int = 1
    progress: bool = True


Runner = Callable[[RunOptions], ExperimentReport]


@dataclass(frozen=True)
class Setting:
    """One column of a grid experiment.

    Attributes
    ----------
    label : str
        Column title.
    model : mapping
        Overrides of :class:`~analysis.models.MLPConfig` fields.
    train : mapping
        Overrides of :class:`~analysis.train.TrainConfig` fields (not ``dataset``/``model``).

    Examples
    --------
    >>> from analysis.experiments import GridExperiment, Setting
    >>> deep = Setting("4 × 10", model={"hidden": (10,) * 4}, train={"epochs": 20})
    >>> experiment = GridExperiment(name="demo", title="Demo", description="", settings=(deep,))
    >>> config = experiment.config("sine", deep, quick=False)
    >>> config.dataset, config.model.hidden, config.epochs
    ('sine', (10, 10, 10, 10), 20)
    """

    label: str
    model: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    train: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ResultRow:
    """Numbers for one trained net.

    Attributes
    ----------
    experiment, boundary, setting : str
        Which net: experiment name, true boundary name and column label (one line).
    test_acc : float
        Accuracy on the clean test set after the last epoch, in [0, 1].
    grid_acc : float
        Fraction of the 200 x 200 grid over the box classified correctly, in [0, 1].
    n_regions : int or None
        Exact number of activation regions in the box; None if not piecewise linear.
    n_linear_regions : int or None
        Regions left after merging neighbours with the same affine map.
    misclassified_area : float or None
        Exact area (squared input units) where the predicted class is wrong.
    misclassified_fraction : float or None
        ``misclassified_area`` over the box area, in [0, 1].
    train_seconds : float or None
        Wall time of the training run that produced the cached weights, in seconds.

    Examples
    --------
    Rows come from :func:`evaluate`; for a net that is not piecewise linear the exact
    measures are None:

    >>> import dataclasses
    >>> from analysis.experiments import ResultRow
    >>> row = ResultRow(experiment="activation", boundary="line", setting="tanh",
    ...                 test_acc=0.98, grid_acc=0.975, n_regions=None, n_linear_regions=None,
    ...                 misclassified_area=None, misclassified_fraction=None, train_seconds=1.5)
    >>> [f.name for f in dataclasses.fields(row)][3:5], row.n_regions is None
    (['test_acc', 'grid_acc'], True)
    """

    experiment: str
    boundary: str
    setting: str
    test_acc: float
    grid_acc: float
    n_regions: int | None
    n_linear_regions: int | None
    misclassified_area: float | None
    misclassified_fraction: float | None
    train_seconds: float | None


def quicken(config: TrainConfig, *, keep_samples: bool = False) -> TrainConfig:
    """The quick-mode version of ``config``: at most ``QUICK_STEPS`` SGD steps.

    Samples are capped at ``QUICK_N_TRAIN`` (unless ``keep_samples``, for experiments
    about sample size), batches at ``QUICK_BATCH``, and epochs cut so that
    ``epochs * ceil(n_train / batch_size) <= QUICK_STEPS`` (at least one epoch).

    Parameters
    ----------
    config : TrainConfig
        The full-size configuration.
    keep_samples : bool
        Keep ``config.n_train`` instead of capping it.

    Returns
    -------
    TrainConfig
        ``config`` with ``n_train``, ``n_test``, ``batch_size`` and ``epochs`` reduced; all
        other fields unchanged.

    Examples
    --------
    >>> from analysis.experiments import quicken
    >>> from analysis.train import TrainConfig
    >>> quick = quicken(TrainConfig("sine"))  # 10,000 samples, batch 1,000, 100 epochs
    >>> quick.n_train, quick.n_test, quick.batch_size, quick.epochs  # 20 steps an epoch
    (2000, 500, 100, 50)
    >>> big = quicken(TrainConfig("sine", n_train=100_000, batch_size=100), keep_samples=True)
    >>> big.n_train, big.epochs  # 1,000 steps in one epoch already
    (100000, 1)
    """
    n_train = config.n_train if keep_samples else min(config.n_train, QUICK_N_TRAIN)
    batch = min(config.batch_size, QUICK_BATCH)
    epochs = max(1, min(config.epochs, QUICK_STEPS // math.ceil(n_train / batch)))
    return replace(
        config,
        n_train=n_train,
        n_test=min(config.n_test, QUICK_N_TEST),
        batch_size=batch,
        epochs=epochs,
    )


def _one_line(label: str) -> str:
    return " ".join(label.split())


def _annotation(row: ResultRow) -> str:
    lines = [f"test acc {row.test_acc:.1%}"]
    if row.n_regions is not None:
        lines.append(f"{row.n_regions} regions ({row.n_linear_regions} linear)")
        lines.append(f"error area {row.misclassified_area:.3f} ({row.misclassified_fraction:.2%})")
    return "\n".join(lines)


def _train_seconds(cache_dir: Path, result: TrainResult) -> float | None:
    # The cache entry records how long the run that produced these weights took.
    meta_path = entry_paths(cache_dir, result.key)[1]
    seconds = json.loads(meta_path.read_text()).get("summary", {}).get("train_seconds")
    return None if seconds is None else float(seconds)


def evaluate(
    result: TrainResult, *, experiment: str, setting: str, box: Box, cache_dir: Path
) -> tuple[Panel, ResultRow]:
    """Probability grid, accuracies and (if piecewise linear) exact partition of one net.

    Parameters
    ----------
    result
        The trained (or cached) net; its config names the true boundary.
    experiment, setting
        Labels for the result row.
    box
        ``(xmin, xmax, ymin, ymax)`` of the grid and the partition.
    cache_dir
        The cache the result came from (it records the training time); the result's entry
        must be in it.

    Returns
    -------
    (Panel, ResultRow)
        The panel (probability grid of ``GRID_RESOLUTION`` x ``GRID_RESOLUTION`` points,
        partition or None, annotation text) for the figures, and the numbers.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.bounds import one_layer_max
    >>> from analysis.experiments import evaluate
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig, train
    >>> config = TrainConfig("abs", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = train(config, cache_dir=tmp, progress=False)
    ...     panel, row = evaluate(result, experiment="demo", setting="1 ×   4", box=(-2, 2, -2, 2),
    ...                           cache_dir=Path(tmp))
    >>> row.experiment, row.boundary, row.setting  # labels on one line, single-spaced
    ('demo', 'abs', '1 × 4')
    >>> panel.surface.P.shape, len(panel.partition) == row.n_regions <= one_layer_max(4)
    ((200, 200), True)
    >>> abs(row.misclassified_area - 16 * row.misclassified_fraction) < 1e-12  # box area 16
    True
    >>> 0.0 <= row.grid_acc <= 1.0 and row.train_seconds >= 0
    True
    """
    boundary = get_boundary(result.config.dataset)
    surface = probability_grid(result.model, box, GRID_RESOLUTION)
    partition = None
    n_regions = n_linear = area = fraction = None
    if regions.is_piecewise_linear(result.model):
        partition = regions.decompose(result.model, domain=box)
        n_regions = len(partition)
        n_linear = partition.linear_regions().n
        error = misclassified_area(partition, boundary, box)
        area, fraction = error.area, error.fraction
    row = ResultRow(
        experiment=experiment,
        boundary=boundary.name,
        setting=_one_line(setting),
        test_acc=float(result.history.test_acc[-1]),
        grid_acc=grid_accuracy(surface, boundary),
        n_regions=n_regions,
        n_linear_regions=n_linear,
        misclassified_area=area,
        misclassified_fraction=fraction,
        train_seconds=_train_seconds(cache_dir, result),
    )
    return Panel(surface, partition, _annotation(row)), row


@dataclass(frozen=True, eq=False)
class GridRun:
    """Everything a grid experiment computed, before drawing.

    Attributes
    ----------
    panels : tuple of tuple of Panel
        ``panels[i][j]``: boundary ``i``, setting ``j``.
    rows : tuple of ResultRow
        The same nets' numbers, boundary-major.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.experiments import GridExperiment, RunOptions, Setting
    >>> tiny = {"n_train": 200, "n_test": 100, "epochs": 2}
    >>> experiment = GridExperiment(
    ...     name="demo", title="Demo", description="Width 2 against width 4.",
    ...     settings=(Setting("1 × 2", {"hidden": (2,)}, tiny),
    ...               Setting("1 × 4", {"hidden": (4,)}, tiny)),
    ...     boundaries=("line", "xor"),
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     grid = experiment.run(RunOptions(Path(tmp), Path(tmp) / "cache", progress=False))
    >>> len(grid.panels), len(grid.panels[0])  # boundaries x settings
    (2, 2)
    >>> [(row.boundary, row.setting) for row in grid.rows[:3]]
    [('line', '1 × 2'), ('line', '1 × 4'), ('xor', '1 × 2')]
    """

    panels: tuple[tuple[Panel, ...], ...]
    rows: tuple[ResultRow, ...]


@dataclass(frozen=True)
class GridExperiment:
    """A classic experiment: one setting per column, one true boundary per row.

    Attributes
    ----------
    name : str
        Registry name (also the output subdirectory).
    title : str
        Figure and section title.
    description : str
        What varies, for the report.
    settings : tuple of Setting
        The columns.
    keep_samples_when_quick : bool
        Pass-through to :func:`quicken` for experiments about the sample size.
    boundaries : tuple of str
        The rows.
    box : Box
        Input box ``(xmin, xmax, ymin, ymax)`` of the data, figures and partitions.

    Examples
    --------
    Calling the experiment also draws and saves three figures (a few seconds); ``run`` only
    trains and evaluates:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.experiments import GridExperiment, RunOptions, Setting
    >>> tiny = {"n_train": 200, "n_test": 100, "epochs": 2}
    >>> experiment = GridExperiment(
    ...     name="demo", title="Demo", description="ReLU against sigmoid.",
    ...     settings=(Setting("ReLU", {"hidden": (4,)}, tiny),
    ...               Setting("sigmoid", {"hidden": (4,), "activation": "sigmoid"}, tiny)),
    ...     boundaries=("line", "abs"),
    ... )
    >>> [(c.dataset, c.model.activation) for c in experiment.configs(quick=False)]
    [('line', 'relu'), ('line', 'sigmoid'), ('abs', 'relu'), ('abs', 'sigmoid')]
    >>> experiment.config("abs", experiment.settings[0], quick=True).batch_size  # QUICK_BATCH
    100
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     grid = experiment.run(RunOptions(Path(tmp), Path(tmp) / "cache", progress=False))
    >>> [row.n_regions is not None for row in grid.rows]  # exact counts for ReLU nets only
    [True, False, True, False]
    """

    name: str
    title: str
    description: str
    settings: tuple[Setting, ...]
    keep_samples_when_quick: bool = False
    boundaries: tuple[str, ...] = BOUNDARY_NAMES
    box: Box = DEFAULT_BOX

    def config(self, boundary: str, setting: Setting, quick: bool) -> TrainConfig:
        """The training configuration of one cell."""
        config = TrainConfig(dataset=boundary, model=MLPConfig(**setting.model), **setting.train)
        return quicken(config, keep_samples=self.keep_samples_when_quick) if quick else config

    def configs(self, quick: bool) -> list[TrainConfig]:
        """All cells' configurations, boundary-major."""
        return [self.config(b, s, quick) for b in self.boundaries for s in self.settings]

    def run(self, options: RunOptions) -> GridRun:
        """Train or load every cell, then evaluate it."""
        results = train_many(
            self.configs(options.quick), options.cache_dir, options.jobs, options.progress
        )
        labels = [s.label for s in self.settings] * len(self.boundaries)
        evaluated = [
            evaluate(
                result,
                experiment=self.name,
                setting=label,
                box=self.box,
                cache_dir=options.cache_dir,
            )
            for result, label in tqdm(
                list(zip(results, labels, strict=True)),
                desc=f"{self.name}: evaluating",
                disable=not options.progress,
            )
        ]
        n = len(self.settings)
        panels = tuple(
            tuple(p for p, _ in evaluated[i * n : (i + 1) * n]) for i in range(len(self.boundaries))
        )
        return GridRun(panels=panels, rows=tuple(row for _, row in evaluated))

    def __call__(self, options: RunOptions) -> ExperimentReport:
        """Run, write the three figures to ``out_dir/<name>/`` and report them."""
        grid = self.run(options)
        boundaries = [get_boundary(b) for b in self.boundaries]
        labels = [s.label for s in self.settings]
        mode = " (quick mode)" if options.quick else ""
        builders = (
            ("surfaces", surface_grid, "3D surfaces of P(class 1); P = 0.5 contour on the floor"),
            (
                "heatmaps",
                heatmap_grid,
                "P(class 1) with the true boundary (dashed) and, for piecewise-linear nets, "
                "the exact region boundaries (thin) and decision boundary (thick)",
            ),
            ("regions", region_grid, "Exact linear regions, neighbours in different colours"),
        )
        figures = []
        for suffix, build, caption in builders:
            fig = build(f"{self.title}{mode}", boundaries, labels, grid.panels)
            stem = f"{self.name}/{suffix}"
            save_figure(fig, Path(options.out_dir) / stem)
            figures.append(FigureFile(stem=stem, caption=f"{self.title}: {caption}."))
        return ExperimentReport(
            name=self.name,
            title=self.title,
            description=f"{self.description} {QUICK_NOTE}" if options.quick else self.description,
            quick=options.quick,
            figures=tuple(figures),
            table=Table.from_records(grid.rows),
        )


def _widths(hidden: Sequence[int]) -> str:
    return "-".join(str(h) for h in hidden)


_CLASSIC = (
    "Every net: 2 inputs, 2 logits, He-normal init, plain SGD (lr 0.01) on cross-entropy; "
    "10,000 uniform samples in [-2, 2]², batch 1,000, 100 epochs unless stated."
)

CLASSIC_EXPERIMENTS: tuple[GridExperiment, ...] = (
    GridExperiment(
        name="activation",
        title="Activation function",
        description=f"Four hidden layers of 10 units with different activations. {_CLASSIC}",
        settings=tuple(
            Setting(label, model={"activation": act})
            for label, act in (
                ("sigmoid", "sigmoid"),
                ("tanh", "tanh"),
                ("ReLU", "relu"),
                ("ELU", "elu"),
                ("swish", "swish"),
            )
        ),
    ),
    GridExperiment(
        name="depth",
        title="Depth",
        description=f"ReLU nets with 1, 2, 4 and 8 hidden layers of 10 units. {_CLASSIC}",
        settings=tuple(Setting(f"{d} × 10", model={"hidden": (10,) * d}) for d in (1, 2, 4, 8)),
    ),
    GridExperiment(
        name="width",
        title="Width",
        description=(
            "ReLU nets with four hidden layers of constant width 5 to 40, and hour-glass, "
            f"decreasing and increasing width profiles. {_CLASSIC}"
        ),
        settings=tuple(
            Setting(label, model={"hidden": hidden})
            for label, hidden in (
                *((f"4 × {w}", (w,) * 4) for w in (5, 10, 20, 40)),
                (f"hour glass\n{_widths((10, 5, 5, 10))}", (10, 5, 5, 10)),
                (f"decreasing\n{_widths((40, 20, 10, 5))}", (40, 20, 10, 5)),
                (f"increasing\n{_widths((5, 10, 20, 40))}", (5, 10, 20, 40)),
            )
        ),
    ),
    GridExperiment(
        name="dropout",
        title="Dropout",
        description=(
            "ReLU nets (4 × 10) with dropout after every hidden activation during training; "
            f"the keep probability varies. Evaluation uses the full net. {_CLASSIC}"
        ),
        settings=tuple(Setting(f"keep {p}", model={"keep_prob": p}) for p in (0.1, 0.5, 0.7, 0.9)),
    ),
    GridExperiment(
        name="batchnorm",
        title="Batch normalisation",
        description=(
            "ReLU nets (4 × 10) without and with batch normalisation before every hidden "
            "activation (running averages with momentum 0.05, i.e. a 0.95 moving average, "
            f"eps 1e-4; evaluation uses the running statistics). {_CLASSIC}"
        ),
        settings=(
            Setting("no batch norm", model={"batch_norm": False}),
            Setting("batch norm", model={"batch_norm": True}),
        ),
    ),
    GridExperiment(
        name="residual",
        title="Residual connections and sample size",
        description=(
            "ReLU nets (4 × 10) without and with identity skips around hidden layers 2 to 4, "
            f"trained on 100 to 100,000 samples with batch 100 for 100 epochs. {_CLASSIC}"
        ),
        settings=tuple(
            Setting(
                f"n = {n:,}\n{'residual' if skip else 'plain'}",
                model={"residual": (False, True, True, True) if skip else None},
                train={"n_train": n, "batch_size": 100},
            )
            for n in (100, 1_000, 10_000, 100_000)
            for skip in (False, True)
        ),
        keep_samples_when_quick=True,
    ),
)

EXPERIMENTS: dict[str, Runner] = {e.name: e for e in CLASSIC_EXPERIMENTS}
"""Registry of runnable experiments, in the order ``reproduce`` runs them."""
EXPERIMENTS[DEPTH_VS_WIDTH.name] = DEPTH_VS_WIDTH
EXPERIMENTS["sensitivity"] = run_sensitivity
EXPERIMENTS["folding"] = run_folding

NOTEBOOKS: dict[str, str] = {
    **{e.name: "02_classic_experiment.py" for e in CLASSIC_EXPERIMENTS},
    DEPTH_VS_WIDTH.name: "03_depth_vs_width.py",
    "folding": "04_space_folding.py",
    "sensitivity": "05_sensitivity.py",
}
"""The notebook explaining each registered experiment: a file name in the repository's
``notebooks/`` folder. ``reproduce`` records it in the experiment's
:class:`~analysis.report.ExperimentReport`, and the summary page links to it."""
