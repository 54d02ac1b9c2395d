"""A torch model as a small graph of affine maps and piecewise-linear activations.

:func:`trace` turns any ``torch.fx``-traceable model built from the supported modules into a
:class:`Network`: a topologically ordered list of float64 nodes. Everything downstream
(the exact decomposition, point location, hidden affine maps) works on this graph, never on
torch, so the core's numerics are plain numpy.

Supported: Linear, BatchNorm1d (eval semantics, folded into an affine map), Identity, Flatten,
Dropout (identity), ReLU, LeakyReLU, PReLU, ReLU6, Hardtanh (and their functional forms),
residual additions, subtraction, scalar scaling, concatenation along the feature axis, and a final
Softmax/LogSoftmax (stripped: the partition describes the logits, whose argmax is the same).
"""

from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from .errors import (
    EvalSemanticsWarning,
    InvalidModelError,
    NotPiecewiseLinearError,
    UnsupportedModelError,
)

__all__ = ["Activation", "Affine", "Sum", "Concat", "Network", "trace", "is_piecewise_linear"]


@dataclass(frozen=True, eq=False)
class Affine:
    """``y = W x + b`` applied to node ``src``; W (n_out, n_in), b (n_out,).

    Linear and folded BatchNorm1d layers become one each, as do scalar scalings and shifts.

    Attributes
    ----------
    src : int
        Index of the input node in ``Network.nodes``.
    W : ndarray, shape (n_out, n_in)
        Weight matrix, float64.
    b : ndarray, shape (n_out,)
        Bias, float64.
    name : str
        The torch module (or fx node) it came from.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Linear(3, 1)
    ... )
    >>> net = regions.trace(model.eval())
    >>> [type(node).__name__ for node in net.nodes]  # BatchNorm is an Affine too
    ['NoneType', 'Affine', 'Affine', 'Activation', 'Affine']
    >>> lin = net.nodes[1]
    >>> lin.src, lin.W.shape, lin.b.shape, lin.name, lin.W.dtype
    (0, (3, 2), (3,), '0', dtype('float64'))
    """

    src: int
    W: np.ndarray
    b: np.ndarray
    name: str


@dataclass(frozen=True, eq=False)
class Sum:
    """Elementwise sum of nodes ``srcs`` with signs ``signs`` (+1 or -1): residual adds.

    Attributes
    ----------
    srcs : tuple of int
        Indices of the summed nodes in ``Network.nodes`` (all of the same width).
    signs : tuple of float
        +1.0 for an addition, -1.0 for a subtracted node.
    name : str
        The fx node it came from.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> class Residual(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = torch.nn.Linear(2, 2)
    ...
    ...     def forward(self, x):
    ...         return x + torch.relu(self.fc(x))
    >>> net = regions.trace(Residual())
    >>> [type(node).__name__ for node in net.nodes]
    ['NoneType', 'Affine', 'Activation', 'Sum']
    >>> net.nodes[3].srcs, net.nodes[3].signs  # the input plus the activation
    ((0, 2), (1.0, 1.0))
    """

    srcs: tuple[int, ...]
    signs: tuple[float, ...]
    name: str


@dataclass(frozen=True, eq=False)
class Concat:
    """Concatenation of nodes ``srcs`` along the feature axis.

    Attributes
    ----------
    srcs : tuple of int
        Indices of the concatenated nodes in ``Network.nodes``, in order.
    name : str
        The fx node it came from.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> class TwoHeads(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a = torch.nn.Linear(2, 3)
    ...         self.b = torch.nn.Linear(2, 1)
    ...
    ...     def forward(self, x):
    ...         return torch.cat([self.a(x), torch.relu(self.b(x))], dim=1)
    >>> net = regions.trace(TwoHeads())
    >>> cat = net.nodes[-1]
    >>> type(cat).__name__, cat.srcs, net.widths[-1]  # widths 3 + 1
    ('Concat', (1, 3), 4)
    """

    srcs: tuple[int, ...]
    name: str


@dataclass(frozen=True, eq=False)
class Activation:
    """An elementwise continuous piecewise-linear function of node ``src``.

    Unit ``j`` has ascending breakpoints ``thresholds[j]`` (n, K) and on piece ``p`` (the number of
    breakpoints its input exceeds, 0..K) computes ``slopes[j, p] * z + offsets[j, p]``.
    ``layer`` is the 1-based index of this activation among the network's activations.

    Attributes
    ----------
    src : int
        Index of the preactivation node in ``Network.nodes``.
    thresholds : ndarray, shape (width, K)
        Ascending breakpoints of every unit (preactivation units); K = 1 for ReLU, LeakyReLU
        and PReLU, 2 for ReLU6 and Hardtanh.
    slopes, offsets : ndarray, shape (width, K + 1)
        Slope and offset of every unit on each of its K + 1 pieces.
    name : str
        The torch module (or fx node) it came from.
    layer : int
        1-based index among the network's activations.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import regions
    >>> net = regions.trace(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU6()))
    >>> act = net.activations[0]
    >>> act.layer, act.width, act.is_relu
    (1, 2, False)
    >>> act.thresholds[0].tolist(), act.slopes[0].tolist(), act.offsets[0].tolist()
    ([0.0, 6.0], [0.0, 1.0, 0.0], [0.0, 0.0, 6.0])
    >>> act.apply(np.array([[-1.0, 7.0], [2.5, 6.0]])).tolist()
    [[0.0, 6.0], [2.5, 6.0]]
    """

    src: int
    thresholds: np.ndarray
    slopes: np.ndarray
    offsets: np.ndarray
    name: str
    layer: int

    @property
    def width(self) -> int:
        """Number of units."""
        return self.thresholds.shape[0]

    @cached_property
    def is_relu(self) -> bool:
        """Whether every unit is a plain ReLU (one breakpoint at 0, slopes 0 and 1): the fast
        path of :meth:`apply` and of the affine maps."""
        return (
            self.thresholds.shape[1] == 1
            and not self.thresholds.any()
            and not self.offsets.any()
            and np.all(self.slopes == [0.0, 1.0])
        )

    def apply(self, z: np.ndarray) -> np.ndarray:
        """The activation of preactivations ``z`` (..., width).

        Written as ``s_0 z + o_0 + sum_k (s_{k+1} - s_k) max(z - t_k, 0)``, which equals the
        piecewise definition because the function is continuous, and costs one pass per
        breakpoint instead of a gather per entry.

        Parameters
        ----------
        z : ndarray, shape (..., width)
            Preactivations.

        Returns
        -------
        ndarray, shape (..., width)
            Activations, float64.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> import regions
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU(0.1))
        >>> act = regions.trace(model).activations[0]
        >>> act.apply(np.array([[-1.0, 2.0]])).tolist()
        [[-0.1, 2.0]]
        """
        if self.is_relu:
            return np.maximum(z, 0.0)
        out = self.slopes[:, 0] * z + self.offsets[:, 0]
        for k in range(self.thresholds.shape[1]):
            kink = self.slopes[:, k + 1] - self.slopes[:, k]
            out += kink * np.maximum(z - self.thresholds[:, k], 0.0)
        return out


Node = Affine | Sum | Concat | Activation


@dataclass(frozen=True, eq=False)
class Network:
    """A traced model: ``nodes[0]`` is the input (width ``n_inputs``); ``nodes[output]`` the logits.

    Attributes
    ----------
    nodes : tuple
        ``None`` for the input, then :class:`Affine`, :class:`Sum`, :class:`Concat` or
        :class:`Activation`, topologically ordered.
    widths : tuple of int
        Feature width of every node.
    output : int
        Index of the output node.
    n_inputs, n_outputs : int
        Input and output widths.
    softmax : bool
        Whether a final Softmax/LogSoftmax was stripped.

    Build one with :func:`trace`; :func:`regions.decompose` accepts it in place of the model.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2), torch.nn.Softmax(dim=1)
    ... )
    >>> net = regions.trace(model)
    >>> net.n_inputs, net.n_outputs, net.n_layers, net.softmax
    (2, 2, 1, True)
    >>> net.widths, net.output
    ((2, 3, 3, 2), 3)
    >>> logits, pre = net.forward(np.zeros((5, 2)))
    >>> logits.shape, [z.shape for z in pre]
    ((5, 2), [(5, 3)])
    """

    nodes: tuple[Node | None, ...]
    widths: tuple[int, ...]
    output: int
    n_inputs: int
    n_outputs: int
    softmax: bool

    def last_use(self) -> list[int]:
        """For every node, the index of the last node that reads it (the output reads itself).

        Returns
        -------
        list of int, length ``len(nodes)``
            ``last[i]`` is the largest index of a node whose sources include node ``i``
            (``i`` itself if none does); ``last[output] == len(nodes)``.

        Examples
        --------
        >>> import torch
        >>> import regions
        >>> from torch.nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
        >>> regions.trace(model).last_use()  # a chain: each node is read by the next
        [1, 2, 3, 4]
        """
        last = list(range(len(self.nodes)))
        for i, node in enumerate(self.nodes):
            for src in _sources(node):
                last[src] = i
        last[self.output] = len(self.nodes)
        return last

    @property
    def activations(self) -> tuple[Activation, ...]:
        """The activation layers in order; ``activations[k - 1].layer == k``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> [(a.layer, a.width) for a in regions.trace(sawtooth(3)).activations]
        [(1, 2), (2, 2), (3, 2)]
        """
        return tuple(n for n in self.nodes if isinstance(n, Activation))

    @property
    def n_layers(self) -> int:
        """Number of activation layers (the depth that draws region boundaries).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> regions.trace(sawtooth(3)).n_layers
        3
        """
        return len(self.activations)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Evaluate the network in float64.

        Parameters
        ----------
        x : ndarray, shape (N, n_inputs)

        Returns
        -------
        logits : ndarray, shape (N, n_outputs)
            The model's output (before any stripped Softmax), float64.
        preactivations : list of ndarray, one (N, width) per activation layer
            Inputs of each activation layer, in layer order.

        Examples
        --------
        >>> import numpy as np
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> net = regions.trace(sawtooth(2))
        >>> logits, pre = net.forward(np.array([[0.25, 0.0], [0.125, 0.0]]))
        >>> logits.tolist()  # the tent map applied twice
        [[1.0], [0.5]]
        >>> pre[0].tolist()  # first layer: x and x - 1/2
        [[0.25, -0.25], [0.125, -0.375]]
        """
        values: list[np.ndarray | None] = [np.asarray(x, dtype=np.float64)]
        pre: list[np.ndarray] = []
        for node in self.nodes[1:]:
            if isinstance(node, Affine):
                values.append(values[node.src] @ node.W.T + node.b)
            elif isinstance(node, Sum):
                values.append(
                    sum(s * values[i] for i, s in zip(node.srcs, node.signs, strict=True))
                )
            elif isinstance(node, Concat):
                values.append(np.concatenate([values[i] for i in node.srcs], axis=1))
            else:
                z = values[node.src]
                pre.append(z)
                values.append(node.apply(z))
        return values[self.output], pre


def _sources(node: Node | None) -> tuple[int, ...]:
    if node is None:
        return ()
    if isinstance(node, (Sum, Concat)):
        return node.srcs
    return (node.src,)


_SOFTMAX = (nn.Softmax, nn.LogSoftmax)
_SOFTMAX_FNS = (F.softmax, F.log_softmax, torch.softmax, torch.log_softmax)
_IDENTITY_MODULES = (nn.Identity, nn.Dropout, nn.AlphaDropout, nn.Flatten)
_IDENTITY_FNS = (F.dropout, torch.flatten)
_RELU_FNS = (F.relu, torch.relu)
_ACTIVATION_FNS = (*_RELU_FNS, "relu", F.leaky_relu, F.relu6, F.hardtanh)
_ACTIVATION_MODULES = (nn.ReLU, nn.LeakyReLU, nn.Hardtanh, nn.PReLU)  # ReLU6 is a Hardtanh


def _piecewise(thresholds: list[float], slopes: list[float], offsets: list[float], n: int) -> tuple:
    """Per-unit arrays for a unit function shared by all ``n`` units."""
    tile = lambda v: np.tile(np.asarray(v, dtype=np.float64), (n, 1))  # noqa: E731
    return tile(thresholds), tile(slopes), tile(offsets)


def _leaky(slope: float, n: int) -> tuple:
    """ReLU (slope 0) or LeakyReLU: one breakpoint at 0."""
    return _piecewise([0.0], [slope, 1.0], [0.0, 0.0], n)


def _hardtanh(lo: float, hi: float, n: int) -> tuple:
    """Hardtanh (ReLU6 is lo = 0, hi = 6): flat, identity, flat."""
    return _piecewise([lo, hi], [0.0, 1.0, 0.0], [lo, 0.0, hi], n)


def _module_activation(mod: nn.Module, n: int) -> tuple:
    """Breakpoints/slopes/offsets of one of ``_ACTIVATION_MODULES`` with ``n`` units."""
    if isinstance(mod, nn.ReLU):
        return _leaky(0.0, n)
    if isinstance(mod, nn.LeakyReLU):
        return _leaky(mod.negative_slope, n)
    if isinstance(mod, nn.Hardtanh):  # and ReLU6, a Hardtanh from 0 to 6
        return _hardtanh(float(mod.min_val), float(mod.max_val), n)
    a = _to_numpy(mod.weight, "PReLU.weight")
    if a.size not in (1, n):
        raise InvalidModelError(f"PReLU has {a.size} slopes for {n} features")
    slopes = np.stack([np.broadcast_to(a, (n,)), np.ones(n)], axis=1)
    return np.zeros((n, 1)), slopes, np.zeros((n, 2))


def _function_activation(target: Any, args: tuple, kwargs: dict, n: int) -> tuple:
    """Same as :func:`_module_activation` for ``_ACTIVATION_FNS`` (F.relu, x.relu(), ...)."""

    def arg(i: int, key: str, default: float) -> float:
        return float(args[i]) if len(args) > i else float(kwargs.get(key, default))

    if target is F.leaky_relu:
        return _leaky(arg(1, "negative_slope", 0.01), n)
    if target is F.relu6:
        return _hardtanh(0.0, 6.0, n)
    if target is F.hardtanh:
        return _hardtanh(arg(1, "min_val", -1.0), arg(2, "max_val", 1.0), n)
    return _leaky(0.0, n)  # relu


def _to_numpy(t: torch.Tensor, where: str) -> np.ndarray:
    a = t.detach().to(torch.float64).cpu().numpy().copy()
    if not np.all(np.isfinite(a)):
        raise InvalidModelError(f"{where} holds NaN or Inf values; the model has no regions")
    return a


def _batchnorm(mod: nn.BatchNorm1d, where: str) -> tuple[np.ndarray, np.ndarray]:
    """BatchNorm1d in eval semantics as ``diag(scale) x + shift``."""
    if mod.running_mean is None or mod.running_var is None:
        raise UnsupportedModelError(
            f"{where} (BatchNorm1d) has track_running_stats=False: in eval mode it normalises "
            "with batch statistics, so it is not a fixed function of its input"
        )
    mean = _to_numpy(mod.running_mean, f"{where}.running_mean")
    var = _to_numpy(mod.running_var, f"{where}.running_var")
    n = mean.shape[0]
    w = _to_numpy(mod.weight, f"{where}.weight") if mod.weight is not None else np.ones(n)
    b = _to_numpy(mod.bias, f"{where}.bias") if mod.bias is not None else np.zeros(n)
    scale = w / np.sqrt(var + mod.eps)
    return np.diag(scale), b - mean * scale


def is_piecewise_linear(model: nn.Module) -> bool:
    """Whether :func:`trace` (and so :func:`regions.decompose`) accepts ``model``.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    bool
        False when tracing raises :class:`NotPiecewiseLinearError` or
        :class:`UnsupportedModelError`. An :class:`InvalidModelError` (NaN weights,
        inconsistent widths) is not caught.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> lin = torch.nn.Linear(2, 2)
    >>> regions.is_piecewise_linear(torch.nn.Sequential(lin, torch.nn.LeakyReLU()))
    True
    >>> regions.is_piecewise_linear(torch.nn.Sequential(lin, torch.nn.GELU()))
    False
    """
    try:
        trace(model, warn=False)
    except (NotPiecewiseLinearError, UnsupportedModelError):
        return False
    return True


def trace(model: nn.Module, *, n_inputs: int | None = None, warn: bool = True) -> Network:
    """Trace a torch model into a float64 :class:`Network`.

    Parameters
    ----------
    model : torch.nn.Module
        A ``torch.fx``-traceable model with one input of shape (batch, n_inputs).
    n_inputs : int, optional
        Input width; by default the ``in_features`` of the first Linear layer.
    warn : bool
        Emit :class:`EvalSemanticsWarning` when the model is in training mode.

    Returns
    -------
    Network
        The model as float64 nodes, topologically ordered.

    Raises
    ------
    NotPiecewiseLinearError
        For tanh, sigmoid, ELU, SiLU, GELU, Softplus or any other non-piecewise-linear operation,
        naming the module and the node it feeds from.
    UnsupportedModelError
        When ``torch.fx`` cannot trace the model or it uses an operation not listed above.
    InvalidModelError
        For NaN/Inf parameters or inconsistent widths.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.Hardtanh(),
    ...     torch.nn.Dropout(0.1), torch.nn.Linear(8, 3),
    ... )
    >>> net = regions.trace(model.eval())
    >>> [type(node).__name__ for node in net.nodes]  # Dropout is dropped
    ['NoneType', 'Affine', 'Activation', 'Affine', 'Activation', 'Affine']
    >>> net.n_inputs, net.n_outputs, net.n_layers
    (2, 3, 2)

    A model that does not start with ``nn.Linear`` needs ``n_inputs``:

    >>> regions.trace(torch.nn.ReLU(), n_inputs=2).widths
    (2, 2)
    """
    if not isinstance(model, nn.Module):
        raise UnsupportedModelError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if (
        warn
        and model.training
        and any(
            isinstance(m, (nn.Dropout, nn.BatchNorm1d, nn.AlphaDropout)) for m in model.modules()
        )
    ):
        warnings.warn(
            f"{type(model).__name__} is in training mode; regions decomposes it with eval "
            "semantics (dropout off, BatchNorm running statistics). Call model.eval() to "
            "silence this warning.",
            EvalSemanticsWarning,
            stacklevel=3,
        )
    if not any(True for _ in model.children()):
        model = nn.Sequential(model)  # fx would trace a bare leaf's internals (F.linear, ...)
    try:
        gm = torch.fx.symbolic_trace(model)
    except Exception as exc:  # fx raises many types; all mean "cannot trace"
        raise UnsupportedModelError(
            f"torch.fx could not trace {type(model).__name__}: {exc}. regions needs a model "
            "without data-dependent control flow."
        ) from exc
    return _Builder(gm, n_inputs).build()


class _Builder:
    """Walks an fx graph once, mapping fx nodes to :class:`Network` nodes."""

    def __init__(self, gm: torch.fx.GraphModule, n_inputs: int | None) -> None:
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.nodes: list[Node | None] = [None]
        self.widths: list[int] = []
        self.index: dict[torch.fx.Node, int] = {}
        self.constants: dict[torch.fx.Node, float] = {}
        self.n_inputs = n_inputs
        self.prev_name = "the input"
        self.softmax_nodes: set[torch.fx.Node] = set()

    def add(self, node: Node, width: int) -> int:
        self.nodes.append(node)
        self.widths.append(width)
        self.prev_name = node.name
        return len(self.nodes) - 1

    def src(self, fx_node: Any, where: str) -> int:
        if fx_node not in self.index:
            raise UnsupportedModelError(f"{where}: its input {fx_node!r} is not a tensor node")
        return self.index[fx_node]

    def width_of(self, i: int) -> int:
        w = self.widths[i]
        if w is None:
            raise InvalidModelError(
                "cannot infer the model's input width: pass n_inputs or start with nn.Linear"
            )
        return w

    def build(self) -> Network:
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            raise UnsupportedModelError(
                f"model.forward takes {len(placeholders)} inputs; regions needs exactly one"
            )
        self.index[placeholders[0]] = 0
        self.widths.append(self.n_inputs)
        output: int | None = None
        softmax = False
        for fx_node in self.gm.graph.nodes:
            if fx_node.op == "placeholder":
                continue
            if fx_node.op == "output":
                out = fx_node.args[0]
                if isinstance(out, (tuple, list)) or out not in self.index:
                    raise UnsupportedModelError("model must return a single tensor")
                output = self.index[out]
                softmax = out in self.softmax_nodes
                continue
            self.visit(fx_node)
        assert output is not None
        if self.widths[0] is None:
            raise InvalidModelError("cannot infer the model's input width: pass n_inputs")
        return Network(
            nodes=tuple(self.nodes),
            widths=tuple(self.widths),
            output=output,
            n_inputs=self.widths[0],
            n_outputs=self.widths[output],
            softmax=softmax,
        )

    def visit(self, fx_node: torch.fx.Node) -> None:
        if fx_node.op == "call_module":
            mod = self.modules[fx_node.target]
            where = f"module '{fx_node.target}' ({type(mod).__name__})"
            self.index[fx_node] = self.call_module(mod, fx_node, where)
        elif fx_node.op in ("call_function", "call_method"):
            name = getattr(fx_node.target, "__name__", str(fx_node.target))
            where = f"{fx_node.op} '{name}' (node '{fx_node.name}')"
            result = self.call_function(fx_node, where)
            if result is not None:
                self.index[fx_node] = result
        elif fx_node.op == "get_attr":
            raise UnsupportedModelError(
                f"node '{fx_node.name}' reads the tensor attribute '{fx_node.target}' directly; "
                "regions supports parameters only inside supported modules"
            )

    def mark_softmax(self, fx_node: torch.fx.Node, src: int, where: str) -> int:
        users = list(fx_node.users)
        if not (len(users) == 1 and users[0].op == "output"):
            raise NotPiecewiseLinearError(
                f"{where} after '{self.prev_name}' is not piecewise linear; a Softmax is allowed "
                "only as the model's last operation"
            )
        self.softmax_nodes.add(fx_node)
        return src

    def call_module(self, mod: nn.Module, fx_node: torch.fx.Node, where: str) -> int:
        src = self.src(fx_node.args[0], where)
        if isinstance(mod, _IDENTITY_MODULES):
            return src
        if isinstance(mod, _SOFTMAX):
            return self.mark_softmax(fx_node, src, where)
        if isinstance(mod, nn.Linear):
            W = _to_numpy(mod.weight, f"{fx_node.target}.weight")
            b = (
                _to_numpy(mod.bias, f"{fx_node.target}.bias")
                if mod.bias is not None
                else np.zeros(W.shape[0])
            )
            self.check_width(src, W.shape[1], where)
            return self.add(Affine(src, W, b, str(fx_node.target)), W.shape[0])
        if isinstance(mod, nn.BatchNorm1d):
            W, b = _batchnorm(mod, where)
            self.check_width(src, W.shape[1], where)
            return self.add(Affine(src, W, b, str(fx_node.target)), W.shape[0])
        if not isinstance(mod, _ACTIVATION_MODULES):
            raise NotPiecewiseLinearError(
                f"{where} after '{self.prev_name}' is not piecewise linear; regions supports "
                "Linear, ReLU, LeakyReLU, PReLU, ReLU6, Hardtanh, BatchNorm1d, Dropout, Identity, "
                "Flatten, residual adds, concatenation and a final Softmax"
            )
        spec = _module_activation(mod, self.width_of(src))
        return self.add_activation(src, spec, str(fx_node.target))

    def add_activation(self, src: int, spec: tuple, name: str) -> int:
        layer = sum(isinstance(n, Activation) for n in self.nodes) + 1
        t, s, o = spec
        return self.add(Activation(src, t, s, o, name, layer), t.shape[0])

    def check_width(self, src: int, expected: int, where: str) -> None:
        if self.widths[src] is None:
            self.widths[src] = expected
        elif self.widths[src] != expected:
            raise InvalidModelError(
                f"{where} expects {expected} input features but receives {self.widths[src]}"
            )

    def call_function(self, fx_node: torch.fx.Node, where: str) -> int | None:
        target, args, kwargs = fx_node.target, fx_node.args, fx_node.kwargs
        if target in (operator.getitem,) or target == "size":
            raise UnsupportedModelError(f"{where}: indexing and shape queries are not supported")
        if target in _IDENTITY_FNS or target in ("flatten", "contiguous", "clone", "detach"):
            return self.src(args[0], where)
        if target in _SOFTMAX_FNS or target in ("softmax", "log_softmax"):
            return self.mark_softmax(fx_node, self.src(args[0], where), where)
        if target in (operator.add, torch.add, "add", operator.sub, torch.sub, "sub"):
            return self.add_sum(fx_node, where)
        if target in (operator.mul, torch.mul, "mul", operator.truediv, torch.div, "div"):
            return self.add_scale(fx_node, where)
        if target in (torch.cat, torch.concat):
            tensors = args[0] if args else kwargs["tensors"]
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            if dim not in (1, -1):
                raise UnsupportedModelError(f"{where}: only feature-axis concatenation (dim=1)")
            srcs = tuple(self.src(t, where) for t in tensors)
            width = sum(self.width_of(i) for i in srcs)
            return self.add(Concat(srcs, fx_node.name), width)
        if target not in _ACTIVATION_FNS:
            raise NotPiecewiseLinearError(
                f"{where} after '{self.prev_name}' is not piecewise linear (or not supported)"
            )
        src = self.src(args[0], where)
        spec = _function_activation(target, args, kwargs, self.width_of(src))
        return self.add_activation(src, spec, fx_node.name)

    def add_sum(self, fx_node: torch.fx.Node, where: str) -> int:
        a, b = fx_node.args[:2]
        sign = -1.0 if fx_node.target in (operator.sub, torch.sub, "sub") else 1.0
        if isinstance(a, torch.fx.Node) and isinstance(b, torch.fx.Node):
            ia, ib = self.src(a, where), self.src(b, where)
            if self.width_of(ia) != self.width_of(ib):
                raise InvalidModelError(
                    f"{where} adds tensors of widths {self.widths[ia]}, {self.widths[ib]}"
                )
            return self.add(Sum((ia, ib), (1.0, sign), fx_node.name), self.widths[ia])
        node, const = (a, b) if isinstance(a, torch.fx.Node) else (b, a)
        if not isinstance(const, (int, float)):
            raise UnsupportedModelError(f"{where}: only tensor + tensor or tensor + number")
        i = self.src(node, where)
        n = self.width_of(i)
        sign_x = -1.0 if (sign < 0 and node is b) else 1.0
        shift = float(const) * (sign if node is a else 1.0)
        return self.add(Affine(i, sign_x * np.eye(n), np.full(n, shift), fx_node.name), n)

    def add_scale(self, fx_node: torch.fx.Node, where: str) -> int:
        a, b = fx_node.args[:2]
        divide = fx_node.target in (operator.truediv, torch.div, "div")
        if isinstance(a, torch.fx.Node) and isinstance(b, (int, float)):
            node, k = a, 1.0 / float(b) if divide else float(b)
        elif isinstance(b, torch.fx.Node) and isinstance(a, (int, float)) and not divide:
            node, k = b, float(a)
        else:
            raise UnsupportedModelError(
                f"{where}: multiplying two tensors is not piecewise linear; only scaling by numbers"
            )
        i = self.src(node, where)
        n = self.width_of(i)
        return self.add(Affine(i, k * np.eye(n), np.zeros(n), fx_node.name), n)
