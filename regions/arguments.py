"""What the arguments of supported torch calls mean, as numbers the tracer builds nodes from.

Each helper reads the arguments it applies from a :class:`regions.torchops.Call` (so that
:meth:`~regions.torchops.Call.done` can refuse the rest) and raises a specific error for a
value regions cannot represent exactly: a rounding division, a division by zero, a reduction
over the batch axis, padded or ceil-mode pooling.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import torch
import torch.fx

from . import layers, shapes
from .errors import InvalidModelError, UnsupportedModelError
from .torchops import Call

__all__ = [
    "number",
    "summands",
    "arithmetic",
    "activation_spec",
    "scale_factor",
    "reduced_axes",
    "pool_args",
    "softmax_axis",
]


def number(value: Any, name: str, where: str, *, finite: bool = True) -> float:
    """A numeric argument as a float; the batch size, tensors and (unless ``finite`` is
    False) NaN and infinity are refused.

    Examples
    --------
    >>> from regions.arguments import number
    >>> number(3, "alpha", "add")
    3.0
    >>> number(float("nan"), "other", "add")
    Traceback (most recent call last):
        ...
    regions.errors.InvalidModelError: add: other=nan is not finite
    """
    if value is shapes.BATCH:
        raise UnsupportedModelError(f"{where}: using the batch size as a number is not supported")
    if isinstance(value, torch.fx.Node):
        raise UnsupportedModelError(f"{where}: {name} must be a number, got the tensor '{value}'")
    if not isinstance(value, numbers.Real):
        raise UnsupportedModelError(f"{where}: {name} must be a number, got {value!r}")
    if finite and not math.isfinite(value):
        raise InvalidModelError(f"{where}: {name}={value!r} is not finite")
    return float(value)


def summands(call: Call) -> tuple[Any, Any, float]:
    """``(a, b, sign)`` of an add, sub or rsub call, which computes ``a + sign * alpha * b``:
    ``rsub(x, y)`` is ``y - alpha x``.

    Examples
    --------
    >>> import torch
    >>> from regions.arguments import summands
    >>> from regions.torchops import Call, function_op
    >>> summands(Call.bind(function_op(torch.rsub, "", ""), ("x", 1.0), {}, "rsub"))
    (1.0, 'x', -1.0)
    """
    a, b = call.input, call.take("other")
    if call.op.name == "rsub":
        return b, a, -1.0
    return a, b, -1.0 if call.op.name == "sub" else 1.0


_ARITHMETIC = {
    "add": operator.add,
    "sub": operator.sub,
    "rsub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "floordiv": operator.floordiv,
}


def leaves(args: Any) -> list[Any]:
    """The arguments nested in lists, tuples and dicts, flattened."""
    found: list[Any] = []
    torch.fx.node.map_aggregate(args, found.append)
    return found


def no_batch_size(values: list[Any], where: str) -> None:
    """Refuse arithmetic on the batch size (:data:`regions.shapes.BATCH`): it is no number
    while tracing."""
    if any(v is shapes.BATCH for v in values):
        raise UnsupportedModelError(
            f"{where}: arithmetic on the batch size is not supported; keep the batch axis as "
            "x.size(0) or -1"
        )


def arithmetic(call: Call, a: Any, b: Any) -> Any:
    """The call on two numbers (from shape queries such as ``x.size(1) // 2``); for add, sub
    and rsub, ``a`` and ``b`` are their :func:`summands`.

    Examples
    --------
    >>> from regions.arguments import arithmetic
    >>> from regions.torchops import Call, function_op
    >>> call = Call.bind(function_op("floor_divide", "", ""), (6, 4), {}, "floor_divide")
    >>> arithmetic(call, 6, 4)
    1
    """
    no_batch_size([a, b], call.where)
    if not (isinstance(a, numbers.Number) and isinstance(b, numbers.Number)):
        raise UnsupportedModelError(f"{call.where}: unsupported operands {a!r} and {b!r}")
    if call.op.name in ("add", "sub", "rsub") and call.take("alpha") != 1:
        b = call.params["alpha"] * b
    return _ARITHMETIC[call.op.name](a, b)


def activation_spec(call: Call, n: int, dims: tuple[int, ...]) -> layers.Spec | float | None:
    """The elementwise function of an ``activation`` call on ``n`` features (shape ``dims``).

    Returns
    -------
    Spec, float or None
        See :func:`regions.layers.clamp`: a constant for a clamp with ``min >= max``, None
        for one with infinite bounds.

    Examples
    --------
    >>> import torch
    >>> from regions.arguments import activation_spec
    >>> from regions.torchops import module_call
    >>> call = module_call(torch.nn.Hardtanh(-2.0, 3.0), "x", "act", "fc")
    >>> [a.tolist() for a in activation_spec(call, 1, (1,))]
    [[[-2.0, 3.0]], [[0.0, 1.0, 0.0]], [[-2.0, 0.0, 3.0]]]
    """
    name, where = call.op.name, call.where
    if name == "relu":
        return layers.relu(n)
    if name == "abs":
        return layers.absolute(n)
    if name == "leaky_relu":
        return layers.leaky(number(call.take("negative_slope"), "negative_slope", where), n)
    if name == "relu6":
        return layers.clamp(0.0, 6.0, n, where)
    if name == "prelu":
        weight = call.module.weight if call.module is not None else call.take("weight")
        a = layers.to_numpy(weight, f"{where}.weight")
        return layers.prelu(a[shapes.channels(dims, a.size, "slopes", where, shared=True)])
    keys = ("min_val", "max_val") if name == "hardtanh" else ("min", "max")
    lo, hi = (
        None if call.take(k) is None else number(call.params[k], k, where, finite=False)
        for k in keys
    )
    if name == "hardtanh" and None not in (lo, hi) and lo > hi:
        raise InvalidModelError(f"{where}: min_val={lo} > max_val={hi}, which torch refuses")
    return layers.clamp(lo, hi, n, where)


def scale_factor(call: Call, other: Any) -> float:
    """The factor k of ``x * k``, ``k * x`` or ``x / k``; ``other`` is the number.

    Raises
    ------
    UnsupportedModelError
        For a ``rounding_mode`` (rounding is discontinuous).
    InvalidModelError
        For a division by zero or a non-finite factor.

    Examples
    --------
    >>> from regions.arguments import scale_factor
    >>> from regions.torchops import Call, function_op
    >>> call = Call.bind(function_op("div", "", ""), ("x", 0.0), {}, "div")
    >>> scale_factor(call, 0.0)
    Traceback (most recent call last):
        ...
    regions.errors.InvalidModelError: div divides by zero: every output would be infinite or NaN
    """
    where, name = call.where, call.op.name
    if name == "div" and call.take("rounding_mode") is not None:
        raise UnsupportedModelError(
            f"{where}: rounding_mode={call.params['rounding_mode']!r} rounds the quotient, "
            "which is discontinuous; regions supports true division only (rounding_mode=None)"
        )
    k = number(other, "other", where)
    if name == "div" and k == 0:
        raise InvalidModelError(f"{where} divides by zero: every output would be infinite or NaN")
    k = 1.0 / k if name == "div" else k
    if not math.isfinite(k):
        raise InvalidModelError(f"{where} scales by {k}: the outputs would not be finite")
    return k


def reduced_axes(call: Call, dims: tuple[int, ...]) -> list[int]:
    """Feature axes (indices into ``dims``) a max/amax reduces; the batch axis is refused.

    Examples
    --------
    >>> import torch
    >>> from regions.arguments import reduced_axes
    >>> from regions.torchops import Call, function_op
    >>> call = Call.bind(function_op(torch.amax, "", ""), ("x", (-1, 1)), {}, "amax")
    >>> reduced_axes(call, (2, 3))
    [1, 0]
    """
    dim = call.take("dim")
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        raise UnsupportedModelError(
            f"{call.where}: without dim it reduces over the batch axis too; pass the feature "
            "axis, e.g. dim=1"
        )
    dims_list = dim if isinstance(dim, (tuple, list)) else [dim]
    return [shapes.axis(d, dims, call.where) for d in dims_list]


def pool_args(call: Call) -> tuple[int, int, int]:
    """kernel_size, stride and dilation of a 1D max pooling.

    Raises
    ------
    UnsupportedModelError
        For padding, ceil_mode or return_indices, naming it.

    Examples
    --------
    >>> import torch
    >>> from regions.arguments import pool_args
    >>> from regions.torchops import module_call
    >>> pool_args(module_call(torch.nn.MaxPool1d(3, stride=2), "x", "pool", "fc"))
    (3, 2, 1)
    >>> pool_args(module_call(torch.nn.MaxPool1d(2, ceil_mode=True), "x", "pool", "fc"))
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: pool: ceil_mode=True is not supported (it adds windows
    that run past the end); ...
    """

    def positive(name: str) -> int:
        value = call.take(name)
        if isinstance(value, (tuple, list)) and len(value) == 1:
            value = value[0]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise UnsupportedModelError(
                f"{call.where}: {name} must be a positive integer, got {value!r}"
            )
        return value

    for name, why in (
        ("padding", "it pads both ends with -inf"),
        ("ceil_mode", "it adds windows that run past the end"),
        ("return_indices", "it returns the argmax indices too"),
    ):
        value = call.take(name)
        if value not in (0, False, (0,), [0]):
            raise UnsupportedModelError(
                f"{call.where}: {name}={value!r} is not supported ({why}); regions supports "
                "padding=0, ceil_mode=False, return_indices=False"
            )
    kernel = positive("kernel_size")
    stride = call.params["stride"]
    stride = kernel if stride is None or stride in ((), []) else positive("stride")
    call.used.add("stride")
    return kernel, stride, positive("dilation")


def softmax_axis(call: Call, dims: tuple[int, ...]) -> None:
    """Check that a final softmax runs over all of each example's outputs.

    Its argmax is then the logits' argmax, so stripping it keeps the predicted class. Without
    ``dim`` torch picks axis 1 for 2-D tensors and axis 0, the batch, for 1-D and 3-D ones.

    Examples
    --------
    >>> import torch
    >>> from regions.arguments import softmax_axis
    >>> from regions.torchops import module_call
    >>> softmax_axis(module_call(torch.nn.Softmax(dim=-1), "x", "sm", "fc"), (1, 3))  # fine
    >>> softmax_axis(module_call(torch.nn.Softmax(dim=1), "x", "sm", "fc"), (2, 3))
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: sm: a softmax over dim=1 of a (batch, 2, 3) tensor ...
    """
    dim = call.take("dim")
    call.used.update({"_stacklevel", "dtype"})  # no effect on the argmax
    if dim is None:
        dim = 1 if len(dims) + 1 not in (0, 1, 3) else 0
    i = shapes.axis(dim, dims, call.where)
    if math.prod(dims) != dims[i]:
        raise UnsupportedModelError(
            f"{call.where}: a softmax over dim={dim} of a {shapes.describe(dims)} tensor "
            "normalises groups of outputs separately; regions strips a final softmax only over "
            "all outputs"
        )
