"""Checks of configuration fields: the value in its canonical type, or a ``ValueError`` naming
the class, the field and why, raised when the config is built rather than deep in training.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_int", "check_real"]


def check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an ``int`` of at least ``minimum``.

    Integers and integral floats (``3.0``, as JSON may give) pass; a bool, a string or a
    fractional number raises instead of being truncated.

    Examples
    --------
    >>> from analysis.lab.checks import check_int
    >>> check_int("TrainConfig", "epochs", 3.0, 1)
    3
    >>> for bad in (2.5, -1, True):
    ...     try:
    ...         check_int("TrainConfig", "epochs", bad, 1)
    ...     except ValueError as err:
    ...         print(err)
    TrainConfig.epochs must be an integer, got 2.5
    TrainConfig.epochs must be >= 1, got -1
    TrainConfig.epochs must be an integer, got True
    """
    integral = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()
    )
    if isinstance(value, bool) or not integral:
        raise ValueError(f"{owner}.{name} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{owner}.{name} must be >= {minimum}, got {int(value)}")
    return int(value)


def check_real(
    owner: str, name: str, value: Any, low: float | None = None, *, above: bool = False
) -> float:
    """``value`` as a finite ``float``, at least ``low`` (or above it, with ``above``).

    Examples
    --------
    >>> from analysis.lab.checks import check_real
    >>> check_real("TrainConfig", "lr", 1, 0.0, above=True)
    1.0
    >>> for bad in (float("nan"), 0.0):
    ...     try:
    ...         check_real("TrainConfig", "lr", bad, 0.0, above=True)
    ...     except ValueError as err:
    ...         print(err)
    TrainConfig.lr must be a finite number, got nan
    TrainConfig.lr must be > 0, got 0.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{owner}.{name} must be a finite number, got {value!r}")
    number = float(value)
    if low is not None and (number <= low if above else number < low):
        raise ValueError(f"{owner}.{name} must be {'>' if above else '>='} {low:g}, got {number}")
    return number
