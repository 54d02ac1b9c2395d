"""Tracing a ``torch.export`` program into a :class:`regions.Network`, from its ATen graph.

``torch.export.export(model, (x,))`` captures a model as a graph of ATen operations even when
``torch.fx`` cannot trace it (data-dependent Python control flow is resolved at export time).
:func:`trace_program` walks that graph once with the lowering :mod:`regions.tracing` uses
(:mod:`regions.walk`): each ATen call is bound to its schema's arguments (the table is
:mod:`regions.atenops`), applied or refused by name. Parameters, buffers and constants come
from the program's ``state_dict`` and ``constants``; operations on them alone (``permute`` of
a weight, ``num_batches_tracked += 1``) are evaluated with torch on copies. Every traced result
is checked against the shape the program recorded for it, so an operation regions reads
differently from torch is refused.
Programs from ``ExportedProgram.run_decompositions()`` (core ATen: ``addmm``, ``permute``,
``_native_batch_norm_legit_no_training``, ...) are accepted as well, with two of its
multi-node forms: a Linear on a (batch, C, L) tensor as ``view(batch * C, L)``, ``addmm`` and a
view back (:class:`_Rows`), and PReLU as ``where(x > 0, x, x * w)`` (:class:`_Positive`).
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.fx
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind

from . import arguments, layers, shapes, torchops
from .atenops import ATEN_OPS, BATCHNORM, aten_op
from .errors import (
    InvalidModelError,
    NotPiecewiseLinearError,
    UnsupportedModelError,
)
from .network import Affine, Network
from .trace_check import check_forward
from .walk import MaxResult, Traced, Walker, max_field

__all__ = ["trace_program", "ATEN_OPS"]


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


@dataclass(frozen=True)
class _Rows(Traced):
    """A view whose first axis merges the batch axis with the first feature axis: torch's
    (batch * dims[0], *dims[1:]) tensor, each example's entries its own dims[0] rows (a view
    keeps the row-major order). Core ATen applies a Linear to a (batch, C, L) tensor as
    ``view(batch * C, L)``, ``addmm`` and a view back; nothing else may read one."""


@dataclass(frozen=True)
class _BatchTimes:
    """The batch size times ``k`` (at least 2), as a view's first size: see :class:`_Rows`."""

    k: int


@dataclass(frozen=True)
class _Positive:
    """``x > 0`` of a traced tensor: a step, read only by ``where(x > 0, x, x * w)``, which is
    PReLU (its core ATen form)."""

    of: Traced


def _merged(name: str, rows: _Rows) -> str:
    shape = ", ".join([f"batch * {rows.dims[0]}", *map(str, rows.dims[1:])])
    return (
        f"'{name}', a view that merges the batch axis into rows ({shape}); regions reads one "
        "only in a matrix product on its last axis (a Linear) and a view back to (batch, ...)"
    )


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
                if isinstance(self.values[result], _Rows):
                    raise UnsupportedModelError(
                        f"the exported program returns {_merged(result.name, self.values[result])}"
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
        op = self.op_of(target, name, where)
        self.guard(op, args, kwargs, where)
        self.apply(torchops.Call.bind(op, args, kwargs, where), node)
        result, val = self.values[node], node.meta.get("val")
        if isinstance(result, Traced) and isinstance(val, torch.Tensor):
            shape = tuple(val.shape)
            rows, dims = (
                (result.dims[0], result.dims[1:]) if isinstance(result, _Rows) else (1, result.dims)
            )
            if shape[1:] != dims or not self.is_batch(shape[0], rows):
                raise UnsupportedModelError(
                    f"{where}: the program's result has shape {shape}, but regions reads a "
                    f"{shapes.describe(result.dims)} tensor; regions supports operations that "
                    "act on each example separately (export with a batch of at least 2)"
                )

    def guard(self, op: torchops.Op, args: tuple, kwargs: dict, where: str) -> None:
        """Refuse an operation on a comparison or on merged rows but the ones that read them."""
        for arg in arguments.leaves((args, kwargs)):
            value = self.values.get(arg) if isinstance(arg, torch.fx.Node) else None
            if isinstance(value, _Positive) and op.kind != "where":
                raise UnsupportedModelError(
                    f"{where}: its input '{arg.name}' is a comparison (x > 0), a step; regions "
                    "reads one only in where(x > 0, x, x * w), PReLU's core ATen form"
                )
            if isinstance(value, _Rows) and op.kind != "matmul" and op.name != "view":
                raise UnsupportedModelError(f"{where}: its input is {_merged(arg.name, value)}")

    def resolve(self, node: torch.fx.Node) -> Any:
        """A graph node as an argument: itself when it holds traced values, else its value."""
        value = self.values[node]
        traced = isinstance(value, (Traced, MaxResult, _Positive)) or (
            isinstance(value, tuple) and any(isinstance(v, Traced) for v in value)
        )
        return node if traced else value

    def evaluate(self, target: Any, args: tuple, kwargs: dict, where: str) -> Any:
        """An operation on constants alone (a weight's transpose), run by torch; where it
        rounds in a precision below float64, :attr:`rounds` notes it. The batch size times a
        number is the first size of a view merging rows (:class:`_Rows`)."""
        batch = [a for a in args if a is shapes.BATCH or isinstance(a, _BatchTimes)]
        if target is operator.mul and len(args) == 2 and len(batch) == 1 and not kwargs:
            k = args[1] if args[0] is batch[0] else args[0]
            if isinstance(k, int) and not isinstance(k, bool) and k > 1:
                return _BatchTimes(k * (1 if batch[0] is shapes.BATCH else batch[0].k))
        leaves = arguments.leaves((args, kwargs))
        if any(a is shapes.BATCH or isinstance(a, _BatchTimes) for a in leaves):
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
        return aten_op(name, where, self.prev_name)

    def is_batch(self, size: Any, rows: int = 1) -> bool:
        """Whether ``size`` is the batch size (times ``rows``)."""
        return (size is shapes.BATCH and rows == 1) or str(size) == str(self.batch * rows)

    def rows(self, size: Any) -> int | None:
        """k where a view's first size is k >= 2 times the batch size (:class:`_Rows`)."""
        if isinstance(size, _BatchTimes):
            return size.k
        if isinstance(size, int) and isinstance(self.batch, int) and size > self.batch:
            return size // self.batch if size % self.batch == 0 else None
        return None

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
        """Views: a leading size equal to the example batch size is the batch axis, k times it
        merges it into rows (:class:`_Rows`). Squeezing the batch axis of a fixed batch of 2
        or more changes nothing."""
        shape, dim = call.params.get("shape"), call.params.get("dim")
        t, dims = self.tensor(call.input, call.where)
        rows = self.rows(shape[0]) if call.op.name == "view" and shape else None
        if rows:
            call.take("shape")
            new = shapes.reshape(dims, [shapes.BATCH, rows, *shape[1:]], call.where)
            return _Rows(t.index, new, t.group)
        if call.op.name == "view" and shape and self.is_batch(shape[0]):
            call.params["shape"] = [shapes.BATCH, *shape[1:]]
        fixed = isinstance(self.batch, int) and self.batch > 1
        if call.op.name == "squeeze" and dim is not None and fixed:
            listed = dim if isinstance(dim, (tuple, list)) else [dim]
            call.params["dim"] = [d for d in listed if d not in (0, -len(dims) - 1)]
        out = super().op_shape(call, fx_node)
        return Traced(out.index, out.dims, out.group)  # not _Rows: a view back to the batch

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
        if call.op.kind == "add":
            a, b, sign = arguments.summands(call)
        else:
            a, b, sign = call.input, call.params.get("other"), 1.0
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
        if call.op.kind == "add":
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
        if self.is_tensor(b):
            raise UnsupportedModelError(
                f"{where}: adding a traced tensor as the bias is not supported; write h + x @ W"
            )
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
        out = self.linear(x, W, b, where, fx_node.name)
        return _Rows(out.index, out.dims, out.group) if isinstance(self.values[x], _Rows) else out

    def op_compare(self, call: torchops.Call, fx_node: torch.fx.Node) -> _Positive:
        """``x > 0``, for :meth:`op_where`; a comparison is a step, refused anywhere else."""
        t, _ = self.tensor(call.input, call.where)
        other = call.take("other")
        if not isinstance(other, numbers.Real) or other != 0:
            raise UnsupportedModelError(
                f"{call.where} after '{self.prev_name}': a comparison is discontinuous; regions "
                "reads only x > 0, in where(x > 0, x, x * w) (PReLU's core ATen form)"
            )
        return _Positive(t)

    def op_where(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        """``where(x > 0, x, y)`` with ``y = s * x`` elementwise: PReLU with slopes s."""
        cond, x, y = call.take("condition"), call.input, call.take("other")
        cond = self.values.get(cond) if isinstance(cond, torch.fx.Node) else None
        positive = isinstance(cond, _Positive) and self.is_tensor(x) and self.values[x] == cond.of
        if positive and self.is_tensor(y) and self.values[y].dims == cond.of.dims:
            t, scaled = cond.of, self.nodes[self.values[y].index]
            n = math.prod(t.dims)
            if (
                isinstance(scaled, Affine)
                and scaled.src == t.index
                and scaled.W.shape == (n, n)
                and np.array_equal(scaled.W, np.diag(np.diag(scaled.W)))
                and not scaled.b.any()
            ):
                spec = layers.prelu(np.diag(scaled.W).copy())
                return self.new(layers.add_activation(self, t.index, spec, fx_node.name), t.dims)
        raise UnsupportedModelError(
            f"{call.where} after '{self.prev_name}': regions reads where only as "
            "where(x > 0, x, x * w), PReLU's core ATen form; any other selection is a step"
        )

    def op_batchnorm(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """BatchNorm in eval semantics (running statistics), folded into an Affine."""
        if call.params.get("training"):
            self.eval_semantics(f"{call.where} in the exported program", _EXPORT_EVAL)
        call.used.update({"training", "momentum", "cudnn_enabled"})
        t, dims = self.tensor(call.input, call.where)
        stats = [call.take(k) for k in BATCHNORM.split()[1:]]
        n = dims[0] if stats[2] is None else len(stats[2])
        channel = shapes.channels(dims, n, "features", call.where)
        W, b = layers.batchnorm(*stats[2:], *stats[:2], call.take("eps"), channel, call.where)
        out = self.new(self.add(Affine(t.index, W, b, fx_node.name), len(b)), dims)
        returns = len(fx_node.target._schema.returns)
        return out if returns == 1 else (out, *[None] * (returns - 1))
