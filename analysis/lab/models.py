"""Small fully connected classifiers for 2D inputs.

The network is a stack of hidden blocks followed by a linear output layer::

    block_i(x) = dropout(act(bn(W_i x + b_i) [+ x if residual_i]))
    logits     = W_out h + b_out

It returns *logits*; class probabilities are ``softmax(logits)``, applied outside the model
(:func:`predict_proba`, or implicitly by the cross-entropy loss). The forward pass has no
data-dependent control flow, so ``torch.fx.symbolic_trace`` flattens it into a plain graph of
``nn.Linear``, ``nn.BatchNorm1d``, activation and ``nn.Dropout`` modules and ``add`` calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from analysis.lab.checks import check_int, check_real

__all__ = ["ACTIVATIONS", "INITS", "MLP", "HiddenBlock", "MLPConfig", "predict_proba"]

ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "sigmoid", "tanh", "elu", "swish")
INITS: tuple[str, ...] = ("he", "xavier", "default")


@dataclass(frozen=True)
class MLPConfig:
    """Everything needed to rebuild an :class:`MLP`; see :class:`MLP` for the meaning of fields.

    ``hidden`` and ``residual`` are normalised to tuples and float fields to floats, so configs
    built from lists or ints compare, hash and serialise equal to canonical ones. Invalid
    values raise ``ValueError`` at construction.

    Examples
    --------
    >>> from analysis.lab.models import MLP, MLPConfig
    >>> config = MLPConfig(hidden=[4, 4], residual=[0, 1], keep_prob=1)
    >>> config.hidden, config.residual, config.keep_prob
    ((4, 4), (False, True), 1.0)
    >>> config == MLPConfig(hidden=(4, 4), residual=(False, True))
    True
    >>> MLPConfig.from_dict(config.to_dict()) == config
    True
    >>> MLP.from_config(config).config == config
    True
    >>> try:
    ...     MLPConfig(hidden=(4, 3), residual=(False, True))
    ... except ValueError as err:
    ...     print(err)
    residual skip on hidden layer 1 needs equal widths, got 4 -> 3
    """

    hidden: tuple[int, ...] = (10, 10, 10, 10)
    activation: str = "relu"
    keep_prob: float = 1.0
    batch_norm: bool = False
    residual: tuple[bool, ...] | None = None
    n_inputs: int = 2
    n_outputs: int = 2
    init: str = "he"
    bn_momentum: float = 0.05
    bn_eps: float = 1e-4
    leaky_slope: float = 0.01
    seed: int | None = None
    bias_std: float = 0.0

    def __post_init__(self) -> None:
        # Canonical types, so equal configs serialise (and hash into cache keys) identically.
        owner = "MLPConfig"
        hidden = tuple(check_int(owner, f"hidden[{i}]", h, 1) for i, h in enumerate(self.hidden))
        object.__setattr__(self, "hidden", hidden)
        if self.residual is not None:
            object.__setattr__(self, "residual", tuple(bool(r) for r in self.residual))
        for name in ("n_inputs", "n_outputs"):
            object.__setattr__(self, name, check_int(owner, name, getattr(self, name), 1))
        if self.seed is not None:  # torch.Generator.manual_seed takes 64 bits
            object.__setattr__(self, "seed", check_int(owner, "seed", self.seed, 0))
            if self.seed >= 2**64:
                raise ValueError(f"MLPConfig.seed must be < 2**64, got {self.seed}")
        # NaN slips through comparisons, so each float is checked finite first; bn_eps > 0,
        # as batch norm divides by sqrt(variance + eps).
        floats = (("keep_prob", None, False), ("bn_momentum", 0.0, False), ("bn_eps", 0.0, True),
                  ("leaky_slope", None, False), ("bias_std", 0.0, False))  # fmt: skip
        for name, low, above in floats:
            value = check_real(owner, name, getattr(self, name), low, above=above)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "batch_norm", bool(self.batch_norm))
        if not hidden:
            raise ValueError("MLPConfig.hidden must be a non-empty sequence of positive widths")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        if not 0.0 < self.keep_prob <= 1.0:
            raise ValueError(f"keep_prob must be in (0, 1], got {self.keep_prob}")
        if self.bias_std < 0 or (self.bias_std > 0 and self.init == "default"):
            raise ValueError(
                f"bias_std must be >= 0 and applies to init 'he' or 'xavier' only, got "
                f"{self.bias_std} with init {self.init!r}"
            )
        self._check_residual()

    def _check_residual(self) -> None:
        if self.residual is None:
            return
        if len(self.residual) != len(self.hidden):
            raise ValueError(
                f"residual needs one flag per hidden layer ({len(self.hidden)}), "
                f"got {len(self.residual)}"
            )
        widths_in = (self.n_inputs, *self.hidden[:-1])
        for i, (flag, w_in, w_out) in enumerate(
            zip(self.residual, widths_in, self.hidden, strict=True)
        ):
            if flag and w_in != w_out:
                raise ValueError(
                    f"residual skip on hidden layer {i} needs equal widths, got {w_in} -> {w_out}"
                )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (tuples become lists); inverse of :meth:`from_dict`.

        ``bias_std`` is left out when 0 (its default), so configs, and the training cache keys
        hashed from them, are the same as before the field existed.

        Examples
        --------
        >>> from analysis.lab.models import MLPConfig
        >>> d = MLPConfig(hidden=(3,), seed=1).to_dict()
        >>> d["hidden"], d["seed"], "bias_std" in d
        ([3], 1, False)
        """
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["residual"] = None if self.residual is None else list(self.residual)
        if self.bias_std == 0.0:
            del d["bias_std"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MLPConfig:
        """Rebuild a config from :meth:`to_dict` output; unknown keys raise ``TypeError``."""
        return cls(**d)


def _activation(name: str, leaky_slope: float) -> nn.Module:
    return {
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(leaky_slope),
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "elu": nn.ELU,
        "swish": nn.SiLU,
    }[name]()


class HiddenBlock(nn.Module):
    """``dropout(act(bn(linear(x)) [+ x]))``; absent parts are ``None`` and skipped.

    The ``is None`` / ``residual`` tests depend only on construction-time constants, so they do
    not hinder ``torch.fx`` tracing. Maps ``(N, n_in)`` to ``(N, n_out)``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths; equal when ``residual``.
    activation : nn.Module
        The activation module, applied after the (optional) batch norm and skip.
    batch_norm : bool
        Insert ``nn.BatchNorm1d(n_out)`` after the linear map.
    residual : bool
        Add the block's input before the activation.
    keep_prob : float
        Dropout keep probability in (0, 1]; no dropout module when 1.
    bn_momentum, bn_eps : float
        Batch-norm momentum and variance epsilon.

    Attributes
    ----------
    linear : nn.Linear
        Left uninitialised (``nn.utils.skip_init``): :meth:`MLP.reset_parameters` sets it.
    bn : nn.BatchNorm1d or None
    act : nn.Module
    dropout : nn.Dropout or None
    residual : bool

    Examples
    --------
    >>> import torch
    >>> from analysis.lab.models import HiddenBlock
    >>> block = HiddenBlock(3, 3, torch.nn.ReLU(), batch_norm=True, residual=True,
    ...                     keep_prob=0.5, bn_momentum=0.05, bn_eps=1e-4)
    >>> [name for name, _ in block.named_children()]
    ['linear', 'bn', 'act', 'dropout']
    >>> with torch.no_grad():  # a zero linear map: only the skip feeds the ReLU
    ...     _ = block.linear.weight.zero_()
    ...     _ = block.linear.bias.zero_()
    ...     y = block.eval()(torch.tensor([[1.0, -2.0, 3.0]]))  # eval: no dropout
    >>> y.shape, y.tolist()
    (torch.Size([1, 3]), [[1.0, 0.0, 3.0]])
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: nn.Module,
        *,
        batch_norm: bool,
        residual: bool,
        keep_prob: float,
        bn_momentum: float,
        bn_eps: float,
    ) -> None:
        super().__init__()
        # skip_init: our own seeded init follows, so do not consume the global RNG here.
        self.linear = nn.utils.skip_init(nn.Linear, n_in, n_out)
        self.bn = nn.BatchNorm1d(n_out, eps=bn_eps, momentum=bn_momentum) if batch_norm else None
        self.residual = residual
        self.act = activation
        self.dropout = nn.Dropout(p=1.0 - keep_prob) if keep_prob < 1.0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Activations (N, width) of inputs (N, n_in): linear, batch norm, activation, dropout,
        plus the input itself on a residual block."""
        z = self.linear(x)
        if self.bn is not None:
            z = self.bn(z)
        if self.residual:
            z = z + x
        z = self.act(z)
        if self.dropout is not None:
            z = self.dropout(z)
        return z


class MLP(nn.Module):
    """Fully connected classifier, ``(N, n_inputs) -> (N, n_outputs)`` logits.

    Parameters
    ----------
    hidden : sequence of int
        Widths of the hidden layers.
    activation : str
        One of ``'relu'``, ``'leaky_relu'``, ``'sigmoid'``, ``'tanh'``, ``'elu'``, ``'swish'``
        (``nn.SiLU``).
    keep_prob : float
        Dropout keep probability in (0, 1]; dropout (``p = 1 - keep_prob``) follows each hidden
        activation and is active in training mode only. No dropout module exists when 1.
    batch_norm : bool
        Insert ``nn.BatchNorm1d`` between each hidden linear map and its activation.
    residual : sequence of bool, optional
        One flag per hidden layer: add the layer's input to its linear (and batch-norm) output
        before the activation. A flag on a layer whose input and output widths differ raises
        ``ValueError`` naming the layer.
    n_inputs, n_outputs : int
        Input dimension and number of logits.
    init : str
        ``'he'``: He-normal weights (``kaiming_normal_``, fan-in, ReLU gain, std
        ``sqrt(2 / fan_in)``) and zero biases; ``'xavier'``: Xavier-normal weights and zero
        biases; ``'default'``: PyTorch's default ``nn.Linear`` distribution. Applies to every
        linear layer including the output layer.
    bias_std : float
        With ``'he'`` or ``'xavier'``: draw biases from N(0, bias_std^2) instead of zeros.
        Zero biases put every first-layer breakpoint line through the origin (a degenerate
        fan of lines); Hanin & Rolnick (2019) use a small positive std for that reason.
    bn_momentum : float
        PyTorch batch-norm momentum: ``running = (1 - m) running + m batch``. The classic
        TensorFlow setting ``decay = 0.95`` is ``m = 0.05``.
    bn_eps : float
        Batch-norm variance epsilon.
    leaky_slope : float
        Negative slope of ``'leaky_relu'``.
    seed : int, optional
        Seed of the initialisation, drawn from a private ``torch.Generator``; the global RNG is
        then left untouched. ``None`` draws from the global RNG like PyTorch does.

    Attributes
    ----------
    config : MLPConfig
        The constructor arguments.
    blocks : nn.ModuleList of HiddenBlock
    output : nn.Linear

    Examples
    --------
    >>> import torch
    >>> from analysis.lab.models import MLP
    >>> net = MLP(hidden=(8, 8), seed=0)
    >>> net(torch.zeros(5, 2)).shape  # (N, n_inputs) -> (N, n_outputs) logits
    torch.Size([5, 2])
    >>> [tuple(layer.weight.shape) for layer in net.linears()]
    [(8, 2), (8, 8), (2, 8)]
    >>> net.n_parameters  # (2 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2)
    114
    >>> again = MLP(hidden=(8, 8), seed=0)  # same seed, same weights
    >>> all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters()))
    True
    """

    def __init__(
        self,
        hidden: Sequence[int] = (10, 10, 10, 10),
        activation: str = "relu",
        *,
        keep_prob: float = 1.0,
        batch_norm: bool = False,
        residual: Sequence[bool] | None = None,
        n_inputs: int = 2,
        n_outputs: int = 2,
        init: str = "he",
        bn_momentum: float = 0.05,
        bn_eps: float = 1e-4,
        leaky_slope: float = 0.01,
        seed: int | None = None,
        bias_std: float = 0.0,
    ) -> None:
        super().__init__()
        cfg = MLPConfig(
            hidden=tuple(hidden),
            activation=activation,
            keep_prob=keep_prob,
            batch_norm=batch_norm,
            residual=None if residual is None else tuple(residual),
            n_inputs=n_inputs,
            n_outputs=n_outputs,
            init=init,
            bn_momentum=bn_momentum,
            bn_eps=bn_eps,
            leaky_slope=leaky_slope,
            seed=seed,
            bias_std=bias_std,
        )
        self.config = cfg
        widths = (cfg.n_inputs, *cfg.hidden)
        flags = cfg.residual or (False,) * len(cfg.hidden)
        self.blocks = nn.ModuleList(
            HiddenBlock(
                n_in,
                n_out,
                _activation(cfg.activation, cfg.leaky_slope),
                batch_norm=cfg.batch_norm,
                residual=flag,
                keep_prob=cfg.keep_prob,
                bn_momentum=cfg.bn_momentum,
                bn_eps=cfg.bn_eps,
            )
            for n_in, n_out, flag in zip(widths[:-1], widths[1:], flags, strict=True)
        )
        self.output = nn.utils.skip_init(nn.Linear, cfg.hidden[-1], cfg.n_outputs)
        self.reset_parameters()

    @classmethod
    def from_config(cls, cfg: MLPConfig) -> MLP:
        """Build a fresh (newly initialised) model from ``cfg``."""
        d = cfg.to_dict()
        return cls(d.pop("hidden"), d.pop("activation"), **d)

    def reset_parameters(self) -> None:
        """Re-draw all linear weights and biases from ``config.seed`` (or the global RNG)."""
        gen = None if self.config.seed is None else torch.Generator().manual_seed(self.config.seed)
        for layer in self.linears():
            _init_linear(layer, self.config.init, gen, self.config.bias_std)
        for block in self.blocks:
            if block.bn is not None:
                block.bn.reset_parameters()

    def linears(self) -> list[nn.Linear]:
        """All linear layers in forward order: hidden layers, then the output layer."""
        return [block.linear for block in self.blocks] + [self.output]

    @property
    def n_parameters(self) -> int:
        """Number of trainable scalars (batch-norm running statistics excluded)."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (N, n_outputs) for inputs of shape (N, n_inputs)."""
        for block in self.blocks:
            x = block(x)
        return self.output(x)


@torch.no_grad()
def _init_linear(
    layer: nn.Linear, scheme: str, gen: torch.Generator | None, bias_std: float = 0.0
) -> None:
    if scheme in ("he", "xavier"):
        if scheme == "he":
            nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu", generator=gen)
        else:
            nn.init.xavier_normal_(layer.weight, generator=gen)
        # Zero biases draw nothing from ``gen``, so bias_std = 0 keeps the old random stream.
        if bias_std > 0:
            nn.init.normal_(layer.bias, 0.0, bias_std, generator=gen)
        else:
            nn.init.zeros_(layer.bias)
    else:
        # Same distribution as nn.Linear.reset_parameters, but drawn from ``gen``.
        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=gen)
        bound = 1.0 / math.sqrt(layer.in_features)
        nn.init.uniform_(layer.bias, -bound, bound, generator=gen)


def predict_proba(
    model: nn.Module, points: np.ndarray | torch.Tensor, *, chunk: int = 65_536
) -> np.ndarray:
    """Probability of class 1 under ``softmax(model(points))``, in eval mode.

    Parameters
    ----------
    model : nn.Module
        Maps (N, 2) float32 inputs to (N, 2) logits.
    points : array or tensor, shape (N, 2)
        Inputs; converted to the model's parameter dtype.
    chunk : int
        Rows per forward pass, bounding memory for dense grids.

    Returns
    -------
    ndarray, shape (N,), float64
        The softmax is evaluated in float64 from the logits.

    Notes
    -----
    The model runs in eval mode (no dropout, batch-norm running statistics) under
    ``torch.no_grad``; each submodule's train/eval flag is restored afterwards.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from analysis.lab.models import predict_proba
    >>> net = torch.nn.Linear(2, 2)  # logits (0, y - x): P(class 1) = sigmoid(y - x)
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[0.0, 0.0], [-1.0, 1.0]]))
    ...     _ = net.bias.zero_()
    >>> p = predict_proba(net, np.array([[0.0, 0.0], [0.0, 2.0], [2.0, 0.0]]))
    >>> p.shape, p.dtype
    ((3,), dtype('float64'))
    >>> p.round(4).tolist()
    [0.5, 0.8808, 0.1192]
    >>> from analysis.lab.models import MLP
    >>> net = MLP(hidden=(4,), seed=0).train()
    >>> predict_proba(net, np.zeros((2, 2))).tolist(), net.training  # zero biases: P = 0.5
    ([0.5, 0.5], True)
    """
    modes = [(m, m.training) for m in model.modules()]
    param = next(model.parameters())
    x = torch.as_tensor(points).to(dtype=param.dtype, device=param.device)
    if x.ndim != 2:
        raise ValueError(f"points must have shape (N, d), got {tuple(x.shape)}")
    try:
        model.eval()
        with torch.no_grad():
            logits = [model(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    finally:
        for m, training in modes:
            m.training = training
    out = torch.cat(logits) if logits else torch.empty(0, 2)
    if out.shape[1] != 2:
        raise ValueError(f"predict_proba needs 2 logits per point, got {out.shape[1]}")
    return out.double().softmax(dim=1)[:, 1].cpu().numpy()
