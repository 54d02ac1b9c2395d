"""Closed-form bounds on the number of linear regions of a ReLU network, and a density law.

A fully connected ReLU network with input dimension ``n0`` and hidden widths
``widths = [n_1, ..., n_L]`` (the output layer is affine and adds no regions) splits its input
space into finitely many *linear regions*. The maximum of that number over all weights is not
known in closed form; the papers below bound it from both sides. Every count here is exact:
Python ints and :func:`math.comb`, never floats (``trivial_upper([128] * 8)`` has 309 digits).

``one_layer_max(n1, n0)``
    sum_{j<=n0} C(n1, j): one layer, exact maximum (Zaslavsky 1975).
``trivial_upper(widths)``
    2^(n_1 + ... + n_L): one region per activation pattern at most.
``montufar_upper(widths, n0)``
    prod_l sum_{j<=d_l} C(n_l, j), d_l = min(n0, n_1, ..., n_l) (Montufar 2017).
``serra_upper(widths, n0)``
    sum over (j_1..j_L) in J of prod_l C(n_l, j_l) (Serra et al. 2018, Theorem 1).
``montufar_lower(widths, n0)``
    prod_{l<L} floor(n_l / n0)^n0 * sum_{j<=n0} C(n_L, j), all n_l >= n0
    (Montufar et al. 2014, Theorem 4).
``serra_lower(widths, n0)``
    prod_{l<L} (floor(n_l / n0) + 1)^n0 * sum_{j<=n0} C(n_L, j), all n_l >= 3 n0
    (Serra et al. 2018, Theorem 8).

For every valid architecture ``lower <= serra_upper <= montufar_upper <= trivial_upper``
(the tests check it). Activation regions are convex, so on a convex domain such as a box the
exact count from :func:`regions.count` is at most the count on the whole plane and never
exceeds an upper bound; a lower bound is a statement about the *best* weights, attained by
explicit constructions (:mod:`regions.constructions`), not by trained or random nets.

Random nets have far fewer regions than the maximum. :func:`fit_density_law` fits Hanin &
Rolnick's (2019) prediction that the number of regions per unit area grows like the square of
the number of neurons, whatever the depth.

References
----------
- T. Zaslavsky (1975). Facing up to arrangements: face-count formulas for partitions of space
  by hyperplanes. Memoirs of the AMS 154.
- G. Montufar, R. Pascanu, K. Cho, Y. Bengio (2014). On the number of linear regions of deep
  neural networks. NeurIPS 2014.
- G. Montufar (2017). Notes on the number of linear regions of deep neural networks. SampTA.
- T. Serra, C. Tjandraatmadja, S. Ramalingam (2018). Bounding and counting linear regions of
  deep neural networks. ICML 2018 (arXiv:1711.02114).
- B. Hanin, D. Rolnick (2019). Deep ReLU networks have surprisingly few activation patterns.
  NeurIPS 2019.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "BOUNDS",
    "DensityFit",
    "evaluate_bounds",
    "fit_density_law",
    "montufar_lower",
    "montufar_upper",
    "one_layer_max",
    "serra_lower",
    "serra_upper",
    "trivial_upper",
]


def _positive_int(value: object, name: str) -> int:
    """``value`` as a Python int >= 1 (numpy integers accepted, bools and floats refused)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")
    return n


def _check(widths: Sequence[int], n0: int) -> tuple[tuple[int, ...], int]:
    """Validated ``(widths, n0)``: a non-empty tuple of ints >= 1 and an int >= 1."""
    n0 = _positive_int(n0, "n0")
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence | np.ndarray):
        raise TypeError(f"widths must be a sequence of ints, got {widths!r}")
    if len(widths) == 0:
        raise ValueError("widths must list at least one hidden layer")
    ws = tuple(_positive_int(w, f"widths[{i}] (layer {i + 1})") for i, w in enumerate(widths))
    return ws, n0


def _zaslavsky(n: int, d: int) -> int:
    """sum_{j=0}^{d} C(n, j): regions of n hyperplanes in general position in R^d."""
    return sum(math.comb(n, j) for j in range(d + 1))


def one_layer_max(n1: int, n0: int = 2) -> int:
    """Maximal number of linear regions of one hidden ReLU layer of width ``n1``.

    .. math:: R(n_1, n_0) = \\sum_{j=0}^{n_0} \\binom{n_1}{j}

    Each unit switches on a hyperplane of R^{n0}; ``n1`` hyperplanes in general position cut
    R^{n0} into exactly this many regions (Zaslavsky 1975), and no arrangement makes more.
    For ``n0 = 2`` this is ``1 + n1 + n1 (n1 - 1) / 2`` (lines in the plane).

    Parameters
    ----------
    n1 : int
        Number of hidden units, >= 1.
    n0 : int, default 2
        Input dimension, >= 1.

    Returns
    -------
    int
        The exact count; ``2**n1`` when ``n1 <= n0``.

    Examples
    --------
    >>> from analysis.studies.depth_width.bounds import one_layer_max
    >>> one_layer_max(4)
    11
    >>> one_layer_max(4, n0=1)
    5
    """
    n1 = _positive_int(n1, "n1")
    n0 = _positive_int(n0, "n0")
    return _zaslavsky(n1, n0)


def trivial_upper(widths: Sequence[int], n0: int = 2) -> int:
    """The activation-pattern bound: at most ``2**N`` regions for ``N`` ReLU units.

    .. math:: R \\le 2^{n_1 + \\dots + n_L}

    Each region has its own activation pattern (which units are on), and there are ``2**N``
    patterns. This bound ignores the input dimension.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_L]``, each >= 1.
    n0 : int, default 2
        Input dimension. Accepted (and validated) so that every entry of :data:`BOUNDS` has the
        signature ``f(widths, n0)``; the bound does not depend on it.

    Returns
    -------
    int

    Examples
    --------
    >>> from analysis.studies.depth_width.bounds import trivial_upper
    >>> trivial_upper([4, 4])
    256
    """
    ws, _ = _check(widths, n0)
    return 2 ** sum(ws)


def montufar_upper(widths: Sequence[int], n0: int = 2) -> int:
    """Montufar's (2017) product upper bound on the number of linear regions.

    .. math::

        R \\le \\prod_{l=1}^{L} \\sum_{j=0}^{d_l} \\binom{n_l}{j},
        \\qquad d_l = \\min(n_0, n_1, \\dots, n_l)

    Layer ``l`` sees its input through an image of dimension at most ``d_l``, where its
    ``n_l`` hyperplanes make at most ``sum_{j<=d_l} C(n_l, j)`` pieces of each region of the
    previous layers (G. Montufar, *Notes on the number of linear regions of deep neural
    networks*, SampTA 2017).

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_L]``, each >= 1.
    n0 : int, default 2
        Input dimension, >= 1.

    Returns
    -------
    int

    Examples
    --------
    >>> from analysis.studies.depth_width.bounds import montufar_upper
    >>> montufar_upper([4, 4])  # 11 * 11
    121
    >>> montufar_upper([2, 1, 4])  # 4 * 2 * (1 + 4): the width-1 layer caps d_3 at 1
    40
    """
    ws, n0 = _check(widths, n0)
    total, d = 1, n0
    for n in ws:
        d = min(d, n)
        total *= _zaslavsky(n, d)
    return total


def serra_upper(widths: Sequence[int], n0: int = 2) -> int:
    """Serra, Tjandraatmadja & Ramalingam's (2018) upper bound (their Theorem 1).

    .. math::

        R \\le \\sum_{(j_1, \\dots, j_L) \\in J} \\prod_{l=1}^{L} \\binom{n_l}{j_l},

        J = \\{ (j_1, \\dots, j_L) \\in \\mathbb{Z}^L :
        0 \\le j_l \\le \\min(n_0, n_1 - j_1, \\dots, n_{l-1} - j_{l-1}, n_l) \\ \\forall l \\}

    ``j_l`` is the number of units of layer ``l`` active on a region; the inactive units of
    earlier layers cap the dimension of the image that later layers see (T. Serra,
    C. Tjandraatmadja, S. Ramalingam, *Bounding and counting linear regions of deep neural
    networks*, ICML 2018, Theorem 1). It is never larger than :func:`montufar_upper`.

    Computed by dynamic programming over the running cap ``m_l = min(n_0, n_1 - j_1, ...,
    n_l - j_l)``, which takes at most ``n0 + 1`` values: ``O(L n0^2)`` big-int operations
    instead of a sum over up to ``(n0 + 1)^L`` tuples, so ``[128] * 8`` is instant.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_L]``, each >= 1.
    n0 : int, default 2
        Input dimension, >= 1.

    Returns
    -------
    int

    Examples
    --------
    >>> from analysis.studies.depth_width.bounds import one_layer_max, serra_upper
    >>> serra_upper([4, 4])
    121
    >>> serra_upper([2, 2, 2])  # the narrow layers cost dimensions: Montufar gives 64
    30
    >>> serra_upper([1]) == one_layer_max(1) == 2
    True
    """
    ws, n0 = _check(widths, n0)
    # weight[m] = sum over the prefixes (j_1..j_l) whose running cap is m of prod C(n_i, j_i)
    weight: dict[int, int] = {n0: 1}
    for n in ws:
        nxt: dict[int, int] = {}
        for cap, w in weight.items():
            for j in range(min(cap, n) + 1):
                new_cap = min(cap, n - j)
                nxt[new_cap] = nxt.get(new_cap, 0) + w * math.comb(n, j)
        weight = nxt
    return sum(weight.values())


def _require(ws: tuple[int, ...], minimum: int, bound: str, source: str) -> None:
    for i, n in enumerate(ws):
        if n < minimum:
            raise ValueError(
                f"{bound} needs every hidden width >= {minimum} ({source}); layer {i + 1} of "
                f"{list(ws)} has width {n}"
            )


def montufar_lower(widths: Sequence[int], n0: int = 2) -> int:
    """Montufar, Pascanu, Cho & Bengio's (2014) lower bound on the maximal number of regions.

    .. math::

        R_{\\max} \\ge \\left( \\prod_{l=1}^{L-1} \\left\\lfloor \\frac{n_l}{n_0}
        \\right\\rfloor^{n_0} \\right) \\sum_{j=0}^{n_0} \\binom{n_L}{j}

    Each of the first ``L - 1`` layers folds every input coordinate ``floor(n_l / n0)``
    times onto itself; the last layer draws ``n_L`` hyperplanes in general position, which
    are replicated in every fold (G. Montufar, R. Pascanu, K. Cho, Y. Bengio, *On the number
    of linear regions of deep neural networks*, NeurIPS 2014, Theorem 4).
    :func:`regions.constructions.folding_net` builds this net for ``n0 = 2`` and attains the
    bound exactly.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_L]``, each >= ``n0`` (the theorem's hypothesis).
    n0 : int, default 2
        Input dimension, >= 1.

    Returns
    -------
    int
        For one hidden layer, ``one_layer_max(n_1, n0)``: the bound is then exact.

    Raises
    ------
    ValueError
        If some width is below ``n0``, naming the first such layer. The theorem is stated for
        ``n_l >= n0`` at every layer; below it ``floor(n_l / n0) = 0`` and the formula would
        claim 0 regions. We apply the hypothesis to the last layer too, as the paper does,
        rather than silently extend it. :func:`evaluate_bounds` turns the error into ``None``.

    Examples
    --------
    >>> from analysis.studies.depth_width.bounds import montufar_lower
    >>> montufar_lower([4, 4])  # 2^2 * 11
    44
    >>> montufar_lower([8, 8, 8])  # 4^2 * 4^2 * 37
    9472
    """
    ws, n0 = _check(widths, n0)
    _require(ws, n0, "montufar_lower", "Montufar et al. 2014, Theorem 4: n_l >= n0")
    total = _zaslavsky(ws[-1], n0)
    for n in ws[:-1]:
        total *= (n // n0) ** n0
    return total


def serra_lower(widths: Sequence[int], n0: int = 2) -> int:
    """Serra, Tjandraatmadja & Ramalingam's (2018) improved lower bound (their Theorem 8).

    .. math::

        R_{\\max} \\ge \\left( \\prod_{l=1}^{L-1} \\left( \\left\\lfloor \\frac{n_l}{n_0}
        \\right\\rfloor + 1 \\right)^{n_0} \\right) \\sum_{j=0}^{n_0} \\binom{n_L}{j}
        \\qquad \\text{for } n_l \\ge 3 n_0 \\text{ for all } l

    The construction of :func:`montufar_lower` with a better fold: a group of ``k >= 3``
    units folds a coordinate into ``k + 1`` pieces instead of ``k``, which is why the theorem
    asks for at least 3 units per input dimension (T. Serra, C. Tjandraatmadja,
    S. Ramalingam, *Bounding and counting linear regions of deep neural networks*, ICML 2018,
    Theorem 8; arXiv:1711.02114). For ``n0 = 1`` it equals :func:`serra_upper`, the paper's
    "exact for inputs of dimension one".

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_L]``, each >= ``3 n0``.
    n0 : int, default 2
        Input dimension, >= 1.

    Returns
    -------
    int
        For one hidden layer, ``one_layer_max(n_1, n0)``.

    Raises
    ------
    ValueError
        If some width is below ``3 n0``, naming the first such layer. The hypothesis covers
        every layer in the theorem, the last included, and is applied as stated.

    Examples
    --------
    >>> from analysis.studies.depth_width.bounds import montufar_lower, serra_lower
    >>> serra_lower([8, 8, 8])  # 5^2 * 5^2 * 37
    23125
    >>> serra_lower([6, 6]) > montufar_lower([6, 6])  # 16 * 22 against 9 * 22
    True
    """
    ws, n0 = _check(widths, n0)
    _require(ws, 3 * n0, "serra_lower", "Serra et al. 2018, Theorem 8: n_l >= 3 n0")
    total = _zaslavsky(ws[-1], n0)
    for n in ws[:-1]:
        total *= (n // n0 + 1) ** n0
    return total


Bound = Callable[[Sequence[int], int], int]
"""``f(widths, n0) -> int``: the signature every entry of :data:`BOUNDS` shares."""

BOUNDS: dict[str, Bound] = {
    "trivial_upper": trivial_upper,
    "montufar_upper": montufar_upper,
    "serra_upper": serra_upper,
    "serra_lower": serra_lower,
    "montufar_lower": montufar_lower,
}
"""Every whole-network bound by name, from the loosest upper to the loosest lower bound.

Each is called as ``f(widths, n0)``. The lower bounds raise ``ValueError`` outside their
hypotheses; :func:`evaluate_bounds` evaluates them all and maps those cases to ``None``.
"""


def evaluate_bounds(widths: Sequence[int], n0: int = 2) -> dict[str, int | None]:
    """Every bound of :data:`BOUNDS` for one architecture, ``None`` where it does not apply.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_L]``, each >= 1.
    n0 : int, default 2
        Input dimension, >= 1.

    Returns
    -------
    dict of str to int or None
        Keyed like :data:`BOUNDS`, in the same order.

    Raises
    ------
    ValueError, TypeError
        If ``widths`` or ``n0`` are invalid for every bound (empty, zero or non-integer).

    Examples
    --------
    >>> from analysis.studies.depth_width.bounds import evaluate_bounds
    >>> b = evaluate_bounds([4, 4])
    >>> b["serra_upper"], b["montufar_lower"], b["serra_lower"]  # 4 < 3 * 2: not applicable
    (121, 44, None)
    """
    _check(widths, n0)
    out: dict[str, int | None] = {}
    for name, bound in BOUNDS.items():
        try:
            out[name] = bound(widths, n0)
        except ValueError:
            out[name] = None
    return out


@dataclass(frozen=True)
class DensityFit:
    """Least-squares fits of ``regions ~ C * N^2 * area`` (Hanin & Rolnick 2019).

    Units: ``N`` is the total number of hidden ReLU units (a count), ``area`` is in squared
    input units (the box ``[-2, 2]^2`` has area 16), counts are numbers of regions. So
    ``constant`` is in regions per unit area per neuron squared, and ``exp(intercept)`` in
    regions per unit area per neuron to the power ``slope``.

    Attributes
    ----------
    constant : float
        ``C`` of the law with the exponent fixed at 2: ``log C`` is the mean of
        ``log(count / area) - 2 log N``, the least-squares solution in log space.
    slope : float
        Exponent of the free fit ``log(count / area) = intercept + slope * log N``
        (Hanin & Rolnick predict 2 in 2D).
    intercept : float
        Natural-log intercept of the free fit.
    rms_log_residual : float
        Root-mean-square residual of the fixed-exponent fit in natural-log units
        (0.1 is about a 10% typical error).
    n_points : int
        Number of ``(N, count)`` observations fitted.
    exponent : float
        The fixed exponent, 2.0 (the input dimension).

    Examples
    --------
    Counts that double faster than ``N^2`` give a free slope above 2 and a nonzero residual
    of the fixed-exponent fit:

    >>> import numpy as np
    >>> from analysis.studies.depth_width.bounds import fit_density_law
    >>> n = np.array([10, 20, 40])  # hidden units
    >>> counts = np.array([100, 400 * 1.1, 1600 * 1.1**2])  # regions on [-2, 2]^2
    >>> fit = fit_density_law(n, counts, area=16.0)
    >>> fit.n_points, fit.exponent
    (3, 2.0)
    >>> round(fit.slope, 4), round(fit.rms_log_residual, 4)  # 2 + log2(1.1); log(1.1) * sqrt(2/3)
    (2.1375, 0.0778)
    >>> round(fit.constant * 20**2 * 16.0, 1)  # the fixed-exponent fit through the middle net
    440.0
    >>> fit.predict([10, 40], 16.0).round(1).tolist()
    [110.0, 1760.0]
    """

    constant: float
    slope: float
    intercept: float
    rms_log_residual: float
    n_points: int
    exponent: float = 2.0

    def predict(self, n_neurons: ArrayLike, area: ArrayLike, *, free: bool = False) -> np.ndarray:
        """Predicted number of regions for ``n_neurons`` units on a domain of ``area``.

        Parameters
        ----------
        n_neurons : array_like
            Total hidden units ``N``.
        area : array_like
            Domain area in squared input units; broadcast against ``n_neurons``.
        free : bool, default False
            Use the free-exponent fit ``exp(intercept) N^slope area`` instead of
            ``C N^2 area``.

        Returns
        -------
        numpy.ndarray
            Float predictions, broadcast shape of the inputs.

        Examples
        --------
        >>> import numpy as np
        >>> from analysis.studies.depth_width.bounds import DensityFit
        >>> fit = DensityFit(constant=3.0, slope=2.0, intercept=np.log(3.0),
        ...                  rms_log_residual=0.0, n_points=2)
        >>> float(fit.predict(10, 16.0))
        4800.0
        """
        n = np.asarray(n_neurons, dtype=np.float64)
        a = np.asarray(area, dtype=np.float64)
        if free:
            return np.exp(self.intercept) * n**self.slope * a
        return self.constant * n**self.exponent * a


def fit_density_law(n_neurons: ArrayLike, counts: ArrayLike, area: ArrayLike) -> DensityFit:
    """Fit Hanin & Rolnick's law: regions per unit area grow like (number of neurons)^2.

    .. math:: \\#\\text{regions}(K) \\approx C \\, N^{2} \\, \\operatorname{area}(K)

    B. Hanin and D. Rolnick (*Deep ReLU networks have surprisingly few activation patterns*,
    NeurIPS 2019) prove that for a ReLU net with ``N`` neurons and random weights (as at
    initialisation), the expected number of regions meeting a cube ``K`` of the input space,
    divided by its volume, is bounded by ``(const * N)^{n_in} / n_in!`` for any depth, and
    observe that it stays close to that scaling during training. With ``n_in = 2`` this gives
    the law above, ``C`` depending on the weight distribution but not on depth. It is an
    asymptotic law: a small net whose regions are mostly cut by the domain's edges counts a
    few more, so fit on nets with enough regions.

    Both fits are ordinary least squares on ``y = log(count / area)``, ``x = log N``:

    - fixed exponent: ``log C = mean(y - 2 x)``;
    - free exponent: ``y = intercept + slope * x`` (:func:`numpy.polyfit` of degree 1).

    Parameters
    ----------
    n_neurons : array_like of shape (k,)
        Total number of hidden units of each net, > 0.
    counts : array_like of shape (k,)
        Its number of regions on the domain, > 0 (e.g. from :func:`regions.count`).
    area : float or array_like of shape (k,)
        Domain area in squared input units, > 0; one value for all nets or one per net.

    Returns
    -------
    DensityFit

    Raises
    ------
    ValueError
        On mismatched shapes, non-positive or non-finite values, or fewer than two distinct
        values of ``n_neurons`` (the free slope needs two).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.studies.depth_width.bounds import fit_density_law
    >>> n = np.array([8, 16, 32, 64])
    >>> fit = fit_density_law(n, 3.0 * n**2 * 16.0, area=16.0)
    >>> round(fit.constant, 6), round(fit.slope, 6)
    (3.0, 2.0)
    """
    n = np.asarray(n_neurons, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    if n.ndim != 1 or c.shape != n.shape:
        raise ValueError(
            f"n_neurons and counts must be 1D of equal length, got {n.shape} and {c.shape}"
        )
    try:
        a = np.broadcast_to(np.asarray(area, dtype=np.float64), n.shape)
    except ValueError:
        raise ValueError(
            f"area must be a scalar or match n_neurons {n.shape}, got {np.shape(area)}"
        ) from None
    for name, v in (("n_neurons", n), ("counts", c), ("area", a)):
        if not (np.all(np.isfinite(v)) and np.all(v > 0)):
            raise ValueError(f"{name} must be finite and > 0")
    if np.unique(n).size < 2:
        raise ValueError("fit_density_law needs at least two distinct values of n_neurons")
    x = np.log(n)
    y = np.log(c / a)
    log_c = float(np.mean(y - 2.0 * x))
    residual = y - 2.0 * x - log_c
    slope, intercept = np.polyfit(x, y, 1)
    return DensityFit(
        constant=math.exp(log_c),
        slope=float(slope),
        intercept=float(intercept),
        rms_log_residual=float(np.sqrt(np.mean(residual**2))),
        n_points=int(n.size),
    )
