"""The ATen operations :func:`regions.exported.trace_program` lowers, with their schemas.

Each ATen overload packet (``aten.add``, ``aten.addmm``, ...) maps to a
:class:`regions.torchops.Op` whose parameters follow its schema's, so that a call is bound,
applied and refused by name as an fx call is (:class:`regions.torchops.Call`). In-place forms
(``relu_``, ``add_``) of the elementwise ones are the same operation writing into its input.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import torchops

__all__ = ["ATEN_OPS", "BATCHNORM", "aten_op"]


def _op(name: str, kind: str, params: str, **defaults: Any) -> torchops.Op:
    return torchops.Op(name, kind, tuple(params.split()), defaults)


BATCHNORM = "input weight bias running_mean running_var"
"""The arguments every batch norm schema starts with."""
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
    ("rsub", _op("rsub", "add", "input other alpha", alpha=1)),  # rsub.Scalar: alpha positional
    ("mul multiply", _op("mul", "scale", "input other")),
    ("div divide true_divide", _op("div", "scale", "input other", rounding_mode=None)),
    ("neg negative", _op("neg", "scale", "input")),
    ("maximum", _op("maximum", "maximum", "input other")),
    ("minimum", _op("minimum", "maximum", "input other")),
    ("max", _op("max", "reduce", "input dim keepdim", dim=None, keepdim=False)),
    ("min", _op("min", "reduce", "input dim keepdim", dim=None, keepdim=False)),
    ("amax", _op("amax", "reduce", "input dim keepdim", dim=(), keepdim=False)),
    ("amin", _op("amin", "reduce", "input dim keepdim", dim=(), keepdim=False)),
    ("sum", _op("sum", "sum", "input dim keepdim", dim=None, keepdim=False, dtype=None)),
    ("gt", _op("gt", "compare", "input other")),
    ("where", _op("where", "where", "condition input other")),
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
        _op("batch_norm", "batchnorm", f"{BATCHNORM} training momentum eps cudnn_enabled"),
    ),
    (
        "native_batch_norm _native_batch_norm_legit _native_batch_norm_legit_functional",
        _op("batch_norm", "batchnorm", f"{BATCHNORM} training momentum eps"),
    ),
    (
        "_native_batch_norm_legit_no_training",
        _op("batch_norm", "batchnorm", f"{BATCHNORM} momentum eps"),
    ),
    ("sym_size", _op("sym_size", "sym_size", "input dim")),
]
_ATEN: dict[str, torchops.Op] = {name: op for names, op in _TABLE for name in names.split()}
ATEN_OPS: tuple[str, ...] = tuple(sorted(_ATEN))
"""The ATen operations (overload packets) :func:`regions.exported.trace_program` lowers;
in-place forms (``relu_``, ``add_``, ...) of the elementwise ones too."""


def aten_op(name: str, where: str, prev: str) -> torchops.Op:
    """The :class:`regions.torchops.Op` of the ATen overload packet ``name``.

    Raises
    ------
    NotPiecewiseLinearError, UnsupportedModelError
        For an operation not in :data:`ATEN_OPS` (see :func:`regions.torchops.refuse`).

    Examples
    --------
    >>> from regions.atenops import aten_op
    >>> op = aten_op("relu_", "aten.relu_", "fc")
    >>> op.name, op.kind, op.inplace
    ('relu', 'activation', True)
    """
    if name in _ATEN:
        return _ATEN[name]
    base = name[:-1] if name.endswith("_") else name
    in_place = ("activation", "add", "scale", "identity", "dropout")
    if base in _ATEN and _ATEN[base].kind in in_place:
        return replace(_ATEN[base], inplace=True)
    torchops.refuse(base.lstrip("_").removeprefix("native_"), where, prev)
