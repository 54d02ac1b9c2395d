"""How a run is asked for: output and cache folders, quick mode, workers and progress bars.

Every study reads the same :class:`RunOptions`. Quick mode is one :class:`QuickMode` value
(``options.quick``; None for a full run), and a study reads it in exactly two ways:

* :meth:`RunOptions.train_config` scales a training run down (:meth:`QuickMode.train`);
* :meth:`RunOptions.sized` applies the study's own ``quick_changes`` (fewer seeds, budgets,
  segments, ...), a mapping of field overrides every study dataclass declares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from analysis.lab.sgd import TrainConfig

__all__ = ["QuickMode", "RunOptions", "Sized"]


class Sized(Protocol):
    """A study's settings: a dataclass whose ``quick_changes`` overrides fields in quick mode."""

    quick_changes: Mapping[str, Any]


S = TypeVar("S", bound=Sized)


@dataclass(frozen=True)
class QuickMode:
    """Scaled-down training for a fast preview: at most ``steps`` SGD steps per net.

    Attributes
    ----------
    steps : int
        SGD steps per net, at most (the classic settings take 1,000: 10,000 samples in
        batches of 1,000 for 100 epochs).
    n_train, n_test : int
        Training and test samples, at most.
    batch_size : int
        Mini-batch size, at most.

    Examples
    --------
    >>> from analysis.lab.options import QuickMode
    >>> from analysis.lab.sgd import TrainConfig
    >>> quick = QuickMode().train(TrainConfig("sine"))  # 10,000 samples, batch 1,000, 100 epochs
    >>> quick.n_train, quick.n_test, quick.batch_size, quick.epochs  # 20 steps an epoch
    (2000, 500, 100, 25)
    >>> big = QuickMode().train(TrainConfig("sine", n_train=100_000, batch_size=100),
    ...                         keep_samples=True)
    >>> big.n_train, big.epochs  # at least one epoch: here 1,000 steps
    (100000, 1)
    """

    steps: int = 500
    n_train: int = 2_000
    n_test: int = 500
    batch_size: int = 100

    @property
    def note(self) -> str:
        """The sentence a quick-mode report adds to its description.

        Examples
        --------
        >>> from analysis.lab.options import QuickMode
        >>> QuickMode().note.split(":")[0]
        'Quick mode'
        """
        return (
            f"Quick mode: at most {self.n_train:,} training samples (unless the sample size is "
            f"what varies), {self.n_test} test samples, batches of {self.batch_size} and at "
            f"most {self.steps:,} SGD steps per net (or one epoch, if longer)."
        )

    def train(self, config: TrainConfig, *, keep_samples: bool = False) -> TrainConfig:
        """``config`` scaled down: capped samples and batch, epochs cut to at most ``steps``.

        Parameters
        ----------
        config : TrainConfig
            The full-size configuration.
        keep_samples : bool
            Keep ``config.n_train`` (for studies about the sample size).

        Returns
        -------
        TrainConfig
            ``n_train``, ``n_test``, ``batch_size`` and ``epochs`` reduced so that
            ``epochs * ceil(n_train / batch_size) <= steps`` (at least one epoch); every other
            field unchanged.
        """
        n_train = config.n_train if keep_samples else min(config.n_train, self.n_train)
        batch = min(config.batch_size, self.batch_size)
        epochs = max(1, min(config.epochs, self.steps // math.ceil(n_train / batch)))
        return replace(
            config,
            n_train=n_train,
            n_test=min(config.n_test, self.n_test),
            batch_size=batch,
            epochs=epochs,
        )


@dataclass(frozen=True)
class RunOptions:
    """Where and how the studies run.

    Attributes
    ----------
    out_dir : Path
        Figures go to ``out_dir/<experiment name>/``.
    cache_dir : Path
        Trained models and sweep results are cached here and reused.
    quick : QuickMode or None
        Quick mode, or None for the full settings; ``True`` stands for ``QuickMode()``.
    jobs : int
        Local worker processes.
    progress : bool
        Show tqdm progress bars.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from pathlib import Path
    >>> from analysis.lab.options import QuickMode, RunOptions
    >>> options = RunOptions(out_dir=Path("out"), cache_dir=Path("out/cache"), quick=True)
    >>> options.quick == QuickMode(), options.jobs, options.progress
    (True, 1, True)
    >>> @dataclass(frozen=True)
    ... class Study:
    ...     seeds: int = 5
    ...     quick_changes: dict = None
    >>> study = Study(quick_changes={"seeds": 2})
    >>> options.sized(study).seeds, RunOptions(Path("out"), Path("cache")).sized(study).seeds
    (2, 5)
    """

    out_dir: Path
    cache_dir: Path
    quick: QuickMode | None = None
    jobs: int = 1
    progress: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.quick, bool):
            object.__setattr__(self, "quick", QuickMode() if self.quick else None)
        if self.jobs < 1:
            raise ValueError(f"RunOptions.jobs must be >= 1, got {self.jobs}")

    def train_config(self, config: TrainConfig, *, keep_samples: bool = False) -> TrainConfig:
        """``config`` as this run trains it: :meth:`QuickMode.train` in quick mode."""
        if self.quick is None:
            return config
        return self.quick.train(config, keep_samples=keep_samples)

    def sized(self, study: S) -> S:
        """``study`` as this run sizes it: its ``quick_changes`` applied in quick mode."""
        if self.quick is None:
            return study
        return replace(study, quick_changes=MappingProxyType({}), **study.quick_changes)
