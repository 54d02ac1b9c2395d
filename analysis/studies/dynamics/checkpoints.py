"""Training with checkpoints at log-spaced steps, resumable checkpoint by checkpoint.

A :class:`DynamicsRun` is a :class:`~analysis.lab.sgd.TrainConfig` (data, net, loss, learning
rate, weight decay, batch, seed; its ``epochs`` set the length) plus the optimizer and the
number of checkpoints. :func:`train_checkpoints` trains it step by step and saves the weights
and the optimizer's state at every checkpoint step (step 0 included) through the model cache
(:func:`analysis.lab.cache.save_entry`: tensors and plain containers only, written atomically,
loaded with ``torch.load(weights_only=True)`` and checked against their SHA-256). Each epoch's
shuffle is drawn from its own generator seeded by ``(seed, epoch)``, so a run resumed from its
last checkpoint continues exactly as if it had never stopped: the weights are bit-identical.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from analysis.lab import sgd
from analysis.lab.cache import CacheError, CacheWarning, load_entry, save_entry
from analysis.lab.models import MLP
from analysis.lab.sgd import (
    TrainConfig,
    batch_loss,
    build_model,
    check_finite,
    dataset_for,
    sgd_optimizer,
)

__all__ = [
    "OPTIMIZERS",
    "DynamicsRun",
    "checkpoint_steps",
    "load_checkpoint",
    "load_net",
    "train_checkpoints",
]

OPTIMIZERS = ("sgd", "adamw")
"""``"sgd"``: plain SGD, L2 on weights (:func:`~analysis.lab.sgd.sgd_optimizer`);
``"adamw"``: AdamW, decoupled weight decay on the weight matrices only."""

_FOLDER = "dynamics"


@dataclass(frozen=True)
class DynamicsRun:
    """One net watched over training.

    Attributes
    ----------
    label : str
        Name in figures and tables.
    train : TrainConfig
        Data, net, loss, learning rate, weight decay, batch size and seed; trained for
        ``train.epochs`` epochs. The net must have no dropout (checkpoints do not hold the
        dropout generator).
    optimizer : str
        One of :data:`OPTIMIZERS`.
    checkpoints : int
        Number of log-spaced checkpoint steps after step 0 (fewer when steps are few).

    Examples
    --------
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.sgd import TrainConfig
    >>> from analysis.studies.dynamics.checkpoints import DynamicsRun
    >>> run = DynamicsRun("demo", TrainConfig("sine", n_train=100, batch_size=20, epochs=40,
    ...                                       model=MLPConfig((8,))), checkpoints=6)
    >>> run.steps, run.checkpoint_steps.tolist()  # 5 steps an epoch
    (200, [0, 1, 3, 8, 24, 69, 200])
    >>> len(run.key())
    16
    """

    label: str
    train: TrainConfig
    optimizer: str = "adamw"
    checkpoints: int = 40

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"DynamicsRun.optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}"
            )
        if self.optimizer == "adamw" and self.train.loss == "classic":
            raise ValueError(
                "DynamicsRun: loss 'classic' needs optimizer 'sgd' (its L2 term is SGD's "
                "weight decay; AdamW's decay is decoupled)"
            )
        if self.train.model.keep_prob != 1.0:
            raise ValueError("DynamicsRun.train: the net must have no dropout (keep_prob 1)")
        if self.checkpoints < 1:
            raise ValueError(f"DynamicsRun.checkpoints must be >= 1, got {self.checkpoints}")

    @property
    def steps_per_epoch(self) -> int:
        """Mini-batches in one pass over the training set."""
        return math.ceil(self.train.n_train / self.train.batch_size)

    @property
    def steps(self) -> int:
        """Optimizer steps in all: ``epochs * steps_per_epoch``."""
        return self.train.epochs * self.steps_per_epoch

    @property
    def checkpoint_steps(self) -> np.ndarray:
        """Checkpoint steps (int64, increasing): :func:`checkpoint_steps` of the run."""
        return checkpoint_steps(self.steps, self.checkpoints)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields (the config through :meth:`TrainConfig.to_dict`)."""
        return {
            "label": self.label,
            "train": self.train.to_dict(),
            "optimizer": self.optimizer,
            "checkpoints": self.checkpoints,
        }

    def key(self) -> str:
        """16 hex digits naming the run's checkpoint folder (the label is left out, the
        training cache version :data:`~analysis.lab.sgd.CACHE_VERSION` is in)."""
        fields = {k: v for k, v in self.to_dict().items() if k != "label"}
        fields["cache_version"] = sgd.CACHE_VERSION  # read at call time, as TrainConfig.key does
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def folder(self, cache_dir: str | os.PathLike[str]) -> Path:
        """Where the run's checkpoints live: ``<cache_dir>/dynamics/<key>``."""
        return Path(cache_dir) / _FOLDER / self.key()


def checkpoint_steps(steps: int, n: int) -> np.ndarray:
    """Step 0 and about ``n`` steps log-spaced from 1 to ``steps`` (duplicates dropped).

    Parameters
    ----------
    steps : int
        The last step (>= 0).
    n : int
        Log-spaced points from 1 to ``steps``.

    Returns
    -------
    ndarray of int64
        Increasing, starting at 0 and ending at ``steps``.

    Examples
    --------
    >>> from analysis.studies.dynamics.checkpoints import checkpoint_steps
    >>> checkpoint_steps(1000, 4).tolist()
    [0, 1, 10, 100, 1000]
    >>> checkpoint_steps(3, 10).tolist()
    [0, 1, 2, 3]
    """
    if steps < 1:
        return np.zeros(1, dtype=np.int64)
    spaced = np.rint(np.geomspace(1, steps, max(n, 1))).astype(np.int64)
    return np.unique(np.concatenate([[0], spaced, [steps]]))


def _optimizer(model: MLP, run: DynamicsRun) -> torch.optim.Optimizer:
    config = run.train
    if run.optimizer == "sgd":
        return sgd_optimizer(model, config)
    weights = [layer.weight for layer in model.linears()]
    seen = {id(p) for p in weights}
    others = [p for p in model.parameters() if id(p) not in seen]
    groups = [
        {"params": weights, "weight_decay": config.weight_decay},
        {"params": others, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.lr)


def _entry(step: int) -> str:
    return f"step_{step:09d}"


def load_checkpoint(
    run: DynamicsRun, cache_dir: str | os.PathLike[str], step: int
) -> dict[str, Any] | None:
    """The checkpoint payload of ``step`` (``model``, ``optimizer`` states), or None.

    Raises
    ------
    CacheError
        When the entry exists but is unreadable, incomplete or corrupt.
    """
    entry = load_entry(run.folder(cache_dir), _entry(step))
    return None if entry is None else entry[0]


def _net(run: DynamicsRun, payload: dict[str, Any]) -> MLP:
    model = build_model(run.train)
    model.load_state_dict(payload["model"])
    model.eval()
    return model


def load_net(run: DynamicsRun, cache_dir: str | os.PathLike[str], step: int) -> MLP:
    """The net of checkpoint ``step`` (in eval mode), from the cache or trained again.

    A checkpoint that is missing (a cleared cache) or unusable (corrupt, unreadable) gives a
    :class:`~analysis.lab.cache.CacheWarning`; the run is then trained to its end through
    :func:`train_checkpoints`, from its last readable checkpoint, into the same weights bit
    for bit, so numbers measured earlier still hold and every later load is a hit.

    Raises
    ------
    ValueError
        When ``step`` is not one of ``run.checkpoint_steps``.
    """
    steps = run.checkpoint_steps.tolist()
    if step not in steps:
        raise ValueError(f"load_net: step {step} is not a checkpoint of run {run.label!r}: {steps}")
    try:
        payload = load_checkpoint(run, cache_dir, step)
        reason = "it is missing"
    except CacheError as err:
        payload, reason = None, str(err)
    if payload is not None:
        return _net(run, payload)
    warnings.warn(
        f"checkpoint {_entry(step)} of run {run.label!r} in {run.folder(cache_dir)} is "
        f"unusable ({reason}); training the run again",
        CacheWarning,
        stacklevel=2,
    )
    # The whole run, so that the next checkpoint asked for is on disk too.
    return [net for s, net in train_checkpoints(run, cache_dir) if s == step][0]


def _epoch_order(run: DynamicsRun, epoch: int) -> torch.Tensor:
    """The shuffle of epoch ``epoch`` (0-based), from its own seeded generator."""
    seed = int(np.random.SeedSequence([run.train.seed, epoch]).generate_state(1)[0])
    return torch.randperm(run.train.n_train, generator=torch.Generator().manual_seed(seed))


def _saved(run: DynamicsRun, cache_dir: str | os.PathLike[str]) -> list[tuple[int, Any]]:
    """The checkpoints on disk: the longest readable prefix of the steps, with payloads."""
    saved = []
    for step in run.checkpoint_steps.tolist():
        try:
            payload = load_checkpoint(run, cache_dir, step)
        except CacheError:
            payload = None  # a broken entry is trained again, and every one after it
        if payload is None:
            break
        saved.append((step, payload))
    return saved


def _save(run: DynamicsRun, cache_dir: str | os.PathLike[str], step: int, model: MLP,
          optimizer: torch.optim.Optimizer) -> None:  # fmt: skip
    payload = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    save_entry(run.folder(cache_dir), _entry(step), payload, {"run": run.to_dict(), "step": step})


def train_checkpoints(
    run: DynamicsRun, cache_dir: str | os.PathLike[str], *, progress: bool = False
) -> Iterator[tuple[int, MLP]]:
    """Train ``run`` (resuming from its last checkpoint) and yield ``(step, net)`` at every one.

    Checkpoints already on disk are yielded from disk, the rest as training reaches them
    (each saved before it is yielded), so a caller measuring each net in turn resumes where
    an interrupt stopped it.

    Parameters
    ----------
    run : DynamicsRun
        What to train.
    cache_dir : path
        Model cache; checkpoints go to ``run.folder(cache_dir)``.
    progress : bool
        Show a tqdm bar over steps.

    Yields
    ------
    (int, MLP)
        The checkpoint step and the net then, in eval mode (a fresh copy each time).

    Raises
    ------
    FloatingPointError
        When training diverged (non-finite weights at a checkpoint), before that checkpoint
        is saved: a diverged net is never cached, as in :func:`analysis.lab.train.train`.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.sgd import TrainConfig
    >>> from analysis.studies.dynamics.checkpoints import DynamicsRun, train_checkpoints
    >>> run = DynamicsRun("demo", TrainConfig("sine", n_train=100, batch_size=20, epochs=4,
    ...                                       model=MLPConfig((8,))), checkpoints=3)
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     steps = [step for step, net in train_checkpoints(run, cache)]
    ...     again = [step for step, net in train_checkpoints(run, cache)]  # all from disk
    >>> steps, steps == again
    ([0, 1, 4, 20], True)
    """
    config = run.train
    model = build_model(config)
    optimizer = _optimizer(model, run)
    saved = _saved(run, cache_dir)
    for step, payload in saved:
        yield step, _net(run, payload)
    if saved:
        model.load_state_dict(saved[-1][1]["model"])
        optimizer.load_state_dict(saved[-1][1]["optimizer"])
    else:
        _save(run, cache_dir, 0, model, optimizer)
        yield 0, _net(run, {"model": model.state_dict()})
    start = saved[-1][0] if saved else 0
    pending = {s for s in run.checkpoint_steps.tolist() if s > start}
    if not pending:
        return
    data = dataset_for(config)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # as the lab's loop: bit-identical weights in any process
    try:
        order, epoch = torch.empty(0, dtype=torch.int64), -1
        bar = tqdm(range(start, run.steps), desc=run.label, disable=not progress, leave=False)
        for step in bar:
            e, i = divmod(step, run.steps_per_epoch)
            if e != epoch:
                order, epoch = _epoch_order(run, e), e
            idx = order[i * config.batch_size : (i + 1) * config.batch_size]
            model.train()
            loss = batch_loss(model, model(X[idx]), y[idx], config.loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if step + 1 in pending:
                model.eval()
                check_finite(model, f"run {run.label!r} ({run.key()}), trained to step {step + 1},")
                _save(run, cache_dir, step + 1, model, optimizer)
                yield step + 1, _net(run, {"model": model.state_dict()})
    finally:
        torch.set_num_threads(previous)
