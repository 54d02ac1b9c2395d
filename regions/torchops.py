"""The torch operations :func:`regions.trace` interprets, with their signatures.

Each supported function, method or module maps to an :class:`Op`: a canonical name, the tracer
handler that lowers it (``_Builder.op_<kind>`` in :mod:`regions.tracing`) and its torch
signature. A call is bound to that signature (:class:`Call`); handlers take the arguments they
apply, and :meth:`Call.done` refuses, by name, any other argument not at its default
(``out=``, ``rounding_mode=``, ``ceil_mode=``, ...). What is not in the tables is refused:
with :class:`NotPiecewiseLinearError` when it is not piecewise linear, and with
:class:`UnsupportedModelError` (saying so) when it is but regions does not interpret it.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import BuiltinFunctionType, MethodDescriptorType
from typing import Any, NoReturn

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from .errors import InvalidModelError, NotPiecewiseLinearError, UnsupportedModelError

__all__ = ["Op", "Call", "function_op", "module_call", "node_name", "refuse"]

_REQUIRED = object()


@dataclass(frozen=True)
class Op:
    """A supported operation: canonical ``name``, tracer handler ``kind`` and signature.

    ``params`` are the positional-or-keyword parameter names (a trailing ``*name`` collects
    the remaining positional arguments, or takes them as one sequence by keyword);
    ``defaults`` holds every optional parameter, keyword-only ones included; ``inplace`` marks
    ``relu_``-style methods; ``aliases`` maps other keywords torch takes to the parameter they
    name (``axis`` for ``dim``, ``size`` for ``view``'s shape).

    Examples
    --------
    >>> import torch
    >>> from regions.torchops import function_op
    >>> op = function_op(torch.clamp, "clamp", "fc")
    >>> op.kind, op.params, dict(op.defaults)
    ('activation', ('input', 'min', 'max'), {'min': None, 'max': None, 'out': None})
    """

    name: str
    kind: str
    params: tuple[str, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    inplace: bool = False
    aliases: Mapping[str, str] = field(default_factory=dict)


def _op(name: str, kind: str, params: str, **defaults: Any) -> Op:
    return Op(name, kind, tuple(params.split()), defaults)


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    plain = (bool, int, float, str, tuple, type(None))
    return isinstance(value, plain) and isinstance(default, plain) and value == default


@dataclass
class Call:
    """One call's arguments by parameter name, tracking which ones a handler applied.

    Examples
    --------
    >>> import torch
    >>> from regions.torchops import Call, function_op
    >>> op = function_op(torch.add, "add", "x")
    >>> call = Call.bind(op, ("x", "y"), {"alpha": 3.0}, "add")
    >>> call.input, call.take("other"), call.take("alpha")
    ('x', 'y', 3.0)
    >>> call = Call.bind(op, ("x", "y"), {"alpha": 3.0}, "add")
    >>> _ = call.take("other")
    >>> call.done()  # nobody applied alpha
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: add: argument alpha=3.0 is not supported
    """

    op: Op
    where: str
    params: dict[str, Any]
    module: nn.Module | None = None
    used: set[str] = field(default_factory=set)

    @classmethod
    def bind(cls, op: Op, args: tuple, kwargs: Mapping[str, Any], where: str) -> Call:
        """Bind positional and keyword arguments to ``op``'s parameters, as Python would."""
        names = list(op.params)
        params: dict[str, Any] = {}
        named = [(op.aliases.get(k, k), v) for k, v in kwargs.items()]
        star = names.pop()[1:] if names and names[-1].startswith("*") else None
        if star is not None:
            extra, args = tuple(args[len(names) :]), args[: len(names)]
            if extra or all(k != star for k, _ in named):  # else by keyword: view(size=(2, 3))
                params[star] = extra
        if len(args) > len(names):
            raise UnsupportedModelError(
                f"{where}: takes {len(names)} positional arguments, got {len(args)}"
            )
        params.update(zip(names, args, strict=False))
        for key, value in named:
            if key not in names and key not in op.defaults and key != star:
                raise UnsupportedModelError(f"{where}: argument '{key}' is not supported")
            if key in params:
                raise InvalidModelError(f"{where}: argument '{key}' is given twice")
            params[key] = value
        for key in [*names, *op.defaults]:
            if key not in params:
                if key not in op.defaults:
                    raise InvalidModelError(f"{where}: missing argument '{key}'")
                params[key] = op.defaults[key]
        return cls(op, where, params)

    @property
    def input(self) -> Any:
        return self.params["input"]

    def take(self, name: str) -> Any:
        """The argument ``name``, marked as applied."""
        self.used.add(name)
        return self.params[name]

    def take_all(self) -> None:
        """Mark every argument applied (operations that are the identity whatever they get)."""
        self.used.update(self.params)

    @property
    def inplace(self) -> bool:
        """Whether the call writes into its input (``inplace=True`` or a ``relu_`` method)."""
        return self.op.inplace or bool(self.params.get("inplace", False))

    def done(self) -> None:
        """Refuse any argument no handler applied, unless it is at its default."""
        self.used.update({"input", "inplace"})
        for name, value in self.params.items():
            if name in self.used or _same(value, self.op.defaults.get(name, _REQUIRED)):
                continue
            hint = (
                ": writing into another tensor is not followed; assign the result instead"
                if name == "out"
                else ""
            )
            raise UnsupportedModelError(
                f"{self.where}: argument {name}={value!r} is not supported{hint}"
            )


# --------------------------------------------------------------------------- the tables
_ADD = _op("add", "add", "input other", alpha=1, out=None)
_SUB = _op("sub", "add", "input other", alpha=1, out=None)
_MUL = _op("mul", "scale", "input other", out=None)
_DIV = _op("div", "scale", "input other", rounding_mode=None, out=None)
_NEG = _op("neg", "scale", "input", out=None)
_ABS = _op("abs", "activation", "input", out=None)
_CLAMP = _op("clamp", "activation", "input min max", min=None, max=None, out=None)
_RELU = _op("relu", "activation", "input")
_HARDTANH = _op("hardtanh", "activation", "input min_val max_val", min_val=-1.0, max_val=1.0)
_LEAKY = _op("leaky_relu", "activation", "input negative_slope", negative_slope=0.01)
_POOL = _op(
    "max_pool1d",
    "pool",
    "input kernel_size stride padding dilation ceil_mode return_indices",
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
)


def _inplace(op: Op) -> Op:
    return replace(op, inplace=True)


def _with_inplace(op: Op) -> Op:
    """The functional form (``F.relu``): an extra ``inplace=False`` parameter."""
    return replace(op, params=(*op.params, "inplace"), defaults={**op.defaults, "inplace": False})


_FUNCTIONS: dict[Any, Op] = {}
for _targets, _o in [
    ((operator.add, torch.add, "add"), _ADD),
    ((operator.sub, torch.sub, torch.subtract, "sub", "subtract"), _SUB),
    ((torch.rsub,), _op("rsub", "add", "input other", alpha=1)),  # rsub(x, y) is y - alpha x
    ((operator.mul, torch.mul, torch.multiply, "mul", "multiply"), _MUL),
    ((operator.truediv, torch.div, torch.divide, torch.true_divide, "div", "divide"), _DIV),
    (("true_divide",), _DIV),
    (
        (operator.floordiv, torch.floor_divide, "floor_divide"),
        _op("floordiv", "floordiv", "input other"),
    ),
    ((operator.neg, torch.neg, torch.negative, "neg", "negative"), _NEG),
    ((operator.pos, torch.positive, "positive"), _op("pos", "identity", "input")),
    ((operator.abs, torch.abs, torch.absolute, "abs", "absolute"), _ABS),
    ((torch.clamp, torch.clip, "clamp", "clip"), _CLAMP),
    ((torch.clamp_min, "clamp_min"), _op("clamp", "activation", "input min", max=None, out=None)),
    ((torch.clamp_max, "clamp_max"), _op("clamp", "activation", "input max", min=None, out=None)),
    ((torch.maximum, "maximum"), _op("maximum", "maximum", "input other", out=None)),
    ((torch.minimum, "minimum"), _op("minimum", "maximum", "input other", out=None)),
    (
        (torch.max, "max"),
        _op("max", "reduce", "input dim keepdim", dim=None, keepdim=False, other=None, out=None),
    ),
    (
        (torch.min, "min"),
        _op("min", "reduce", "input dim keepdim", dim=None, keepdim=False, other=None, out=None),
    ),
    (
        (torch.amax, "amax"),
        _op("amax", "reduce", "input dim keepdim", dim=(), keepdim=False, out=None),
    ),
    (
        (torch.amin, "amin"),
        _op("amin", "reduce", "input dim keepdim", dim=(), keepdim=False, out=None),
    ),
    (
        (torch.sum, "sum"),
        _op("sum", "sum", "input dim keepdim", dim=None, keepdim=False, dtype=None, out=None),
    ),
    ((torch.relu, "relu"), _RELU),
    ((F.relu,), _with_inplace(_RELU)),
    ((F.relu6,), _op("relu6", "activation", "input inplace", inplace=False)),
    ((F.hardtanh,), _with_inplace(_HARDTANH)),
    ((F.leaky_relu,), _with_inplace(_LEAKY)),
    ((F.max_pool1d, torch.max_pool1d), _POOL),
    (
        (F.dropout, F.dropout1d),
        _op("dropout", "identity", "input p training inplace", p=0.5, training=True, inplace=False),
    ),
    (
        (F.alpha_dropout, F.feature_alpha_dropout),
        _op(
            "dropout", "identity", "input p training inplace", p=0.5, training=False, inplace=False
        ),
    ),
    ((torch.dropout,), _op("dropout", "identity", "input p train")),
    (
        (torch.flatten, "flatten"),
        _op("flatten", "shape", "input start_dim end_dim", start_dim=0, end_dim=-1),
    ),
    (("view",), replace(_op("view", "shape", "input *shape"), aliases={"size": "shape"})),
    (("reshape",), _op("reshape", "shape", "input *shape")),
    ((torch.reshape,), _op("reshape", "shape", "input shape")),
    ((torch.squeeze, "squeeze"), _op("squeeze", "shape", "input dim", dim=None)),
    ((torch.unsqueeze, "unsqueeze"), _op("unsqueeze", "shape", "input dim")),
    ((torch.unflatten, "unflatten"), _op("unflatten", "shape", "input dim sizes")),
    (
        ("contiguous",),
        _op("contiguous", "identity", "input", memory_format=torch.contiguous_format),
    ),
    ((torch.clone, "clone"), _op("clone", "clone", "input", memory_format=None)),
    ((torch.detach, "detach"), _op("detach", "identity", "input")),
    ((torch.cat, torch.concat), _op("cat", "cat", "tensors dim", dim=0, out=None)),
    (
        (F.softmax, F.log_softmax),
        _op(
            "softmax", "softmax", "input dim _stacklevel dtype", dim=None, _stacklevel=3, dtype=None
        ),
    ),
    (
        (torch.softmax, torch.log_softmax, "softmax", "log_softmax"),
        _op("softmax", "softmax", "input dim dtype", dtype=None),
    ),
    (("size",), _op("size", "size", "input dim", dim=None)),
    (("dim",), _op("ndim", "size", "input")),
    ((getattr,), _op("getattr", "size", "input name")),
    ((operator.getitem,), _op("getitem", "getitem", "input key")),
]:
    for _t in _targets:
        _FUNCTIONS[_t] = _o
for _name in """add sub subtract mul multiply div divide true_divide neg negative abs absolute
    clamp clip clamp_min clamp_max relu""".split():
    _FUNCTIONS[_name + "_"] = _inplace(_FUNCTIONS[_name])  # the method, x.relu_()
    if hasattr(torch, _name + "_"):  # torch.relu_(x)
        _FUNCTIONS[getattr(torch, _name + "_")] = _inplace(_FUNCTIONS[getattr(torch, _name)])
_FUNCTIONS[F.hardtanh_] = _inplace(_HARDTANH)
_FUNCTIONS[F.leaky_relu_] = _inplace(_LEAKY)
# ``x += y`` and its kin, as regions.tracing records them: in place on a tensor.
for _t, _o in [(operator.iadd, _ADD), (operator.isub, _SUB), (operator.imul, _MUL)]:
    _FUNCTIONS[_t] = _inplace(_o)
_FUNCTIONS[operator.itruediv] = _inplace(_DIV)

_NUMPY_NAMES = {
    "axis": "dim",
    "keepdims": "keepdim",
    "x": "input",
    "a": "input",
    "x1": "input",
    "x2": "other",
}
"""The keywords torch's C++ argument parser also takes for these parameters (numpy's)."""


def _numpy_names(target: Any, op: Op) -> Op:
    """``op`` for ``target``, with numpy's keywords where torch's C++ argument parser binds its
    arguments (``torch.sum(x, axis=1)``; not Python functions such as ``F.softmax``)."""
    known = {*op.params, *op.defaults}
    if isinstance(target, str):  # a method: its input is the tensor it is called on
        parsed = isinstance(getattr(torch.Tensor, target, None), MethodDescriptorType)
        known.discard("input")
    else:
        module = getattr(target, "__module__", None) or ""
        parsed = isinstance(target, BuiltinFunctionType) and module.startswith("torch")
    if not parsed:
        return op
    aliases = {k: v for k, v in _NUMPY_NAMES.items() if v in known}
    return replace(op, aliases={**op.aliases, **aliases})


_FUNCTIONS = {t: _numpy_names(t, o) for t, o in _FUNCTIONS.items()}

_NOT_PIECEWISE_LINEAR = set(
    """tanh sigmoid exp exp2 expm1 log log1p log2 log10 sin cos tan asin acos atan atan2 sinh
    cosh asinh acosh atanh sqrt rsqrt pow square reciprocal erf erfc erfinv gelu silu elu selu
    celu softplus mish hardswish logsigmoid softsign tanhshrink softmin layer_norm group_norm
    rms_norm normalize local_response_norm glu bilinear matmul mm bmm einsum prod var std norm
    logsumexp xlogy logit tanh_ sigmoid_ exp_ log_ sqrt_ pow_ elu_ selu_ celu_""".split()
)
_DISCONTINUOUS = set(
    "floor ceil round trunc frac sign sgn remainder fmod hardshrink threshold".split()
)
_JUMPS = "is discontinuous; regions needs continuous piecewise-linear functions"
_NOT_PIECEWISE_LINEAR_MODULES = (
    nn.Tanh,
    nn.Sigmoid,
    nn.ELU,
    nn.SiLU,
    nn.GELU,
    nn.Softplus,
    nn.SELU,
    nn.CELU,
    nn.Mish,
    nn.Hardswish,
    nn.LogSigmoid,
    nn.Softsign,
    nn.Tanhshrink,
    nn.Softmin,
    nn.Softmax2d,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.RMSNorm,
    nn.LocalResponseNorm,
    nn.GLU,
    nn.Bilinear,
    nn.MultiheadAttention,
    nn.RNNBase,
)
SUPPORTED = (
    "regions supports Linear, BatchNorm1d, ReLU, LeakyReLU, PReLU, ReLU6, Hardtanh, abs, clamp, "
    "maximum/minimum, max/amax over features, MaxPool1d, Dropout, Identity, Flatten, views, "
    "sums, scaling, concatenation and a final Softmax"
)


def function_op(target: Any, where: str, prev: str) -> Op:
    """The :class:`Op` of a ``call_function`` or ``call_method`` target.

    Raises
    ------
    NotPiecewiseLinearError
        For an operation that is not piecewise linear (tanh, exp, matmul, ...).
    UnsupportedModelError
        For any other operation not in the tables.

    Examples
    --------
    >>> import torch
    >>> from regions.torchops import function_op
    >>> op = function_op("relu_", "relu_", "fc")
    >>> op.name, op.kind, op.inplace
    ('relu', 'activation', True)
    >>> function_op(torch.tanh, "tanh", "fc")
    Traceback (most recent call last):
        ...
    regions.errors.NotPiecewiseLinearError: tanh after 'fc' is not piecewise linear
    """
    try:
        return _FUNCTIONS[target]
    except (KeyError, TypeError):
        pass
    refuse(getattr(target, "__name__", str(target)), where, prev)


def refuse(name: str, where: str, prev: str) -> NoReturn:
    """Refuse the operation ``name``, saying whether it is piecewise linear and continuous.

    Raises
    ------
    NotPiecewiseLinearError
        For an operation that is not piecewise linear (tanh, exp, matmul, ...).
    UnsupportedModelError
        For a discontinuous one (floor, sign, ...) and any other.

    Examples
    --------
    >>> from regions.torchops import refuse
    >>> refuse("sign", "aten.sign (node 'sign')", "fc")
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: aten.sign (node 'sign') after 'fc' is discontinuous; ...
    """
    if name in _NOT_PIECEWISE_LINEAR:
        raise NotPiecewiseLinearError(f"{where} after '{prev}' is not piecewise linear")
    if name in _DISCONTINUOUS:
        raise UnsupportedModelError(f"{where} after '{prev}' {_JUMPS}")
    raise UnsupportedModelError(f"{where} after '{prev}' is not supported; {SUPPORTED}")


_MODULES: list[tuple[type, Op, dict[str, str]]] = [
    (nn.Linear, _op("linear", "linear", "input"), {}),
    (nn.BatchNorm1d, _op("batchnorm", "batchnorm", "input"), {}),
    (
        (nn.Identity, nn.Dropout, nn.AlphaDropout, nn.FeatureAlphaDropout),
        _op("identity", "identity", "input"),
        {},
    ),
    (
        nn.Flatten,
        _op("flatten", "shape", "input start_dim end_dim"),
        {"start_dim": "start_dim", "end_dim": "end_dim"},
    ),
    (
        nn.Unflatten,
        _op("unflatten", "shape", "input dim sizes"),
        {"dim": "dim", "sizes": "unflattened_size"},
    ),
    ((nn.Softmax, nn.LogSoftmax), _op("softmax", "softmax", "input dim"), {"dim": "dim"}),
    (nn.ReLU, _op("relu", "activation", "input inplace", inplace=False), {"inplace": "inplace"}),
    (
        nn.LeakyReLU,
        _with_inplace(_LEAKY),
        {"negative_slope": "negative_slope", "inplace": "inplace"},
    ),
    (
        nn.Hardtanh,
        _with_inplace(_HARDTANH),
        {"min_val": "min_val", "max_val": "max_val", "inplace": "inplace"},
    ),
    (nn.PReLU, _op("prelu", "activation", "input"), {}),
    (nn.MaxPool1d, _POOL, {k: k for k in _POOL.params[1:]}),
]


def module_call(mod: nn.Module, input: Any, where: str, prev: str) -> Call:
    """A module call as a :class:`Call` whose arguments are the module's settings.

    Examples
    --------
    >>> import torch
    >>> from regions.torchops import module_call
    >>> call = module_call(torch.nn.LeakyReLU(0.2), "x", "act", "fc")
    >>> call.op.name, call.params["negative_slope"]
    ('leaky_relu', 0.2)
    """
    for types, op, attrs in _MODULES:
        if isinstance(mod, types):
            params = {"input": input, **{k: getattr(mod, a) for k, a in attrs.items()}}
            return Call(op, where, params, module=mod)
    if isinstance(mod, _NOT_PIECEWISE_LINEAR_MODULES):
        raise NotPiecewiseLinearError(
            f"{where} after '{prev}' is not piecewise linear; {SUPPORTED}"
        )
    if isinstance(mod, (nn.Hardshrink, nn.Threshold)):
        raise UnsupportedModelError(f"{where} after '{prev}' {_JUMPS}")
    raise UnsupportedModelError(f"{where} after '{prev}' is not supported; {SUPPORTED}")


def node_name(fx_node: torch.fx.Node) -> str:
    """The module path of a ``call_module`` node, the fx name of any other.

    Examples
    --------
    >>> import torch
    >>> from regions.torchops import node_name
    >>> gm = torch.fx.symbolic_trace(torch.nn.Sequential(torch.nn.ReLU()))
    >>> [node_name(n) for n in gm.graph.nodes]
    ['input_1', '0', 'output']
    """
    return str(fx_node.target) if fx_node.op == "call_module" else fx_node.name
