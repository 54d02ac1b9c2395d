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

from .bounded import forward_with_bounds
from .errors import TraceMismatchError
from .floats import EPS
from .network import Network

__all__ = ["CHECK_POINTS", "MARGIN", "check_forward"]

CHECK_POINTS = 8
"""Inputs the check runs at: standard-normal, seeded, float32 numbers (so a float32 model sees
them unrounded)."""

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

    Notes
    -----
    A model that cannot run in float64 on the CPU, or returns no floating tensor, is not
    checked: none that tracing reads is known to.
    """
    n = CHECK_POINTS if batch is None else -(-CHECK_POINTS // batch) * batch
    x = _inputs(n, net.n_inputs)
    with np.errstate(all="ignore"):
        values, errors = forward_with_bounds(net, None, x)
    ours, bound = values[net.output], errors[net.output]
    shape = (batch or len(x), *(features or (net.n_inputs,)))
    theirs = _forward(model, [part.reshape(shape) for part in np.split(x, len(x) // shape[0])])
    if theirs is None:
        return
    if theirs.size != ours.size:
        raise TraceMismatchError(
            f"regions.trace: the model returns {theirs.size // len(x)} outputs per input and "
            f"its trace {ours.shape[1]}{_REPORT}"
        )
    theirs = theirs.reshape(ours.shape)
    with np.errstate(all="ignore"):
        candidates = _softmaxes(ours, bound) if net.softmax else [(ours, bound)]
        kept = np.isfinite(theirs).all(axis=1) & np.isfinite(ours).all(axis=1)
        kept &= np.isfinite(bound).all(axis=1)  # overflow on either side: nothing to compare
        off = [np.abs(c - theirs)[kept] - MARGIN * b[kept] for c, b in candidates]
    if any((o <= 0).all() for o in off):
        return
    worst = np.unravel_index(np.argmax(off[0]), off[0].shape)
    point, column = np.flatnonzero(kept)[worst[0]], worst[1]
    raise TraceMismatchError(
        f"regions.trace: the traced network is not what the model computes: at input "
        f"{x[point].tolist()}, output {column} is {theirs[point, column]!r} from the model's "
        f"forward and {candidates[0][0][point, column]!r} from its trace, further apart than "
        f"rounding explains{_REPORT}"
    )


@functools.cache
def _inputs(n: int, n_inputs: int) -> np.ndarray:
    """``n`` seeded standard-normal inputs, float32 numbers (read-only: cached)."""
    x = np.random.default_rng(0).standard_normal((n, n_inputs)).astype(np.float32)
    x = x.astype(np.float64)
    x.flags.writeable = False
    return x


_REPORT = (
    ". This is a bug in regions' tracing of this model: please report it with the model. "
    "torch.export.export(model, (x,)) is traced another way; regions.trace(model, "
    "check=False) skips this check"
)


def _forward(model: Callable[[torch.Tensor], object], xs: list[np.ndarray]) -> np.ndarray | None:
    """The model's float64 outputs (N, -1) at the batches ``xs``, or None if it cannot run on
    them."""
    modules = list(model.modules()) if isinstance(model, nn.Module) else []
    # Swapped in place and back, as torch.func.functional_call does, in a fifth of its time.
    swapped = [
        (store, name, t)
        for m in modules
        for store in (m._parameters, m._buffers)
        for name, t in store.items()
        if t is not None and t.is_floating_point() and (t.dtype, t.device.type) != _CPU64
    ]
    training = [m for m in modules if m.training and isinstance(m, TRAINING_MODULES)]
    try:
        for store, name, t in swapped:
            store[name] = t.detach().to("cpu", torch.float64)
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
    return np.concatenate([f.reshape(len(x), -1) for f, x in zip(found, xs, strict=True)])


_CPU64 = (torch.float64, "cpu")


def _softmaxes(logits: np.ndarray, bound: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The softmax and log-softmax of ``logits`` (N, k), each with a bound (N, 1) on how far
    the exact model's are: log-softmax moves by at most twice the logits' largest error, its
    own rounding is some ulps of the largest logit (and of log k), and a probability moves by
    no more than its logarithm."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    size = np.abs(logits).max(axis=1, keepdims=True) + np.log(logits.shape[1]) + 1
    b = 2 * bound.max(axis=1, keepdims=True) + (logits.shape[1] + 4) * EPS * size
    return [(np.exp(log_p), b), (log_p, b)]
