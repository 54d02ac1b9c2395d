"""Errors and warnings raised by :mod:`regions`.

Every error names what was wrong (which module, which parameter) and why, so a user
can fix the input without reading our source.
"""

from __future__ import annotations

__all__ = [
    "RegionsError",
    "NotPiecewiseLinearError",
    "UnsupportedModelError",
    "InvalidModelError",
    "DomainError",
    "InvalidArgumentError",
    "TooManyRegionsError",
    "EvalSemanticsWarning",
]


class RegionsError(Exception):
    """Base class of every error raised by :mod:`regions`.

    Catch it to handle any input :mod:`regions` rejects. Each subclass also derives from the
    matching builtin (``TypeError``, ``ValueError`` or ``RuntimeError``), so code that catches
    those keeps working.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid())
    >>> try:
    ...     regions.decompose(model)
    ... except regions.RegionsError as exc:
    ...     print(type(exc).__name__)
    NotPiecewiseLinearError
    """


class NotPiecewiseLinearError(RegionsError, TypeError):
    """The model contains an operation that is not piecewise linear (tanh, sigmoid, GELU, ...).

    The message names the offending module or function and the node it follows.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    >>> try:
    ...     regions.decompose(model)
    ... except regions.NotPiecewiseLinearError as exc:
    ...     print(str(exc)[:55])
    module '1' (Tanh) after '0' is not piecewise linear; re
    >>> regions.is_piecewise_linear(model)
    False
    """


class UnsupportedModelError(RegionsError, TypeError):
    """The model cannot be traced, or uses an operation :mod:`regions` does not interpret.

    Examples
    --------
    Data-dependent control flow cannot be traced by ``torch.fx``:

    >>> import torch
    >>> import regions
    >>> class Branchy(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = torch.nn.Linear(2, 1)
    ...
    ...     def forward(self, x):
    ...         return self.fc(x) if x.sum() > 0 else -self.fc(x)
    >>> try:
    ...     regions.trace(Branchy())
    ... except regions.UnsupportedModelError as exc:
    ...     print(str(exc)[:40])
    torch.fx could not trace Branchy: symbol...
    """


class TraceMismatchError(UnsupportedModelError):
    """The traced network computes something other than the model's own forward pass.

    :func:`regions.trace` checks every trace read from a graph against ``model(x)`` at a few
    inputs (:mod:`regions.trace_check`); this error means tracing misread the model, a bug in
    regions to report. ``regions.trace(model, check=False)`` skips the check.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> from regions.trace_check import check_forward
    >>> a, b = torch.nn.Linear(2, 3), torch.nn.Linear(2, 3)
    >>> try:  # a's trace is not b
    ...     check_forward(b, regions.trace(a))
    ... except regions.TraceMismatchError as exc:
    ...     print(str(exc)[:55])
    regions.trace: the traced network is not what the model
    """


class InvalidModelError(RegionsError, ValueError):
    """The model's parameters or shapes are unusable (NaN/Inf weights, wrong input width).

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> with torch.no_grad():
    ...     _ = model[0].weight.fill_(float("nan"))
    >>> try:
    ...     regions.decompose(model)
    ... except regions.InvalidModelError as exc:
    ...     print(exc)
    0.weight holds NaN or Inf values; the model has no regions

    Layers whose widths do not chain:

    >>> bad = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    >>> try:
    ...     regions.trace(bad)
    ... except regions.InvalidModelError as exc:
    ...     print(exc)
    module '2' (Linear) expects 4 input features but receives 3
    """


class DomainError(RegionsError, ValueError):
    """The domain or plane is empty, degenerate or malformed.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> try:
    ...     regions.decompose(sawtooth(2), (1, 0, 0, 1))  # xmin > xmax
    ... except regions.DomainError as exc:
    ...     print(str(exc)[:50])
    domain box (xmin, xmax, ymin, ymax) = (1, 0, 0, 1)

    A model with 3 inputs needs a plane:

    >>> import torch
    >>> try:
    ...     regions.decompose(torch.nn.Linear(3, 1))
    ... except regions.DomainError as exc:
    ...     print(str(exc)[:35])
    the model has 3 inputs, not 2: pass
    """


class InvalidArgumentError(RegionsError, ValueError, TypeError):
    """An argument of a :mod:`regions` function has the wrong type or value.

    The message names the function, the parameter, what was given and what is allowed. It
    derives from both ``ValueError`` and ``TypeError``, as Python raises one or the other for
    such mistakes.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> try:
    ...     regions.decompose(sawtooth(2), max_regions=float("nan"))
    ... except regions.InvalidArgumentError as exc:
    ...     print(str(exc)[:50])
    decompose: max_regions must be a positive integer
    """


class TooManyRegionsError(RegionsError, RuntimeError):
    """The decomposition would exceed ``max_regions`` regions.

    Raised as soon as the count passes the limit, before memory runs out; the message names the
    layer and unit where it happened.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> try:  # sawtooth(4) has 16 regions on [0, 1]^2
    ...     regions.decompose(sawtooth(4), (0, 1, 0, 1), max_regions=10)
    ... except regions.TooManyRegionsError as exc:
    ...     print(str(exc)[:31])
    more than max_regions=10 region
    """


class EvalSemanticsWarning(UserWarning):
    """A model in training mode was decomposed with eval semantics.

    Dropout is off and BatchNorm uses its running statistics, as after ``model.eval()``.

    Examples
    --------
    >>> import warnings
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 4), torch.nn.Dropout(0.5), torch.nn.ReLU(), torch.nn.Linear(4, 1)
    ... )
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = regions.trace(model)  # a fresh module is in training mode
    >>> [w.category.__name__ for w in caught]
    ['EvalSemanticsWarning']
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error")
    ...     _ = regions.trace(model.eval())  # no warning once in eval mode
    """
