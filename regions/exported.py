"""Tracing a ``torch.export`` program into a :class:`regions.Network`, from its ATen graph.

``torch.export.export(model, (x,))`` captures a model as a graph of ATen operations even when
``torch.fx`` cannot trace it (data-dependent Python control flow is resolved at export time).
:func:`trace_program` walks that graph once with the lowering :mod:`regions.tracing` uses
(:mod:`regions.walk`): each ATen call is bound to its schema's arguments, applied or refused
by name. Parameters, buffers and constants come from the program's ``state_dict`` and
``constants``; operations on them alone (``permute`` of a weight, ``num_batches_tracked += 1``)
are evaluated with torch on copies. Every traced result is checked against the shape the
program recorded for it, so an operation regions reads differently from torch is refused.
Programs from ``ExportedProgram.run_decompositions()`` (core ATen: ``addmm``, ``permute``,
``_native_batch_norm_legit_no_training``, ...) are accepted as well.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.fx
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind

from . import arguments, layers, shapes, torchops
from .errors import (
    InvalidModelError,
    NotPiecewiseLinearError,
    UnsupportedModelError,
)
from .network import Affine, Network
from .trace_check import check_forward
from .walk import MaxResult, Traced, Walker, max_field

__all__ = ["trace_program", "ATEN_OPS"]


def _op(name: str, kind: str, params: str, **defaults: Any) -> torchops.Op:
    return torchops.Op(name, kind, tuple(params.split()), defaults)


_BATCHNORM = "input weight bias running_mean running_var"
# ATen's max_pool1d and max_pool2d_with_indices take the same arguments.
_POOL = "input kernel_size stride padding dilation ceil_mode"
_POOL_DEFAULTS = {
    "stride": (),
    "padding": 0,
    "dilation": 1,
    "ceil_mode": False,
    "return_indices": False,
}
_TABLE: list[tuple[str, torchops.Op]] = [
    ("relu", _op("relu", "activation", "input")),
    ("abs absolute", _op("abs", "activation", "input")),
    ("leaky_relu", _op("leaky_relu", "activation", "input negative_slope", negative_slope=0.01)),
    ("hardtanh", _op("hardtanh", "activation", "input min_val max_val", min_val=-1, max_val=1)),
    ("relu6", _op("relu6", "activation", "input")),
    ("clamp clip", _op("clamp", "activation", "input min max", min=None, max=None)),
    ("clamp_min", _op("clamp", "activation", "input min", max=None)),
    ("clamp_max", _op("clamp", "activation", "input max", min=None)),
    ("prelu _prelu_kernel", _op("prelu", "activation", "input weight")),
    ("add", _op("add", "add", "input other", alpha=1)),
    ("sub subtract", _op("sub", "add", "input other", alpha=1)),
    ("rsub", _op("sub", "add", "other input", alpha=1)),  # rsub(x, c) is c - x
    ("mul multiply", _op("mul", "scale", "input other")),
    ("div divide true_divide", _op("div", "scale", "input other", rounding_mode=None)),
    ("neg negative", _op("neg", "scale", "input")),
    ("maximum", _op("maximum", "maximum", "input other")),
    ("minimum", _op("minimum", "maximum", "input other")),
    ("max", _op("max", "reduce", "input dim keepdim", dim=None, keepdim=False)),
    ("min", _op("min", "reduce", "input dim keepdim", dim=None, keepdim=False)),
    ("amax", _op("amax", "reduce", "input dim keepdim", dim=(), keepdim=False)),
    ("amin", _op("amin", "reduce", "input dim keepdim", dim=(), keepdim=False)),
    ("max_pool1d", _op("max_pool1d", "pool", _POOL, **_POOL_DEFAULTS)),
    (
        "max_pool2d_with_indices",
        _op("max_pool2d", "pool2d", _POOL, **_POOL_DEFAULTS),
    ),
    ("view _unsafe_view reshape", _op("view", "shape", "input shape")),
    ("flatten", _op("flatten", "shape", "input start_dim end_dim", start_dim=0, end_dim=-1)),
    ("squeeze", _op("squeeze", "shape", "input dim", dim=None)),
    ("unsqueeze", _op("unsqueeze", "shape", "input dim")),
    ("unflatten", _op("unflatten", "shape", "input dim sizes")),
    ("permute", _op("permute", "permute", "input dims")),
    ("transpose swapaxes", _op("transpose", "permute", "input dim0 dim1")),
    ("t", _op("t", "permute", "input")),
    ("cat concat", _op("cat", "cat", "tensors dim", dim=0)),
    ("clone", _op("clone", "clone", "input", memory_format=None)),
    ("alias detach lift_fresh_copy positive", _op("identity", "identity", "input")),
    (
        "dropout feature_dropout alpha_dropout feature_alpha_dropout native_dropout",
        _op("dropout", "dropout", "input p train"),
    ),
    ("softmax log_softmax", _op("softmax", "softmax", "input dim dtype", dtype=None)),
    (
        "_softmax _log_softmax",
        _op("softmax", "softmax", "input dim half_to_float", half_to_float=False),
    ),
    ("linear", _op("linear", "matmul", "input weight bias", bias=None)),
    ("addmm", _op("addmm", "matmul", "bias input weight", beta=1, alpha=1)),
    ("mm matmul", _op("mm", "matmul", "input weight")),
    (
        "batch_norm",
        _op("batch_norm", "batchnorm", f"{_BATCHNORM} training momentum eps cudnn_enabled"),
    ),
    (
        "native_batch_norm _native_batch_norm_legit _native_batch_norm_legit_functional",
        _op("batch_norm", "batchnorm", f"{_BATCHNORM} training momentum eps"),
    ),
    (
        "_native_batch_norm_legit_no_training",
        _op("batch_norm", "batchnorm", f"{_BATCHNORM} momentum eps"),
    ),
    ("sym_size", _op("sym_size", "sym_size", "input dim")),
]
_ATEN: dict[str, torchops.Op] = {name: op for names, op in _TABLE for name in names.split()}
ATEN_OPS: tuple[str, ...] = tuple(sorted(_ATEN))
"""The ATen operations (overload packets) :func:`trace_program` lowers; in-place forms
(``relu_``, ``add_``, ...) of the elementwise ones too."""


def trace_program(
    program: ExportedProgram,
    *,
    n_inputs: int | None = None,
    warn: bool = True,
    check: bool = True,
) -> Network:
    """Trace a ``torch.export`` program into a float64 :class:`Network`.

    :func:`regions.trace` (so :func:`regions.decompose`, :func:`regions.count` and
    :func:`regions.decompose_line`) calls this for an ``ExportedProgram``.

    Parameters
    ----------
    program : torch.export.ExportedProgram
        From ``torch.export.export(model, (x,))`` (or ``torch.export.load``), with one input of
        shape (batch, n_inputs) and one output. Export a model in eval mode, with a batch of at
        least two examples (or a dynamic batch dimension).
    n_inputs : int, optional
        Checked against the program's input width, which the program records.
    warn : bool
        Emit :class:`EvalSemanticsWarning` for dropout or BatchNorm in training mode, which
        regions decomposes with eval semantics.
    check : bool
        Compare the network with the program's own module (``program.module()``) at a few
        inputs (:func:`regions.trace_check.check_forward`), unless some call in it runs in
        training mode, or it computes a constant (a weight from parameters) in a precision
        below float64, which the check's float64 run would compute otherwise.

    Returns
    -------
    Network
        The program as float64 nodes, the same nodes :func:`regions.trace` builds from the
        model through ``torch.fx``.

    Raises
    ------
    NotPiecewiseLinearError
        For tanh, sigmoid, a product of two tensors, or any other ATen operation that is not
        piecewise linear, naming it and the node it follows.
    UnsupportedModelError
        For several inputs or outputs, and an ATen operation, argument or shape that regions
        does not interpret (the message says which); the supported ones are :data:`ATEN_OPS`.
    InvalidModelError
        For NaN/Inf parameters, a BatchNorm that divides by zero or a width that differs
        from ``n_inputs``.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    ... ).eval()
    >>> program = torch.export.export(model, (torch.zeros(4, 2),))
    >>> net = regions.trace(program)
    >>> [type(node).__name__ for node in net.nodes]
    ['NoneType', 'Affine', 'Activation', 'Affine']
    >>> net.n_inputs, net.n_outputs
    (2, 3)
    >>> net = regions.trace(program.run_decompositions())  # core ATen: addmm, permute, ...
    >>> net.widths
    (2, 8, 8, 3)
    """
    if not isinstance(program, ExportedProgram):
        raise UnsupportedModelError(
            f"program must be a torch.export.ExportedProgram, got {type(program).__name__}"
        )
    walker = _AtenWalker(program, n_inputs, warn)
    net = walker.build()
    if check and not walker.trains and not walker.rounds:
        try:  # torch may fail to unlift a program (one that writes into its input)
            module = program.module()
        except Exception:  # then there is nothing to run: left unchecked
            return net
        static = walker.batch if isinstance(walker.batch, int) else None
        check_forward(module, net, static, walker.features, exported=True)
    return net


def _mutates(target: Any) -> bool:
    return isinstance(target, torch._ops.OpOverload) and target._schema.is_mutable


def _below_float64(value: Any) -> bool:
    return (
        isinstance(value, torch.Tensor)
        and value.is_floating_point()
        and (value.dtype != torch.float64)
    )


def _same_in_float64(target: Any, args: tuple, kwargs: dict, result: torch.Tensor) -> bool:
    """Whether ``target`` gives ``result`` again on float64 copies of its floating tensors:
    whether it rounded nothing (a transpose, a view, a cast back)."""

    def widened(a: Any) -> Any:
        floating = isinstance(a, torch.Tensor) and a.is_floating_point()
        return a.to(torch.float64, copy=True) if floating else a

    wide_args, wide_kwargs = torch.fx.node.map_aggregate((args, kwargs), widened)
    try:
        again = target(*wide_args, **wide_kwargs)
    except Exception:  # it cannot run in float64: say it rounds (the check is skipped)
        return False
    return isinstance(again, torch.Tensor) and torch.equal(again, result.to(again.dtype))


_EXPORT_EVAL = "Export model.eval() to silence this warning."


class _AtenWalker(Walker):
    """Walks an exported program's graph once, mapping ATen calls to :class:`Network` nodes."""

    def __init__(self, program: ExportedProgram, n_inputs: int | None, warn: bool) -> None:
        super().__init__(n_inputs, warn)
        self.program = program
        self.batch: Any = None  # the example batch size: an int, or a SymInt when dynamic
        self.features: tuple[int, ...] = ()  # the input's shape after the batch axis
        self.rounds = False  # some constant is computed in a precision below float64

    # ------------------------------------------------------------------ the walk
    def build(self) -> Network:
        sig = self.program.graph_signature
        n_user = sum(s.kind == InputKind.USER_INPUT for s in sig.input_specs)
        if n_user != 1:
            raise UnsupportedModelError(
                f"the exported program takes {n_user} inputs; regions needs exactly one"
            )
        outs = [i for i, s in enumerate(sig.output_specs) if s.kind == OutputKind.USER_OUTPUT]
        if len(outs) != 1:
            raise UnsupportedModelError(
                f"the exported program returns {len(outs)} outputs; regions needs a single tensor"
            )
        specs = {s.arg.name: s for s in sig.input_specs if hasattr(s.arg, "name")}
        output: int | None = None
        for node in self.program.graph.nodes:
            if node.op == "placeholder":
                self.placeholder(node, specs[node.name])
            elif node.op == "output":
                result = node.args[0][outs[0]]
                if not self.is_tensor(result):
                    raise UnsupportedModelError(
                        "the exported program must return a single tensor computed from its input"
                    )
                output = self.values[result].index
            elif node.op == "call_function":
                if node.users or _mutates(node.target):  # skip dead code (an unused max index)
                    self.visit(node)
            else:
                raise UnsupportedModelError(
                    f"node '{node.name}' ({node.op}) is not supported in an exported program"
                )
        assert output is not None
        return self.network(output)

    def placeholder(self, node: torch.fx.Node, spec: Any) -> None:
        """The input (its shape recorded by the program) or a parameter, buffer or constant."""
        if spec.kind == InputKind.USER_INPUT:
            shape = tuple(node.meta["val"].shape)
            if len(shape) < 2 or not all(isinstance(d, int) for d in shape[1:]):
                raise UnsupportedModelError(
                    f"the exported program's input '{node.name}' has shape {shape}; regions "
                    "needs (batch, n_inputs) with a fixed number of features"
                )
            n = math.prod(shape[1:])
            if self.widths[0] is not None and self.widths[0] != n:
                raise UnsupportedModelError(
                    f"n_inputs={self.widths[0]}, but the exported program's input has {n} features"
                )
            self.batch, self.features, self.widths[0] = shape[0], shape[1:], n
            self.set(node, Traced(0, shape[1:], 0))
            return
        kinds = (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR)
        stored = {**self.program.state_dict, **self.program.constants}
        if spec.kind not in kinds or spec.target not in stored:
            raise UnsupportedModelError(
                f"the exported program's input '{node.name}' ({spec.kind.name}) is not a "
                "parameter, buffer or constant tensor regions can read"
            )
        value = stored[spec.target]
        self.values[node] = value.detach().clone() if isinstance(value, torch.Tensor) else value

    def visit(self, node: torch.fx.Node) -> None:
        target = node.target
        if isinstance(target, torch._ops.OpOverload):
            name = target._overloadpacket.__name__
            where = f"aten.{name} (node '{node.name}')"
        else:
            name = getattr(target, "__name__", str(target))
            where = f"'{name}' (node '{node.name}')"
        args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), self.resolve)
        if not any(isinstance(a, torch.fx.Node) for a in arguments.leaves((args, kwargs))):
            self.values[node] = self.evaluate(target, args, kwargs, where)
            return
        call = torchops.Call.bind(self.op_of(target, name, where), args, kwargs, where)
        self.apply(call, node)
        result, val = self.values[node], node.meta.get("val")
        if isinstance(result, Traced) and isinstance(val, torch.Tensor):
            shape = tuple(val.shape)
            if shape[1:] != result.dims or not self.is_batch(shape[0]):
                raise UnsupportedModelError(
                    f"{where}: the program's result has shape {shape}, but regions reads a "
                    f"{shapes.describe(result.dims)} tensor; regions supports operations that "
                    "act on each example separately (export with a batch of at least 2)"
                )

    def resolve(self, node: torch.fx.Node) -> Any:
        """A graph node as an argument: itself when it holds traced values, else its value."""
        value = self.values[node]
        traced = isinstance(value, (Traced, MaxResult)) or (
            isinstance(value, tuple) and any(isinstance(v, Traced) for v in value)
        )
        return node if traced else value

    def evaluate(self, target: Any, args: tuple, kwargs: dict, where: str) -> Any:
        """An operation on constants alone (a weight's transpose), run by torch; where it
        rounds in a precision below float64, :attr:`rounds` notes it."""
        if any(a is shapes.BATCH for a in arguments.leaves((args, kwargs))):
            raise UnsupportedModelError(
                f"{where}: using the batch size as a number is not supported"
            )
        with torch.no_grad():
            result = target(*args, **kwargs)
            if not self.rounds and _below_float64(result):
                self.rounds = not _same_in_float64(target, args, kwargs, result)
        return result

    def op_of(self, target: Any, name: str, where: str) -> torchops.Op:
        if not isinstance(target, torch._ops.OpOverload):
            return torchops.function_op(target, where, self.prev_name)  # getitem, arithmetic
        if name in _ATEN:
            return _ATEN[name]
        base = name[:-1] if name.endswith("_") else name
        in_place = ("activation", "add", "scale", "identity", "dropout")
        if base in _ATEN and _ATEN[base].kind in in_place:
            op = _ATEN[base]
            return torchops.Op(op.name, op.kind, op.params, op.defaults, inplace=True)
        torchops.refuse(base.lstrip("_").removeprefix("native_"), where, self.prev_name)

    def is_batch(self, size: Any) -> bool:
        return size is shapes.BATCH or str(size) == str(self.batch)

    # ------------------------------------------------------------------ handlers
    def op_getitem(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        obj, key = call.input, call.take("key")
        value = self.values[obj] if isinstance(obj, torch.fx.Node) else obj
        return max_field(value, key, call.where) if isinstance(value, MaxResult) else value[key]

    def op_sym_size(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        dims = self.tensor(call.input, call.where)[1]
        dim = call.take("dim")
        if dim in (0, -len(dims) - 1):
            return shapes.BATCH
        return dims[shapes.axis(dim, dims, call.where)]

    def op_dropout(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        if call.take("train") and arguments.number(call.take("p"), "p", call.where) > 0:
            self.eval_semantics(f"{call.where} in the exported program", _EXPORT_EVAL)
        call.take_all()
        t = self.tensor(call.input, call.where)[0]
        return (t, None) if len(fx_node.target._schema.returns) == 2 else t

    def op_shape(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        """Views; a leading size equal to the example batch size is the batch axis."""
        shape = call.params.get("shape")
        if call.op.name == "view" and shape and self.is_batch(shape[0]):
            call.params["shape"] = [shapes.BATCH, *shape[1:]]
        return super().op_shape(call, fx_node)

    def op_pool2d(self, call: torchops.Call, fx_node: torch.fx.Node) -> MaxResult:
        """2D max pooling with windows one row high: 1D pooling of the last axis (the core
        ATen form of ``MaxPool1d``)."""
        t, dims = self.tensor(call.input, call.where)
        for name in ("kernel_size", "stride", "padding", "dilation"):
            value = call.params[name]
            value = list(value) if isinstance(value, (tuple, list)) else [value, value]
            if len(value) == 2 and value[0] != (0 if name == "padding" else 1):
                raise UnsupportedModelError(
                    f"{call.where}: {name}={value} pools across rows; regions supports max "
                    "pooling over the last axis only"
                )
            call.params[name] = value[-1:]
        kernel, stride, dilation = arguments.pool_args(call)
        rows = math.prod(dims[:-1])
        groups, out = shapes.pool_groups((rows, dims[-1]), kernel, stride, dilation, call.where)
        index = layers.add_maxima(self, t.index, math.prod(dims), groups, fx_node.name, False)
        return MaxResult(self.new(index, (*dims[:-1], out[-1])))

    def op_permute(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        """permute, transpose, t of feature axes: a permutation of the features."""
        t, dims = self.tensor(call.input, call.where)
        ndim, perm = len(dims) + 1, list(range(len(dims) + 1))
        if call.op.name == "permute":  # of every axis, the batch axis first
            perm = [int(d) % ndim for d in call.take("dims")]
        elif call.op.name == "transpose":
            i, j = (shapes.axis(call.take(k), dims, call.where) + 1 for k in ("dim0", "dim1"))
            perm[i], perm[j] = j, i
        elif ndim == 2:
            perm = [-1]
        if sorted(perm) != list(range(ndim)) or perm[0] != 0:
            raise UnsupportedModelError(
                f"{call.where}: it moves the batch axis of a {shapes.describe(dims)} tensor; "
                "regions supports permutations of the feature axes"
            )
        axes = [p - 1 for p in perm[1:]]
        n = math.prod(dims)
        order = np.arange(n).reshape(dims).transpose(axes).ravel()
        node = Affine(t.index, np.eye(n)[order], np.zeros(n), fx_node.name)
        out = self.new(self.add(node, n), tuple(dims[a] for a in axes))
        self.permuted |= {t.group, out.group}  # a view in torch, reordered: see Walker.mutate
        return out

    def op_scale(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """``x * c``, ``c * x``, ``x / c`` for a number or a constant tensor ``c``."""
        return self.by_constant(call, fx_node) or super().op_scale(call, fx_node)

    def op_add(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """``x + alpha c``, ``c + alpha x`` (minus for sub) for a constant tensor ``c`` too."""
        return self.by_constant(call, fx_node) or super().op_add(call, fx_node)

    def by_constant(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced | None:
        """Arithmetic with a constant tensor: a diagonal Affine, or None for the walker."""
        a, b = call.input, call.params.get("other")
        if not (isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor)):
            return None
        x, c = (b, a) if isinstance(a, torch.Tensor) else (a, b)
        if not self.is_tensor(x):
            return None
        t, dims = self.tensor(x, call.where)
        full = (1, *dims)
        try:
            fits = torch.broadcast_shapes(c.shape, full) == full
        except RuntimeError:
            fits = False
        if not fits:
            raise UnsupportedModelError(
                f"{call.where}: a constant of shape {tuple(c.shape)} does not broadcast over "
                f"the features of a {shapes.describe(dims)} tensor"
            )
        v = np.broadcast_to(layers.to_numpy(c, call.where), full).ravel()
        n, name = v.size, call.op.name
        call.take("other")
        if name in ("add", "sub"):
            sign = -1.0 if name == "sub" else 1.0
            alpha = arguments.number(call.take("alpha"), "alpha", call.where)
            gain, shift = (1.0, sign * alpha * v) if x is a else (sign * alpha, v)
            W = gain * np.eye(n)
        elif name == "mul":
            W, shift = np.diag(v), np.zeros(n)
        elif x is a:  # x / c
            arguments.scale_factor(call, 1.0)  # refuses a rounding_mode
            if not np.all(v):
                raise InvalidModelError(
                    f"{call.where} divides by zero: some outputs would be infinite or NaN"
                )
            W, shift = np.diag(1.0 / v), np.zeros(n)
        else:
            raise NotPiecewiseLinearError(
                f"{call.where} after '{self.prev_name}': dividing by a tensor is not piecewise "
                "linear; regions supports scaling by numbers"
            )
        return self.new(self.add(Affine(t.index, W, shift, fx_node.name), n), dims)

    def op_matmul(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        """linear, addmm, mm, matmul of a traced tensor by a constant matrix (on the right)."""
        x, w, where = call.input, call.take("weight"), call.where
        if not self.is_tensor(x) or self.is_tensor(w):
            raise (
                NotPiecewiseLinearError(
                    f"{where} after '{self.prev_name}': multiplying two tensors is not "
                    "piecewise linear"
                )
                if self.is_tensor(x)
                else UnsupportedModelError(
                    f"{where}: a constant times the input (on the left) mixes examples; "
                    "regions supports x @ W"
                )
            )
        if w.dim() != 2:
            raise UnsupportedModelError(f"{where}: the weight has shape {tuple(w.shape)}, not 2-D")
        W = layers.to_numpy(w if call.op.name == "linear" else w.T, f"{where} weight")
        b = call.params.get("bias")
        b = None if b is None else layers.to_numpy(b, f"{where} bias")
        if call.op.name == "addmm":
            alpha = arguments.number(call.take("alpha"), "alpha", where)
            beta = arguments.number(call.take("beta"), "beta", where)
            W, b = alpha * W, beta * b
        if b is not None:
            call.take("bias")
            if not (b.ndim < 2 or b.shape[0] == 1) or b.size not in (1, W.shape[0]):
                raise UnsupportedModelError(
                    f"{where}: a bias of shape {b.shape} does not broadcast over the features"
                )
            b = np.broadcast_to(b.ravel(), W.shape[:1])
        return self.linear(x, W, b, where, fx_node.name)

    def op_batchnorm(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """BatchNorm in eval semantics (running statistics), folded into an Affine."""
        if call.params.get("training"):
            self.eval_semantics(f"{call.where} in the exported program", _EXPORT_EVAL)
        call.used.update({"training", "momentum", "cudnn_enabled"})
        t, dims = self.tensor(call.input, call.where)
        stats = [call.take(k) for k in _BATCHNORM.split()[1:]]
        n = dims[0] if stats[2] is None else len(stats[2])
        channel = shapes.channels(dims, n, "features", call.where)
        W, b = layers.batchnorm(*stats[2:], *stats[:2], call.take("eps"), channel, call.where)
        out = self.new(self.add(Affine(t.index, W, b, fx_node.name), len(b)), dims)
        returns = len(fx_node.target._schema.returns)
        return out if returns == 1 else (out, *[None] * (returns - 1))
