"""Checks of the arguments of the public functions and of a network's values, with clear errors.

Each check names the function, the parameter, what was given and what is allowed, and returns
the value in the form the caller computes with (an ``int``, a ``float``, an (N, 2) array). The
public functions call them first, so a bad argument never reaches numpy.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .domain import Plane
from .errors import InvalidArgumentError, InvalidModelError
from .network import Activation, Affine, Network

__all__ = [
    "all_finite",
    "check_finite_on",
    "check_index",
    "check_max_regions",
    "check_n_inputs",
    "check_parameters",
    "check_points",
    "check_real",
]


def _given(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def _is_real(value: object) -> bool:
    """A real number that is not a bool (``True`` as a tolerance or a count is a mistake)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_real(value: object, name: str, where: str, *, below: float = np.inf) -> float:
    """``value`` as a float, if it is a finite real number in ``[0, below)``.

    Parameters
    ----------
    value : object
        What the caller passed.
    name, where : str
        The parameter and the function, for the message.
    below : float
        Exclusive upper bound.

    Returns
    -------
    float

    Raises
    ------
    InvalidArgumentError
        For a non-number (None, a string, a bool), NaN, infinity, a negative value or one
        ``>= below``.

    Examples
    --------
    >>> from regions.validate import check_real
    >>> check_real(1e-9, "rtol", "Partition.linear_regions")
    1e-09
    >>> check_real(-1.0, "rtol", "Partition.linear_regions")
    Traceback (most recent call last):
        ...
    regions.errors.InvalidArgumentError: Partition.linear_regions: rtol must be ... >= 0, got -1.0
    (float)
    """
    allowed = "a finite number >= 0" if below == np.inf else f"a finite number in [0, {below:g})"
    if not _is_real(value) or not 0 <= float(value) < below:  # NaN fails the comparison
        raise InvalidArgumentError(f"{where}: {name} must be {allowed}, got {_given(value)}")
    return float(value)


def check_max_regions(value: object, where: str) -> int:
    """``max_regions``: a positive whole number; ``1e6`` (a float) is accepted.

    NaN, infinity and None are refused: none of them means "no limit". One beyond int64
    (``2**63``, ``1e300``) is int64's largest, which no count reaches (the compiled loops
    compare in int64).

    Returns
    -------
    int

    Raises
    ------
    InvalidArgumentError
        For anything but a whole number >= 1.

    Examples
    --------
    >>> from regions.validate import check_max_regions
    >>> check_max_regions(1e6, "decompose")
    1000000
    >>> check_max_regions(2**70, "decompose") == 2**63 - 1
    True
    >>> check_max_regions(2.5, "decompose")
    Traceback (most recent call last):
        ...
    regions.errors.InvalidArgumentError: decompose: max_regions must be a positive integer ... got
    2.5 (float)
    """
    whole = _is_real(value) and np.isfinite(float(value)) and float(value).is_integer()
    if not whole or value < 1:
        raise InvalidArgumentError(
            f"{where}: max_regions must be a positive integer (regions.DEFAULT_MAX_REGIONS by "
            f"default), got {_given(value)}"
        )
    return min(int(value), int(np.iinfo(np.int64).max))


def check_index(value: object, name: str, lo: int, hi: int, where: str) -> int:
    """An integer index in ``lo..hi`` (inclusive); floats, even ``2.0``, are refused.

    Returns
    -------
    int

    Raises
    ------
    InvalidArgumentError
        For a non-integer (float, str, None, bool) or an index out of range. The message
        keeps the form ``{name} must be in lo..hi``.

    Examples
    --------
    >>> from regions.validate import check_index
    >>> check_index(2, "k", 0, 3, "Partition.at_depth")
    2
    >>> check_index(1.5, "k", 0, 3, "Partition.at_depth")
    Traceback (most recent call last):
        ...
    regions.errors.InvalidArgumentError: Partition.at_depth: k must be in 0..3 ... got 1.5 (float)
    """
    integral = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if not integral or not lo <= value <= hi:
        span = f"{lo}..{hi}" if lo <= hi else f"{lo}..{hi}, which is empty"
        raise InvalidArgumentError(
            f"{where}: {name} must be in {span} (an integer), got {_given(value)}"
        )
    return int(value)


def check_n_inputs(n_inputs: object, where: str) -> int | None:
    """``n_inputs`` of :func:`regions.trace`: None (inferred) or a positive integer.

    Examples
    --------
    >>> from regions.validate import check_n_inputs
    >>> check_n_inputs(None, "trace"), check_n_inputs(3, "trace")
    (None, 3)
    """
    if n_inputs is None:
        return None
    integral = isinstance(n_inputs, numbers.Integral) and not isinstance(n_inputs, bool)
    if not integral or n_inputs < 1:
        raise InvalidArgumentError(
            f"{where}: n_inputs must be None or a positive integer, got {_given(n_inputs)}"
        )
    return int(n_inputs)


def check_points(points: object, where: str) -> np.ndarray:
    """Plane points as a float64 array (N, 2); one point (2,) becomes (1, 2).

    Raises
    ------
    InvalidArgumentError
        For non-numeric input, any other shape, or a NaN or infinite coordinate.

    Examples
    --------
    >>> from regions.validate import check_points
    >>> check_points([0.5, 1.0], "Partition.locate").tolist()
    [[0.5, 1.0]]
    >>> check_points([[1, 2, 3]], "Partition.locate")
    Traceback (most recent call last):
        ...
    regions.errors.InvalidArgumentError: Partition.locate: points must have shape (N, 2) ... got
    shape (1, 3)
    """
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"{where}: points must be numbers of shape (N, 2), got {type(points).__name__} "
            f"that numpy cannot read as float64 ({exc})"
        ) from exc
    if arr.shape == (2,):
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidArgumentError(
            f"{where}: points must have shape (N, 2) (or (2,) for one point) in plane "
            f"coordinates (u, v), got shape {arr.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
    if bad.size:
        raise InvalidArgumentError(
            f"{where}: points must be finite; {bad.size} of {len(arr)} hold NaN or infinity "
            f"(first: row {bad[0]}, {arr[bad[0]].tolist()})"
        )
    return arr


def _describe(net: Network, i: int) -> str:
    node = net.nodes[i]
    return f"'{node.name}' (node {i}, {type(node).__name__})"


def check_parameters(net: Network) -> None:
    """Every node of a (possibly hand-built) network has at least one unit and finite numbers.

    Raises
    ------
    InvalidModelError
        Naming the first node with zero width or a NaN or infinite weight, bias, breakpoint,
        slope or offset.

    Examples
    --------
    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.validate import check_parameters
    >>> net = regions.trace(sawtooth(2))
    >>> check_parameters(net)
    >>> net.nodes[1].W[0, 0] = np.inf
    >>> check_parameters(net)
    Traceback (most recent call last):
        ...
    regions.errors.InvalidModelError: '0' (node 1, Affine) has NaN or infinite parameters; ...
    """
    if min(net.widths) >= 1 and all_finite([a for n in net.nodes for a in _parameters(n)]):
        return  # the usual case, in one pass; else find the first culprit
    for i, node in enumerate(net.nodes):
        if net.widths[i] < 1:
            what = "the input" if node is None else _describe(net, i)
            raise InvalidModelError(f"{what} has width {net.widths[i]}; every node needs a unit")
        if not all_finite(_parameters(node)):
            raise InvalidModelError(
                f"{_describe(net, i)} has NaN or infinite parameters; the model has no regions"
            )


def _parameters(node: object) -> tuple[np.ndarray, ...]:
    """A node's weights and bias, or breakpoints, slopes and offsets (none for others)."""
    if isinstance(node, Affine):
        return node.W, node.b
    if isinstance(node, Activation):
        return node.thresholds, node.slopes, node.offsets
    return ()


def all_finite(arrays: Sequence[np.ndarray]) -> bool:
    """Whether every entry of ``arrays`` is finite (one pass over them all: small arrays'
    checks cost their calls, not their values).

    Examples
    --------
    >>> import numpy as np
    >>> from regions.validate import all_finite
    >>> all_finite([np.ones((2, 2)), np.zeros(3)]), all_finite([np.ones(2), np.array([np.inf])])
    (True, False)
    >>> all_finite([])
    True
    """
    return not arrays or bool(np.isfinite(np.concatenate([a.ravel() for a in arrays])).all())


def check_finite_on(net: Network, plane: Plane, hull_vertices: np.ndarray) -> None:
    """Raise before decomposing if the model is non-finite at a vertex of the domain's hull.

    Runs :func:`check_parameters`, then the float64 forward pass through every node at the
    hull's vertices. Where weights are so large that a node overflows float64 there (or a
    NaN appears), the decomposition could only produce non-finite maps; this names the first
    such node instead.

    Parameters
    ----------
    net : Network
        The traced model.
    plane : Plane
        Plane coordinates to model inputs.
    hull_vertices : ndarray, shape (k, 2)
        The domain's convex hull (``Domain.hull``), in plane coordinates.

    Raises
    ------
    InvalidModelError
        Naming the node, the unit and the vertex.

    Notes
    -----
    Every node is piecewise linear on the plane, and its largest magnitude over the hull can
    sit at an interior vertex of the partition rather than at a hull vertex; the
    decomposition checks the vertices it creates as well.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> from regions.domain import as_domain, as_plane
    >>> from regions.validate import check_finite_on
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> model = model.double()
    >>> with torch.no_grad():
    ...     _ = model[0].weight.fill_(1e200)
    ...     _ = model[2].weight.fill_(1e200)
    >>> net, dom = regions.trace(model), as_domain((0, 1, 0, 1))
    >>> check_finite_on(net, as_plane(None, 2), dom.hull)
    Traceback (most recent call last):
        ...
    regions.errors.InvalidModelError: '2' (node 3, Affine) is infinite at the domain's vertex (u,
    v) = (1, 0) ...
    """
    check_parameters(net)
    hull_vertices = np.asarray(hull_vertices, dtype=np.float64)
    with np.errstate(all="ignore"):
        values = list(net.evaluate(plane.to_input(hull_vertices)))
        if all_finite(values):
            return
        for i, value in enumerate(values):
            bad = ~np.isfinite(value)
            if not bad.any():
                continue
            vertex, unit = np.argwhere(bad)[0]
            kind = "NaN" if np.isnan(value[vertex, unit]) else "infinite"
            what = "the plane's input" if i == 0 else _describe(net, i)
            u, v = hull_vertices[vertex]
            raise InvalidModelError(
                f"{what} is {kind} at the domain's vertex (u, v) = ({u:g}, {v:g}) "
                f"(unit {unit}): the model overflows float64 there; rescale its weights or "
                "shrink the domain"
            )
