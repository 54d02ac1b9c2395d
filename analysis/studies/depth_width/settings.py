"""What the depth-versus-width study computes: its settings and the jobs they make.

The claim under test: the *maximum* number of linear regions grows exponentially with depth
but only polynomially with width (Montufar et al. 2014; Serra et al. 2018), so depth is the
more parameter-efficient way to buy regions; yet random and trained nets come nowhere near
those maxima, their region density growing like the number of neurons squared whatever the
depth (Hanin & Rolnick 2019). Every count is exact (:mod:`regions`), on the data box
[-2, 2]^2 unless stated; the nets are described in :mod:`analysis.studies.depth_width.nets`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from analysis.lab.data import BOUNDARY_NAMES
from analysis.lab.options import RunOptions
from analysis.studies.depth_width.jobs import CountJob, CurveJob, StatsJob
from analysis.studies.depth_width.nets import INIT_BIAS_STD, matched_widths, train_config

__all__ = ["DepthWidthSettings"]


@dataclass(frozen=True)
class DepthWidthSettings:
    """What the depth-versus-width study counts: its nets, seeds and datasets, as jobs.

    Attributes
    ----------
    budgets : tuple of int
        Parameter budgets (2 inputs, 2 logits) of the matched-budget comparison.
    depths : tuple of int
        Depths compared at every budget (1 is the shallow-wide net).
    seeds : int
        Initialisations per net at initialisation (seeds 0..seeds-1).
    train_datasets : tuple of str
        Datasets the matched-budget nets are trained on (seed 0).
    depth_sweep : (width, depths)
        Fixed width, varying depth (at initialisation).
    width_sweep : (depth, widths)
        Fixed depth, varying width (at initialisation).
    curve_budget, curve_depths, curve_every : int, tuple of int, int
        Counts during training: nets of these depths at this budget, counted every
        ``curve_every`` SGD steps, on every dataset of ``datasets``.
    focus : (budget, depth)
        The net drawn layer by layer and whose region statistics are reported.
    datasets : tuple of str
        Datasets of the curves, the layer pictures and the statistics.
    bias_std : float
        Std of the initial biases (see the module docstring).
    quick_changes : mapping
        Field overrides applied in quick mode (:meth:`RunOptions.sized`).

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.studies.depth_width.nets import n_parameters
    >>> from analysis.studies.depth_width.settings import DepthWidthSettings
    >>> setup = DepthWidthSettings()
    >>> [w for b, d, w in setup.budget_nets() if b == 100]  # depths 1, 2, 4, 8
    [(20,), (8, 7), (5, 5, 4, 4), (3, 3, 3, 3, 3, 3, 3, 3)]
    >>> setup.focus_widths(), n_parameters(setup.focus_widths())
    ((17, 17, 17, 17), 1005)
    >>> len(setup.init_jobs((4, 4))), setup.sweep_nets()[:2]
    (5, [('depth', (16,)), ('depth', (16, 16))])
    >>> len(setup.curve_jobs(RunOptions(Path("out"), Path("cache"))))  # 4 depths, 4 datasets
    16

    A smaller study: fields are plain values, so :func:`dataclasses.replace` makes one.

    >>> from dataclasses import replace
    >>> small = replace(setup, budgets=(100,), depths=(1, 2), seeds=2)
    >>> [job.config.model.hidden for _, _, w in small.budget_nets() for job in small.init_jobs(w)]
    [(20,), (20,), (8, 7), (8, 7)]
    """

    budgets: tuple[int, ...] = (100, 300, 1_000, 3_000, 10_000)
    depths: tuple[int, ...] = (1, 2, 4, 8)
    seeds: int = 5
    train_datasets: tuple[str, ...] = BOUNDARY_NAMES
    depth_sweep: tuple[int, tuple[int, ...]] = (16, (1, 2, 3, 4, 6, 8, 10))
    width_sweep: tuple[int, tuple[int, ...]] = (3, (4, 8, 16, 32, 64, 128))
    curve_budget: int = 1_000
    curve_depths: tuple[int, ...] = (1, 2, 4, 8)
    curve_every: int = 25
    focus: tuple[int, int] = (1_000, 4)
    datasets: tuple[str, ...] = BOUNDARY_NAMES
    bias_std: float = INIT_BIAS_STD
    quick_changes: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType(
            {
                "budgets": (100, 300, 1_000),
                "seeds": 2,
                "train_datasets": ("line", "sine"),
                "depth_sweep": (16, (1, 2, 4, 6, 8)),
                "width_sweep": (3, (4, 8, 16, 32, 64)),
                "curve_depths": (1, 4, 8),
                "datasets": ("sine",),
                "curve_every": 100,
            }
        )
    )

    # ------------------------------------------------------------------------ the jobs
    def init_jobs(self, hidden: Sequence[int]) -> list[CountJob]:
        """One count at initialisation of ``hidden`` per seed ``0..seeds - 1``."""
        return [CountJob(train_config(hidden, "line", s, self.bias_std)) for s in range(self.seeds)]

    def trained_job(self, hidden: Sequence[int], dataset: str, options: RunOptions) -> CountJob:
        """Count of ``hidden`` trained on ``dataset`` (seed 0), as ``options`` trains it."""
        config = train_config(hidden, dataset, 0, self.bias_std)
        return CountJob(options.train_config(config), trained=True)

    def stats_job(self, dataset: str, options: RunOptions) -> StatsJob:
        """Region statistics of the focus net trained on ``dataset``."""
        config = train_config(self.focus_widths(), dataset, 0, self.bias_std)
        return StatsJob(options.train_config(config))

    def budget_nets(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """(budget, depth, widths) of the matched-budget comparison."""
        return [(b, d, matched_widths(b, d)) for b in self.budgets for d in self.depths]

    def sweep_nets(self) -> list[tuple[str, tuple[int, ...]]]:
        """(sweep, widths) of the fixed-width and fixed-depth sweeps."""
        width, depths = self.depth_sweep
        depth, widths = self.width_sweep
        return [("depth", (width,) * d) for d in depths] + [("width", (w,) * depth) for w in widths]

    def curve_jobs(self, options: RunOptions) -> list[CurveJob]:
        """Counts during training: each depth of ``curve_depths`` on each dataset."""
        return [
            CurveJob(
                options.train_config(
                    train_config(matched_widths(self.curve_budget, d), ds, 0, self.bias_std)
                ),
                self.curve_every,
            )
            for ds in self.datasets
            for d in self.curve_depths
        ]

    def focus_widths(self) -> tuple[int, ...]:
        """Hidden widths of the focus net (``focus``: budget, depth)."""
        return matched_widths(*self.focus)

    def jobs(self, options: RunOptions) -> list[CountJob | CurveJob | StatsJob]:
        """Every job of this study as ``options`` sizes it; training jobs first (slowest)."""
        s = options.sized(self)
        nets = [w for _, _, w in s.budget_nets()]
        trained = [s.trained_job(w, ds, options) for w in nets for ds in s.train_datasets]
        focus = [s.trained_job(s.focus_widths(), ds, options) for ds in s.datasets]
        init = [j for w in nets for j in s.init_jobs(w)]
        init += [j for _, w in s.sweep_nets() for j in s.init_jobs(w)]
        stats = [s.stats_job(ds, options) for ds in s.datasets]
        return [*trained, *focus, *s.curve_jobs(options), *init, *stats]
