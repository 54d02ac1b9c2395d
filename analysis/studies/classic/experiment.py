"""The classic 2D experiments: one setting per column, one true boundary per row.

Each classic experiment varies one thing about a small MLP (activation, depth, width,
dropout, batch norm, residual skips) and trains every setting on the four classic
boundaries (:data:`analysis.lab.data.BOUNDARY_NAMES`). A :class:`GridExperiment` is plain
data; its jobs train every net (:class:`~analysis.lab.jobs.TrainJob`) and its report
evaluates them (:func:`analysis.studies.classic.measures.evaluate`) and draws three figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tqdm.auto import tqdm

from analysis.lab.data import BOUNDARY_NAMES, Box, get_boundary
from analysis.lab.jobs import TrainJob
from analysis.lab.models import MLPConfig
from analysis.lab.options import RunOptions
from analysis.lab.sgd import TrainConfig, dataset_for
from analysis.lab.train import train
from analysis.studies.classic.figures import Panel, heatmap_grid, region_grid, surface_grid
from analysis.studies.classic.measures import ResultRow, evaluate
from analysis.studies.experiment import (
    EXPLORER_MAX_REGIONS,
    Drawing,
    Exploration,
    Report,
    Results,
    Table,
)
from regions import DEFAULT_BOX

__all__ = ["CLASSIC_EXPERIMENTS", "QUICK_BOUNDARIES", "GridExperiment", "Setting"]

NOTEBOOK = "02_classic_experiment.py"

QUICK_BOUNDARIES = ("sine",)
"""The rows of the classic grids in quick mode: the sine boundary, where the settings differ
most (every net fits the straight line and the wedge); a full run draws all four."""


@dataclass(frozen=True)
class Setting:
    """One column of a grid experiment.

    Attributes
    ----------
    label : str
        Column title.
    model : mapping
        Overrides of :class:`~analysis.lab.models.MLPConfig` fields.
    train : mapping
        Overrides of :class:`~analysis.lab.sgd.TrainConfig` fields (not ``dataset``/``model``).

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.studies.classic.experiment import GridExperiment, Setting
    >>> deep = Setting("4 × 10", model={"hidden": (10,) * 4}, train={"epochs": 20})
    >>> experiment = GridExperiment(name="demo", title="Demo", description="", settings=(deep,))
    >>> config = experiment.config("sine", deep, RunOptions(Path("out"), Path("cache")))
    >>> config.dataset, config.model.hidden, config.epochs, config.loss
    ('sine', (10, 10, 10, 10), 20, 'classic')
    """

    label: str
    model: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    train: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def _annotation(row: ResultRow) -> str:
    lines = [f"test acc {row.test_acc:.1%}"]
    if row.n_regions is not None:
        lines.append(f"{row.n_regions} regions ({row.n_linear_regions} linear)")
        lines.append(f"error area {row.misclassified_area:.3f} ({row.misclassified_fraction:.2%})")
    return "\n".join(lines)


_CAPTIONS = (
    ("surfaces", surface_grid, "3D surfaces of P(class 1); P = 0.5 contour on the floor"),
    (
        "heatmaps",
        heatmap_grid,
        "P(class 1) with the true boundary (dashed) and, for piecewise-linear nets, "
        "the exact region boundaries (thin) and decision boundary (thick)",
    ),
    ("regions", region_grid, "Exact linear regions, neighbours in different colours"),
)


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
        Keep the sample size in quick mode (for experiments about the sample size).
    boundaries : tuple of str
        The rows.
    quick_changes : mapping
        Field overrides in quick mode (:meth:`RunOptions.sized`); the six classic
        experiments keep one boundary only (:data:`QUICK_BOUNDARIES`).
    box : Box
        Input box ``(xmin, xmax, ymin, ymax)`` of the data, figures and partitions.
    notebook : str
        The notebook that explains the classic experiments.
    loss : str
        Training loss of every cell (:data:`analysis.lab.sgd.LOSSES`); by default the
        published study's objective, ``"classic"``.

    Examples
    --------
    A small experiment run start to finish by :func:`analysis.run.reproduce.run_experiment`
    (a few seconds):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.run.reproduce import run_experiment
    >>> from analysis.studies.classic.experiment import GridExperiment, Setting
    >>> tiny = {"n_train": 200, "n_test": 100, "epochs": 2}
    >>> experiment = GridExperiment(
    ...     name="demo", title="Demo", description="ReLU against sigmoid.",
    ...     settings=(Setting("ReLU", {"hidden": (4,)}, tiny),
    ...               Setting("sigmoid", {"hidden": (4,), "activation": "sigmoid"}, tiny)),
    ...     boundaries=("line", "abs"),
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     options = RunOptions(Path(tmp), Path(tmp) / "cache", progress=False)
    ...     print([(c.dataset, c.model.activation) for c in experiment.configs(options)])
    ...     manifest = run_experiment(experiment, options)
    ...     written = sorted(p.name for p in (Path(tmp) / "demo").glob("regions.*"))
    [('line', 'relu'), ('line', 'sigmoid'), ('abs', 'relu'), ('abs', 'sigmoid')]
    >>> [f.stem for f in manifest.figures], written  # a full run writes PNG and PDF
    (['demo/surfaces', 'demo/heatmaps', 'demo/regions'], ['regions.pdf', 'regions.png'])
    >>> [row[5] is not None for row in manifest.table.rows]  # exact counts for ReLU nets only
    [True, False, True, False]
    """

    name: str
    title: str
    description: str
    settings: tuple[Setting, ...]
    keep_samples_when_quick: bool = False
    boundaries: tuple[str, ...] = BOUNDARY_NAMES
    box: Box = DEFAULT_BOX
    notebook: str = NOTEBOOK
    loss: str = "classic"
    quick_changes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def config(self, boundary: str, setting: Setting, options: RunOptions) -> TrainConfig:
        """The training configuration of one cell, as ``options`` trains it."""
        config = TrainConfig(
            dataset=boundary, model=MLPConfig(**setting.model), loss=self.loss, **setting.train
        )
        return options.train_config(config, keep_samples=self.keep_samples_when_quick)

    def configs(self, options: RunOptions) -> list[TrainConfig]:
        """All cells' configurations, boundary-major."""
        rows = options.sized(self).boundaries
        return [self.config(b, s, options) for b in rows for s in self.settings]

    def jobs(self, options: RunOptions) -> list[TrainJob]:
        """One training job per cell, boundary-major."""
        return [TrainJob(c) for c in self.configs(options)]

    def report(self, results: Results, options: RunOptions) -> Report:
        """Evaluate every cell (nets loaded from the cache) and draw the three figures."""
        names = options.sized(self).boundaries
        labels = [s.label for s in self.settings] * len(names)
        panels, rows, explorations = [], [], []
        for i, (config, label) in enumerate(
            tqdm(
                list(zip(self.configs(options), labels, strict=True)),
                desc=f"{self.name}: evaluating",
                disable=not options.progress,
            )
        ):
            result = train(config, cache_dir=options.cache_dir, progress=False)
            surface, part, row = evaluate(result, experiment=self.name, setting=label, box=self.box)
            panels.append(Panel(surface, part, _annotation(row)))
            rows.append(row)
            if part is not None and len(part) <= EXPLORER_MAX_REGIONS:
                data = dataset_for(config)
                explorations.append(
                    Exploration(
                        f"explore-{config.dataset}-{i % len(self.settings)}",
                        f"{config.dataset}, {label} ({len(part)} regions)",
                        part,
                        (data.X_test, data.y_test),
                        row.test_acc,
                    )
                )
        n = len(self.settings)
        grid = [panels[i * n : (i + 1) * n] for i in range(len(names))]
        boundaries = [get_boundary(b) for b in names]
        mode = " (quick mode)" if options.quick else ""
        drawings = tuple(
            Drawing(
                stem,
                f"{self.title}: {caption}.",
                build(f"{self.title}{mode}", boundaries, [s.label for s in self.settings], grid),
            )
            for stem, build, caption in _CAPTIONS
        )
        return Report(self.description, drawings, Table.from_records(rows), tuple(explorations))


def _widths(hidden: Sequence[int]) -> str:
    return "-".join(str(h) for h in hidden)


_CLASSIC = (
    "Every net: 2 inputs, 2 logits, He-normal init and zero biases, plain SGD (lr 0.01) on "
    "the published loss: 2 × the mean of -log(p + 0.01) of the softmax probability of the "
    "true class, plus 1e-4 × ½‖W‖² on every weight matrix; 10,000 uniform samples in "
    "[-2, 2]², batch 1,000, 100 epochs unless stated."
)

_QUICK = MappingProxyType({"boundaries": QUICK_BOUNDARIES})

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
        quick_changes=_QUICK,
    ),
    GridExperiment(
        name="depth",
        title="Depth",
        description=f"ReLU nets with 1, 2, 4 and 8 hidden layers of 10 units. {_CLASSIC}",
        settings=tuple(Setting(f"{d} × 10", model={"hidden": (10,) * d}) for d in (1, 2, 4, 8)),
        quick_changes=_QUICK,
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
        quick_changes=_QUICK,
    ),
    GridExperiment(
        name="dropout",
        title="Dropout",
        description=(
            "ReLU nets (4 × 10) with dropout after every hidden activation during training; "
            f"the keep probability varies. Evaluation uses the full net. {_CLASSIC}"
        ),
        settings=tuple(Setting(f"keep {p}", model={"keep_prob": p}) for p in (0.1, 0.5, 0.7, 0.9)),
        quick_changes=_QUICK,
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
        quick_changes=_QUICK,
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
        quick_changes=_QUICK,
    ),
)
