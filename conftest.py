"""Shared doctest setup: the names every docstring example may use without importing them.

``np``, ``torch`` and ``regions``; ``tiny_config``, a two-epoch run of a 4-unit net on 200
samples of ``line`` (trains in milliseconds); ``line_net()``, a fresh one-hidden-layer MLP set by
hand to compute the ``line`` boundary ``sign(y - x)`` exactly (logit difference
``relu(y - x) - relu(x - y)``); ``quadrant_net()``, a torch net whose two units ``relu(x)``
and ``relu(y)`` cut the plane into its four quadrants; ``Square``, a
:class:`~analysis.lab.jobs.Job` whose result is ``n**2``; ``demo_report``, the manifest of a
one-figure experiment with a two-row table.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import regions
from analysis.lab.jobs import Job
from analysis.lab.models import MLP, MLPConfig
from analysis.lab.sgd import TrainConfig
from analysis.run.summary import ExperimentReport, FigureFile
from analysis.studies.experiment import Table


@dataclasses.dataclass(frozen=True)
class Square(Job):
    n: int

    def run(self, cache_dir: str | None = None) -> int:
        return self.n**2


def line_net() -> MLP:
    net = MLP((2,), seed=0)
    with torch.no_grad():
        net.blocks[0].linear.weight.copy_(torch.tensor([[-1.0, 1.0], [1.0, -1.0]]))
        net.output.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, -1.0]]))
    return net


def quadrant_net() -> torch.nn.Sequential:
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2))
        net[0].bias.zero_()
    return net


@pytest.fixture(autouse=True, scope="session")
def _doctest_setup(doctest_namespace: dict[str, object]) -> None:
    doctest_namespace.update(
        np=np,
        torch=torch,
        regions=regions,
        tiny_config=TrainConfig("line", n_train=200, n_test=100, epochs=2, model=MLPConfig((4,))),
        line_net=line_net,
        quadrant_net=quadrant_net,
        Square=Square,
        demo_report=ExperimentReport(
            "demo",
            "Demo",
            "One tiny figure.",
            quick=True,
            figures=(FigureFile("demo/square", "A square."),),
            table=Table(("net", "n_regions", "area"), (("2-4-1", 7, 0.25), ("tanh", None, 0.5))),
            notebook="01_quickstart.py",
        ),
    )
