"""Gradient flow, layer by layer: gradient norms and relative update sizes during training.

:func:`record_gradients` trains a :class:`~analysis.lab.train.TrainConfig` exactly as
:func:`analysis.lab.train.train` does (same data, initialisation, shuffling, dropout seeds, plain
SGD, one torch thread) and, every ``every`` SGD steps, records for every linear layer ``k``
(hidden layers, then the output layer) on that step's mini-batch:

* ``grad_norm``: the Frobenius norm of ``dL/dW_k`` (L the batch's mean cross-entropy);
* ``weight_norm``: ``||W_k||`` before the step;
* ``update_ratio``: ``||Delta W_k|| / ||W_k||`` of the step (weight decay included).

It runs ``train``'s own loop (:func:`analysis.lab.train.run_sgd`) with hooks around each optimizer
step, so with all scales 1 it ends with bit-identical weights (a test checks this). It also
takes per-layer learning rates, ``lr * lr_scales[k]``, for the depth-decreasing-rate
comparison (:func:`depth_lr_scales`). Results are not cached; the nets are small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from analysis.lab.models import MLP
from analysis.lab.train import (
    TrainConfig,
    accuracy,
    build_model,
    dataset_for,
    run_sgd,
    sgd_optimizer,
)

__all__ = ["GradientRecord", "depth_lr_scales", "record_gradients"]


@dataclass(frozen=True, eq=False)
class GradientRecord:
    """Per-layer gradient and update sizes at the recorded SGD steps of one run.

    Attributes
    ----------
    config : TrainConfig
        The run.
    lr_scales : ndarray, shape (L,)
        Learning-rate multiplier of each linear layer (hidden layers, then output).
    step : ndarray, shape (T,), int64
        0-based SGD step of each record: multiples of ``every`` and the last step.
    loss : ndarray, shape (T,)
        Mean cross-entropy (nats) of that step's mini-batch, before the update.
    grad_norm : ndarray, shape (T, L)
        ``||dL/dW_k||`` (Frobenius) on that mini-batch.
    weight_norm : ndarray, shape (T, L)
        ``||W_k||`` before the update.
    update_ratio : ndarray, shape (T, L)
        ``||W_k(after) - W_k(before)|| / ||W_k(before)||``, dimensionless.
    n_steps : int
        SGD steps taken.
    test_acc : float
        Clean test accuracy in [0, 1] after training (NaN without a test set).
    model : MLP or None
        The trained net, in eval mode (None for a record read back from a job's result).

    Examples
    --------
    Two epochs of four mini-batches on a tiny net (2 -> 4 -> 2: two linear layers),
    recorded every 4 steps; the last step (7) is always recorded:

    >>> from analysis.studies.sensitivity.gradients import record_gradients
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.train import TrainConfig
    >>> config = TrainConfig(
    ...     "line", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...     model=MLPConfig(hidden=(4,)),
    ... )
    >>> rec = record_gradients(config, every=4)
    >>> rec.n_steps, rec.step.tolist()
    (8, [0, 4, 7])
    >>> rec.grad_norm.shape, rec.weight_norm.shape, rec.update_ratio.shape  # (T, L)
    ((3, 2), (3, 2), (3, 2))
    >>> rec.lr_scales.tolist()
    [1.0, 1.0]
    >>> bool((rec.grad_norm > 0).all()), bool((rec.loss > 0).all()), 0 <= rec.test_acc <= 1
    (True, True, True)
    """

    config: TrainConfig
    lr_scales: np.ndarray
    step: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    weight_norm: np.ndarray
    update_ratio: np.ndarray
    n_steps: int
    test_acc: float
    model: MLP | None = None


def depth_lr_scales(n_layers: int, floor: float = 0.1) -> np.ndarray:
    """Learning-rate multipliers falling geometrically from 1 (first layer) to ``floor``.

    Parameters
    ----------
    n_layers : int
        Number of linear layers L (hidden layers plus the output layer), >= 1.
    floor : float
        Multiplier of the output layer, in (0, 1].

    Returns
    -------
    ndarray, shape (n_layers,), float64
        ``floor ** (k / (n_layers - 1))`` for ``k = 0..n_layers - 1`` (dimensionless; all 1
        when ``n_layers == 1``).

    Examples
    --------
    >>> from analysis.studies.sensitivity.gradients import depth_lr_scales
    >>> depth_lr_scales(3).round(4).tolist()  # 1, sqrt(0.1), 0.1
    [1.0, 0.3162, 0.1]
    >>> depth_lr_scales(5, floor=0.5).tolist()
    [1.0, 0.8408964152537145, 0.7071067811865476, 0.5946035575013605, 0.5]
    >>> depth_lr_scales(1).tolist()
    [1.0]
    """
    if n_layers < 1 or not 0 < floor <= 1:
        raise ValueError(f"need n_layers >= 1 and 0 < floor <= 1, got {n_layers}, {floor}")
    if n_layers == 1:
        return np.ones(1)
    return floor ** (np.arange(n_layers) / (n_layers - 1))


def _norms(tensors: Sequence[torch.Tensor]) -> np.ndarray:
    return np.array([t.detach().double().norm().item() for t in tensors])


def record_gradients(
    config: TrainConfig,
    *,
    every: int = 10,
    lr_scales: Sequence[float] | None = None,
    progress: bool = False,
) -> GradientRecord:
    """Train ``config`` like :func:`analysis.lab.train.train`, recording per-layer gradients.

    Parameters
    ----------
    config : TrainConfig
        What to train (never cached here).
    every : int
        Record every this many SGD steps (step 0 and the last step always).
    lr_scales : sequence of float, optional
        One learning-rate multiplier per linear layer (default all 1, which reproduces
        ``train``'s weights bit for bit).
    progress : bool
        tqdm bar over epochs.

    Returns
    -------
    GradientRecord
        ``T`` records (steps ``0, every, 2 every, ...`` and the last step) of the ``L``
        linear layers, and the trained net.

    Examples
    --------
    A tiny run (8 SGD steps). With all scales 1 the weights equal
    :func:`~analysis.lab.train.train`'s
    bit for bit:

    >>> import torch
    >>> from analysis.studies.sensitivity.gradients import depth_lr_scales, record_gradients
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.train import TrainConfig, train
    >>> config = TrainConfig(
    ...     "line", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...     model=MLPConfig(hidden=(4,)),
    ... )
    >>> rec = record_gradients(config, every=4)
    >>> trained = train(config, progress=False).model
    >>> all(torch.equal(a, b) for a, b in zip(rec.model.parameters(), trained.parameters()))
    True

    Per-layer rates: the output layer at a tenth of the rate. The first step sees the same
    gradients, so its relative update is exactly a tenth of the one-rate run's:

    >>> slow = record_gradients(config, every=4, lr_scales=depth_lr_scales(2, floor=0.1))
    >>> slow.lr_scales.tolist()
    [1.0, 0.1]
    >>> round(float(slow.update_ratio[0, 1] / rec.update_ratio[0, 1]), 6)
    0.1
    >>> bool(slow.update_ratio[0, 0] == rec.update_ratio[0, 0])  # layer 1: same rate
    True
    """
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    data = dataset_for(config)
    X_train, y_train = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    model = build_model(config)
    weights = [layer.weight for layer in model.linears()]
    scales = np.ones(len(weights)) if lr_scales is None else np.asarray(lr_scales, float)
    optimizer = sgd_optimizer(model, config, scales)
    per_epoch = -(-len(y_train) // config.batch_size)
    last = config.epochs * per_epoch - 1
    rows: list[tuple[int, float, np.ndarray, np.ndarray, np.ndarray]] = []
    before: list[torch.Tensor] = []

    def recorded(step: int) -> bool:
        return step % every == 0 or step == last

    def keep_weights(step: int, idx: torch.Tensor, loss: torch.Tensor) -> None:
        if recorded(step):
            before[:] = [w.detach().clone() for w in weights]

    def measure(step: int, idx: torch.Tensor, loss: torch.Tensor) -> None:
        if recorded(step):
            w_norm = _norms(before)
            update = _norms([w - b for w, b in zip(weights, before, strict=True)])
            rows.append((step, loss.item(), _norms([w.grad for w in weights]), w_norm,
                         update / w_norm))  # fmt: skip

    bar = tqdm(range(1, config.epochs + 1), desc="gradients", disable=not progress, leave=False)
    step = run_sgd(
        model, optimizer, config, X_train, y_train, before_step=keep_weights,
        after_step=measure, epochs=bar,
    )  # fmt: skip
    model.eval()
    X_test, y_test = torch.from_numpy(data.X_test), torch.from_numpy(data.y_test)
    acc = accuracy(model, X_test, y_test)
    n = len(weights)
    return GradientRecord(
        config=config,
        lr_scales=scales,
        step=np.array([r[0] for r in rows], dtype=np.int64),
        loss=np.array([r[1] for r in rows]),
        grad_norm=np.array([r[2] for r in rows]).reshape(-1, n),
        weight_norm=np.array([r[3] for r in rows]).reshape(-1, n),
        update_ratio=np.array([r[4] for r in rows]).reshape(-1, n),
        n_steps=step,
        test_acc=float(acc),
        model=model,
    )
