"""Cached training of :class:`~analysis.lab.models.MLP` classifiers: :func:`train`.

Training is plain mini-batch SGD (no momentum) on the config's loss
(:func:`analysis.lab.sgd.batch_loss`), with the training set reshuffled every epoch: the seeded
loop :func:`analysis.lab.sgd.run_sgd`. The
same config therefore gives bit-identical weights on the same machine and torch build, in
process or in any worker. Results are cached on disk (:mod:`analysis.lab.cache`), so a rerun
loads instead of training; many configs train in parallel as
:class:`~analysis.lab.jobs.TrainJob` s through the sweep runner.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from analysis.lab.cache import CacheError, CacheWarning, entry_paths, load_entry, save_entry
from analysis.lab.models import MLP
from analysis.lab.sgd import (
    CACHE_VERSION,
    TrainConfig,
    accuracy,
    build_model,
    check_finite,
    dataset_for,
    run_sgd,
    sgd_optimizer,
)

__all__ = [
    "HISTORY_FIELDS",
    "History",
    "StateDict",
    "TrainResult",
    "train",
]

StateDict = dict[str, torch.Tensor]
HISTORY_FIELDS = ("epoch", "loss", "train_acc", "test_acc")


@dataclass(frozen=True, eq=False)
class History:
    """Training curves at the recorded epochs.

    Attributes
    ----------
    epoch : ndarray, shape (R,), int64
        1-based epoch numbers recorded (every ``record_every``-th epoch and the last one).
    loss : ndarray, shape (R,), float64
        Mean mini-batch training loss (the config's ``loss``, in nats for the cross-entropies)
        during that epoch, in training mode.
    train_acc : ndarray, shape (R,), float64
        Accuracy in [0, 1] on the (possibly noisy) training labels after the epoch, eval mode.
    test_acc : ndarray, shape (R,), float64
        Accuracy in [0, 1] on the clean test labels after the epoch, eval mode (NaN when the
        test set is empty).

    Examples
    --------
    >>> from analysis.lab.train import History
    >>> history = History.from_dict({
    ...     "epoch": [1, 2, 3],
    ...     "loss": [0.7, 0.5, 0.4],
    ...     "train_acc": [0.5, 0.8, 0.9],
    ...     "test_acc": [0.6, 0.8, 0.95],
    ... })
    >>> history.epoch.dtype, history.loss.shape
    (dtype('int64'), (3,))
    >>> history.select([1, 3]).to_dict()
    {'epoch': [1, 3], 'loss': [0.7, 0.4], 'train_acc': [0.5, 0.9], 'test_acc': [0.6, 0.95]}
    """

    epoch: np.ndarray
    loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray

    def to_dict(self) -> dict[str, list[float] | list[int]]:
        """Plain lists, safe for JSON and ``torch.load(weights_only=True)``."""
        return {name: getattr(self, name).tolist() for name in HISTORY_FIELDS}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """Inverse of :meth:`to_dict`; ``ValueError`` on missing fields or ragged lengths."""
        arrays = {
            name: np.asarray(d[name], dtype=np.int64 if name == "epoch" else np.float64)
            for name in HISTORY_FIELDS
        }
        if len({a.shape for a in arrays.values()}) != 1 or arrays["epoch"].ndim != 1:
            raise ValueError("history fields must be 1-D arrays of equal length")
        return cls(**arrays)

    def select(self, epochs: np.ndarray) -> History:
        """The rows for ``epochs`` (each must have been recorded, else ``KeyError``)."""
        missing = np.setdiff1d(epochs, self.epoch)
        if missing.size:
            raise KeyError(f"epochs {missing.tolist()} were not recorded")
        rows = np.searchsorted(self.epoch, epochs)
        return History(**{name: getattr(self, name)[rows] for name in HISTORY_FIELDS})


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    model : MLP
        Trained model, in eval mode.
    history : History
        Training curves.
    config : TrainConfig
        The configuration trained.
    from_cache : bool
        True when the weights were loaded from the cache instead of trained.
    initial_state : dict of str to Tensor
        ``model.state_dict()`` before the first update, for re-initialisation experiments.
    train_seconds : float or None
        Wall time of the training run that produced these weights (seconds, rounded to
        milliseconds; from the cache entry when loaded, None if the entry did not record it).

    Examples
    --------
    ``tiny_config`` is the doctest setup's 2-epoch net (``conftest.py``):

    >>> from analysis.lab.sgd import build_model
    >>> from analysis.lab.train import train
    >>> result = train(tiny_config, progress=False)
    >>> result.from_cache, result.model.training, result.key == tiny_config.key()
    (False, False, True)
    >>> result.history.epoch.tolist(), result.train_seconds >= 0
    ([1, 2], True)
    >>> start = build_model(tiny_config).state_dict()
    >>> all(torch.equal(start[k], v) for k, v in result.initial_state.items())
    True
    """

    model: MLP
    history: History
    config: TrainConfig
    from_cache: bool
    initial_state: StateDict
    train_seconds: float | None

    @property
    def key(self) -> str:
        """Cache key of :attr:`config`."""
        return self.config.key()


def _recorded_epochs(epochs: int, record_every: int) -> np.ndarray:
    recorded = set(range(record_every, epochs + 1, record_every)) | ({epochs} if epochs else set())
    return np.array(sorted(recorded), dtype=np.int64)


def _clone_state(model: MLP) -> StateDict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _fit(config: TrainConfig, record_every: int, progress: bool) -> tuple[MLP, StateDict, History]:
    """Train from scratch; returns (model in eval mode, initial state, history)."""
    data = dataset_for(config)
    X_train, y_train = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    X_test, y_test = torch.from_numpy(data.X_test), torch.from_numpy(data.y_test)
    model = build_model(config)
    initial_state = _clone_state(model)
    recorded = set(_recorded_epochs(config.epochs, record_every).tolist())
    rows: list[tuple[int, float, float, float]] = []
    total = torch.zeros((), dtype=torch.float64)
    bar = tqdm(
        range(1, config.epochs + 1),
        desc=f"{config.dataset} {config.key()}",
        disable=not progress,
        leave=False,
    )

    def add_loss(step: int, idx: torch.Tensor, loss: torch.Tensor) -> None:
        total.add_(loss.detach().double() * len(idx))

    def end_epoch(epoch: int) -> None:
        if epoch in recorded:
            model.eval()
            row = (
                epoch,
                total.item() / len(y_train),
                accuracy(model, X_train, y_train),
                accuracy(model, X_test, y_test),
            )
            rows.append(row)
            bar.set_postfix(loss=f"{row[1]:.4f}", test_acc=f"{row[3]:.4f}")
        total.zero_()

    optimizer = sgd_optimizer(model, config)
    run_sgd(
        model, optimizer, config, X_train, y_train, after_step=add_loss, after_epoch=end_epoch,
        epochs=bar,
    )  # fmt: skip
    columns = list(zip(*rows, strict=True)) if rows else [[]] * len(HISTORY_FIELDS)
    history = History.from_dict(dict(zip(HISTORY_FIELDS, columns, strict=True)))
    return model, initial_state, history


def _payload(result: TrainResult, record_every: int) -> dict[str, Any]:
    """What the ``.pt`` file stores: tensors and plain containers only."""
    return {
        "state_dict": _clone_state(result.model),
        "initial_state_dict": dict(result.initial_state),
        "history": result.history.to_dict(),
        "record_every": record_every,
    }


def _check_state(state: Any, reference: StateDict, what: str) -> StateDict:
    if not isinstance(state, dict) or set(state) != set(reference):
        raise CacheError(f"{what} has the wrong keys")
    for name, ref in reference.items():
        value = state[name]
        if not isinstance(value, torch.Tensor) or value.shape != ref.shape:
            raise CacheError(f"{what}[{name!r}] does not match shape {tuple(ref.shape)}")
        if value.dtype != ref.dtype:
            raise CacheError(f"{what}[{name!r}] has dtype {value.dtype}, expected {ref.dtype}")
    return state


def _result_from_payload(
    config: TrainConfig, payload: dict[str, Any], record_every: int, seconds: float | None
) -> TrainResult:
    """Validate a cached ``payload`` against ``config``; ``CacheError`` says what is wrong."""
    missing = {"state_dict", "initial_state_dict", "history", "record_every"} - set(payload)
    if missing:
        raise CacheError(f"missing keys {sorted(missing)}")
    model = build_model(config)
    reference = model.state_dict()
    state = _check_state(payload["state_dict"], reference, "state_dict")
    initial = _check_state(payload["initial_state_dict"], reference, "initial_state_dict")
    try:
        history = History.from_dict(payload["history"])
        history = history.select(_recorded_epochs(config.epochs, record_every))
    except (KeyError, TypeError, ValueError) as err:
        raise CacheError(
            f"history unusable for record_every={record_every} "
            f"(stored with {payload['record_every']}): {err}"
        ) from err
    model.load_state_dict(state)
    model.eval()
    initial_state = {k: v.clone() for k, v in initial.items()}
    return TrainResult(model, history, config, True, initial_state, seconds)


def _load_cached(
    config: TrainConfig, cache_dir: str | os.PathLike[str], record_every: int
) -> TrainResult | None:
    """Cached result for ``config``, or None (with a :class:`CacheWarning` if unusable)."""
    key = config.key()
    pt_path, json_path = entry_paths(cache_dir, key)
    try:
        entry = load_entry(cache_dir, key)
        if entry is None:
            return None
        payload, meta = entry
        # Round-trip through JSON so tuples and lists compare equal.
        expected = json.loads(json.dumps(config.to_dict()))
        if meta.get("config") != expected:
            raise CacheError(f"the config in {json_path.name} does not match key {key}")
        seconds = meta.get("summary", {}).get("train_seconds")
        return _result_from_payload(config, payload, record_every, seconds)
    except CacheError as err:
        warnings.warn(
            f"ignoring cache entry {pt_path}: {err}; retraining", CacheWarning, stacklevel=3
        )
        return None


def train(
    config: TrainConfig,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    record_every: int = 1,
) -> TrainResult:
    """Train ``config`` or load it from ``cache_dir``.

    Parameters
    ----------
    config : TrainConfig
        What to train.
    cache_dir : path, optional
        Cache directory (created on demand); ``None`` disables caching. A usable entry is
        returned without training; an unusable one (unreadable, wrong keys or shapes, config
        mismatch, weights that are not finite or do not match their checksum, history not
        covering the requested epochs) triggers a :class:`CacheWarning` naming the file and
        reason, then retraining and overwriting.
    progress : bool
        Show a tqdm bar over epochs.
    record_every : int
        Record the history every this many epochs (the last epoch is always recorded).
        Evaluation does not touch any RNG, so it does not change the weights.

    Returns
    -------
    TrainResult

    Raises
    ------
    FloatingPointError
        If training diverged (non-finite weights); such a net is never cached.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.sgd import TrainConfig
    >>> from analysis.lab.train import train
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=5, batch_size=50, lr=0.5,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     result = train(config, cache_dir=cache, progress=False, record_every=2)
    ...     again = train(config, cache_dir=cache, progress=False, record_every=2)
    >>> result.history.epoch.tolist()  # every 2nd epoch and the last
    [2, 4, 5]
    >>> bool(result.history.test_acc[-1] > 0.9)  # the line y = x is easy
    True
    >>> result.from_cache, again.from_cache
    (False, True)
    >>> bool((again.history.loss == result.history.loss).all())
    True
    """
    if record_every < 1:
        raise ValueError(f"record_every must be >= 1, got {record_every}")
    if cache_dir is not None:
        cached = _load_cached(config, cache_dir, record_every)
        if cached is not None:
            return cached
    start = time.perf_counter()
    model, initial_state, history = _fit(config, record_every, progress)
    seconds = round(time.perf_counter() - start, 3)
    check_finite(model, f"training {config.key()}")
    result = TrainResult(model, history, config, False, initial_state, seconds)
    if cache_dir is not None:
        meta = {
            "key": config.key(),
            "cache_version": CACHE_VERSION,
            "config": config.to_dict(),
            "summary": _summary(result),
        }
        save_entry(cache_dir, config.key(), _payload(result, record_every), meta)
    return result


def _summary(result: TrainResult) -> dict[str, Any]:
    h = result.history
    final = {
        f"final_{name}": float(getattr(h, name)[-1]) if len(h.epoch) else None
        for name in ("loss", "train_acc", "test_acc")
    }
    return {
        **final,
        "n_parameters": result.model.n_parameters,
        "train_seconds": result.train_seconds,
    }
