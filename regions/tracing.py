"""Tracing a torch model into a :class:`regions.Network`, argument by argument.

:func:`trace` runs ``torch.fx`` and walks its graph once. Every call is bound to its torch
signature (:mod:`regions.torchops`) and every argument is either applied or refused by name:
nothing is silently read as its default. Tensor shapes are followed (:mod:`regions.shapes`),
so views and reshapes that keep the batch axis are exact relabellings. In-place operations
(``relu_``, ``F.relu(inplace=True)``, ``nn.ReLU(inplace=True)``, ``add_``, ...) update every
tensor that shares the mutated storage (its views), as torch does.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
import torch.fx
from torch import nn

from . import arguments, layers, shapes, torchops
from .errors import (
    EvalSemanticsWarning,
    InvalidModelError,
    NotPiecewiseLinearError,
    UnsupportedModelError,
)
from .network import Affine, Concat, Network, Node, Sum
from .validate import check_n_inputs

__all__ = ["trace", "is_piecewise_linear"]


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
        A ``torch.fx``-traceable model with one input of shape (batch, n_inputs), built from
        the operations listed in README's "Supported models".
    n_inputs : int, optional
        Input width; by default the ``in_features`` of the Linear layer that reads the input.
    warn : bool
        Emit :class:`EvalSemanticsWarning` when the model is in training mode.

    Returns
    -------
    Network
        The model as float64 nodes, topologically ordered. A model whose output has several
        feature axes (say (batch, 1, 3)) has its outputs in row-major order.

    Raises
    ------
    NotPiecewiseLinearError
        For tanh, sigmoid, ELU, SiLU, GELU, Softplus, a product or quotient of two tensors, or
        any other operation that is not piecewise linear, naming it and the node it follows.
    UnsupportedModelError
        When ``torch.fx`` cannot trace the model, or it uses an operation, an argument or a
        shape that regions does not interpret (the message says which).
    InvalidModelError
        For NaN/Inf parameters, a BatchNorm that divides by zero, a division by zero,
        inconsistent widths or a layer of width 0.

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
    n_inputs = check_n_inputs(n_inputs, "trace")
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


@dataclass(frozen=True)
class _Tensor:
    """What the tracer knows of a tensor: the node holding its features, their shape
    (None: the model's input before its width is known) and its storage (alias group)."""

    index: int
    dims: tuple[int, ...] | None
    group: int


@dataclass(frozen=True)
class _MaxResult:
    """``torch.max(x, dim)``: a (values, indices) pair, of which only the values are supported."""

    values: _Tensor


class _Builder:
    """Walks an fx graph once, mapping fx nodes to :class:`Network` nodes."""

    def __init__(self, gm: torch.fx.GraphModule, n_inputs: int | None) -> None:
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.nodes: list[Node | None] = [None]
        self.widths: list[int | None] = [n_inputs]
        self.values: dict[torch.fx.Node, Any] = {}  # _Tensor, _MaxResult or a Python value
        self.members: dict[int, list[torch.fx.Node]] = {}  # storage -> the tensors viewing it
        self.storage = itertools.count(1)  # 0 is the input's
        self.prev_name = "the input"
        self.softmax = False

    # ------------------------------------------------------------------ bookkeeping
    def add(self, node: Node, width: int) -> int:
        if width < 1:
            raise InvalidModelError(
                f"'{node.name}' has {width} features; regions needs at least one unit in every "
                "layer"
            )
        self.nodes.append(node)
        self.widths.append(width)
        self.prev_name = node.name
        return len(self.nodes) - 1

    def new(self, index: int, dims: tuple[int, ...]) -> _Tensor:
        """A tensor in storage of its own."""
        return _Tensor(index, dims, next(self.storage))

    def dims(self, t: _Tensor, where: str) -> tuple[int, ...]:
        if t.dims is not None:
            return t.dims
        if self.widths[t.index] is None:
            raise InvalidModelError(
                f"cannot infer the model's input width at {where}: pass n_inputs (regions "
                "reads it from a Linear or BatchNorm1d layer applied to the input)"
            )
        return (self.widths[t.index],)

    def width_unknown(self, arg: Any) -> bool:
        """Whether ``arg`` is the model's input and its width is not known yet."""
        t = self.values.get(arg) if isinstance(arg, torch.fx.Node) else None
        return isinstance(t, _Tensor) and t.dims is None and self.widths[t.index] is None

    def is_tensor(self, arg: Any) -> bool:
        return isinstance(arg, torch.fx.Node) and isinstance(self.values.get(arg), _Tensor)

    def tensor(self, arg: Any, where: str) -> tuple[_Tensor, tuple[int, ...]]:
        """The tensor an argument names, and its feature dims."""
        value = self.values.get(arg) if isinstance(arg, torch.fx.Node) else None
        if isinstance(value, _Tensor):
            return value, self.dims(value, where)
        if isinstance(value, _MaxResult):
            raise UnsupportedModelError(
                f"{where}: its input '{arg.name}' is the (values, indices) pair of max/min "
                "over a dim; take .values or [0]"
            )
        raise UnsupportedModelError(f"{where}: its input {arg!r} is not a traced tensor")

    def constant(self, arg: Any) -> Any:
        """A Python value, with the results of shape queries (``x.size(1)``) filled in."""
        if isinstance(arg, torch.fx.Node):
            if isinstance(self.values.get(arg), _MaxResult):
                raise UnsupportedModelError(
                    f"'{arg.name}' is the (values, indices) pair of max/min over a dim; take "
                    ".values or [0]"
                )
            if arg not in self.values or isinstance(self.values[arg], _Tensor):
                return arg
            return self.values[arg]
        if isinstance(arg, (tuple, list)):
            return type(arg)(self.constant(a) for a in arg)
        return arg

    def set(self, fx_node: torch.fx.Node, value: Any) -> None:
        self.values[fx_node] = value
        if isinstance(value, _Tensor):
            self.members.setdefault(value.group, []).append(fx_node)

    # ------------------------------------------------------------------ the walk
    def build(self) -> Network:
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            raise UnsupportedModelError(
                f"model.forward takes {len(placeholders)} inputs; regions needs exactly one"
            )
        self.set(placeholders[0], _Tensor(0, None, 0))
        output: int | None = None
        for fx_node in self.gm.graph.nodes:
            if fx_node.op == "output":
                if not self.is_tensor(fx_node.args[0]):
                    raise UnsupportedModelError("model must return a single tensor")
                output = self.values[fx_node.args[0]].index
            elif fx_node.op != "placeholder":
                self.visit(fx_node)
        assert output is not None
        if self.widths[0] is None:
            raise InvalidModelError("cannot infer the model's input width: pass n_inputs")
        if self.widths[0] < 1:
            raise InvalidModelError("the model has 0 inputs; regions needs at least one")
        return Network(
            nodes=tuple(self.nodes),
            widths=tuple(self.widths),
            output=output,
            n_inputs=self.widths[0],
            n_outputs=self.widths[output],
            softmax=self.softmax,
        )

    def visit(self, fx_node: torch.fx.Node) -> None:
        if fx_node.op == "get_attr":
            raise UnsupportedModelError(
                f"node '{fx_node.name}' reads the tensor attribute '{fx_node.target}' directly; "
                "regions supports parameters only inside supported modules, and numbers"
            )
        if fx_node.op == "call_module":
            mod = self.modules[fx_node.target]
            where = f"module '{fx_node.target}' ({type(mod).__name__})"
            call = torchops.module_call(mod, fx_node.args[0], where, self.prev_name)
            if len(fx_node.args) != 1 or fx_node.kwargs:
                raise UnsupportedModelError(f"{where} is called with more than its input")
        else:
            name = getattr(fx_node.target, "__name__", str(fx_node.target))
            where = f"{fx_node.op} '{name}' (node '{fx_node.name}')"
            op = torchops.function_op(fx_node.target, where, self.prev_name)
            call = torchops.Call.bind(op, fx_node.args, fx_node.kwargs, where)
        result = getattr(self, f"op_{call.op.kind}")(call, fx_node)
        call.done()
        if call.inplace:
            result = self.mutate(call.input, result)
        self.set(fx_node, result)

    def mutate(self, target: torch.fx.Node, result: _Tensor) -> _Tensor:
        """An in-place result: every view of the mutated storage now holds its values."""
        old = self.values[target]
        for member in self.members[old.group]:
            self.values[member] = replace(self.values[member], index=result.index)
        return _Tensor(result.index, old.dims, old.group)

    # ------------------------------------------------------------------ elementwise
    def op_activation(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        """ReLU and its relatives, abs and clamp: an activation, a constant or the identity."""
        t, dims = self.tensor(call.input, call.where)
        n, name = math.prod(dims), torchops.node_name(fx_node)
        spec = arguments.activation_spec(call, n, dims)
        if spec is None:
            return t
        if isinstance(spec, float):
            node = Affine(t.index, np.zeros((n, n)), np.full(n, spec), name)
            return self.new(self.add(node, n), dims)
        return self.new(layers.add_activation(self, t.index, spec, name), dims)

    def op_identity(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        call.take_all()  # Dropout (eval semantics), Identity, contiguous, detach, +x
        return self.tensor(call.input, call.where)[0]

    def op_clone(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        call.take_all()
        t, dims = self.tensor(call.input, call.where)
        return self.new(t.index, dims)  # the same values in storage of its own

    def op_scale(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """``x * k``, ``k * x``, ``x / k`` and ``-x``: a diagonal Affine (arithmetic on two
        numbers)."""
        if call.op.name == "neg":
            x, k = call.input, -1.0
        else:
            a, b = call.input, call.take("other")
            if not (self.is_tensor(a) or self.is_tensor(b)):
                return arguments.arithmetic(call, self.constant(a), self.constant(b))
            if self.is_tensor(b) and (self.is_tensor(a) or call.op.name == "div"):
                what = (
                    "multiplying two tensors" if call.op.name == "mul" else "dividing by a tensor"
                )
                raise NotPiecewiseLinearError(
                    f"{call.where} after '{self.prev_name}': {what} is not piecewise linear; "
                    "regions supports scaling by numbers"
                )
            x, number = (a, b) if self.is_tensor(a) else (b, a)
            k = arguments.scale_factor(call, self.constant(number))
        t, dims = self.tensor(x, call.where)
        n = math.prod(dims)
        return self.new(
            self.add(Affine(t.index, k * np.eye(n), np.zeros(n), fx_node.name), n), dims
        )

    def op_floordiv(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        a, b = call.input, call.take("other")
        if self.is_tensor(a) or self.is_tensor(b):
            raise UnsupportedModelError(
                f"{call.where}: floor division rounds, which is discontinuous; regions supports "
                "true division only"
            )
        return arguments.arithmetic(call, self.constant(a), self.constant(b))

    def op_add(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """``a + alpha b`` (``a - alpha b`` for sub), of tensors or a tensor and a number."""
        a, b, where = call.input, call.take("other"), call.where
        if not (self.is_tensor(a) or self.is_tensor(b)):
            return arguments.arithmetic(call, self.constant(a), self.constant(b))
        alpha = arguments.number(call.take("alpha"), "alpha", where)
        sign = -1.0 if call.op.name == "sub" else 1.0
        if self.is_tensor(a) and self.is_tensor(b):
            (ta, dims), (tb, db) = self.tensor(a, where), self.tensor(b, where)
            self.same_dims(dims, db, where)
            n, ib = math.prod(dims), tb.index
            if alpha != 1.0:
                scaled = Affine(ib, alpha * np.eye(n), np.zeros(n), f"{fx_node.name}: alpha")
                ib = self.add(scaled, n)
            return self.new(self.add(Sum((ta.index, ib), (1.0, sign), fx_node.name), n), dims)
        if self.is_tensor(a):  # x + alpha c
            (t, dims), gain = self.tensor(a, where), 1.0
            shift = sign * alpha * arguments.number(self.constant(b), "other", where)
        else:  # c + alpha x
            (t, dims), gain = self.tensor(b, where), sign * alpha
            shift = arguments.number(self.constant(a), "input", where)
        n = math.prod(dims)
        node = Affine(t.index, gain * np.eye(n), np.full(n, shift), fx_node.name)
        return self.new(self.add(node, n), dims)

    def same_dims(self, da: tuple[int, ...], db: tuple[int, ...], where: str) -> None:
        if da != db:
            raise UnsupportedModelError(
                f"{where}: tensors of shapes {shapes.describe(da)} and {shapes.describe(db)} "
                "differ; regions supports elementwise operations on tensors of equal shape"
            )

    # ------------------------------------------------------------------ maxima
    def op_maximum(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        """``maximum(a, b)`` / ``minimum(a, b)`` of two tensors: one ReLU unit per feature."""
        (ta, dims), (tb, db) = (
            self.tensor(x, call.where) for x in (call.input, call.take("other"))
        )
        self.same_dims(dims, db, call.where)
        n = math.prod(dims)
        both = self.add(Concat((ta.index, tb.index), f"{fx_node.name}: (a, b)"), 2 * n)
        pairs = np.stack([np.arange(n), n + np.arange(n)], axis=1)
        lower = call.op.name in ("minimum", "min")
        return self.new(layers.add_maxima(self, both, 2 * n, pairs, fx_node.name, lower), dims)

    def op_reduce(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """``max``/``min`` over feature axes (a values-indices pair), ``amax``/``amin``;
        ``max(a, b)`` of two tensors is ``maximum``."""
        if call.op.name in ("max", "min") and self.is_tensor(call.params["dim"]):
            call.params["other"] = call.params.pop("dim")
            return self.op_maximum(call, fx_node)
        t, dims = self.tensor(call.input, call.where)
        axes = arguments.reduced_axes(call, dims)
        groups, out = shapes.reduce_groups(dims, axes, bool(call.take("keepdim")))
        lower = call.op.name in ("min", "amin")
        index = layers.add_maxima(self, t.index, math.prod(dims), groups, fx_node.name, lower)
        values = self.new(index, out)
        return _MaxResult(values) if call.op.name in ("max", "min") else values

    def op_pool(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        """``nn.MaxPool1d`` and ``F.max_pool1d`` over the last axis."""
        t, dims = self.tensor(call.input, call.where)
        kernel, stride, dilation = arguments.pool_args(call)
        groups, out = shapes.pool_groups(dims, kernel, stride, dilation, call.where)
        name = torchops.node_name(fx_node)
        index = layers.add_maxima(self, t.index, math.prod(dims), groups, name, False)
        return self.new(index, out)

    # ------------------------------------------------------------------ layers
    def infer_width(self, arg: torch.fx.Node, width: int) -> None:
        """The model's input width, from the first layer applied to the input."""
        if self.width_unknown(arg):
            self.widths[self.values[arg].index] = width

    def op_linear(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        mod = call.module
        W = layers.to_numpy(mod.weight, f"{fx_node.target}.weight")
        b = layers.to_numpy(mod.bias, f"{fx_node.target}.bias") if mod.bias is not None else None
        self.infer_width(call.input, W.shape[1])
        t, dims = self.tensor(call.input, call.where)
        if not dims or dims[-1] != W.shape[1]:
            got = dims[-1] if dims else f"a {shapes.describe(dims)} tensor"
            raise InvalidModelError(
                f"{call.where} expects {W.shape[1]} input features but receives {got}"
            )
        blocks = math.prod(dims[:-1])  # a Linear acts on the last axis, block by block
        W_all = np.kron(np.eye(blocks), W) if blocks > 1 else W
        b_all = np.tile(np.zeros(W.shape[0]) if b is None else b, blocks)
        node = Affine(t.index, W_all, b_all, str(fx_node.target))
        return self.new(self.add(node, len(b_all)), (*dims[:-1], W.shape[0]))

    def op_batchnorm(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        mod = call.module
        self.infer_width(call.input, mod.num_features)
        t, dims = self.tensor(call.input, call.where)
        channel = shapes.channels(dims, mod.num_features, "features", call.where)
        W, b = layers.batchnorm(mod, channel, call.where)
        return self.new(self.add(Affine(t.index, W, b, str(fx_node.target)), len(b)), dims)

    def op_softmax(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        t, dims = self.tensor(call.input, call.where)
        users = list(fx_node.users)
        if not (len(users) == 1 and users[0].op == "output"):
            raise NotPiecewiseLinearError(
                f"{call.where} after '{self.prev_name}' is not piecewise linear; a Softmax is "
                "allowed only as the model's last operation"
            )
        arguments.softmax_axis(call, dims)
        self.softmax = True
        return t

    # ------------------------------------------------------------------ shapes
    def op_shape(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        """view, reshape, flatten, squeeze, unsqueeze, unflatten: the same features."""
        name, where = call.op.name, call.where
        if name in ("view", "reshape"):
            shape = self.constant(call.take("shape"))
            if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
                shape = tuple(shape[0])
            if len(shape) == 1 and isinstance(shape[0], torch.dtype):
                raise UnsupportedModelError(f"{where}: viewing as another dtype is not supported")
        if self.width_unknown(call.input):  # the input, before a layer gives its width
            if name == "flatten":  # of a (batch, n) tensor: no change
                shapes.flatten((2,), call.take("start_dim"), call.take("end_dim"), where)
                return self.values[call.input]
            if name in ("view", "reshape") and list(shape) == [shapes.BATCH, -1]:
                return self.values[call.input]
        t, dims = self.tensor(call.input, where)
        if name in ("view", "reshape"):
            new = shapes.reshape(dims, shape, where)
        elif name == "flatten":
            new = shapes.flatten(dims, call.take("start_dim"), call.take("end_dim"), where)
        elif name == "squeeze":
            new = shapes.squeeze(dims, self.constant(call.take("dim")), where)
        elif name == "unsqueeze":
            new = shapes.unsqueeze(dims, self.constant(call.take("dim")), where)
        else:
            sizes = self.constant(call.take("sizes"))
            new = shapes.unflatten(dims, self.constant(call.take("dim")), sizes, where)
        return replace(t, dims=new)

    def op_cat(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Tensor:
        tensors = [self.tensor(x, call.where) for x in call.take("tensors")]
        dims = shapes.concat([d for _, d in tensors], call.take("dim"), call.where)
        node = Concat(tuple(t.index for t, _ in tensors), fx_node.name)
        return self.new(self.add(node, math.prod(dims)), dims)

    def op_size(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """Shape queries: ``x.size()``, ``x.size(d)``, ``x.shape``, ``x.dim()``, ``x.ndim``,
        and the ``values`` of a max over a dim."""
        obj = self.values.get(call.input)
        if isinstance(obj, _MaxResult):
            return _max_field(obj, call.take("name"), call.where)
        if self.width_unknown(call.input) and call.op.name == "size":
            if self.constant(call.params["dim"]) in (0, -2):  # x.size(0) needs no width
                call.take("dim")
                return shapes.BATCH
        t, dims = self.tensor(call.input, call.where)
        full = (shapes.BATCH, *dims)
        if call.op.name == "ndim":
            return len(full)
        if call.op.name == "size":
            dim = self.constant(call.take("dim"))
            if dim is None:
                return full
            if isinstance(dim, int) and dim in (0, -len(full)):
                return shapes.BATCH
            return dims[shapes.axis(dim, dims, call.where)]
        attribute = call.take("name")
        if attribute == "shape":
            return full
        if attribute == "ndim":
            return len(full)
        raise UnsupportedModelError(
            f"{call.where}: the tensor attribute '{attribute}' is not supported"
        )

    def op_getitem(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        obj = self.values.get(call.input) if isinstance(call.input, torch.fx.Node) else None
        key = self.constant(call.take("key"))
        if isinstance(obj, _MaxResult):
            return _max_field(obj, key, call.where)
        if isinstance(obj, _Tensor):
            raise UnsupportedModelError(
                f"{call.where}: indexing a tensor is not supported; regions follows whole "
                "tensors (a Linear layer can select features)"
            )
        return self.constant(call.input)[key]


def _max_field(result: _MaxResult, key: Any, where: str) -> _Tensor:
    """``.values`` / ``[0]`` of ``max(x, dim)``; the indices are refused."""
    if key in (0, "values"):
        return result.values
    if key in (1, "indices"):
        raise UnsupportedModelError(
            f"{where}: the indices of a max are integers, not a piecewise-linear function of "
            "the input; regions supports the values only"
        )
    raise UnsupportedModelError(f"{where}: unsupported field {key!r} of a max over a dim")
