"""The graph walk shared by the tracers: torch calls become :class:`regions.Network` nodes.

A :class:`Walker` visits the nodes of a ``torch.fx`` graph in order. The fx tracer
(:mod:`regions.tracing`) and the ``torch.export`` tracer (:mod:`regions.exported`) each bind a
node to a :class:`regions.torchops.Call` and hand it to the handler ``op_<kind>`` here; what
their graphs share (elementwise functions, sums and scalings, maxima, views, concatenation, a
final softmax) is lowered once, by these handlers. Tensor shapes are followed
(:mod:`regions.shapes`) and in-place results update every view of the mutated storage.
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
import torch.fx

from . import arguments, layers, shapes, torchops
from .errors import (
    EvalSemanticsWarning,
    InvalidModelError,
    NotPiecewiseLinearError,
    UnsupportedModelError,
)
from .network import Activation, Affine, Concat, Network, Node, Sum, sources

__all__ = ["Traced", "MaxResult", "Walker", "max_field"]


@dataclass(frozen=True)
class Traced:
    """What the tracer knows of a tensor: the node holding its features, their shape
    (None: the model's input before its width is known) and its storage (alias group)."""

    index: int
    dims: tuple[int, ...] | None
    group: int


@dataclass(frozen=True)
class MaxResult:
    """``torch.max(x, dim)``: a (values, indices) pair, of which only the values are supported."""

    values: Traced


class Walker:
    """Walks a graph once, mapping its nodes to :class:`Network` nodes (see the module doc).

    Subclasses bind each node to a :class:`regions.torchops.Call` and pass it to :meth:`apply`.

    Examples
    --------
    >>> import torch
    >>> from regions import torchops
    >>> from regions.walk import Traced, Walker
    >>> gm = torch.fx.symbolic_trace(torch.nn.Sequential(torch.nn.ReLU()))
    >>> x, relu, out = gm.graph.nodes
    >>> walk = Walker(n_inputs=3)
    >>> walk.set(x, Traced(0, (3,), 0))
    >>> walk.apply(torchops.module_call(gm.get_submodule("0"), x, "relu", "x"), relu)
    >>> net = walk.network(walk.values[relu].index)
    >>> net.widths, net.activations[0].name
    ((3, 3), '0')
    """

    def __init__(self, n_inputs: int | None, warn: bool = True) -> None:
        self.nodes: list[Node | None] = [None]
        self.widths: list[int | None] = [n_inputs]
        self.values: dict[torch.fx.Node, Any] = {}  # Traced, MaxResult or a Python value
        self.members: dict[int, list[torch.fx.Node]] = {}  # storage -> the tensors viewing it
        self.storage = itertools.count(1)  # 0 is the input's
        # Storage seen through a reordering view (permute, transpose): in-place changes there
        # would have to be reordered into every other view of it, which no view here does.
        self.permuted: set[int] = set()
        self.prev_name = "the input"
        self.softmax = False
        self.warn = warn  # an EvalSemanticsWarning still to give
        self.trains = False  # some call runs in training mode (read with eval semantics)

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

    def new(self, index: int, dims: tuple[int, ...]) -> Traced:
        """A tensor in storage of its own."""
        return Traced(index, dims, next(self.storage))

    def dims(self, t: Traced, where: str) -> tuple[int, ...]:
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
        return isinstance(t, Traced) and t.dims is None and self.widths[t.index] is None

    def is_tensor(self, arg: Any) -> bool:
        return isinstance(arg, torch.fx.Node) and isinstance(self.values.get(arg), Traced)

    def tensor(self, arg: Any, where: str) -> tuple[Traced, tuple[int, ...]]:
        """The tensor an argument names, and its feature dims."""
        value = self.values.get(arg) if isinstance(arg, torch.fx.Node) else None
        if isinstance(value, Traced):
            return value, self.dims(value, where)
        if isinstance(value, MaxResult):
            raise UnsupportedModelError(
                f"{where}: its input '{arg.name}' is the (values, indices) pair of max/min "
                "over a dim; take .values or [0]"
            )
        raise UnsupportedModelError(f"{where}: its input {arg!r} is not a traced tensor")

    def constant(self, arg: Any) -> Any:
        """A Python value, with the results of shape queries (``x.size(1)``) filled in."""
        if isinstance(arg, torch.fx.Node):
            if isinstance(self.values.get(arg), MaxResult):
                raise UnsupportedModelError(
                    f"'{arg.name}' is the (values, indices) pair of max/min over a dim; take "
                    ".values or [0]"
                )
            if arg not in self.values or isinstance(self.values[arg], Traced):
                return arg
            return self.values[arg]
        if isinstance(arg, (tuple, list)):
            return type(arg)(self.constant(a) for a in arg)
        return arg

    def set(self, fx_node: torch.fx.Node, value: Any) -> None:
        self.values[fx_node] = value
        if isinstance(value, (Traced, MaxResult)):  # a max's values view its storage too
            group = value.group if isinstance(value, Traced) else value.values.group
            self.members.setdefault(group, []).append(fx_node)

    def eval_semantics(self, where: str, fix: str) -> None:
        """Warn, once, that ``where`` runs in training mode, decomposed with eval semantics."""
        self.trains = True
        if self.warn:
            level, frame = 1, sys._getframe()
            while frame.f_back is not None and frame.f_globals["__name__"].startswith("regions."):
                level, frame = level + 1, frame.f_back
            warnings.warn(
                f"{where} runs in training mode; regions decomposes it with eval semantics "
                f"(dropout off, BatchNorm running statistics). {fix}",
                EvalSemanticsWarning,
                stacklevel=level,  # the first caller outside regions
            )
            self.warn = False

    def network(self, output: int) -> Network:
        """The walked graph as a :class:`Network` whose output is node ``output``."""
        if self.widths[0] is None:
            raise InvalidModelError("cannot infer the model's input width: pass n_inputs")
        if self.widths[0] < 1:
            raise InvalidModelError("the model has 0 inputs; regions needs at least one")
        nodes, widths, output = _read_by(self.nodes, self.widths, output)
        return Network(
            nodes=nodes,
            widths=widths,
            output=output,
            n_inputs=widths[0],
            n_outputs=widths[output],
            softmax=self.softmax,
        )

    def apply(self, call: torchops.Call, fx_node: torch.fx.Node) -> None:
        """Lower ``call`` (of graph node ``fx_node``) with its handler and record the result."""
        result = getattr(self, f"op_{call.op.kind}")(call, fx_node)
        call.done()
        if call.inplace and self.is_tensor(call.input):  # (``n += 1`` on a number is not)
            result = self.mutate(call.input, result)
        self.set(fx_node, result)

    def mutate(self, target: torch.fx.Node, result: Traced) -> Traced:
        """An in-place result: every view of the mutated storage now holds its values."""
        old = self.values[target]
        if old.group in self.permuted:
            raise UnsupportedModelError(
                f"'{target.name}' is changed in place while a permuted or transposed view of "
                "its storage exists; regions supports in-place operations on tensors without "
                "reordering views: apply this operation out of place"
            )
        for member in self.members[old.group]:
            value = self.values[member]
            if isinstance(value, MaxResult):
                self.values[member] = MaxResult(replace(value.values, index=result.index))
            else:
                self.values[member] = replace(value, index=result.index)
        return Traced(result.index, old.dims, old.group)

    # ------------------------------------------------------------------ elementwise
    def op_activation(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        """ReLU and its relatives, abs and clamp: an activation, a constant or the identity."""
        t, dims = self.tensor(call.input, call.where)
        n, name = math.prod(dims), torchops.node_name(fx_node)
        spec = arguments.activation_spec(call, n, dims)
        if spec is None:  # the identity (say, a clamp with infinite bounds): a new tensor
            return self.new(t.index, dims)
        if isinstance(spec, float):
            node = Affine(t.index, np.zeros((n, n)), np.full(n, spec), name)
            return self.new(self.add(node, n), dims)
        return self.new(layers.add_activation(self, t.index, spec, name), dims)

    def op_identity(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        if call.op.name == "dropout" and call.params.get("training", call.params.get("train")):
            self.eval_semantics(call.where, "Pass training=self.training to silence this warning.")
        call.take_all()  # Dropout (eval semantics), Identity, contiguous, detach, +x
        return self.tensor(call.input, call.where)[0]

    def op_clone(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
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
        """``a + alpha b`` (``a - alpha b`` for sub, ``rsub(b, a)``), of tensors or a tensor
        and a number."""
        (a, b, sign), where = arguments.summands(call), call.where
        if not (self.is_tensor(a) or self.is_tensor(b)):
            return arguments.arithmetic(call, self.constant(a), self.constant(b))
        alpha = arguments.number(call.take("alpha"), "alpha", where)
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
    def op_maximum(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
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
        ``max(a, b)`` (or ``max(a, other=b)``) of two tensors is ``maximum``."""
        if call.op.name in ("max", "min"):
            if self.is_tensor(call.params["dim"]) and call.params.get("other") is None:
                call.params["other"] = call.params.pop("dim")
            if call.params.get("other") is not None:
                return self.op_maximum(call, fx_node)
        t, dims = self.tensor(call.input, call.where)
        axes = arguments.reduced_axes(call, dims)
        groups, out = shapes.reduce_groups(dims, axes, bool(call.take("keepdim")))
        lower = call.op.name in ("min", "amin")
        index = layers.add_maxima(self, t.index, math.prod(dims), groups, fx_node.name, lower)
        values = self.new(index, out)
        return MaxResult(values) if call.op.name in ("max", "min") else values

    def op_pool(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        """``nn.MaxPool1d`` and ``F.max_pool1d`` over the last axis."""
        t, dims = self.tensor(call.input, call.where)
        kernel, stride, dilation = arguments.pool_args(call)
        groups, out = shapes.pool_groups(dims, kernel, stride, dilation, call.where)
        name = torchops.node_name(fx_node)
        index = layers.add_maxima(self, t.index, math.prod(dims), groups, name, False)
        return self.new(index, out)

    def op_sum(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        """``sum`` over feature axes: an Affine adding each output's group of features."""
        t, dims = self.tensor(call.input, call.where)
        axes = arguments.reduced_axes(call, dims)
        groups, out = shapes.reduce_groups(dims, axes, bool(call.take("keepdim")))
        W = np.zeros((len(groups), math.prod(dims)))
        np.put_along_axis(W, groups, 1.0, axis=1)
        node = Affine(t.index, W, np.zeros(len(groups)), fx_node.name)
        return self.new(self.add(node, len(groups)), out)

    # ------------------------------------------------------------------ layers
    def linear(
        self, x: torch.fx.Node, W: np.ndarray, b: np.ndarray | None, where: str, name: str
    ) -> Traced:
        """``x @ W.T + b`` on the last axis of ``x``, block by block, as torch's Linear."""
        t, dims = self.tensor(x, where)
        if not dims or dims[-1] != W.shape[1]:
            got = dims[-1] if dims else f"a {shapes.describe(dims)} tensor"
            raise InvalidModelError(
                f"{where} expects {W.shape[1]} input features but receives {got}"
            )
        blocks = math.prod(dims[:-1])  # a Linear acts on the last axis, block by block
        W_all = np.kron(np.eye(blocks), W) if blocks > 1 else W
        b_all = np.tile(np.zeros(W.shape[0]) if b is None else b, blocks)
        node = Affine(t.index, W_all, b_all, name)
        return self.new(self.add(node, len(b_all)), (*dims[:-1], W.shape[0]))

    # ------------------------------------------------------------------ softmax
    def op_softmax(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
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
    def op_shape(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
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

    def op_cat(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        tensors = [self.tensor(x, call.where) for x in call.take("tensors")]
        dims = shapes.concat([d for _, d in tensors], call.take("dim"), call.where)
        node = Concat(tuple(t.index for t, _ in tensors), fx_node.name)
        return self.new(self.add(node, math.prod(dims)), dims)


def _read_by(
    nodes: list[Node | None], widths: list[int], output: int
) -> tuple[tuple[Node | None, ...], tuple[int, ...], int]:
    """The input and the nodes ``output`` depends on, renumbered in order (activation layers
    too), with their widths and the output's new index: a result the model computes but never
    uses (torch.fx records it) must draw no region boundary."""
    live = {0, output}
    for i in range(output, 0, -1):
        if i in live:
            live.update(sources(nodes[i]))
    if len(live) == len(nodes):  # the usual case: every node is read
        return tuple(nodes), tuple(widths), output
    kept = sorted(live)
    index = {old: new for new, old in enumerate(kept)}
    out: list[Node | None] = [None]
    layer = 0
    for old in kept[1:]:
        node = nodes[old]
        if isinstance(node, Activation):
            layer += 1
            node = replace(node, src=index[node.src], layer=layer)
        elif isinstance(node, (Sum, Concat)):
            node = replace(node, srcs=tuple(index[j] for j in node.srcs))
        else:
            node = replace(node, src=index[node.src])
        out.append(node)
    return tuple(out), tuple(widths[i] for i in kept), index[output]


def max_field(result: MaxResult, key: Any, where: str) -> Traced:
    """``.values`` / ``[0]`` of ``max(x, dim)``; the indices are refused."""
    if key in (0, "values"):
        return result.values
    if key in (1, "indices"):
        raise UnsupportedModelError(
            f"{where}: the indices of a max are integers, not a piecewise-linear function of "
            "the input; regions supports the values only"
        )
    raise UnsupportedModelError(f"{where}: unsupported field {key!r} of a max over a dim")
