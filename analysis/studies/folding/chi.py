"""The space-folding measure across depth and width at matched parameter budgets: the jobs.

For every net, the exact folding measure chi
(:func:`~analysis.studies.folding.measures.chi_by_layer`) of the same random segments across
the data box is computed for the net truncated after each layer (patterns of layers
``1..k``; ``k = L`` is the whole net). Nets come from the depth-versus-width study
(:func:`~analysis.studies.depth_width.nets.matched_widths` at a parameter budget, initial
biases ``N(0, 0.5²)``), at initialisation (several seeds) and after the classic training
(seed 0), with the same training configs and cache keys, so a run of either study trains
the nets of both.

A one-hidden-layer net has chi = 0 on every segment (each boundary is a line, crossed at most
once); deeper nets fold when some layer's boundaries bend back, which the distribution of chi
over segments shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import regions
from analysis.lab.jobs import Job
from analysis.lab.sgd import TrainConfig
from analysis.studies.depth_width.nets import describe, net_for
from analysis.studies.folding.measures import chi_by_layer, random_segments
from regions import DEFAULT_BOX

__all__ = ["SEGMENT_SEED", "ChiJob", "ChiSummary", "summarize"]

#: Seed of the random segments, shared by every net so that all nets see the same segments.
SEGMENT_SEED = 0


@dataclass(frozen=True)
class ChiJob(Job):
    """chi of the shared random segments for one net, at initialisation or trained.

    Attributes
    ----------
    config : TrainConfig
        The net (and, when ``trained``, its training).
    trained : bool
        Measure after training (through the model cache) instead of at initialisation.
    n_segments : int
        Random segments across the data box (seed :data:`SEGMENT_SEED`).
    budget : int or None
        The parameter budget the widths were matched to (a label for plots; None: none).

    Examples
    --------
    >>> from analysis.studies.depth_width.nets import train_config
    >>> from analysis.studies.folding.chi import ChiJob
    >>> job = ChiJob(train_config((3, 3)), n_segments=20)
    >>> result = job.run(None)
    >>> len(result["chi"]), len(result["chi"][0]), result["test_acc"] is None
    (2, 20, True)
    >>> all(c == 0 for c in result["chi"][0])  # one layer never folds a straight segment
    True
    """

    version = 2  # 2: segments walked exactly by regions.decompose_line

    config: TrainConfig
    trained: bool = False
    n_segments: int = 400
    budget: int | None = None

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """Build (or train, through the cache) the net, decompose it and measure chi."""
        model, test_acc = net_for(self.config, self.trained, cache_dir)
        part = regions.decompose(model, DEFAULT_BOX)
        segments = random_segments(self.n_segments, DEFAULT_BOX, SEGMENT_SEED)
        return {
            "n_parameters": model.n_parameters,
            "n_regions": len(part),
            "test_acc": test_acc,
            "chi": chi_by_layer(part.network, segments).tolist(),
        }


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
    >>> from analysis.studies.folding.chi import ChiSummary
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
    >>> from analysis.studies.depth_width.nets import train_config
    >>> from analysis.studies.folding.chi import ChiJob, summarize
    >>> job = ChiJob(train_config((3, 3)), n_segments=20)
    >>> s = summarize(job, job.run(None))
    >>> s.widths, s.depth, s.stage, len(s.mean_chi_by_layer), s.mean_chi_by_layer[0]
    ('2 × 3', 2, 'init', 2, 0.0)
    """
    chi = np.asarray(result["chi"], dtype=np.float64)
    hidden = job.config.model.hidden
    return ChiSummary(
        widths=describe(hidden),
        depth=len(hidden),
        n_parameters=int(result["n_parameters"]),
        budget=int(job.budget or result["n_parameters"]),
        stage=job.config.dataset if job.trained else "init",
        seed=job.config.seed,
        test_acc=result["test_acc"],
        n_regions=int(result["n_regions"]),
        mean_chi=float(chi[-1].mean()),
        folded=float(np.mean(chi[-1] > 0)),
        mean_chi_by_layer=tuple(float(m) for m in chi.mean(axis=1)),
    )
