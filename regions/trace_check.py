"""A safety net under tracing: the traced network against the model's own forward pass.

:mod:`regions.tracing` reads torch's semantics call by call. A case it reads wrongly (an alias
that an in-place operation changes, a hook, a module called twice: each was once traced into a
different function) would make every later answer exact for the wrong function. So
:func:`check_forward` runs the model itself at a few seeded inputs, in float64 (its floating
parameters and buffers converted exactly) with its dropout and BatchNorm modules in eval mode,
and refuses a trace whose outputs differ from the model's by more than rounding explains. It is
a net, not a proof: a wrong trace that agrees at these points passes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from .bounded import forward_with_bounds
from .errors import TraceMismatchError
from .floats import EPS
from .network import Network

__all__ = ["CHECK_POINTS", "MARGIN", "check_forward"]

CHECK_POINTS = 8
"""Inputs the check runs at: seeded standard-normal directions scaled by 1/4, 1/2, ..., 32 in
turn (a breakpoint far from the origin, say ``clamp(max=3)``, is passed by some), float32
numbers (so a float32 model sees them unrounded)."""

MARGIN = 2.0**20
"""How far apart the traced network and the model's float64 forward may be, in units of the
traced network's rigorous error bound (:func:`regions.bounded.forward_with_bounds`). That bound
counts every rounding at ``gamma(n)`` times the magnitudes it happens at; torch rounds the same
magnitudes in another order (and BatchNorm, pooling or a stripped softmax by other formulas), so
its own error is a small multiple of the bound. A wrong trace is off by the values' size."""

TRAINING_MODULES = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)
"""Modules the trace reads with eval semantics whatever their mode: put in eval mode for the
check (and back after). Other modules keep their mode: fx traced the code their mode selects."""


def check_forward(
    model: Callable[[torch.Tensor], object],
    net: Network,
    batch: int | None = None,
    features: tuple[int, ...] = (),
    exported: bool = False,
) -> None:
    """Raise :class:`TraceMismatchError` if ``net`` is not what ``model`` computes.

    Parameters
    ----------
    model : torch.nn.Module or callable
        The traced model (an exported program's ``module()``), called on a (batch, n_inputs)
        tensor.
    net : Network
        Its trace.
    batch : int, optional
        The only batch size the model takes (an exported program's static batch): it is run
        on that many inputs at a time, on :data:`CHECK_POINTS` or more.
    features : tuple of int, optional
        The input's shape after the batch axis, if not (n_inputs,) (an exported program's).
    exported : bool
        Whether ``model`` is an exported program's (for the error message).

    Notes
    -----
    Not checked: a model that cannot run in float64 on the CPU or returns no floating tensor
    (none that tracing reads is known to), and one whose weights are parametrized
    (``torch.nn.utils.parametrize``) from tensors of lower precision: the model computes such
    a weight in its own precision, which the trace reads, and a float64 run would compute
    another.
    """
    n = CHECK_POINTS if batch is None else -(-CHECK_POINTS // batch) * batch
    x = _inputs(n, net.n_inputs)
    with np.errstate(all="ignore"):
        values, errors = forward_with_bounds(net, None, x)
    ours, bound = values[net.output], errors[net.output]
    shape = (batch or len(x), *(features or (net.n_inputs,)))
    run = _forward(model, [part.reshape(shape) for part in np.split(x, len(x) // shape[0])])
    if run is None:
        return
    theirs, least = run
    report = _REPORT + (_EXPORTED if exported else _MODULE)
    if theirs.size != ours.size:
        raise TraceMismatchError(
            f"regions.trace: the model returns {theirs.size // len(x)} outputs per input and "
            f"its trace {ours.shape[1]}{report}"
        )
    theirs = theirs.reshape(ours.shape)
    with np.errstate(all="ignore"):
        kept = np.isfinite(theirs).all(axis=1) & np.isfinite(ours).all(axis=1)
        kept &= np.isfinite(bound).all(axis=1)  # overflow on either side: nothing to compare
        readings = (_softmaxes if net.softmax else _outputs)(ours, bound, theirs, least)
    gaps = [np.where(kept[:, None], gap, -np.inf) for _, gap in readings]
    best = min(range(len(gaps)), key=lambda i: gaps[i].max())
    if not (gaps[best] > 0).any():
        return
    point, column = np.unravel_index(np.argmax(gaps[best]), gaps[best].shape)
    raise TraceMismatchError(
        f"regions.trace: the traced network is not what the model computes: at input "
        f"{x[point].tolist()}, output {column} is {float(theirs[point, column])!r} from the "
        f"model's forward and {float(readings[best][0][point, column])!r} from its trace, "
        f"further apart than rounding explains{report}"
    )


@functools.cache
def _inputs(n: int, n_inputs: int) -> np.ndarray:
    """``n`` seeded inputs (:data:`CHECK_POINTS`), float32 numbers (read-only: cached)."""
    x = np.random.default_rng(0).standard_normal((n, n_inputs)).astype(np.float32)
    x = x.astype(np.float64) * 2.0 ** (np.arange(n) % 8 - 2)[:, None]  # exact: powers of two
    x.flags.writeable = False
    return x


_REPORT = ". This is a bug in regions' tracing of this model: please report it with the model. "
_MODULE = (
    "torch.export.export(model, (x,)) is traced another way; regions.trace(model, check=False) "
    "skips this check"
)
_EXPORTED = "regions.trace(program, check=False) skips this check"


def _forward(
    model: Callable[[torch.Tensor], object], xs: list[np.ndarray]
) -> tuple[np.ndarray, torch.finfo] | None:
    """The model's outputs (N, -1) at the batches ``xs`` in float64, with the float type of
    the least precise one; None where the model cannot run on them, or parametrizes weights
    from tensors of lower precision (see :func:`check_forward`)."""
    modules = list(model.modules()) if isinstance(model, nn.Module) else []
    if any(_parametrized_below_float64(m) for m in modules):
        return None
    # Every tensor swapped for a copy (a floating one in float64) in place and back, as
    # torch.func.functional_call does, in a fifth of its time: what the forward writes (a
    # counter, running statistics) goes to the copies.
    swapped = [
        (store, name, t)
        for m in modules
        for store in (m._parameters, m._buffers)
        for name, t in store.items()
        if t is not None
    ]
    training = [m for m in modules if m.training and isinstance(m, TRAINING_MODULES)]
    try:
        for store, name, t in swapped:
            dtype = torch.float64 if t.is_floating_point() else t.dtype
            store[name] = t.detach().to("cpu", dtype, copy=True)
        for m in training:
            m.train(False)
        with torch.no_grad():
            outs = [model(torch.tensor(x)) for x in xs]  # a copy: the forward may write in it
    except Exception:  # cannot run: left unchecked (see check_forward)
        return None
    finally:
        for store, name, t in swapped:
            store[name] = t
        for m in training:
            m.train(True)
    if not all(isinstance(out, torch.Tensor) and out.is_floating_point() for out in outs):
        return None
    found = [out.detach().to("cpu", torch.float64).numpy() for out in outs]
    least = max((torch.finfo(out.dtype) for out in outs), key=lambda f: f.eps)
    values = np.concatenate([f.reshape(len(x), -1) for f, x in zip(found, xs, strict=True)])
    return values, least


def _parametrized_below_float64(module: nn.Module) -> bool:
    """Whether ``module`` computes a parametrized tensor from tensors less precise than
    float64."""
    if not parametrize.is_parametrized(module):
        return False
    held = [*module.parametrizations.parameters(), *module.parametrizations.buffers()]
    return any(t.is_floating_point() and t.dtype != torch.float64 for t in held)


def _rounded(least: torch.finfo) -> tuple[float, float]:
    """Unit roundoff and smallest normal number of outputs in ``least`` precision, (0, 0) for
    float64 (its rounding is in the bound already)."""
    return (0.0, 0.0) if least.bits == 64 else (least.eps, least.tiny)


def _outputs(
    ours: np.ndarray, bound: np.ndarray, theirs: np.ndarray, least: torch.finfo
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The trace's outputs and their gap to the model's ``theirs`` (positive where further
    apart than rounding explains): the bound, and a lower precision's rounding of the outputs
    (only a softmax's ``dtype`` gives one: tracing refuses casts)."""
    low, tiny = _rounded(least)
    return [(ours, np.abs(ours - theirs) - MARGIN * bound - 4 * low * np.abs(theirs) - tiny)]


def _softmaxes(
    logits: np.ndarray, bound: np.ndarray, theirs: np.ndarray, least: torch.finfo
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The trace's probabilities and log-probabilities from its ``logits`` (N, k), each with
    its gap to the model's outputs ``theirs`` (positive where further apart than rounding
    explains).

    The log-softmax moves by at most twice the logits' largest error, and its own rounding is
    some ulps of the largest logit (and of log k); in a lower precision (a softmax's
    ``dtype``: the logits are rounded to it first), some of its ulps of the same.
    Probabilities are compared through their logarithms, so that a class the model gives 1e-13
    and the trace 1e-28 differs as it should; where the model's is below the smallest normal
    number, the trace's must be too.
    """
    k = logits.shape[1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    size = np.abs(logits).max(axis=1, keepdims=True) + np.log(k) + 1
    low, tiny = _rounded(least)
    tiny = tiny or np.finfo(np.float64).tiny
    allowed = MARGIN * (2 * bound.max(axis=1, keepdims=True) + (k + 4) * EPS * size)
    allowed = allowed + 4 * (k + 8) * low * size
    normal = theirs >= tiny
    log_theirs = np.log(np.where(normal, theirs, 1.0))
    as_p = np.where(normal, np.abs(log_p - log_theirs), log_p - np.log(tiny)) - allowed
    return [(np.exp(log_p), as_p), (log_p, np.abs(log_p - theirs) - allowed)]
