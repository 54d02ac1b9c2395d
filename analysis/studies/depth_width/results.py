"""The depth-versus-width study's sweep results, indexed by net, and its table of numbers.

:class:`Counts` finds each net's result among the jobs' results (the jobs are rebuilt from
the study's settings, so the lookup needs no bookkeeping) and gives the figures and the
table what they read; :meth:`Counts.rows` is the table, one :class:`Row` per number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.lab.options import RunOptions
from analysis.studies.depth_width import bounds
from analysis.studies.depth_width.counting import BOUNDARY_BINS, DATA_BINS, constructions_table
from analysis.studies.depth_width.jobs import CurveJob
from analysis.studies.depth_width.nets import describe, n_parameters
from analysis.studies.depth_width.settings import DepthWidthSettings
from analysis.studies.experiment import Results
from regions import DEFAULT_BOX

__all__ = ["AREA", "Counts", "Row", "bound"]

AREA = (DEFAULT_BOX[1] - DEFAULT_BOX[0]) * (DEFAULT_BOX[3] - DEFAULT_BOX[2])


@dataclass(frozen=True)
class Row:
    """One number of the report.

    Attributes
    ----------
    part : str
        Which figure: budget, depth, width, training, layers, constructions, statistics.
    architecture : str
        Hidden widths (``'4 × 55'``) or construction.
    n_parameters, n_neurons : int or None
        Trainable scalars and hidden units.
    condition : str
        ``'init'``, ``'trained on <dataset>'``, ``'step <k> on <dataset>'``, ...
    quantity : str
        What ``mean`` is (``'regions'``, ``'linear regions'``, a density, ...).
    mean : float
        The value (a mean over ``n`` nets).
    std : float or None
        Standard deviation over the ``n`` nets.
    n : int
        Nets (seeds or datasets) averaged.
    serra_upper, montufar_lower : float or None
        Bounds on the whole plane for the architecture (None where not applicable).
    per_layer : str
        Activation regions after each hidden layer, ``'1/a/b/...'``.

    Examples
    --------
    >>> from analysis.studies.depth_width.nets import describe, n_parameters
    >>> from analysis.studies.depth_width.results import Row
    >>> widths = (5, 5, 4, 4)
    >>> row = Row("budget 100", describe(widths), n_parameters(widths), sum(widths), "init",
    ...           "regions", 41.2, 6.5, 5, None, 11.0, "1/9/20/33/41")
    >>> row.architecture, row.n_parameters, row.per_layer.split("/")[-1]
    ('5-5-4-4', 99, '41')
    """

    part: str
    architecture: str
    n_parameters: int | None
    n_neurons: int | None
    condition: str
    quantity: str
    mean: float
    std: float | None
    n: int
    serra_upper: float | None
    montufar_lower: float | None
    per_layer: str


def bound(name: str, widths: Sequence[int]) -> float | None:
    try:
        return float(bounds.BOUNDS[name](list(widths), 2))
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True, eq=False)
class Counts:
    """The study's results indexed for the figures and the table.

    Attributes
    ----------
    setup : DepthWidthSettings
        The study as this run sized it (``options.sized``).
    options : RunOptions
        The run (its quick mode decides the trained nets' configs).
    results : Results
        Every job of ``setup.jobs(options)`` mapped to its result.
    """

    setup: DepthWidthSettings
    options: RunOptions
    results: Results

    def init(self, widths: Sequence[int]) -> list[dict[str, Any]]:
        """Count results of ``widths`` at initialisation, one per seed."""
        return [self.results[j] for j in self.setup.init_jobs(widths)]

    def trained(self, widths: Sequence[int], dataset: str) -> dict[str, Any]:
        """Count result of ``widths`` trained on ``dataset`` (seed 0)."""
        return self.results[self.setup.trained_job(widths, dataset, self.options)]

    def curve(self, dataset: str, depth: int) -> tuple[CurveJob, dict[str, Any]]:
        """The counts-during-training job of ``depth`` on ``dataset``, and its result."""
        job = next(
            j
            for j in self.setup.curve_jobs(self.options)
            if j.config.dataset == dataset and len(j.config.model.hidden) == depth
        )
        return job, self.results[job]

    def stats(self, dataset: str) -> dict[str, Any]:
        """Region statistics of the focus net trained on ``dataset``."""
        return self.results[self.setup.stats_job(dataset, self.options)]

    def init_regions(self, widths: Sequence[int]) -> np.ndarray:
        """Regions of ``widths`` at initialisation, one per seed (floats)."""
        return np.array([r["by_depth"][-1] for r in self.init(widths)], dtype=float)

    def density_fit(self) -> bounds.DensityFit:
        """Hanin & Rolnick's law fitted to every net at initialisation."""
        nets = [w for _, w in self.setup.sweep_nets()] + [w for _, _, w in self.setup.budget_nets()]
        n = [sum(w) for w in nets for _ in range(self.setup.seeds)]
        counts = np.concatenate([self.init_regions(w) for w in nets])
        return bounds.fit_density_law(n, counts, AREA)

    def rows(self) -> list[Row]:
        """The table: one :class:`Row` per number, in figure order."""
        s = self.setup
        out: list[Row] = []

        def add(
            part: str, widths: Sequence[int], condition: str, results: list[dict[str, Any]]
        ) -> None:
            counts = np.array([r["by_depth"][-1] for r in results], dtype=float)
            linear = np.array([r["linear"] for r in results], dtype=float)
            layers = np.mean([r["by_depth"] for r in results], axis=0)
            common = dict(
                part=part,
                architecture=describe(widths),
                n_parameters=n_parameters(widths),
                n_neurons=sum(widths),
                condition=condition,
                n=len(results),
                serra_upper=bound("serra_upper", widths),
                montufar_lower=bound("montufar_lower", widths),
                per_layer="/".join(f"{v:.0f}" for v in layers),
            )
            out.append(
                Row(
                    quantity="regions", mean=float(counts.mean()), std=float(counts.std()), **common
                )
            )
            out.append(
                Row(
                    quantity="linear regions",
                    mean=float(linear.mean()),
                    std=float(linear.std()),
                    **common,
                )
            )

        for b, _, w in s.budget_nets():
            add(f"budget {b:,}", w, "init", self.init(w))
            for ds in s.train_datasets:
                add(f"budget {b:,}", w, f"trained on {ds}", [self.trained(w, ds)])
        for sweep, w in s.sweep_nets():
            add(sweep, w, "init", self.init(w))
        fit = self.density_fit()
        for quantity, value in (
            ("density C (regions / area / N²)", fit.constant),
            ("density free slope", fit.slope),
            ("density rms log residual", fit.rms_log_residual),
        ):
            out.append(
                Row(
                    "density law",
                    "all nets at init",
                    None,
                    None,
                    "init",
                    quantity,
                    float(value),
                    None,
                    fit.n_points,
                    None,
                    None,
                    "",
                )
            )
        for job in s.curve_jobs(self.options):
            r, hidden = self.results[job], job.config.model.hidden
            for k in sorted(
                {0, int(np.argmax(r["regions"])), len(r["steps"]) - 1}
            ):  # first, peak, last
                out.append(
                    Row(
                        "training",
                        describe(hidden),
                        n_parameters(hidden),
                        sum(hidden),
                        f"step {r['steps'][k]} on {job.config.dataset}",
                        "regions",
                        float(r["regions"][k]),
                        None,
                        1,
                        None,
                        None,
                        "/".join(map(str, r["by_depth"][k])),
                    )
                )
        fw = s.focus_widths()
        for ds in s.datasets:
            add("layers", fw, f"trained on {ds}", [self.trained(fw, ds)])
            st = self.stats(ds)
            areas = np.asarray(st["areas"])
            base = dict(
                part="statistics",
                architecture=describe(fw),
                n_parameters=n_parameters(fw),
                n_neurons=sum(fw),
                condition=f"trained on {ds}, [-4, 4]²",
                std=None,
                n=1,
                serra_upper=None,
                montufar_lower=None,
                per_layer="",
            )
            values = [
                ("regions", float(st["n_regions"])),
                ("median region area", float(np.median(areas))),
                ("mean vertices per region", float(np.mean(st["vertices"]))),
                ("density in data box", st["density_data_box"]),
                *(
                    (f"density {lo:g}-{hi:g} from decision boundary", v)
                    for lo, hi, v in zip(
                        BOUNDARY_BINS[:-1], BOUNDARY_BINS[1:], st["boundary_density"], strict=True
                    )
                ),
                *(
                    (f"density {lo:g}-{hi:g} outside data box", v)
                    for lo, hi, v in zip(
                        DATA_BINS[:-1], DATA_BINS[1:], st["density_outside"], strict=True
                    )
                ),
            ]
            out += [
                Row(quantity=q, mean=float("nan") if v is None else float(v), **base)
                for q, v in values
            ]
        for label, _, count, formula in constructions_table():
            out.append(
                Row(
                    "constructions",
                    label,
                    None,
                    None,
                    "hand-built",
                    f"regions (formula {formula})",
                    float(count),
                    None,
                    1,
                    None,
                    None,
                    "",
                )
            )
        return out
