"""The depth-versus-width study's jobs: exact counts at initialisation, after and during
training, and region statistics. Each holds the :class:`~analysis.lab.sgd.TrainConfig` of its
net (already scaled for quick mode), so a job says exactly what it computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regions
from analysis.lab.jobs import Job
from analysis.lab.sgd import TrainConfig
from analysis.lab.train import train
from analysis.studies.depth_width.counting import (
    STATS_BOX,
    count_net,
    region_statistics,
    train_counting,
)
from analysis.studies.depth_width.nets import net_for

__all__ = ["CountJob", "CurveJob", "StatsJob"]


@dataclass(frozen=True)
class CountJob(Job):
    """Exact counts of one net at initialisation or after training.

    The net at initialisation is the one training starts from (it depends on the config's
    model and seed only), so a net's counts at initialisation and after training pair up.

    Attributes
    ----------
    config : TrainConfig
        The net (and, when ``trained``, its training).
    trained : bool
        Count after training (through the model cache) instead of at initialisation.

    Examples
    --------
    Three lines (biases N(0, 0.5^2)) at initialisation, no training:

    >>> from analysis.studies.depth_width.jobs import CountJob
    >>> from analysis.studies.depth_width.nets import train_config
    >>> job = CountJob(train_config((3,)))
    >>> len(job.key())  # the file name of its result in a sweep
    16
    >>> result = job.run(cache_dir=None)
    >>> result["n_parameters"], result["method"], result["test_acc"], result["by_depth"][0]
    (17, 'arrangement', None, 1)
    >>> result["linear"] <= result["by_depth"][-1] <= 7  # 3 lines cut at most 7 cells
    True
    """

    version = 2  # 2: linear regions decided exactly (Partition.linear_regions)

    config: TrainConfig
    trained: bool = False

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """Build (or train, through the model cache ``cache_dir``) the net and count it.

        Returns
        -------
        dict
            ``n_parameters`` (int), ``by_depth`` (list of int, per
            :class:`~analysis.studies.depth_width.counting.Count`), ``linear`` (int),
            ``method`` (str) and ``test_acc`` (float in [0, 1], or None at initialisation).
        """
        model, test_acc = net_for(self.config, self.trained, cache_dir)
        count = count_net(model)
        return {
            "n_parameters": model.n_parameters,
            "by_depth": list(count.by_depth),
            "linear": count.linear,
            "method": count.method,
            "test_acc": test_acc,
        }


@dataclass(frozen=True)
class CurveJob(Job):
    """Exact counts every ``every`` SGD steps while training one net.

    :meth:`run` trains with the lab's own loop
    (:func:`~analysis.studies.depth_width.counting.train_counting`) and counts after every
    ``every``-th step; the tests check that the final weights equal ``train``'s bit for bit.

    Attributes
    ----------
    config : TrainConfig
        What to train.
    every : int
        SGD steps between counts.

    Examples
    --------
    A 2-unit net over the 500 SGD steps of quick mode, counted every 250 steps:

    >>> from analysis.lab.options import QuickMode
    >>> from analysis.studies.depth_width.jobs import CurveJob
    >>> from analysis.studies.depth_width.nets import train_config
    >>> result = CurveJob(QuickMode().train(train_config((2,), "line")), every=250).run(None)
    >>> result["steps"], len(result["regions"]), len(result["by_depth"][0])
    ([0, 250, 500], 3, 2)
    >>> all(1 <= n <= 4 for n in result["regions"])  # 2 lines: at most 4 cells
    True
    >>> sorted(result["state"])  # the final weights, as lists
    ['blocks.0.linear.bias', 'blocks.0.linear.weight', 'output.bias', 'output.weight']
    """

    config: TrainConfig
    every: int

    def run(self, cache_dir: str | None = None) -> dict[str, Any]:
        """Train (never cached; ``cache_dir`` is unused) and count along the way.

        Returns
        -------
        dict
            ``steps`` (list of int: 0, ``every``, ..., and the last step), ``regions``,
            ``by_depth`` and ``linear`` (one entry per step) and ``state`` (the final
            ``state_dict`` as nested lists).
        """
        model, steps, by_depth, linear = train_counting(self.config, self.every)
        return {
            "steps": steps,
            "regions": [c[-1] for c in by_depth],
            "by_depth": by_depth,
            "linear": linear,
            "state": {k: v.tolist() for k, v in model.state_dict().items()},
        }


@dataclass(frozen=True)
class StatsJob(Job):
    """Region statistics of one trained net on ``STATS_BOX`` (data box plus a margin).

    Attributes
    ----------
    config : TrainConfig
        What to train (through the model cache).

    Examples
    --------
    >>> from analysis.lab.options import QuickMode
    >>> from analysis.studies.depth_width.jobs import StatsJob
    >>> from analysis.studies.depth_width.nets import train_config
    >>> stats = StatsJob(QuickMode().train(train_config((2,), "line"))).run(cache_dir=None)
    >>> stats["n_regions"] == len(stats["areas"]) == len(stats["vertices"])
    True
    >>> round(sum(stats["areas"]), 9)  # the regions tile [-4, 4]^2
    64.0
    """

    version = 2  # 2: boundary densities measured inside the data box only

    config: TrainConfig

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """Train (through the model cache ``cache_dir``) and measure; see
        :func:`~analysis.studies.depth_width.counting.region_statistics`."""
        model = train(self.config, cache_dir=cache_dir, progress=False).model
        return region_statistics(regions.decompose(model, domain=STATS_BOX), self.config)
