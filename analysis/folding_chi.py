"""The space-folding measure across depth and width, at matched parameter budgets.

For every net, the exact folding measure chi (:func:`analysis.folding.folding_distribution`)
of the same random segments across the data box is computed for the net truncated after
each layer (patterns of layers ``1..k``; ``k = L`` is the whole net). Nets come from the
depth-versus-width study (:func:`analysis.depth_width.matched_widths` at a parameter budget,
initial biases ``N(0, 0.5²)``), at initialisation (several seeds) and after the classic
training (seed 0), with the training settings and cache keys of
:func:`analysis.depth_width.train_config`, so a run of either experiment trains the nets of
both.

A one-hidden-layer net has chi = 0 on every segment (each boundary is a line, crossed at most
once); deeper nets fold when some layer's boundaries bend back, which the distribution of chi
over segments shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from matplotlib.figure import Figure

import regions
from analysis.data import BOUNDARY_NAMES, DEFAULT_BOX
from analysis.depth_width import INIT_BIAS_STD, describe, matched_widths, net_for
from analysis.folding import folding_distribution, random_segments
from analysis.style import OKABE_ITO, style
from analysis.sweeps import Job, run_sweep

if TYPE_CHECKING:
    from analysis.experiments import RunOptions

__all__ = [
    "ChiJob",
    "ChiStudy",
    "ChiSummary",
    "chi_by_layer",
    "chi_depth_figure",
    "chi_layers_figure",
    "summarize",
]

#: Seed of the random segments, shared by every net so that all nets see the same segments.
SEGMENT_SEED = 0


def chi_by_layer(part: regions.Partition, segments: np.ndarray) -> np.ndarray:
    """chi (L, n) of every segment for the net truncated after each layer ``k = 1..L``.

    Parameters
    ----------
    part : Partition
        Full decomposition of an L-layer net (convex domain).
    segments : ndarray, shape (n, 2, 2)
        Segment endpoints in plane coordinates.

    Returns
    -------
    ndarray, shape (L, n)
        Row ``k - 1`` uses the patterns of layers ``1..k``; the last row is the whole net.

    Examples
    --------
    >>> from analysis.folding_chi import chi_by_layer
    >>> import numpy as np, regions
    >>> from regions.constructions import sawtooth
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> chi = chi_by_layer(part, np.array([[[0.0, 0.5], [1.0, 0.5]]]))
    >>> [round(float(c), 6) for c in chi[:, 0]]  # 1 - k / (2^k - 1)
    [0.0, 0.333333, 0.571429]
    """
    return np.stack([folding_distribution(part, segments, k) for k in range(1, part.depth + 1)])


@dataclass(frozen=True)
class ChiJob(Job):
    """chi of the shared random segments for one net, at initialisation or trained.

    Attributes
    ----------
    hidden : tuple of int
        Hidden widths.
    seed : int
        Initialisation (and training) seed.
    bias_std : float
        Std of the initial biases.
    dataset : str or None
        Dataset trained on; None for the net at initialisation.
    quick : bool
        Quick-mode training (:func:`analysis.experiments.quicken`).
    n_segments : int
        Random segments across the data box (seed :data:`SEGMENT_SEED`).
    budget : int or None
        The parameter budget the widths were matched to (a label for plots; None: none).

    Examples
    --------
    >>> from analysis.folding_chi import ChiJob
    >>> job = ChiJob((3, 3), seed=0, bias_std=0.5, n_segments=20)
    >>> result = job.run(None)
    >>> len(result["chi"]), len(result["chi"][0]), result["test_acc"] is None
    (2, 20, True)
    >>> all(c == 0 for c in result["chi"][0])  # one layer never folds a straight segment
    True
    """

    hidden: tuple[int, ...]
    seed: int
    bias_std: float
    dataset: str | None = None
    quick: bool = False
    n_segments: int = 400
    budget: int | None = None

    version: ClassVar[int] = 1

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """Build (or train, through the cache) the net, decompose it and measure chi."""
        model, test_acc = net_for(
            self.hidden, self.dataset, self.seed, self.bias_std, self.quick, cache_dir
        )
        part = regions.decompose(model, DEFAULT_BOX)
        segments = random_segments(self.n_segments, DEFAULT_BOX, SEGMENT_SEED)
        return {
            "n_parameters": model.n_parameters,
            "n_regions": len(part),
            "test_acc": test_acc,
            "chi": chi_by_layer(part, segments).tolist(),
        }


def _run_job(job: ChiJob, cache_dir: str | None) -> dict[str, Any]:
    """Sweep worker (module level, so process pools can pickle it)."""
    return job.run(cache_dir)


@dataclass(frozen=True)
class ChiSummary:
    """chi of one net over the shared segments, summarised.

    Attributes
    ----------
    widths : str
        Hidden widths, e.g. ``"4 × 14"``.
    depth : int
        Hidden layers.
    n_parameters : int
        Weights and biases.
    budget : int
        The budget the widths were matched to (``n_parameters`` if none was given).
    stage : str
        ``"init"`` or the dataset the net was trained on.
    seed : int
    test_acc : float or None
        Test accuracy in [0, 1] after training; None at initialisation.
    n_regions : int
        Exact regions on the data box.
    mean_chi : float
        Mean whole-net chi over the segments.
    folded : float
        Fraction of segments with chi > 0.
    mean_chi_by_layer : tuple of float
        Mean chi of the net truncated after layer 1, 2, ..., L.

    Examples
    --------
    >>> from analysis.folding_chi import ChiSummary
    >>> row = ChiSummary("2 × 5", 2, 57, 50, "init", 0, None, 14, 0.1, 0.3, (0.0, 0.1))
    >>> row.mean_chi == row.mean_chi_by_layer[-1]  # the whole net is the last truncation
    True
    """

    widths: str
    depth: int
    n_parameters: int
    budget: int
    stage: str
    seed: int
    test_acc: float | None
    n_regions: int
    mean_chi: float
    folded: float
    mean_chi_by_layer: tuple[float, ...]


def summarize(job: ChiJob, result: dict[str, Any]) -> ChiSummary:
    """The :class:`ChiSummary` of a finished :class:`ChiJob`.

    Examples
    --------
    >>> from analysis.folding_chi import ChiJob, summarize
    >>> job = ChiJob((3, 3), seed=0, bias_std=0.5, n_segments=20)
    >>> s = summarize(job, job.run(None))
    >>> s.widths, s.depth, s.stage, len(s.mean_chi_by_layer), s.mean_chi_by_layer[0]
    ('2 × 3', 2, 'init', 2, 0.0)
    """
    chi = np.asarray(result["chi"], dtype=np.float64)
    return ChiSummary(
        widths=describe(job.hidden),
        depth=len(job.hidden),
        n_parameters=int(result["n_parameters"]),
        budget=int(job.budget or result["n_parameters"]),
        stage=job.dataset or "init",
        seed=job.seed,
        test_acc=result["test_acc"],
        n_regions=int(result["n_regions"]),
        mean_chi=float(chi[-1].mean()),
        folded=float(np.mean(chi[-1] > 0)),
        mean_chi_by_layer=tuple(float(m) for m in chi.mean(axis=1)),
    )


# ------------------------------------------------------------------------------- figures
_STAGE_COLORS = tuple(OKABE_ITO[i] for i in (5, 1, 3, 6, 2, 7, 0))


def chi_layers_figure(
    nets: Sequence[tuple[str, Sequence[tuple[str, np.ndarray]]]],
) -> Figure:
    """Box plots of chi per truncation depth, one panel per net, one box colour per stage.

    Parameters
    ----------
    nets : sequence of (title, [(stage, chi)])
        Per panel: its title and, per stage (e.g. ``"init"``, ``"trained on sine"``), the chi
        array (L, n) of :func:`chi_by_layer`.

    Returns
    -------
    Figure
        Boxes (quartiles, whiskers to the 5th and 95th percentiles) with the mean as a dot,
        at layers ``1..L`` on the x axis.

    Examples
    --------
    >>> from analysis.folding_chi import chi_layers_figure
    >>> import numpy as np
    >>> chi = np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.2]])
    >>> fig = chi_layers_figure([("2 × 3", [("init", chi), ("trained", chi / 2)])])
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('patterns of layers 1..k (k)', 'folding measure χ')
    """
    with style():
        fig = Figure(figsize=(2.6 * len(nets) + 0.4, 2.8), layout="constrained")
        axes = fig.subplots(1, len(nets), squeeze=False, sharey=True)[0]
        for ax, (title, stages) in zip(axes, nets, strict=True):
            n_stages = len(stages)
            width = 0.8 / n_stages
            for s, (stage, chi) in enumerate(stages):
                chi = np.asarray(chi)
                layers = np.arange(1, len(chi) + 1)
                pos = layers - 0.4 + width * (s + 0.5)
                color = _STAGE_COLORS[s % len(_STAGE_COLORS)]
                ax.boxplot(
                    list(chi),
                    positions=pos,
                    manage_ticks=False,
                    widths=width * 0.85,
                    whis=(5, 95),
                    showfliers=False,
                    patch_artist=True,
                    boxprops={"facecolor": color, "alpha": 0.55, "edgecolor": color},
                    medianprops={"color": "black", "linewidth": 0.8},
                    whiskerprops={"color": color},
                    capprops={"color": color},
                )
                ax.plot(pos, chi.mean(axis=1), "o", ms=3, color=color, label=stage)
            ax.set_xticks(np.arange(1, max(len(c) for _, c in stages) + 1))
            ax.set_xlim(0.5, max(len(c) for _, c in stages) + 0.5)
            ax.set_xlabel("patterns of layers 1..k (k)")
            ax.set_title(title)
        axes[0].set_ylabel("folding measure χ")
        axes[0].legend(loc="upper left", fontsize="small")
    return fig


def chi_depth_figure(rows: Sequence[ChiSummary]) -> Figure:
    """Whole-net chi against depth at matched budgets: mean chi and share of folded segments.

    Parameters
    ----------
    rows : sequence of ChiSummary
        Nets at initialisation (averaged over seeds, bars: min to max over seeds) and trained
        (one seed per dataset); one line per (stage, budget).

    Returns
    -------
    Figure
        Left: mean chi; right: fraction of segments with chi > 0; x: hidden layers (log 2).

    Examples
    --------
    >>> from analysis.folding_chi import ChiSummary, chi_depth_figure
    >>> rows = [ChiSummary("1 × 8", 1, 42, 50, "init", 0, None, 9, 0.0, 0.0, (0.0,)),
    ...         ChiSummary("2 × 5", 2, 57, 50, "init", 0, None, 14, 0.1, 0.3, (0.0, 0.1))]
    >>> fig = chi_depth_figure(rows)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['mean χ over segments', 'segments with χ > 0']
    """
    groups: dict[tuple[str, int], list[ChiSummary]] = {}
    for r in rows:
        groups.setdefault((r.stage, r.budget), []).append(r)
    with style():
        fig = Figure(figsize=(6.4, 2.9), layout="constrained")
        left, right = fig.subplots(1, 2)
        for i, ((stage, budget), members) in enumerate(sorted(groups.items(), key=_order)):
            color = _STAGE_COLORS[i % len(_STAGE_COLORS)]
            style_ = "-" if stage == "init" else "--"
            label = f"{'init' if stage == 'init' else 'trained on ' + stage}, budget {budget}"
            for ax, field in ((left, "mean_chi"), (right, "folded")):
                depths = sorted({m.depth for m in members})
                vals = [[getattr(m, field) for m in members if m.depth == d] for d in depths]
                mean = np.array([np.mean(v) for v in vals])
                lo = mean - np.array([np.min(v) for v in vals])
                hi = np.array([np.max(v) for v in vals]) - mean
                ax.errorbar(
                    depths,
                    mean,
                    yerr=[lo, hi],
                    fmt="o" + style_,
                    ms=3,
                    lw=1.1,
                    capsize=2,
                    color=color,
                    label=label,
                )
        ticks = sorted({r.depth for r in rows})
        for ax in (left, right):
            ax.set_xscale("log", base=2)
            ax.set_xticks(ticks, labels=[str(t) for t in ticks])
            ax.minorticks_off()
            ax.set_xlabel("hidden layers at matched budget")
        left.set_ylabel("mean χ over segments")
        right.set_ylabel("segments with χ > 0")
        right.set_ylim(-0.03, 1.03)
        left.legend(fontsize="x-small", loc="upper left")
    return fig


def _order(item: tuple[tuple[str, int], list[ChiSummary]]) -> tuple[bool, str, int]:
    (stage, budget), _ = item
    return (stage != "init", stage, budget)


# ---------------------------------------------------------------------------- the study
@dataclass(frozen=True)
class ChiStudy:
    """What to measure: nets, seeds, datasets and segments, with its quick-mode overrides.

    Attributes
    ----------
    budgets : tuple of int
        Parameter budgets compared at initialisation.
    trained_budget : int
        Budget of the trained nets.
    depths : tuple of int
        Hidden layers compared at every budget.
    seeds : int
        Initialisations per net (seeds ``0..seeds-1``).
    datasets : tuple of str
        Datasets the trained nets learn (seed 0).
    n_segments : int
        Random segments per net.
    quick_changes : dict
        Field overrides in quick mode.

    Examples
    --------
    >>> from analysis.folding_chi import ChiStudy
    >>> study = ChiStudy()
    >>> [job.hidden for job in study.jobs(quick=True) if job.dataset is None][:2]
    [(200,), (200,)]
    """

    budgets: tuple[int, ...] = (300, 1_000)
    trained_budget: int = 1_000
    depths: tuple[int, ...] = (1, 2, 4, 8)
    seeds: int = 5
    datasets: tuple[str, ...] = BOUNDARY_NAMES
    n_segments: int = 400
    quick_changes: tuple[tuple[str, Any], ...] = (
        ("budgets", (1_000,)),
        ("seeds", 2),
        ("datasets", ("sine",)),
        ("n_segments", 100),
    )

    def resolved(self, quick: bool) -> ChiStudy:
        """This study with the quick-mode overrides applied when ``quick``."""
        return replace(self, quick_changes=(), **dict(self.quick_changes)) if quick else self

    def jobs(self, quick: bool) -> list[ChiJob]:
        """Trained jobs first (slowest), then every net at initialisation."""
        s = self.resolved(quick)
        trained = [
            ChiJob(
                matched_widths(s.trained_budget, d),
                0,
                INIT_BIAS_STD,
                ds,
                quick,
                s.n_segments,
                s.trained_budget,
            )
            for ds in s.datasets
            for d in s.depths
        ]
        init = [
            ChiJob(matched_widths(b, d), seed, INIT_BIAS_STD, None, quick, s.n_segments, b)
            for b in s.budgets
            for d in s.depths
            for seed in range(s.seeds)
        ]
        return trained + init

    def run(self, options: RunOptions) -> tuple[list[ChiJob], list[dict[str, Any]]]:
        """Run (or load) every job through the resumable sweep runner."""
        jobs = self.jobs(options.quick)
        results = run_sweep(
            jobs,
            partial(_run_job, cache_dir=str(options.cache_dir)),
            Path(options.cache_dir) / "sweeps" / "folding-chi",
            progress=options.progress,
            n_jobs=options.jobs,
            desc="folding: chi",
        )
        return jobs, results
