"""Deterministic, cached training of :class:`~analysis.models.MLP` classifiers.

Training is plain mini-batch SGD (no momentum) on the cross-entropy of the logits, with the
training set reshuffled every epoch. Every random draw comes from a seed in the
:class:`TrainConfig`: the initialisation (unless the model config fixes its own seed), the
shuffling (a private ``torch.Generator``) and dropout masks (the global torch RNG, seeded inside
``torch.random.fork_rng`` so the caller's RNG state is restored afterwards). Training runs on one
torch thread, because batch-norm reductions round differently with other thread counts. The
same config therefore gives bit-identical weights on the same machine and torch build, in
process or in a worker pool.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from analysis.cache import CacheError, CacheWarning, entry_paths, load_entry, save_entry
from analysis.data import DATASET_NAMES, Dataset, make_dataset
from analysis.models import MLP, MLPConfig

__all__ = [
    "CACHE_VERSION",
    "HISTORY_FIELDS",
    "History",
    "StateDict",
    "StepHook",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "build_model",
    "dataset_for",
    "run_sgd",
    "sgd_optimizer",
    "train",
    "train_many",
]

CACHE_VERSION = 1
"""Part of every cache key: bump it when a code change alters what a config trains into."""

StateDict = dict[str, torch.Tensor]
HISTORY_FIELDS = ("epoch", "loss", "train_acc", "test_acc")


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    Attributes
    ----------
    dataset : str
        Dataset name (:data:`analysis.data.DATASET_NAMES`).
    n_train, n_test : int
        Dataset sizes.
    noise : float
        Training label-flip probability.
    data_seed : int
        Seed of the dataset sample.
    model : MLPConfig
        Architecture. If ``model.seed`` is None the initialisation seed derives from ``seed``.
    epochs : int
        Passes over the training set.
    batch_size : int
        Mini-batch size; the last batch of an epoch may be smaller.
    lr : float
        SGD learning rate.
    weight_decay : float
        L2 coefficient ``lambda`` on the linear layers' weights only (biases and batch-norm
        parameters are not decayed): the loss gains ``lambda / 2 * sum(W**2)``.
    seed : int
        Seed of initialisation (see ``model``), shuffling and dropout.

    Examples
    --------
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> config.batch_size, config.lr, config.weight_decay  # defaults
    (1000, 0.01, 0.0)
    >>> TrainConfig.from_dict(config.to_dict()) == config
    True
    >>> key = config.key()  # names the cache entry
    >>> len(key), key == TrainConfig.from_dict(config.to_dict()).key()
    (16, True)
    >>> key != TrainConfig("line", n_train=200, n_test=100, epochs=3,
    ...                    model=MLPConfig(hidden=(4,))).key()
    True
    """

    dataset: str
    n_train: int = 10_000
    n_test: int = 2_000
    noise: float = 0.0
    data_seed: int = 0
    model: MLPConfig = field(default_factory=MLPConfig)
    epochs: int = 100
    batch_size: int = 1000
    lr: float = 0.01
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in DATASET_NAMES:
            raise ValueError(f"unknown dataset {self.dataset!r}; valid: {', '.join(DATASET_NAMES)}")
        if not isinstance(self.model, MLPConfig):
            raise TypeError(f"model must be an MLPConfig, got {type(self.model).__name__}")
        # Canonical types, so equal configs hash into the same cache key.
        for name in ("n_train", "n_test", "data_seed", "epochs", "batch_size", "seed"):
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in ("noise", "lr", "weight_decay"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.epochs < 0 or self.batch_size < 1 or self.lr <= 0 or self.weight_decay < 0:
            raise ValueError(
                "need epochs >= 0, batch_size >= 1, lr > 0 and weight_decay >= 0, got "
                f"{self.epochs}, {self.batch_size}, {self.lr}, {self.weight_decay}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; inverse of :meth:`from_dict`."""
        return {**asdict(self), "model": self.model.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Rebuild a config from :meth:`to_dict` output."""
        return cls(**{**d, "model": MLPConfig.from_dict(d["model"])})

    def key(self) -> str:
        """Stable 16-hex-digit cache key: sha256 of the canonical JSON of the config."""
        canonical = json.dumps(
            {"cache_version": CACHE_VERSION, "config": self.to_dict()},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class History:
    """Training curves at the recorded epochs.

    Attributes
    ----------
    epoch : ndarray, shape (R,), int64
        1-based epoch numbers recorded (every ``record_every``-th epoch and the last one).
    loss : ndarray, shape (R,), float64
        Mean mini-batch cross-entropy (nats) during that epoch, in training mode.
    train_acc : ndarray, shape (R,), float64
        Accuracy in [0, 1] on the (possibly noisy) training labels after the epoch, eval mode.
    test_acc : ndarray, shape (R,), float64
        Accuracy in [0, 1] on the clean test labels after the epoch, eval mode (NaN when the
        test set is empty).

    Examples
    --------
    >>> from analysis.train import History
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

    Examples
    --------
    >>> import torch
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> from analysis.train import build_model, train
    >>> result = train(config, progress=False)
    >>> result.from_cache, result.model.training, result.key == config.key()
    (False, False, True)
    >>> result.history.epoch.tolist()
    [1, 2]
    >>> start = build_model(config).state_dict()
    >>> all(torch.equal(start[k], v) for k, v in result.initial_state.items())
    True
    """

    model: MLP
    history: History
    config: TrainConfig
    from_cache: bool
    initial_state: StateDict

    @property
    def key(self) -> str:
        """Cache key of :attr:`config`."""
        return self.config.key()


def dataset_for(config: TrainConfig) -> Dataset:
    """The dataset ``config`` trains and tests on.

    Parameters
    ----------
    config : TrainConfig
        Uses its ``dataset``, ``n_train``, ``n_test``, ``noise`` and ``data_seed``.

    Returns
    -------
    Dataset
        Sampled in the default box ``[-2, 2]^2`` (:func:`analysis.data.make_dataset`).

    Examples
    --------
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> from analysis.train import dataset_for
    >>> data = dataset_for(config)
    >>> data.name, data.X_train.shape, data.y_test.shape
    ('line', (200, 2), (100,))
    """
    return make_dataset(
        config.dataset,
        config.n_train,
        config.n_test,
        noise=config.noise,
        seed=config.data_seed,
    )


def _derived_seeds(config: TrainConfig) -> tuple[int, int, int]:
    """Independent (init, shuffle, dropout) seeds from ``config.seed``."""
    init, shuffle, dropout = np.random.SeedSequence(config.seed).generate_state(3)
    return int(init), int(shuffle), int(dropout)


def build_model(config: TrainConfig) -> MLP:
    """The freshly initialised model ``config`` starts training from.

    Parameters
    ----------
    config : TrainConfig
        When ``config.model.seed`` is None, the initialisation seed is derived from
        ``config.seed``; otherwise the model's own seed is used.

    Returns
    -------
    MLP
        A new model in training mode; the same config always gives the same weights.

    Examples
    --------
    >>> import torch
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> from analysis.train import build_model
    >>> a, b = build_model(config), build_model(config)
    >>> all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    True
    >>> a.config.seed is not None, a.config.hidden
    (True, (4,))
    """
    model_cfg = config.model
    if model_cfg.seed is None:
        model_cfg = replace(model_cfg, seed=_derived_seeds(config)[0])
    return MLP.from_config(model_cfg)


def _recorded_epochs(epochs: int, record_every: int) -> np.ndarray:
    recorded = set(range(record_every, epochs + 1, record_every)) | ({epochs} if epochs else set())
    return np.array(sorted(recorded), dtype=np.int64)


@torch.no_grad()
def accuracy(model: MLP, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of ``X`` (N, 2) whose predicted class is ``y`` (N,); NaN when N = 0.

    Parameters
    ----------
    model : MLP
        Any module mapping ``(N, 2)`` inputs to ``(N, n_classes)`` logits, evaluated in its
        current train/eval mode without gradients.
    X : Tensor, shape (N, 2)
        Inputs, in the model's dtype.
    y : Tensor, shape (N,), int64
        True classes.

    Returns
    -------
    float
        Accuracy in [0, 1] (argmax of the logits against ``y``).

    Examples
    --------
    >>> import torch
    >>> from analysis.train import accuracy
    >>> net = torch.nn.Linear(2, 2)  # logits (0, y - x)
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[0.0, 0.0], [-1.0, 1.0]]))
    ...     _ = net.bias.zero_()
    >>> X = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 2.0], [2.0, 1.0]])
    >>> accuracy(net, X, torch.tensor([1, 0, 1, 1]))
    0.75
    >>> accuracy(net, X[:0], torch.tensor([], dtype=torch.int64))
    nan
    """
    if len(y) == 0:
        return float("nan")
    return (model(X).argmax(dim=1) == y).double().mean().item()


def sgd_optimizer(
    model: MLP, config: TrainConfig, lr_scales: Sequence[float] | None = None
) -> torch.optim.SGD:
    """Plain SGD at ``config.lr`` with L2 weight decay on the linear weights only.

    ``lr_scales`` (one per linear layer, output last) multiplies each layer's learning rate;
    other parameters (batch-norm affine) keep ``config.lr``.

    Parameters
    ----------
    model : MLP
        The model whose parameters to optimise.
    config : TrainConfig
        Uses ``lr`` and ``weight_decay``.
    lr_scales : sequence of float, optional
        One factor per linear layer (``len(model.linears())``); default all 1.

    Returns
    -------
    torch.optim.SGD
        Without momentum. Parameter groups, in order: for each linear layer its weight
        (decayed) and its bias (not decayed), then any other parameters.

    Examples
    --------
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> from analysis.train import build_model, sgd_optimizer
    >>> optimizer = sgd_optimizer(build_model(config), config, lr_scales=[0.5, 2.0])
    >>> [(g["lr"], g["weight_decay"]) for g in optimizer.param_groups]
    [(0.005, 0.0), (0.005, 0.0), (0.02, 0.0), (0.02, 0.0)]
    """
    linears = model.linears()
    scales = [1.0] * len(linears) if lr_scales is None else [float(s) for s in lr_scales]
    if len(scales) != len(linears):
        raise ValueError(f"lr_scales needs {len(linears)} entries, got {len(scales)}")
    groups: list[dict[str, Any]] = []
    for layer, scale in zip(linears, scales, strict=True):
        lr = config.lr * scale
        groups.append({"params": [layer.weight], "lr": lr, "weight_decay": config.weight_decay})
        groups.append({"params": [layer.bias], "lr": lr, "weight_decay": 0.0})
    seen = {id(p) for group in groups for p in group["params"]}
    others = [p for p in model.parameters() if id(p) not in seen]
    if others:
        groups.append({"params": others, "lr": config.lr, "weight_decay": 0.0})
    return torch.optim.SGD(groups, lr=config.lr, momentum=0.0)


def _clone_state(model: MLP) -> StateDict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@contextmanager
def _single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread: CPU batch-norm reductions round differently with
    different thread counts, so this keeps weights bit-identical whoever calls :func:`train`."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


StepHook = Callable[[int, torch.Tensor, torch.Tensor], None]
"""Called as ``hook(step, batch indices, loss)``; ``step`` counts from 0."""


def run_sgd(
    model: MLP,
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    before_step: StepHook | None = None,
    after_step: StepHook | None = None,
    after_epoch: Callable[[int], None] | None = None,
    epochs: Iterable[int] | None = None,
) -> int:
    """The seeded SGD loop of :func:`train`, with hooks for code that watches it.

    Shuffling and dropout draw from generators seeded by ``config``, on one torch thread
    and with the caller's global RNG state left untouched, so every caller that runs this
    loop on the same config gets the same weights bit for bit.

    Parameters
    ----------
    model, optimizer
        The network and its optimizer (see :func:`build_model`).
    config : TrainConfig
        Epochs, batch size and seeds.
    X : Tensor, shape (N, 2)
        Training inputs.
    y : Tensor, shape (N,)
        Training labels.
    before_step, after_step : callable, optional
        Called after each backward pass, before and after the optimizer step. They may switch
        the model to eval mode; the loop switches it back before the next forward pass.
    after_epoch : callable, optional
        Called with the 1-based epoch number after its last step.
    epochs : iterable of int, optional
        The 1-based epochs to run, e.g. wrapped in a progress bar; default all.

    Returns
    -------
    int
        Number of SGD steps taken. The model is left in eval mode.

    Examples
    --------
    >>> import torch
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> from analysis.train import build_model, dataset_for, run_sgd, sgd_optimizer
    >>> data = dataset_for(config)
    >>> X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    >>> model = build_model(config)
    >>> losses = []
    >>> steps = run_sgd(model, sgd_optimizer(model, config), config, X, y,
    ...                 after_step=lambda step, idx, loss: losses.append(len(idx)))
    >>> steps, losses, model.training  # 2 epochs of one batch of 200 samples
    (2, [200, 200], False)
    """
    _, shuffle_seed, dropout_seed = _derived_seeds(config)
    shuffle = torch.Generator().manual_seed(shuffle_seed)
    step = 0
    with _single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(dropout_seed)
        for epoch in range(1, config.epochs + 1) if epochs is None else epochs:
            order = torch.randperm(len(y), generator=shuffle)
            for start in range(0, len(order), config.batch_size):
                idx = order[start : start + config.batch_size]
                model.train()
                loss = F.cross_entropy(model(X[idx]), y[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if before_step is not None:
                    before_step(step, idx, loss)
                optimizer.step()
                if after_step is not None:
                    after_step(step, idx, loss)
                step += 1
            if after_epoch is not None:
                after_epoch(epoch)
    model.eval()
    return step


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
    config: TrainConfig, payload: dict[str, Any], record_every: int, from_cache: bool
) -> TrainResult:
    """Validate ``payload`` against ``config``; ``CacheError`` says what is wrong."""
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
    return TrainResult(model, history, config, from_cache, initial_state)


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
        return _result_from_payload(config, payload, record_every, from_cache=True)
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
        mismatch, history not covering the requested epochs) triggers a :class:`CacheWarning`
        naming the file and reason, then retraining and overwriting.
    progress : bool
        Show a tqdm bar over epochs.
    record_every : int
        Record the history every this many epochs (the last epoch is always recorded).
        Evaluation does not touch any RNG, so it does not change the weights.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> import tempfile
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig, train
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
    seconds = time.perf_counter() - start
    result = TrainResult(model, history, config, False, initial_state)
    if cache_dir is not None:
        meta = {
            "key": config.key(),
            "cache_version": CACHE_VERSION,
            "config": config.to_dict(),
            "summary": _summary(result, seconds),
        }
        save_entry(cache_dir, config.key(), _payload(result, record_every), meta)
    return result


def _summary(result: TrainResult, seconds: float) -> dict[str, Any]:
    h = result.history
    final = {
        f"final_{name}": float(getattr(h, name)[-1]) if len(h.epoch) else None
        for name in ("loss", "train_acc", "test_acc")
    }
    return {**final, "n_parameters": result.model.n_parameters, "train_seconds": round(seconds, 3)}


def _train_serialised(
    config: TrainConfig, cache_dir: str | os.PathLike[str] | None, record_every: int
) -> tuple[bytes, bool]:
    """Pool worker: train, return the payload as bytes (not live tensors, which would travel
    through shared-memory file descriptors) and the from_cache flag."""
    result = train(config, cache_dir=cache_dir, progress=False, record_every=record_every)
    buffer = io.BytesIO()
    torch.save(_payload(result, record_every), buffer)
    return buffer.getvalue(), result.from_cache


def train_many(
    configs: Sequence[TrainConfig],
    cache_dir: str | os.PathLike[str] | None,
    jobs: int = 1,
    progress: bool = True,
    *,
    record_every: int = 1,
) -> list[TrainResult]:
    """Train (or load from cache) every config; results in input order.

    Parameters
    ----------
    configs : sequence of TrainConfig
        Duplicates (same key) are trained once and share one result.
    cache_dir : path, optional
        Passed to :func:`train`; finished entries make reruns resume where they stopped.
    jobs : int
        Worker processes; ``jobs > 1`` uses a ``spawn`` process pool (safe with torch threads).
        Scripts calling this must guard their entry point with ``if __name__ == "__main__"``.
    progress : bool
        Show a tqdm bar over configs.
    record_every : int
        See :func:`train`.

    Returns
    -------
    list of TrainResult
        ``results[i]`` belongs to ``configs[i]``; duplicates share the same object.

    Examples
    --------
    >>> import tempfile
    >>> import torch
    >>> from analysis.models import MLPConfig
    >>> from analysis.train import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))
    >>> from analysis.train import train_many
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     first = train_many([config, config], cache, progress=False)
    ...     second = train_many([config], cache, progress=False)
    >>> [r.from_cache for r in first], first[0] is first[1], second[0].from_cache
    ([False, False], True, True)
    >>> torch.equal(first[0].model.output.weight, second[0].model.output.weight)
    True
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    unique = {c.key(): c for c in configs}
    results: dict[str, TrainResult] = {}
    with tqdm(total=len(unique), desc="training", disable=not progress) as bar:
        if jobs == 1:
            for key, config in unique.items():
                results[key] = train(
                    config, cache_dir=cache_dir, progress=False, record_every=record_every
                )
                bar.update()
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(jobs, mp_context=context) as pool:
                futures = {
                    pool.submit(_train_serialised, config, cache_dir, record_every): key
                    for key, config in unique.items()
                }
                for future in as_completed(futures):
                    key = futures[future]
                    blob, from_cache = future.result()
                    payload = torch.load(io.BytesIO(blob), weights_only=True)
                    results[key] = _result_from_payload(
                        unique[key], payload, record_every, from_cache
                    )
                    bar.update()
    return [results[c.key()] for c in configs]
