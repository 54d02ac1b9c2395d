"""Per-layer weight perturbation of a trained net, measured exactly.

:func:`perturb` adds Gaussian noise to one linear layer ``k`` (1-based over
``model.linears()``: hidden layers ``1..D``, output layer ``D + 1``) and leaves every other
parameter bit-identical. The noise has *relative* size ``eps``:

``scale='layer'``  noise RMS = ``eps * RMS(W_k)`` over the whole matrix;
``scale='row'``    each row (one unit's incoming weights) gets RMS ``eps * RMS(row)``;
``target='bias'``  the same applied to the bias vector ``b_k`` instead of ``W_k``.

For a given ``(layer, seed)`` the noise *direction* is fixed and ``eps`` only scales it
(common random numbers), so curves over ``eps`` are smooth and ``eps = 0`` is the identity.

:func:`measure` compares a perturbed net with its :class:`Baseline` by six numbers
(:data:`MEASURES`): test-accuracy drop, mean ``|Delta P(class 1)|`` over a grid of the box,
exact region-count change, exact Hausdorff distance between the decision boundaries
(:mod:`analysis.studies.sensitivity.hausdorff`), exact change of misclassified area, and
the fraction of the original regions whose activation pattern flips.
:func:`perturbation_sweep` runs it over layers x eps x noise seeds. The doctests use
``line_net()``, a net computing ``sign(y - x)`` exactly (``conftest.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

import regions
from analysis.lab.data import Box, Dataset
from analysis.lab.models import MLP
from analysis.lab.sgd import accuracy
from analysis.lab.surfaces import misclassified_area, probability_grid
from analysis.studies.sensitivity.hausdorff import hausdorff_distance

__all__ = [
    "EPS_GRID",
    "MEASURES",
    "Baseline",
    "Measures",
    "Perturbation",
    "PerturbationSweep",
    "baseline",
    "layer_noise",
    "measure",
    "perturb",
    "perturbation_sweep",
]


EPS_GRID: tuple[float, ...] = tuple(float(e) for e in np.logspace(-3, 0, 7))
"""Default relative noise sizes, 1e-3 to 1 on a log grid (half a decade apart)."""

MEASURES: tuple[str, ...] = (
    "acc_drop",
    "function_change",
    "region_change",
    "hausdorff",
    "area_change",
    "pattern_flips",
)
"""Field names of :class:`Measures`, in order (the last axis of sweep values)."""

SURFACE_RESOLUTION = 100  # grid points per axis for the function change


@dataclass(frozen=True)
class Perturbation:
    """Gaussian noise on one layer.

    Attributes
    ----------
    layer : int
        1-based index into ``model.linears()`` (hidden layers 1..D, output D + 1).
    eps : float
        Relative noise size (>= 0): noise RMS over the RMS of the parameter (or of each row).
    seed : int
        Seed of the noise direction; with ``layer`` it fixes the standard normal draw that
        ``eps`` scales.
    target : str
        ``'weight'`` or ``'bias'``.
    scale : str
        ``'layer'`` (one RMS for the whole tensor) or ``'row'`` (per output unit).

    Examples
    --------
    >>> from analysis.studies.sensitivity.perturbation import Perturbation
    >>> Perturbation(layer=2, eps=0.1)
    Perturbation(layer=2, eps=0.1, seed=0, target='weight', scale='layer')
    >>> Perturbation(1, 0.3, seed=4, target="bias").target
    'bias'
    >>> Perturbation(0, 0.1)
    Traceback (most recent call last):
    ...
    ValueError: layer is 1-based, got 0
    """

    layer: int
    eps: float
    seed: int = 0
    target: str = "weight"
    scale: str = "layer"

    def __post_init__(self) -> None:
        if self.layer < 1:
            raise ValueError(f"layer is 1-based, got {self.layer}")
        if not self.eps >= 0:
            raise ValueError(f"eps must be >= 0, got {self.eps}")
        if self.target not in ("weight", "bias"):
            raise ValueError(f"target must be 'weight' or 'bias', got {self.target!r}")
        if self.scale not in ("layer", "row"):
            raise ValueError(f"scale must be 'layer' or 'row', got {self.scale!r}")


def _rms(t: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    sq = t.double().square()
    return (sq.mean() if dim is None else sq.mean(dim=dim, keepdim=True)).sqrt()


def layer_noise(
    param: torch.Tensor, eps: float, generator: torch.Generator, scale: str = "layer"
) -> torch.Tensor:
    """Gaussian noise shaped like ``param`` with relative RMS ``eps``.

    Parameters
    ----------
    param : Tensor, shape (out, in) or (out,)
        The parameter to perturb.
    eps : float
        Relative size.
    generator : torch.Generator
        Source of the standard normal draw.
    scale : str
        ``'layer'``: RMS ``eps * RMS(param)``; ``'row'``: row ``i`` gets
        ``eps * RMS(param[i])`` (for a vector, each entry gets ``eps * |param[i]|``).

    Returns
    -------
    Tensor
        Same shape and dtype as ``param``. Its RMS is ``eps * RMS(param)`` in expectation,
        not exactly (a sample of ``param.numel()`` normals).

    Examples
    --------
    >>> import torch
    >>> from analysis.studies.sensitivity.perturbation import layer_noise
    >>> w = torch.full((100, 100), 2.0)
    >>> noise = layer_noise(w, 0.1, torch.Generator().manual_seed(0))
    >>> noise.shape, noise.dtype
    (torch.Size([100, 100]), torch.float32)
    >>> round(noise.square().mean().sqrt().item(), 2)  # about 0.1 * RMS(w) = 0.2
    0.2

    Per-row noise follows each row's scale; whole-layer noise does not:

    >>> w = torch.tensor([[1.0] * 50, [100.0] * 50])
    >>> row = layer_noise(w, 0.1, torch.Generator().manual_seed(0), scale="row")
    >>> (row.square().mean(dim=1).sqrt() / 0.1).round().tolist()  # about the row RMS
    [1.0, 118.0]
    >>> layer_noise(w, 0.0, torch.Generator()).abs().max().item()
    0.0
    """
    z = torch.randn(param.shape, generator=generator, dtype=torch.float64)
    if scale == "layer":
        sigma = _rms(param)
    else:
        sigma = _rms(param, dim=-1) if param.ndim > 1 else param.double().abs()
    return (eps * sigma * z).to(param.dtype)


def _noise_generator(layer: int, seed: int) -> torch.Generator:
    # Independent streams per (seed, layer); eps does not enter, so it only scales the draw.
    state = np.random.SeedSequence((seed, layer)).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def perturb(model: MLP, p: Perturbation) -> MLP:
    """A copy of ``model`` with noise on one layer; ``model`` is not modified.

    Every parameter and buffer other than the perturbed tensor is bit-identical to the
    original's; with ``eps = 0`` the perturbed tensor keeps its values too.

    Parameters
    ----------
    model : MLP
        The net to perturb.
    p : Perturbation
        Layer (1-based, ``1..len(model.linears())``), relative size, seed, target, scale.

    Returns
    -------
    MLP
        The perturbed copy, in eval mode.

    Examples
    --------
    >>> import torch
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.sensitivity.perturbation import Perturbation, perturb
    >>> net = MLP((4, 4), seed=0)
    >>> noisy = perturb(net, Perturbation(layer=2, eps=0.1))
    >>> [torch.equal(a.weight, b.weight) for a, b in zip(net.linears(), noisy.linears())]
    [True, False, True]
    >>> torch.equal(noisy.blocks[1].linear.bias, net.blocks[1].linear.bias)  # weights only
    True

    The same ``(layer, seed)`` gives the same direction, ``eps`` only scales it:

    >>> def delta(eps):
    ...     w = perturb(net, Perturbation(2, eps)).blocks[1].linear.weight
    ...     return w - net.blocks[1].linear.weight
    >>> torch.allclose(delta(0.2), 2 * delta(0.1), atol=1e-6)
    True
    >>> delta(0.0).abs().max().item()
    0.0
    """
    linears = model.linears()
    if p.layer > len(linears):
        raise ValueError(f"layer must be in 1..{len(linears)}, got {p.layer}")
    out = copy.deepcopy(model)
    param = getattr(out.linears()[p.layer - 1], p.target)
    with torch.no_grad():
        param.add_(layer_noise(param, p.eps, _noise_generator(p.layer, p.seed), p.scale))
    return out.eval()


@dataclass(frozen=True, eq=False)
class Baseline:
    """What :func:`measure` compares a perturbed net against.

    Attributes
    ----------
    model : MLP
        The unperturbed net.
    data : Dataset
        Test set and true boundary.
    box : Box
        Domain of the partitions and the probability grid.
    test_acc : float
        Test accuracy in [0, 1].
    P : ndarray, shape (res, res)
        P(class 1) on the grid (:func:`analysis.lab.surfaces.probability_grid`).
    part : regions.Partition
        Exact partition over ``box``.
    boundary : ndarray, shape (E, 2, 2)
        Exact decision-boundary segments.
    error_area : float
        Exact misclassified area (squared input units).
    resolution : int
        Grid points per axis of ``P``.

    Examples
    --------
    The baseline of a net that computes the ``line`` boundary ``sign(y - x)`` exactly:

    >>> net = line_net()  # computes sign(y - x) exactly
    >>> from analysis.lab.data import make_dataset
    >>> from analysis.studies.sensitivity.perturbation import baseline
    >>> base = baseline(net, make_dataset("line", n_train=10, n_test=200, seed=0))
    >>> base.box, base.P.shape, base.resolution
    ((-2.0, 2.0, -2.0, 2.0), (100, 100), 100)
    >>> base.test_acc, base.error_area, len(base.part)
    (1.0, 0.0, 2)
    >>> base.boundary.tolist()  # the diagonal of the box
    [[[-2.0, -2.0], [2.0, 2.0]]]
    """

    model: MLP
    data: Dataset
    box: Box
    test_acc: float
    P: np.ndarray
    part: regions.Partition
    boundary: np.ndarray
    error_area: float
    resolution: int


def baseline(model: MLP, data: Dataset, resolution: int = SURFACE_RESOLUTION) -> Baseline:
    """Evaluate the unperturbed ``model`` once, over ``data.box``.

    Parameters
    ----------
    model : MLP
        The unperturbed, piecewise-linear net.
    data : Dataset
        Test set, true boundary and box.
    resolution : int
        Grid points per axis of the probability grid (function change).

    Returns
    -------
    Baseline
        Test accuracy, P(class 1) grid (resolution, resolution), exact partition, decision
        boundary (E, 2, 2) and misclassified area (squared input units).

    Examples
    --------
    >>> net = line_net()  # computes sign(y - x) exactly
    >>> from analysis.lab.data import make_dataset
    >>> from analysis.studies.sensitivity.perturbation import baseline
    >>> base = baseline(net, make_dataset("line", n_train=10, n_test=200, seed=0), resolution=50)
    >>> base.P.shape, base.test_acc, base.error_area
    ((50, 50), 1.0, 0.0)
    >>> round(float(base.P[0, -1]), 4), round(float(base.P[-1, 0]), 4)  # P at (2, -2), (-2, 2)
    (0.0180, 0.9820)
    """
    part = regions.decompose(model, domain=data.box)
    return Baseline(
        model=model,
        data=data,
        box=data.box,
        test_acc=accuracy(model, data.X_test, data.y_test),
        P=probability_grid(model, data.box, resolution).P,
        part=part,
        boundary=part.decision_boundary().segments,
        error_area=misclassified_area(part, data.boundary, data.box).area,
        resolution=resolution,
    )


@dataclass(frozen=True)
class Measures:
    """How far a perturbed net moved from its baseline (perturbed minus original).

    Attributes
    ----------
    acc_drop : float
        Test accuracy lost (original - perturbed), in [-1, 1].
    function_change : float
        Mean ``|Delta P(class 1)|`` over the baseline's grid, in [0, 1].
    region_change : int
        Exact region count change (perturbed - original).
    hausdorff : float
        Exact Hausdorff distance between the decision boundaries (input units, certified
        to ``HAUSDORFF_TOL``); 0 if both are empty, ``inf`` if only one is.
    area_change : float
        Exact misclassified-area change (squared input units; positive = more error).
    pattern_flips : float
        Fraction in [0, 1] of the original regions whose interior point has a different
        activation pattern in the perturbed net.

    Examples
    --------
    >>> from analysis.studies.sensitivity.perturbation import MEASURES, Measures
    >>> m = Measures(0.01, 0.02, 3, 0.05, -0.1, 0.25)
    >>> m.as_array().tolist()
    [0.01, 0.02, 3.0, 0.05, -0.1, 0.25]
    >>> MEASURES[3], m.hausdorff
    ('hausdorff', 0.05)
    """

    acc_drop: float
    function_change: float
    region_change: int
    hausdorff: float
    area_change: float
    pattern_flips: float

    def as_array(self) -> np.ndarray:
        """The values (6,) in :data:`MEASURES` order, float64."""
        return np.array([getattr(self, name) for name in MEASURES], dtype=np.float64)


def measure(base: Baseline, model: MLP, *, exact: bool = True) -> Measures:
    """Compare ``model`` (same architecture) with ``base``.

    With ``exact=False`` only the cheap sampled measures (accuracy drop, function change)
    are computed and the four exact ones, which need a decomposition, are NaN.

    Parameters
    ----------
    base : Baseline
        The unperturbed net evaluated by :func:`baseline`.
    model : MLP
        The perturbed net (same architecture, piecewise linear if ``exact``).
    exact : bool
        Also compute the exact measures (one decomposition over ``base.box``).

    Returns
    -------
    Measures
        Perturbed minus original: accuracy drop, mean ``|Delta P|``, region-count change,
        boundary Hausdorff distance (input units), misclassified-area change (squared input
        units) and fraction of flipped patterns.

    Examples
    --------
    The net below computes ``sign(y - x)`` exactly. Noise on its output layer rescales the
    two units' slopes but cannot move the boundary; noise on the hidden layer tilts the two
    (coinciding) breakpoint lines apart:

    >>> net = line_net()  # computes sign(y - x) exactly
    >>> from analysis.lab.data import make_dataset
    >>> from analysis.studies.sensitivity.perturbation import (
    ...     Perturbation, baseline, measure, perturb)
    >>> base = baseline(net, make_dataset("line", n_train=10, n_test=200, seed=0))
    >>> out = measure(base, perturb(net, Perturbation(layer=2, eps=0.1)))
    >>> out.acc_drop, out.region_change, out.hausdorff, out.area_change, out.pattern_flips
    (0.0, 0, 0.0, 0.0, 0.0)
    >>> out.function_change > 0
    True
    >>> hidden = measure(base, perturb(net, Perturbation(layer=1, eps=0.1)))
    >>> hidden.region_change, hidden.hausdorff > 0, hidden.area_change > 0
    (2, True, True)
    >>> measure(base, perturb(net, Perturbation(1, 0.1)), exact=False).hausdorff
    nan
    """
    P = probability_grid(model, base.box, base.resolution).P
    cheap = {
        "acc_drop": base.test_acc - accuracy(model, base.data.X_test, base.data.y_test),
        "function_change": float(np.mean(np.abs(P - base.P))),
    }
    if not exact:
        return Measures(**cheap, **dict.fromkeys(MEASURES[2:], float("nan")))
    part = regions.decompose(model, domain=base.box)
    error = misclassified_area(part, base.data.boundary, base.box).area
    old = base.part
    located = part.locate(old.points)
    flips = np.any(part.patterns[located] != old.patterns, axis=1)
    return Measures(
        **cheap,
        region_change=len(part) - len(old),
        hausdorff=hausdorff_distance(base.boundary, part.decision_boundary().segments),
        area_change=error - base.error_area,
        pattern_flips=float(np.mean(flips)),
    )


@dataclass(frozen=True, eq=False)
class PerturbationSweep:
    """Measures over layers x eps x noise seeds for one net.

    Attributes
    ----------
    layers : ndarray, shape (L,)
        1-based layers perturbed.
    eps : ndarray, shape (E,)
        Relative noise sizes.
    seeds : ndarray, shape (S,)
        Noise seeds.
    values : ndarray, shape (L, E, S, 6)
        ``values[l, e, s]`` is :meth:`Measures.as_array` for that perturbation (NaN for
        exact measures not computed at that ``eps``).
    target, scale : str
        See :class:`Perturbation`.
    base_acc : float
        Test accuracy of the unperturbed net.

    Examples
    --------
    Usually made by :func:`perturbation_sweep`; built by hand here:

    >>> import numpy as np
    >>> from analysis.studies.sensitivity.perturbation import MEASURES, PerturbationSweep
    >>> values = np.zeros((2, 3, 4, len(MEASURES)))  # 2 layers, 3 eps, 4 seeds
    >>> values[..., 0] = np.arange(4)  # acc_drop = seed number
    >>> sweep = PerturbationSweep(
    ...     layers=np.array([1, 2]), eps=np.array([0.01, 0.1, 1.0]), seeds=np.arange(4),
    ...     values=values, target="weight", scale="layer", base_acc=0.9,
    ... )
    >>> sweep.get("acc_drop").shape, sweep.mean("acc_drop").shape
    ((2, 3, 4), (2, 3))
    >>> sweep.mean("acc_drop")[0].tolist(), round(float(sweep.std("acc_drop")[0, 0]), 4)
    ([1.5, 1.5, 1.5], 1.118)
    """

    layers: np.ndarray
    eps: np.ndarray
    seeds: np.ndarray
    values: np.ndarray
    target: str
    scale: str
    base_acc: float

    def get(self, name: str) -> np.ndarray:
        """All values (L, E, S) of one measure (a name in :data:`MEASURES`)."""
        return self.values[..., MEASURES.index(name)]

    def mean(self, name: str) -> np.ndarray:
        """Mean (L, E) over seeds."""
        return self.get(name).mean(axis=2)

    def std(self, name: str) -> np.ndarray:
        """Standard deviation (L, E) over seeds (ddof 0)."""
        return self.get(name).std(axis=2)


def perturbation_sweep(
    model: MLP,
    data: Dataset,
    *,
    layers: Sequence[int] | None = None,
    eps: Sequence[float] = EPS_GRID,
    seeds: Sequence[int] = range(5),
    target: str = "weight",
    scale: str = "layer",
    base: Baseline | None = None,
    exact_eps: Sequence[float] | None = None,
    progress: bool = False,
) -> PerturbationSweep:
    """Perturb each layer alone at every ``eps`` with every noise seed and measure.

    Parameters
    ----------
    model : MLP
        Trained net (piecewise linear, for the exact measures).
    data : Dataset
        Test set, true boundary and box.
    layers : sequence of int, optional
        1-based layers (default: all, output included).
    eps, seeds : sequences
        Relative noise sizes and noise seeds.
    target, scale : str
        See :class:`Perturbation`.
    base : Baseline, optional
        Reuse an evaluated baseline.
    exact_eps : sequence of float, optional
        Compute the exact measures only at these ``eps`` (NaN elsewhere); default all.
        Each costs a decomposition per perturbation, the sampled ones do not.
    progress : bool
        tqdm bar over perturbations.

    Returns
    -------
    PerturbationSweep
        ``values`` of shape (L, E, S, 6): :class:`Measures` per layer, eps and seed.

    Examples
    --------
    A net that computes ``sign(y - x)`` exactly, both layers, two sizes, two seeds:

    >>> net = line_net()  # computes sign(y - x) exactly
    >>> from analysis.lab.data import make_dataset
    >>> from analysis.studies.sensitivity.perturbation import perturbation_sweep
    >>> data = make_dataset("line", n_train=10, n_test=200, seed=0)
    >>> sweep = perturbation_sweep(net, data, eps=(0.0, 0.1), seeds=range(2))
    >>> sweep.layers.tolist(), sweep.values.shape, sweep.base_acc
    ([1, 2], (2, 2, 2, 6), 1.0)
    >>> sweep.mean("hausdorff")[:, 0].tolist()  # eps = 0 changes nothing
    [0.0, 0.0]
    >>> sweep.mean("hausdorff")[1].tolist()  # the output layer cannot move this boundary
    [0.0, 0.0]
    >>> bool(sweep.mean("hausdorff")[0, 1] > 0)  # the hidden layer can
    True

    Exact measures at some sizes only (NaN elsewhere):

    >>> quick = perturbation_sweep(net, data, layers=[1], eps=(0.01, 0.1), seeds=[0],
    ...                            exact_eps=(0.1,))
    >>> quick.get("region_change")[0, :, 0].tolist()
    [nan, 2.0]
    """
    layers = list(range(1, len(model.linears()) + 1)) if layers is None else list(layers)
    base = baseline(model, data) if base is None else base
    grid = [(li, ei, si) for li in range(len(layers)) for ei in range(len(eps)) for si in seeds]
    values = np.empty((len(layers), len(eps), len(seeds), len(MEASURES)))
    seed_index = {s: i for i, s in enumerate(seeds)}
    for li, ei, s in tqdm(grid, desc="perturbing", disable=not progress, leave=False):
        p = Perturbation(layers[li], float(eps[ei]), s, target, scale)
        exact = exact_eps is None or bool(np.isclose(eps[ei], exact_eps).any())
        values[li, ei, seed_index[s]] = measure(base, perturb(model, p), exact=exact).as_array()
    return PerturbationSweep(
        layers=np.asarray(layers),
        eps=np.asarray(eps, dtype=np.float64),
        seeds=np.asarray(list(seeds)),
        values=values,
        target=target,
        scale=scale,
        base_acc=base.test_acc,
    )
