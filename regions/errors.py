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
    "TooManyRegionsError",
    "EvalSemanticsWarning",
]


class RegionsError(Exception):
    """Base class of every error raised by :mod:`regions`."""


class NotPiecewiseLinearError(RegionsError, TypeError):
    """The model contains an operation that is not piecewise linear (tanh, sigmoid, GELU, ...)."""


class UnsupportedModelError(RegionsError, TypeError):
    """The model cannot be traced, or uses an operation :mod:`regions` does not interpret."""


class InvalidModelError(RegionsError, ValueError):
    """The model's parameters or shapes are unusable (NaN/Inf weights, wrong input width)."""


class DomainError(RegionsError, ValueError):
    """The domain or plane is empty, degenerate or malformed."""


class TooManyRegionsError(RegionsError, RuntimeError):
    """The decomposition would exceed ``max_regions`` regions."""


class EvalSemanticsWarning(UserWarning):
    """A model in training mode was decomposed with eval semantics.

    Dropout is off and BatchNorm uses its running statistics, as after ``model.eval()``.
    """
