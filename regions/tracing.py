"""Tracing a torch model into a :class:`regions.Network`, argument by argument.

:func:`trace` runs ``torch.fx`` and walks its graph once. Every call is bound to its torch
signature (:mod:`regions.torchops`) and every argument is either applied or refused by name:
nothing is silently read as its default. Tensor shapes are followed (:mod:`regions.shapes`),
so views and reshapes that keep the batch axis are exact relabellings. In-place operations
(``relu_``, ``F.relu(inplace=True)``, ``nn.ReLU(inplace=True)``, ``add_``, ...) update every
tensor that shares the mutated storage (its views), as torch does. The lowering itself is
shared with the ``torch.export`` tracer (:mod:`regions.walk`); :func:`trace` hands an
``ExportedProgram`` to :mod:`regions.exported`.
"""

from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
import torch.fx
from torch import nn
from torch.export import ExportedProgram

from . import arguments, layers, shapes, torchops
from .errors import (
    EvalSemanticsWarning,
    NotPiecewiseLinearError,
    UnsupportedModelError,
)
from .exported import trace_program
from .network import Activation, Affine, Network, Node
from .trace_check import check_forward
from .validate import all_finite, check_n_inputs
from .walk import MaxResult, Traced, Walker, max_field

__all__ = ["trace", "is_piecewise_linear"]


def is_piecewise_linear(model: nn.Module | ExportedProgram) -> bool:
    """Whether :func:`trace` (and so :func:`regions.decompose`) accepts ``model``.

    Parameters
    ----------
    model : torch.nn.Module or torch.export.ExportedProgram

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


def trace(
    model: nn.Module | ExportedProgram,
    *,
    n_inputs: int | None = None,
    warn: bool = True,
    check: bool = True,
) -> Network:
    """Trace a torch model into a float64 :class:`Network`.

    Parameters
    ----------
    model : torch.nn.Module or torch.export.ExportedProgram
        A ``torch.fx``-traceable model with one input of shape (batch, n_inputs), built from
        the operations listed in README's "Supported models"; or a model captured by
        ``torch.export.export`` (traced from its ATen graph by
        :func:`regions.exported.trace_program`), for models ``torch.fx`` cannot trace.
    n_inputs : int, optional
        Input width; by default the ``in_features`` of the Linear layer that reads the input.
    warn : bool
        Emit :class:`EvalSemanticsWarning` when the model is in training mode.
    check : bool
        Compare the traced network with the model's own forward pass at a few inputs
        (:func:`regions.trace_check.check_forward`; about 0.5 ms on a small net), unless the
        model is a plain ``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU`` (read without a
        graph) or some call in it runs in training mode, where the two differ on purpose.

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
    TraceMismatchError
        When the check finds the trace computing something else than the model: a bug in
        regions' tracing, to report.

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
    if isinstance(model, ExportedProgram):
        return trace_program(model, n_inputs=n_inputs, warn=warn, check=check)
    if not isinstance(model, nn.Module):
        raise UnsupportedModelError(
            "model must be a torch.nn.Module or a torch.export.ExportedProgram, got "
            f"{type(model).__name__}"
        )
    if type(model).__name__ == "OptimizedModule":  # (getattr of a missing name costs 2 us)
        wrapped = getattr(model, "_orig_mod", None)
        if isinstance(wrapped, nn.Module):
            model = wrapped  # torch.compile's wrapper computes what the module does
    if isinstance(model, torch.jit.ScriptModule):
        raise UnsupportedModelError(
            f"{type(model).__name__} is a TorchScript module, which torch.fx cannot trace: "
            "pass the nn.Module it was scripted or traced from, or torch.export.export(model, "
            "(x,))"
        )
    net = _linear_relu_chain(model, n_inputs)  # checks what _check_modules would, faster
    if net is not None:
        return net
    warn, parametrizations = _check_modules(model, warn)
    if not parametrizations:  # the usual case (a context costs 3 us)
        return _traced(model, n_inputs, warn, check)
    with _in_eval(parametrizations):
        return _traced(model, n_inputs, warn, check)


def _traced(model: nn.Module, n_inputs: int | None, warn: bool, check: bool) -> Network:
    """:func:`trace` of a module, its hooks and modes checked."""
    if not any(True for _ in model.children()):
        model = nn.Sequential(model)  # fx would trace a bare leaf's internals (F.linear, ...)
    graph = _sequential_graph(model)
    if graph is None:
        try:
            graph = _Tracer().trace(model)
        except Exception as exc:  # fx raises many types; all mean "cannot trace"
            raise UnsupportedModelError(
                f"torch.fx could not trace {type(model).__name__}: {exc}. regions needs a "
                "model without data-dependent control flow."
            ) from exc
    builder = _Builder(graph, dict(model.named_modules()), n_inputs, warn)
    net = builder.build()
    if check and not builder.trains:
        check_forward(model, net)
    return net


def _check_modules(model: nn.Module, warn: bool) -> tuple[bool, list[nn.Module]]:
    """Warn if a module that training changes is in training mode (returns whether a warning
    is still to give), refuse a model with forward hooks or pre-hooks, which torch.fx does
    not run (a hook may change what a module computes: ``torch.nn.utils.prune`` sets the
    weight in one), and list the parametrizations in training mode (see :func:`_in_eval`)."""
    hooks = nn.modules.module
    if hooks._global_forward_hooks or hooks._global_forward_pre_hooks:
        raise UnsupportedModelError(f"global forward hooks are registered{_HOOKS}")
    parametrizations = []
    for name, m in model.named_modules():
        if m._forward_hooks or m._forward_pre_hooks:
            raise UnsupportedModelError(
                f"{_described(name, m)} has forward hooks or pre-hooks{_HOOKS}"
            )
        # parametrize.is_parametrized, without its getattr of a missing attribute (an error
        # made and caught for every module)
        if isinstance(held := m._modules.get("parametrizations"), nn.ModuleDict):
            parametrizations += [p for ps in held.values() for p in ps if p.training]
        if warn and m.training and isinstance(m, _TRAINING_CHANGES):
            _warn_eval(
                f"{_described(name, m)} is in training mode; regions decomposes it with eval "
                "semantics (dropout off, BatchNorm running statistics)."
            )
            warn = False
    # A parametrization with state (spectral_norm's power iteration) updates it whenever its
    # weight is read in training mode.
    if warn and any(True for p in parametrizations for _ in p.buffers()):
        _warn_eval(
            "a parametrization with state (as spectral_norm's power iteration) is in training "
            "mode; regions reads its weight with eval semantics (no update)."
        )
        warn = False
    return warn, parametrizations


def _warn_eval(what: str) -> None:
    """An :class:`EvalSemanticsWarning` for the caller of :func:`trace`."""
    warnings.warn(
        f"{what} Call model.eval() to silence this warning.",
        EvalSemanticsWarning,
        stacklevel=4,  # the caller of regions.trace
    )


@contextmanager
def _in_eval(modules: list[nn.Module]) -> Iterator[None]:
    """``modules`` in eval mode while a model is traced and checked, then back:
    parametrizations are read with eval semantics, as dropout and BatchNorm, and spectral_norm
    in training mode would update the model's power-iteration vectors each time its weight is
    read."""
    for m in modules:
        m.train(False)
    try:
        yield
    finally:
        for m in modules:
            m.train(True)


def _described(name: str, module: nn.Module) -> str:
    """A module as messages name it: its type, and its path unless it is the model."""
    return f"{type(module).__name__} module '{name}'" if name else type(module).__name__


_TRAINING_CHANGES = (nn.Dropout, nn.BatchNorm1d, nn.AlphaDropout, nn.FeatureAlphaDropout)
"""Modules whose training mode changes what they compute."""

_HOOKS = (
    ", which torch.fx does not run, and they may change what the model computes "
    "(torch.nn.utils.prune sets the weights in one): remove them (prune.remove makes pruning "
    "permanent), or trace torch.export.export(model, (x,)), which runs them"
)


_ON_NUMBERS = {operator.neg, operator.pos, operator.abs, operator.pow}
"""Python functions the fx graph may apply to numbers alone (besides ``math``'s), where no
handler reads them: run as they are (see ``_Builder.on_numbers``)."""


class _InPlaceProxy(torch.fx.Proxy):
    """A proxy that records ``x += y`` (and ``-=``, ``*=``, ``/=``) as the in-place operation
    it is on a tensor. fx's own proxies have no in-place operators, so Python rebinds ``x`` to
    ``x + y`` and an alias of ``x`` (``y = x`` before) would keep the old values."""

    def __getattr__(self, k: str) -> torch.fx.proxy.Attribute:
        return _InPlaceAttribute(self, k)


def _in_place(op: Callable[[Any, Any], Any]) -> Callable[[torch.fx.Proxy, Any], torch.fx.Proxy]:
    def method(self: torch.fx.Proxy, other: Any) -> torch.fx.Proxy:
        return self.tracer.create_proxy("call_function", op, (self, other), {})

    return method


class _InPlaceAttribute(torch.fx.proxy.Attribute):
    """An attribute of a proxy (``torch.max(x, 1).values``), with the in-place operators of
    :class:`_InPlaceProxy`: fx's own attributes have none, so ``v += 1`` would rebind ``v``."""

    def __getattr__(self, k: str) -> torch.fx.proxy.Attribute:
        return _InPlaceAttribute(self, k)


for _name in ("iadd", "isub", "imul", "itruediv"):
    for _cls in (_InPlaceProxy, _InPlaceAttribute):
        setattr(_cls, f"__{_name}__", _in_place(getattr(operator, _name)))


class _Tracer(torch.fx.Tracer):
    """``torch.fx.symbolic_trace``'s tracer, its proxies with in-place operators."""

    def proxy(self, node: torch.fx.Node) -> torch.fx.Proxy:
        return _InPlaceProxy(node, self)


def _linear_relu_chain(model: nn.Module, n_inputs: int | None) -> Network | None:
    """The network of a plain ``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU`` modules, or of
    one such module alone (most nets studied here), built as the walk builds it but without a
    graph or :func:`_check_modules`, which has nothing to say of such a model (55 us for
    2-16x3-1 against the walk's 0.34 ms). None for any other model, and where the checks or the
    walk would raise (they say why)."""
    calls = _chain_calls(model)
    if calls is None:
        return None
    nodes: list[Node | None] = [None]
    widths: list[int | None] = [n_inputs]
    params: list[np.ndarray] = []  # checked for NaN and Inf at once, at the end
    layer = 0
    for name, module in calls:
        width = widths[-1]
        if type(module) is nn.Linear:
            held = module._parameters  # (module.weight: Module.__getattr__, 0.8 us)
            if "weight" not in held or "bias" not in held:  # deleted, or a plain attribute
                return None
            W, bias = layers.as_float64(held["weight"]), held["bias"]
            b = layers.as_float64(bias) if bias is not None else np.zeros(len(W))
            if W.ndim != 2 or width not in (None, W.shape[1]) or b.shape != (len(W),) or not b.size:
                return None
            if width is None:  # the input's width, from the Linear that reads it
                widths[0] = W.shape[1]
            nodes.append(Affine(len(nodes) - 1, W, b, name))
            widths.append(len(b))
            params += (W, b)
        elif width is None:
            return None
        else:
            layer += 1
            nodes.append(Activation(len(nodes) - 1, *layers.relu(width), name, layer))
            widths.append(width)
    if widths[0] < 1 or not all_finite(params):  # the walk names the NaN's layer
        return None
    # Each node is read by the next: nothing for Walker.network to prune or renumber.
    return Network(
        nodes=tuple(nodes),
        widths=tuple(widths),
        output=len(nodes) - 1,
        n_inputs=widths[0],
        n_outputs=widths[-1],
        softmax=False,
    )


def _chain_calls(model: nn.Module) -> list[tuple[str, nn.Module]] | None:
    """The modules a plain chain calls (:func:`_calls`; a lone module is the child ``'0'`` of
    the ``Sequential`` :func:`_traced` wraps it in). None unless all are ``nn.Linear`` and
    ``nn.ReLU`` modules without submodules, no forward hook is registered and no ``forward``
    is replaced on an instance (the chain is read from the weights, never run: a replaced
    forward goes to the graph and the trace check): then :func:`_check_modules`, which walks
    ``named_modules``, would neither warn nor refuse."""
    hooks = nn.modules.module
    if hooks._global_forward_hooks or hooks._global_forward_pre_hooks:
        return None
    if type(model) is nn.Sequential:
        if _hooked(model):
            return None
        calls = _calls(model)
    else:
        calls = [("0", model)]
    for _, m in calls:
        if type(m) not in _CHAIN or m._modules or _hooked(m):
            return None
    return calls or None


def _hooked(module: nn.Module) -> bool:
    """Whether a module has forward hooks or pre-hooks, or a ``forward`` of its own."""
    return bool(module._forward_hooks or module._forward_pre_hooks or "forward" in vars(module))


_CHAIN = (nn.Linear, nn.ReLU)
"""The modules of a plain chain (exactly these types: a parametrized Linear is a subclass);
their training mode changes nothing, so hooks are all :func:`_check_modules` could find."""


def _sequential_graph(model: nn.Module) -> torch.fx.Graph | None:
    """The graph ``torch.fx.symbolic_trace`` records for a plain ``nn.Sequential`` of torch.nn
    leaf modules (one call per child, in order), built directly: a fast path that skips
    tracing Python code. None for any other model."""
    if type(model) is not nn.Sequential:
        return None
    children = _calls(model)
    leaf = _leaf_test()
    if not all(leaf(m, name) for name, m in children):
        return None
    return _chain(tuple(name for name, _ in children))


def _calls(model: nn.Sequential) -> list[tuple[str, nn.Module]]:
    """The modules a ``Sequential`` calls, in order, each named as fx names it: a module
    that appears twice (a shared ReLU, a tied layer) is called twice, under its first name
    (``named_children`` lists it once)."""
    first: dict[int, str] = {}
    return [(first.setdefault(id(m), name), m) for name, m in model._modules.items()]


@functools.cache
def _leaf_test() -> Callable[[nn.Module, str], bool]:
    """fx's own test of a leaf module (it reads nothing of the tracer's state): making a
    tracer costs a sixth of tracing a small net."""
    return torch.fx.Tracer().is_leaf_module


@functools.lru_cache(maxsize=256)
def _chain(names: tuple[str, ...]) -> torch.fx.Graph:
    """The graph of calls to the children ``names`` in order, made once per sequence of names
    (sweeps and training runs trace the same architecture many times); the walk only reads it."""
    graph = torch.fx.Graph()
    x = graph.placeholder("input")
    for name in names:
        x = graph.call_module(name, (x,))
    graph.output(x)
    return graph


class _Builder(Walker):
    """Walks an fx graph once, mapping fx nodes to :class:`Network` nodes."""

    def __init__(
        self,
        graph: torch.fx.Graph,
        modules: dict[str, nn.Module],
        n_inputs: int | None,
        warn: bool = True,
    ) -> None:
        super().__init__(n_inputs, warn)
        self.graph = graph
        self.modules = modules

    # ------------------------------------------------------------------ the walk
    def build(self) -> Network:
        placeholders = [n for n in self.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            raise UnsupportedModelError(
                f"model.forward takes {len(placeholders)} inputs; regions needs exactly one"
            )
        self.set(placeholders[0], Traced(0, None, 0))
        output: int | None = None
        for fx_node in self.graph.nodes:
            if fx_node.op == "output":
                if not self.is_tensor(fx_node.args[0]):
                    raise UnsupportedModelError("model must return a single tensor")
                output = self.values[fx_node.args[0]].index
            elif fx_node.op != "placeholder":
                self.visit(fx_node)
        assert output is not None
        return self.network(output)

    def visit(self, fx_node: torch.fx.Node) -> None:
        if fx_node.op == "get_attr":
            raise UnsupportedModelError(
                f"node '{fx_node.name}' reads the tensor attribute '{fx_node.target}' directly; "
                "regions supports parameters only inside supported modules, and numbers"
            )
        if fx_node.op == "call_module":
            mod = self.modules[fx_node.target]
            where = f"module '{fx_node.target}' ({type(mod).__name__})"
            if len(fx_node.args) != 1 or fx_node.kwargs:
                raise UnsupportedModelError(
                    f"{where} is called with other than its input alone, by position"
                )
            call = torchops.module_call(mod, fx_node.args[0], where, self.prev_name)
        else:
            name = getattr(fx_node.target, "__name__", str(fx_node.target))
            where = f"{fx_node.op} '{name}' (node '{fx_node.name}')"
            if self.on_numbers(fx_node):
                self.set(fx_node, self.number(fx_node, where))
                return
            op = torchops.function_op(fx_node.target, where, self.prev_name)
            call = torchops.Call.bind(op, fx_node.args, fx_node.kwargs, where)
        self.apply(call, fx_node)

    def on_numbers(self, fx_node: torch.fx.Node) -> bool:
        """Whether ``fx_node`` is Python's arithmetic on numbers alone, beyond what the
        handlers take (``-x.size(1)``, ``x.size(1) ** 2``, ``math.sqrt(x.size(1))``)."""
        if fx_node.op != "call_function" or not (
            fx_node.target in _ON_NUMBERS or getattr(fx_node.target, "__module__", "") == "math"
        ):
            return False
        return all(
            not isinstance(a, torch.fx.Node)
            or (a in self.values and not isinstance(self.values[a], (Traced, MaxResult)))
            for a in arguments.leaves((fx_node.args, fx_node.kwargs))
        )

    def number(self, fx_node: torch.fx.Node, where: str) -> Any:
        """The value of a call :meth:`on_numbers`."""
        args, kwargs = self.constant(fx_node.args), self.constant(dict(fx_node.kwargs))
        arguments.no_batch_size(arguments.leaves((args, kwargs)), where)
        return fx_node.target(*args, **kwargs)

    # ------------------------------------------------------------------ layers
    def infer_width(self, arg: torch.fx.Node, width: int) -> None:
        """The model's input width, from the first layer applied to the input."""
        if self.width_unknown(arg):
            self.widths[self.values[arg].index] = width

    def op_linear(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        mod, name = call.module, str(fx_node.target)
        W = layers.to_numpy(mod.weight, f"{name}.weight")
        b = layers.to_numpy(mod.bias, f"{name}.bias") if mod.bias is not None else None
        self.infer_width(call.input, W.shape[1])
        return self.linear(call.input, W, b, call.where, name)

    def op_batchnorm(self, call: torchops.Call, fx_node: torch.fx.Node) -> Traced:
        mod = call.module
        self.infer_width(call.input, mod.num_features)
        t, dims = self.tensor(call.input, call.where)
        channel = shapes.channels(dims, mod.num_features, "features", call.where)
        stats = (mod.running_mean, mod.running_var, mod.weight, mod.bias, mod.eps)
        W, b = layers.batchnorm(*stats, channel, call.where)
        return self.new(self.add(Affine(t.index, W, b, str(fx_node.target)), len(b)), dims)

    # ------------------------------------------------------------------ shape queries
    def op_size(self, call: torchops.Call, fx_node: torch.fx.Node) -> Any:
        """Shape queries: ``x.size()``, ``x.size(d)``, ``x.shape``, ``x.dim()``, ``x.ndim``,
        and the ``values`` of a max over a dim."""
        obj = self.values.get(call.input)
        if isinstance(obj, MaxResult):
            return max_field(obj, call.take("name"), call.where)
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
        if isinstance(obj, MaxResult):
            if key in (1, "indices") and not fx_node.users:
                return None  # ``v, _ = torch.max(h, 2)``: indices taken, never read
            return max_field(obj, key, call.where)
        if isinstance(obj, Traced):
            raise UnsupportedModelError(
                f"{call.where}: indexing a tensor is not supported; regions follows whole "
                "tensors (a Linear layer can select features)"
            )
        return self.constant(call.input)[key]
