"""The seeded SGD loop every lab net is trained with, and what it needs.

:class:`TrainConfig` says what to train; :func:`build_model` and :func:`dataset_for` give the
net it starts from and the data it sees; :func:`run_sgd` is the one training loop
(:func:`analysis.lab.train.train` and every study that watches training run it), and
:func:`accuracy` is the one accuracy. Every random draw comes from a seed in the config: the
initialisation (unless the model config fixes its own seed), the shuffling (a private
``torch.Generator``) and dropout masks (the global torch RNG, seeded inside
``torch.random.fork_rng`` so the caller's RNG state is restored afterwards). Training runs on
one torch thread, because batch-norm reductions round differently with other thread counts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim import optimizer as torch_optimizer

from analysis.lab.checks import check_int, check_real
from analysis.lab.data import DATASET_NAMES, Dataset, make_dataset
from analysis.lab.models import MLP, MLPConfig

__all__ = [
    "CACHE_VERSION",
    "CLASSIC_EPS",
    "CLASSIC_L2",
    "LOSSES",
    "StepHook",
    "TrainConfig",
    "accuracy",
    "batch_loss",
    "build_model",
    "check_finite",
    "dataset_for",
    "l2_coefficient",
    "run_sgd",
    "sgd_optimizer",
]

CACHE_VERSION = 1
"""Part of every cache key: bump it when a code change alters what a config trains into."""

LOSSES = ("cross_entropy", "classic", "mse")
"""The training losses :class:`TrainConfig` names (see :func:`batch_loss`)."""

CLASSIC_EPS = 1e-2
"""The published classic loss's epsilon inside the log: ``-log(p_y + CLASSIC_EPS)``."""

CLASSIC_L2 = 1e-4
"""The published classic loss's L2 coefficient: ``CLASSIC_L2 / 2 * sum(W**2)`` over weights."""


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    Attributes
    ----------
    dataset : str
        Dataset name (:data:`analysis.lab.data.DATASET_NAMES`).
    n_train, n_test : int
        Dataset sizes (``n_train >= 1``, ``n_test >= 0``).
    noise : float
        Training label-flip probability.
    data_seed : int
        Seed of the dataset sample (>= 0).
    model : MLPConfig
        Architecture, with 2 inputs and at least 2 outputs (one logit per class). If
        ``model.seed`` is None the initialisation seed derives from ``seed``.
    epochs : int
        Passes over the training set (>= 1).
    batch_size : int
        Mini-batch size; the last batch of an epoch may be smaller.
    lr : float
        SGD learning rate (finite, > 0).
    weight_decay : float
        L2 coefficient ``lambda`` on the linear layers' weights only (biases and batch-norm
        parameters are not decayed): the loss gains ``lambda / 2 * sum(W**2)``. It comes on top
        of the L2 term of ``loss="classic"`` (see :func:`l2_coefficient`).
    seed : int
        Seed of initialisation (see ``model``), shuffling and dropout (>= 0).
    loss : str
        The training loss (:data:`LOSSES`, see :func:`batch_loss`): ``"cross_entropy"`` (of the
        logits, the default), ``"classic"`` (the published classic study's objective) or
        ``"mse"`` (on one-hot targets). Part of the cache key whenever it is not the default.

    Integer fields take integers or integral floats (``3.0``); anything else, a value out of
    range or a non-finite float raises ``ValueError`` naming the field at construction.

    Examples
    --------
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.sgd import TrainConfig
    >>> config = TrainConfig("line", n_train=200, n_test=100, epochs=2,
    ...                      model=MLPConfig(hidden=(4,)))  # conftest.py's tiny_config
    >>> config.batch_size, config.lr, config.weight_decay, config.loss  # defaults
    (1000, 0.01, 0.0, 'cross_entropy')
    >>> TrainConfig.from_dict(config.to_dict()) == config
    True
    >>> key = config.key()  # names the cache entry
    >>> len(key), key == TrainConfig.from_dict(config.to_dict()).key()
    (16, True)
    >>> key != TrainConfig("line", n_train=200, n_test=100, epochs=3,
    ...                    model=MLPConfig(hidden=(4,))).key()
    True
    >>> from dataclasses import replace
    >>> key != replace(config, loss="classic").key()  # each loss trains its own nets
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
    loss: str = "cross_entropy"

    def __post_init__(self) -> None:
        if self.dataset not in DATASET_NAMES:
            raise ValueError(f"unknown dataset {self.dataset!r}; valid: {', '.join(DATASET_NAMES)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; valid: {', '.join(LOSSES)}")
        if not isinstance(self.model, MLPConfig):
            raise TypeError(f"model must be an MLPConfig, got {type(self.model).__name__}")
        # Canonical types, so equal configs hash into the same cache key. Every run trains at
        # least one epoch: results read the last epoch's accuracy.
        smallest = {"n_train": 1, "n_test": 0, "data_seed": 0, "epochs": 1, "batch_size": 1}
        for name, minimum in {**smallest, "seed": 0}.items():
            value = check_int("TrainConfig", name, getattr(self, name), minimum)
            object.__setattr__(self, name, value)
        for name, above in (("noise", False), ("lr", True), ("weight_decay", False)):
            value = check_real("TrainConfig", name, getattr(self, name), 0.0, above=above)
            object.__setattr__(self, name, value)
        if self.noise > 1:
            raise ValueError(f"TrainConfig.noise must be a probability in [0, 1], got {self.noise}")
        if self.model.n_inputs != 2 or self.model.n_outputs < 2:
            raise ValueError(
                "TrainConfig.model: the datasets are 2D with two classes, so the net needs "
                f"n_inputs 2 and n_outputs >= 2, got {self.model.n_inputs} and "
                f"{self.model.n_outputs}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; inverse of :meth:`from_dict`.

        ``loss`` is left out when it is ``"cross_entropy"`` (the loss every config trained
        with before the field existed), so those configs keep their cache keys.
        """
        d = {**asdict(self), "model": self.model.to_dict()}
        if self.loss == "cross_entropy":
            del d["loss"]
        return d

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


def dataset_for(config: TrainConfig) -> Dataset:
    """The dataset ``config`` trains and tests on.

    Parameters
    ----------
    config : TrainConfig
        Uses its ``dataset``, ``n_train``, ``n_test``, ``noise`` and ``data_seed``.

    Returns
    -------
    Dataset
        Sampled in the default box ``[-2, 2]^2`` (:func:`analysis.lab.data.make_dataset`).

    Examples
    --------
    >>> config = tiny_config  # conftest.py: 2 epochs of a 4-unit net on 200 samples
    >>> from analysis.lab.sgd import dataset_for
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
    >>> config = tiny_config  # conftest.py: 2 epochs of a 4-unit net on 200 samples
    >>> from analysis.lab.sgd import build_model
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


@torch.no_grad()
def accuracy(
    model: torch.nn.Module, X: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor
) -> float:
    """Fraction of ``X`` (N, 2) whose predicted class (argmax of the logits) is ``y`` (N,).

    The one accuracy of the lab: training curves, test accuracies and every sensitivity
    measure use it. The model is evaluated in its current train/eval mode, without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(N, 2)`` inputs to ``(N, n_classes)`` logits.
    X : ndarray or Tensor, shape (N, 2)
        Inputs, in the model's dtype (a dataset's ``X_test``, float32).
    y : ndarray or Tensor, shape (N,), int64
        True classes.

    Returns
    -------
    float
        Accuracy in [0, 1]; NaN when N = 0.

    Examples
    --------
    >>> from analysis.lab.sgd import accuracy
    >>> net = torch.nn.Linear(2, 2)  # logits (0, y - x)
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[0.0, 0.0], [-1.0, 1.0]]))
    ...     _ = net.bias.zero_()
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 2.0], [2.0, 1.0]], dtype=np.float32)
    >>> accuracy(net, X, np.array([1, 0, 1, 1]))
    0.75
    >>> accuracy(net, X[:0], np.array([], dtype=np.int64))
    nan
    """
    if len(y) == 0:
        return float("nan")
    predicted = model(torch.as_tensor(X)).argmax(dim=1)
    return (predicted == torch.as_tensor(y)).double().mean().item()


def sgd_optimizer(
    model: MLP, config: TrainConfig, lr_scales: Sequence[float] | None = None
) -> torch.optim.SGD:
    """Plain SGD at ``config.lr`` with L2 weight decay on the linear weights only.

    The decay is :func:`l2_coefficient`: ``config.weight_decay``, plus :data:`CLASSIC_L2`
    for ``loss="classic"`` (the published loss's L2 term, as a weight decay).

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
        Without momentum, foreach. One parameter group per (learning rate, weight decay),
        in order of first use: linear weights are decayed, biases and other parameters
        (batch-norm affine) are not.

    Examples
    --------
    >>> config = tiny_config  # conftest.py: 2 epochs of a 4-unit net on 200 samples
    >>> from analysis.lab.sgd import build_model, sgd_optimizer
    >>> optimizer = sgd_optimizer(build_model(config), config, lr_scales=[0.5, 2.0])
    >>> [(g["lr"], g["weight_decay"], len(g["params"])) for g in optimizer.param_groups]
    [(0.005, 0.0, 2), (0.02, 0.0, 2)]
    """
    linears = model.linears()
    scales = [1.0] * len(linears) if lr_scales is None else [float(s) for s in lr_scales]
    if len(scales) != len(linears):
        raise ValueError(f"lr_scales needs {len(linears)} entries, got {len(scales)}")
    settings: list[tuple[torch.nn.Parameter, float, float]] = []
    for layer, scale in zip(linears, scales, strict=True):
        settings.append((layer.weight, config.lr * scale, l2_coefficient(config)))
        settings.append((layer.bias, config.lr * scale, 0.0))
    seen = {id(p) for p, _, _ in settings}
    settings += [(p, config.lr, 0.0) for p in model.parameters() if id(p) not in seen]
    # One group per (lr, decay), updated by one foreach call: the same update of each
    # parameter, bit for bit, at a fraction of the per-group overhead of tiny nets.
    groups: dict[tuple[float, float], list[torch.nn.Parameter]] = {}
    for p, lr, decay in settings:
        groups.setdefault((lr, decay), []).append(p)
    return torch.optim.SGD(
        [{"params": ps, "lr": lr, "weight_decay": wd} for (lr, wd), ps in groups.items()],
        lr=config.lr,
        momentum=0.0,
        foreach=True,
    )


def batch_loss(model: MLP, logits: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """The training loss ``loss`` (one of :data:`LOSSES`) of a mini-batch.

    ``"cross_entropy"``
        ``F.cross_entropy(logits, y)``: the mean of ``-log softmax(logits)[y]``.
    ``"classic"``
        The data term of the published classic study's objective: the softmax probabilities
        ``p``, then ``2 * mean(-log(p[y] + CLASSIC_EPS))``. The epsilon bounds each sample's
        loss by ``-2 log(0.01)``, about 9.2, so confidently wrong samples stop pulling. Its
        other term, ``CLASSIC_L2 / 2 * sum(W**2)`` over the weight matrix of every linear
        layer (output included, biases not), is :func:`sgd_optimizer`'s weight decay: the
        same gradient, ``CLASSIC_L2 * W``, applied in the optimizer step at almost no cost.
    ``"mse"``
        ``F.mse_loss(logits, one_hot(y))``: the mean over samples and classes of the squared
        error of the logits against one-hot targets (Humayun et al.'s setting).

    Parameters
    ----------
    model : MLP
        The net (``"classic"`` reads its weights).
    logits : Tensor, shape (B, n_classes)
        ``model`` on the batch.
    y : Tensor, shape (B,), int64
        True classes.
    loss : str
        Which loss.

    Returns
    -------
    Tensor
        A scalar, differentiable in the parameters.

    Examples
    --------
    >>> import math, torch
    >>> from analysis.lab.models import MLP
    >>> from analysis.lab.sgd import batch_loss
    >>> net = MLP((3,), seed=0)
    >>> logits, y = torch.zeros(4, 2), torch.tensor([0, 1, 1, 0])  # p = 1/2 everywhere
    >>> round(batch_loss(net, logits, y, "cross_entropy").item(), 6) == round(math.log(2), 6)
    True
    >>> expected = -2 * math.log(0.5 + 0.01)
    >>> abs(batch_loss(net, logits, y, "classic").item() - expected) < 1e-6
    True
    >>> batch_loss(net, logits, y, "mse").item()  # (0 - 1)^2 on half of the entries
    0.5
    """
    if loss == "cross_entropy":
        return F.cross_entropy(logits, y)
    if loss == "mse":
        return F.mse_loss(logits, F.one_hot(y, logits.shape[1]).to(logits.dtype))
    if loss == "classic":
        p = torch.softmax(logits, dim=1).gather(1, y[:, None])[:, 0]
        return 2.0 * (-torch.log(p + CLASSIC_EPS)).mean()
    raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")


def l2_coefficient(config: TrainConfig) -> float:
    """The L2 coefficient on the weights SGD trains ``config`` with.

    ``config.weight_decay``, plus :data:`CLASSIC_L2` when ``config.loss`` is ``"classic"``.

    Examples
    --------
    >>> from analysis.lab.sgd import TrainConfig, l2_coefficient
    >>> l2_coefficient(TrainConfig("sine")), l2_coefficient(TrainConfig("sine", loss="classic"))
    (0.0, 0.0001)
    """
    return config.weight_decay + (CLASSIC_L2 if config.loss == "classic" else 0.0)


def check_finite(model: torch.nn.Module, what: str) -> None:
    """Raise if ``model`` holds a non-finite parameter or buffer: training ``what`` diverged.

    Every loop that trains a net calls it before caching the net, so a diverged net is never
    cached and the error says what to change.

    Raises
    ------
    FloatingPointError
        ``"<what> diverged (non-finite weights); try a smaller lr"``.

    Examples
    --------
    >>> from analysis.lab.models import MLP
    >>> from analysis.lab.sgd import check_finite
    >>> net = MLP((2,), seed=0)
    >>> check_finite(net, "demo")  # finite: nothing happens
    >>> with torch.no_grad():
    ...     _ = net.output.bias.fill_(float("nan"))
    >>> try:
    ...     check_finite(net, "training demo")
    ... except FloatingPointError as err:
    ...     print(err)
    training demo diverged (non-finite weights); try a smaller lr
    """
    if not all(torch.isfinite(v).all() for v in model.state_dict().values()):
        raise FloatingPointError(f"{what} diverged (non-finite weights); try a smaller lr")


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


def _plain_sgd_update(optimizer: torch.optim.Optimizer) -> Callable[[], None] | None:
    """``optimizer.step`` of plain SGD as the two foreach calls it makes, or None.

    Small nets train in about 2 ms a step, and ``torch.optim.SGD.step`` spends a quarter of
    that in bookkeeping (profiler hooks, grouping tensors by device). For SGD without
    momentum, on CPU tensors and with no step hooks, this makes the same calls as its
    foreach path (``grad + decay * p``, then ``p -= lr * that``): the same weights, bit for
    bit (tested). Any other optimizer or setting keeps its own ``step``.
    """
    plain = (
        type(optimizer) is torch.optim.SGD
        and not optimizer._optimizer_step_pre_hooks
        and not optimizer._optimizer_step_post_hooks
        and not torch_optimizer._global_optimizer_pre_hooks
        and not torch_optimizer._global_optimizer_post_hooks
        and all(
            g["momentum"] == 0
            and g["foreach"]
            and not g["fused"]
            and not isinstance(g["lr"], torch.Tensor)
            and not g["maximize"]
            and not g["differentiable"]
            and all(p.device.type == "cpu" for p in g["params"])
            for g in optimizer.param_groups
        )
    )
    if not plain:
        return None

    @torch.no_grad()
    def update() -> None:
        for group in optimizer.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            grads = [p.grad for p in params]
            if not params:
                continue
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            torch._foreach_add_(params, grads, alpha=-group["lr"])

    return update


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
        Epochs, batch size, seeds and the loss (:func:`batch_loss`).
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
    >>> config = tiny_config  # conftest.py: 2 epochs of a 4-unit net on 200 samples
    >>> from analysis.lab.sgd import build_model, dataset_for, run_sgd, sgd_optimizer
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
    params = [p for group in optimizer.param_groups for p in group["params"]]
    update = _plain_sgd_update(optimizer) or optimizer.step
    step = 0
    with _single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(dropout_seed)
        for epoch in range(1, config.epochs + 1) if epochs is None else epochs:
            order = torch.randperm(len(y), generator=shuffle)
            for start in range(0, len(order), config.batch_size):
                idx = order[start : start + config.batch_size]
                if not model.training:  # a hook switched it (train() walks every module)
                    model.train()
                loss = batch_loss(model, model(X[idx]), y[idx], config.loss)
                for p in params:  # optimizer.zero_grad(set_to_none=True), without its overhead
                    p.grad = None
                loss.backward()
                if before_step is not None:
                    before_step(step, idx, loss)
                update()
                if after_step is not None:
                    after_step(step, idx, loss)
                step += 1
            if after_epoch is not None:
                after_epoch(epoch)
    model.eval()
    return step
