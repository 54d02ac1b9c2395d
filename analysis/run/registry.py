"""The registry: every runnable experiment by name, in the order ``reproduce`` runs them.

It only lists; what an experiment is lives in :mod:`analysis.studies`. A new study registers
with one line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from analysis.studies.classic.experiment import CLASSIC_EXPERIMENTS
from analysis.studies.depth_width.experiment import EXPERIMENT as DEPTH_VS_WIDTH
from analysis.studies.dynamics.experiment import EXPERIMENT as DYNAMICS
from analysis.studies.experiment import Experiment
from analysis.studies.folding.experiment import EXPERIMENT as FOLDING
from analysis.studies.sensitivity.experiment import EXPERIMENT as SENSITIVITY

__all__ = ["EXPERIMENTS"]

EXPERIMENTS: Mapping[str, Experiment] = MappingProxyType(
    {e.name: e for e in (*CLASSIC_EXPERIMENTS, DEPTH_VS_WIDTH, SENSITIVITY, FOLDING, DYNAMICS)}
)
"""Registry of runnable experiments, in the order ``reproduce`` runs them.

Examples
--------
>>> from analysis.run.registry import EXPERIMENTS
>>> list(EXPERIMENTS)[-4:], EXPERIMENTS["depth"].notebook
(['depth-vs-width', 'sensitivity', 'folding', 'dynamics'], '02_classic_experiment.py')
"""
