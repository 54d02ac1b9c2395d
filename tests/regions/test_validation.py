"""Bad arguments and unusable models get specific errors before any decomposition starts."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch
from checks import check_exact, check_locate, check_patterns, check_tiling
from torch import nn

import regions
from regions.constructions import sawtooth
from regions.network import Network


@pytest.fixture(scope="module")
def part() -> regions.Partition:
    return regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips, depth 3


# ----------------------------------------------------------------- decompose's arguments
@pytest.mark.parametrize("tol", [None, "1e-10", -1e-12, float("nan"), float("inf"), True, 1e-2])
def test_bad_tol(tol):
    with pytest.raises(regions.InvalidArgumentError, match=r"decompose: tol must be .* got "):
        regions.decompose(sawtooth(2), tol=tol)


@pytest.mark.parametrize(
    "max_regions", [None, "5", float("nan"), float("inf"), 0, -3, 2.5, True, [5]]
)
def test_bad_max_regions(max_regions):
    with pytest.raises(regions.InvalidArgumentError, match="max_regions must be a positive int"):
        regions.decompose(sawtooth(2), max_regions=max_regions)


def test_max_regions_nan_is_not_a_missing_limit():
    with pytest.raises(regions.InvalidArgumentError, match=r"got nan \(float\)"):
        regions.count(sawtooth(4), (0, 1, 0, 1), max_regions=float("nan"))


@pytest.mark.parametrize("max_regions", [16, 16.0, np.int64(16)])
def test_whole_max_regions(max_regions):
    assert regions.count(sawtooth(4), (0, 1, 0, 1), max_regions=max_regions) == 16
    with pytest.raises(regions.TooManyRegionsError, match="max_regions=15 "):
        regions.count(sawtooth(4), (0, 1, 0, 1), max_regions=max_regions - 1)
    assert regions.count(sawtooth(4), (0, 1, 0, 1), max_regions=1e6) == 16


@pytest.mark.parametrize("n_inputs", [0, "2", 1.5, True])
def test_bad_n_inputs(n_inputs):
    with pytest.raises(regions.InvalidArgumentError, match="trace: n_inputs must be None or"):
        regions.trace(nn.ReLU(), n_inputs=n_inputs)


# ----------------------------------------------------------------- Partition's arguments
@pytest.mark.parametrize("k", [1.5, "1", None, True, -1, 4, 2.0])
def test_bad_at_depth(part, k):
    with pytest.raises(
        regions.InvalidArgumentError, match=r"Partition.at_depth: k must be in 0..3"
    ):
        part.at_depth(k)


def test_numpy_integers_are_indices(part):
    assert len(part.at_depth(np.int64(2))) == 4
    assert part.layer_patterns(np.int32(1)).shape == (8, 2)


@pytest.mark.parametrize("cls", [1.5, "1", None, 2, -1])
def test_bad_predicted_region(part, cls):
    with pytest.raises(regions.InvalidArgumentError, match="predicted_region: cls must be in 0..1"):
        part.predicted_region(cls)


@pytest.mark.parametrize("layer", [1.5, "1", 0, 4])
def test_bad_layer(part, layer):
    with pytest.raises(regions.InvalidArgumentError, match="Partition.affine: layer must be in"):
        part.affine(layer=layer)
    with pytest.raises(regions.InvalidArgumentError, match="layer_patterns: layer must be in"):
        part.layer_patterns(layer)


@pytest.mark.parametrize(
    "points, shape",
    [
        ([[0.5, 0.5, 0.5]], r"\(1, 3\)"),
        (np.zeros((2, 2, 2)), r"\(2, 2, 2\)"),
        ([0.5], r"\(1,\)"),
        (np.zeros(4), r"\(4,\)"),
    ],
)
def test_locate_with_wrong_shapes(part, points, shape):
    with pytest.raises(regions.InvalidArgumentError, match=rf"locate: points must .* {shape}"):
        part.locate(points)


def test_locate_with_non_numbers(part):
    with pytest.raises(regions.InvalidArgumentError, match="locate: points must be numbers"):
        part.locate([["a", "b"]])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_locate_with_non_finite_points(part, bad):
    # NaN reached shapely (a warning, then -1) and infinity the oracle (an error naming it).
    points = [[0.1, 0.2], [0.3, bad], [bad, 0.5]]
    with pytest.raises(
        regions.InvalidArgumentError,
        match=r"locate: points must be finite; 2 of 3 .* row 1, \[0.3, ",
    ):
        part.locate(points)


def test_locate_one_point_and_no_points(part):
    assert part.locate([0.05, 0.5]).shape == (1,)
    assert part.locate(np.zeros((0, 2))).shape == (0,)


@pytest.mark.parametrize("rtol", [-1.0, float("nan"), None, "0"])
def test_bad_linear_regions_rtol(part, rtol):
    with pytest.raises(regions.InvalidArgumentError, match="linear_regions: rtol must be"):
        part.linear_regions(rtol=rtol)


# ----------------------------------------------------------------- 1-input models
class OneInput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.a, self.b = nn.Linear(1, 4), nn.Linear(4, 1)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


@pytest.mark.parametrize(
    "plane",
    [
        None,  # x = u
        ([0.5], ([1.0], [0.0])),
        ([0.0], ([1.0], [1.0])),  # x = u + v
        ([0.0], [1.0], [2.0]),  # three points on the line
    ],
)
def test_one_input_model_on_a_plane_onto_its_line(plane):
    model = OneInput().double().eval()
    part = regions.decompose(model, (-1, 1, -1, 1), plane=plane)
    check_exact(model, part)
    # every boundary is a line of constant input: its ends map to the same x
    ends = part.plane.to_input(part.boundaries().segments.reshape(-1, 2)).reshape(-1, 2)
    assert np.allclose(ends[:, 0], ends[:, 1])


def test_one_input_model_with_zero_directions():
    with pytest.raises(regions.DomainError, match="both zero.*1-input model needs a nonzero"):
        regions.decompose(OneInput(), plane=([0.0], ([0.0], [0.0])))


@pytest.mark.parametrize(
    ("directions", "match"),
    [
        (([1.0, 2.0, 0.5], [2.0, 4.0, 1.0]), r"directions are parallel \("),
        (([0.0, 0.0, 0.0], [0.0, 1.0, 0.0]), r"directions are parallel \("),
        (([1e154, 0.0, 0.0], [0.0, 1.0, 0.0]), "nearly parallel, or of sizes more than 1e12 apart"),
        (([1.0, 0.0, 0.0], [1.0, 1e-13, 0.0]), "nearly parallel, or of sizes more than 1e12 apart"),
        # Orthogonal and of one size, but subnormal: once called nearly parallel.
        (([5e-324, 0.0, 0.0], [0.0, 5e-324, 0.0]), r"below float64's normal range"),
    ],
)
def test_parallel_and_nearly_parallel_planes_are_told_apart(directions, match):
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(regions.DomainError, match=match):
        regions.decompose(model, plane=([0.0, 0.0, 0.0], directions))


def test_three_points_whose_differences_overflow_are_told_so():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    points = ([-1.5e308, 0.0, 0.0], [1.5e308, 0.0, 0.0], [0.0, 1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning either
        with pytest.raises(regions.DomainError, match=r"p1 - p0 and p2 - p0 overflow float64"):
            regions.decompose(model, plane=points)


# ----------------------------------------------------------------- non-finite models
def bn_model(**stats) -> nn.Module:
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, eps=stats.pop("eps", 1e-5)))
    model = model.append(nn.ReLU()).append(nn.Linear(3, 1)).double().eval()
    with torch.no_grad():
        for name, value in stats.items():
            getattr(model[1], name).fill_(value)
    return model


@pytest.mark.parametrize(
    "stats, match",
    [
        (
            {"eps": 0.0, "running_var": 0.0},
            r"module '1' \(BatchNorm1d\): .* zero: it divides by zero",
        ),
        ({"running_var": -0.5}, r"module '1' \(BatchNorm1d\): .* negative"),
        ({"eps": 0.0, "running_var": 1e-300, "weight": 1e300}, r"module '1' .* overflows"),
        ({"running_mean": float("nan")}, "running_mean holds NaN"),
    ],
)
def test_batchnorm_that_cannot_fold(stats, match):
    with pytest.raises(regions.InvalidModelError, match=match):
        regions.decompose(bn_model(**stats))


def test_overflow_is_found_before_decomposing(monkeypatch):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    model = model.double()
    with torch.no_grad():
        for m in model[::2]:
            m.weight.mul_(1e150)

    def cut(*args, **kwargs):
        raise AssertionError("decomposition started")

    monkeypatch.setattr(sys.modules["regions.decompose"], "_cut_layers", cut)
    with pytest.raises(regions.InvalidModelError, match=r"'4' \(node 5, Affine\) is (NaN|inf)"):
        regions.decompose(model)


def test_non_finite_hand_built_network():
    net = regions.trace(sawtooth(2))
    net.nodes[3].W[0, 0] = np.nan
    with pytest.raises(regions.InvalidModelError, match=r"'2' \(node 3, Affine\) has NaN"):
        regions.decompose(net)


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")
@pytest.mark.parametrize(
    "layers",
    [
        lambda: [nn.Linear(2, 0)],  # no output
        lambda: [nn.Linear(2, 0), nn.ReLU(), nn.Linear(0, 1)],  # an empty hidden layer
        lambda: [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 0), nn.ReLU()],
    ],
    ids=["output", "hidden", "last activation"],
)
def test_zero_width_layers_are_refused_when_traced(layers):
    with pytest.raises(regions.InvalidModelError, match="has 0 features; .* at least one unit"):
        regions.decompose(nn.Sequential(*layers()))


def test_zero_width_hand_built_network():
    net = regions.trace(sawtooth(1))
    empty = Network(net.nodes, (*net.widths[:-1], 0), net.output, 2, 0, False)
    with pytest.raises(regions.InvalidModelError, match="has width 0"):
        regions.decompose(empty)


def test_a_valid_model_still_decomposes_exactly():
    model = bn_model(running_var=2.0, running_mean=0.5)
    part = regions.decompose(model)
    check_tiling(part)
    check_patterns(part)
    check_locate(part)


def test_box_domains_are_made_once_and_read_only():
    """Sweeps decompose on one box again and again: its domain is shared, so it is frozen."""
    from regions.domain import as_domain

    a, b = as_domain((0, 1, 0, 2)), as_domain([0.0, 1.0, 0.0, 2.0])
    assert a is b and a.hull.tolist() == [[0, 0], [1, 0], [1, 2], [0, 2]]
    with pytest.raises(ValueError):
        a.hull[0, 0] = 5.0
    # -0.0 == 0.0 as a key: the hull is the same for both, with no negative zero.
    assert not np.signbit(as_domain((-0.0, 1, -0.0, 1)).hull).any()
    assert as_domain((0.0, 1, 0.0, 1)) is as_domain((-0.0, 1, -0.0, 1))


@pytest.mark.parametrize("field", ["W", "b", "thresholds", "slopes", "offsets"])
def test_a_non_finite_parameter_is_named(field):
    """Every kind of parameter of a hand-edited network is checked, and the message names its
    node."""
    net = regions.trace(sawtooth(2))
    node = next(n for n in net.nodes[1:] if hasattr(n, field))
    getattr(node, field).flat[0] = np.nan
    index = net.nodes.index(node)
    with pytest.raises(regions.InvalidModelError, match=rf"\(node {index}, .*NaN or infinite"):
        regions.decompose(net, (0, 1, 0, 1))


@pytest.mark.parametrize("limit", [2**63, 10**30, 1e300])
def test_a_limit_beyond_int64_is_no_limit(limit):
    """It reached the compiled loop as it was: OverflowError (int too big to convert)."""
    assert len(regions.decompose(sawtooth(3), (0, 1, 0, 1), max_regions=limit)) == 8
    assert regions.count(sawtooth(3), (0, 1, 0, 1), max_regions=limit, pieces=2) == 8


def test_the_progress_bar_is_closed_however_the_pass_ends(monkeypatch):
    """A Ctrl-C between layers left decompose's bar among tqdm's open ones (kept alive with
    the exception, as IPython keeps it), and the next bar was drawn a line lower."""
    from tqdm.auto import tqdm

    module = sys.modules["regions.decompose"]  # regions.decompose is the function

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(module._LayerCut, "level", interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:  # kept, with its frames and their bar
        regions.decompose(sawtooth(4), (0, 1, 0, 1), progress=True)
    assert not getattr(tqdm, "_instances", None)
    assert caught.traceback


def test_a_ctrl_c_that_numba_reports_as_a_system_error_is_raised_as_itself():
    """A Ctrl-C while numba boxes a compiled loop's result comes back as SystemError with the
    KeyboardInterrupt in its context; decompose raises the KeyboardInterrupt."""
    from regions.decompose import _interrupts_as_such

    def boxed():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("returned a result with an exception set") from None

    with pytest.raises(KeyboardInterrupt), _interrupts_as_such():
        boxed()
    with pytest.raises(SystemError), _interrupts_as_such():  # any other SystemError stays
        raise SystemError("other")
