"""Faithful tracing: every supported operation is exact, every other one refused by name."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from checks import check_exact
from torch import nn

import regions
from regions import tracing


class Net(nn.Module):
    """Two seeded Linear layers (2 -> width -> width) and a forward given as a function."""

    def __init__(self, forward, width: int = 6, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.a, self.b = nn.Linear(2, width), nn.Linear(width, width)
        self.fn = forward

    def forward(self, x):
        return self.fn(self, x)


def decompose(forward, width: int = 6, **kwargs) -> tuple[nn.Module, regions.Partition]:
    model = Net(forward, width).double().eval()
    return model, regions.decompose(model, **kwargs)


# ----------------------------------------------------------------- sums, scaling, division
@pytest.mark.parametrize(
    "forward",
    [
        lambda s, x: torch.add(F.relu(s.a(x)), s.a(x), alpha=3.0),
        lambda s, x: torch.sub(F.relu(s.a(x)), s.a(x), alpha=2),
        lambda s, x: F.relu(s.a(x)).add(s.a(x), alpha=-0.5),
        lambda s, x: torch.add(F.relu(s.a(x)), 2.0, alpha=3),
        lambda s, x: F.relu(s.a(x)).sub_(s.a(x), alpha=2),
    ],
    ids=["add", "sub", "method", "number", "in-place"],
)
def test_add_and_sub_apply_alpha(forward):
    check_exact(*decompose(forward))


@pytest.mark.parametrize(
    "forward, match",
    [
        (lambda s, x: torch.div(s.a(x), 2.0, rounding_mode="floor"), "rounding_mode='floor'"),
        (lambda s, x: s.a(x).div(2.0, rounding_mode="trunc"), "rounding_mode='trunc'"),
        (lambda s, x: s.a(x) // 2, "floor division rounds"),
        (lambda s, x: torch.floor(s.a(x)), "discontinuous"),
    ],
)
def test_rounding_is_refused(forward, match):
    with pytest.raises(regions.UnsupportedModelError, match=match):
        decompose(forward)


def test_division_by_zero_is_an_invalid_model():
    with pytest.raises(regions.InvalidModelError, match="'truediv'.* divides by zero"):
        decompose(lambda s, x: s.a(x) / 0.0)


def test_scaling_and_true_division_are_exact():
    check_exact(*decompose(lambda s, x: 0.5 * F.relu(s.a(x)) / 3.0 - 2 * s.a(x) * 1.5))


def test_out_argument_is_refused_by_name():
    with pytest.raises(regions.UnsupportedModelError, match="argument out=.*assign the result"):
        decompose(lambda s, x: torch.add(s.a(x), s.a(x), out=s.a(x)))


def test_unary_minus_and_neg():
    check_exact(*decompose(lambda s, x: -F.relu(s.a(x)) + torch.neg(s.a(x)).relu() + (+s.a(x))))


# ----------------------------------------------------------------- elementwise activations
@pytest.mark.parametrize(
    "forward",
    [
        lambda s, x: torch.abs(s.a(x)),
        lambda s, x: s.a(x).abs() + abs(s.b(F.relu(s.a(x)))),
        lambda s, x: s.a(x).abs_(),
    ],
    ids=["torch.abs", "method and builtin", "in-place"],
)
def test_abs(forward):
    model, part = decompose(forward)
    check_exact(model, part)
    act = part.network.activations[0]
    assert act.thresholds.tolist() == [[0.0]] * 6 and act.slopes[0].tolist() == [-1.0, 1.0]


@pytest.mark.parametrize(
    "forward, n_breakpoints",
    [
        (lambda s, x: s.a(x).clamp(min=0.1), 1),
        (lambda s, x: s.a(x).clamp(max=-0.2), 1),
        (lambda s, x: torch.clamp(s.a(x), -0.3, 0.4), 2),
        (lambda s, x: torch.clip(s.a(x), None, 0.2), 1),
        (lambda s, x: torch.clamp_min(s.a(x), 0.25), 1),
        (lambda s, x: s.a(x).clamp_max(0.5), 1),
        (lambda s, x: s.a(x).clamp_(-0.5, 0.5), 2),
        (lambda s, x: s.a(x).clamp(float("-inf"), 0.5), 1),
    ],
)
def test_clamp_with_scalar_bounds(forward, n_breakpoints):
    model, part = decompose(forward)
    check_exact(model, part)
    assert part.network.activations[0].thresholds.shape == (6, n_breakpoints)


def test_clamp_with_min_above_max_is_the_constant_max():
    model, part = decompose(lambda s, x: s.a(x).clamp(0.5, 0.1) + s.a(x))
    check_exact(model, part)
    assert part.network.n_layers == 0 and len(part) == 1


def test_clamp_with_a_tensor_bound_is_refused():
    with pytest.raises(regions.UnsupportedModelError, match="min must be a number"):
        decompose(lambda s, x: s.a(x).clamp(min=s.b(s.a(x))))


@pytest.mark.parametrize(
    "forward",
    [
        lambda s, x: s.a(x).relu_(),
        lambda s, x: torch.relu_(s.a(x)),
        lambda s, x: F.relu(s.a(x), inplace=True),
        lambda s, x: F.leaky_relu(s.a(x), 0.2, inplace=True),
        lambda s, x: F.hardtanh(s.a(x), -0.5, 0.5, inplace=True),
    ],
)
def test_in_place_activations(forward):
    check_exact(*decompose(forward))


def test_in_place_updates_every_view_of_the_tensor():
    def forward(s, x):
        h = s.a(x)
        r = F.relu(h, inplace=True)  # h is r now: the sum is 2 relu(a(x))
        g = s.b(r)
        v = g.view(-1, 1, 6)
        v.clamp_(max=0.5)  # clamps g through its view
        return h + r + g.abs() + v.squeeze(1)

    check_exact(*decompose(forward))


def test_relu_module_in_place():
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(inplace=True), nn.Linear(5, 1)).double()
    check_exact(model, regions.decompose(model))


# ----------------------------------------------------------------- maxima
def test_maximum_and_minimum_of_two_tensors():
    def forward(s, x):
        a, b = s.a(x), s.b(F.relu(s.a(x)))
        return torch.maximum(a, b) + torch.minimum(a, b).abs() + torch.max(a, -a)

    model, part = decompose(forward)
    check_exact(model, part)
    names = [act.name for act in part.network.activations]
    assert names == ["relu", "maximum", "minimum", "abs_1", "max_1"]  # fx avoids builtins


def test_maximum_layer_units_are_the_comparisons():
    """Unit j of a maximum's layer is on exactly where a_j > b_j."""
    model, part = decompose(lambda s, x: torch.maximum(s.a(x), s.b(s.a(x))))
    assert part.network.activations[0].name == "maximum"
    with torch.no_grad():
        h = model.a(torch.as_tensor(part.points))
        a_wins = (h > model.b(h)).numpy()
    assert np.array_equal(part.layer_patterns(1), a_wins)


@pytest.mark.parametrize(
    "forward, rounds",
    [
        (lambda s, x: s.a(x).view(-1, 3, 2).max(dim=2).values, 1),
        (lambda s, x: s.a(x).view(x.size(0), 3, 2).max(2)[0], 1),
        (lambda s, x: s.a(x).view(-1, 2, 3).amax(-1), 2),
        (lambda s, x: s.a(x).view(-1, 2, 3).amin(dim=2, keepdim=True), 2),
        (lambda s, x: s.a(x).view(-1, 2, 3).min(dim=1).values, 1),
        (lambda s, x: s.a(x).max(dim=1, keepdim=True).values, 3),
        (lambda s, x: torch.amax(s.a(x).unsqueeze(1), dim=(1, 2)), 3),
    ],
)
def test_max_over_feature_groups(forward, rounds):
    model, part = decompose(forward)
    check_exact(model, part)
    assert part.network.n_layers == rounds  # a tournament of pairwise maxima


@pytest.mark.parametrize(
    "forward, match",
    [
        (lambda s, x: s.a(x).max(), "reduces over the batch axis"),
        (lambda s, x: s.a(x).amax(dim=0), "dim=0 is the batch axis"),
        (lambda s, x: s.a(x).max(dim=1).indices, "indices of a max"),
        (lambda s, x: s.a(x).max(dim=1)[1], "indices of a max"),
        (lambda s, x: s.a(x).max(dim=1) + 1, "take .values"),
    ],
)
def test_max_refusals(forward, match):
    with pytest.raises(regions.UnsupportedModelError, match=match):
        decompose(forward)


class Pooled(nn.Module):
    def __init__(self, pool: nn.Module, unsqueeze: bool) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.a, self.pool, self.unsqueeze = nn.Linear(2, 7), pool, unsqueeze

    def forward(self, x):
        h = self.a(x)
        return self.pool(h.unsqueeze(1)).flatten(1) if self.unsqueeze else self.pool(h)


@pytest.mark.parametrize(
    "pool, unsqueeze",
    [
        (nn.MaxPool1d(2), True),
        (nn.MaxPool1d(3, stride=1), True),
        (nn.MaxPool1d(2, stride=2, dilation=2), True),
        (nn.MaxPool1d(3, stride=2), False),  # (batch, L) is (C, L) to torch: pooled per example
    ],
)
def test_maxpool1d_over_features(pool, unsqueeze):
    model = Pooled(pool, unsqueeze).double().eval()
    check_exact(model, regions.decompose(model))


def test_functional_max_pool1d():
    check_exact(*decompose(lambda s, x: F.max_pool1d(s.a(x).unsqueeze(1), 2, stride=1)))


@pytest.mark.parametrize(
    "pool, match",
    [
        (nn.MaxPool1d(2, ceil_mode=True), "ceil_mode=True is not supported"),
        (nn.MaxPool1d(2, return_indices=True), "return_indices=True is not supported"),
        (nn.MaxPool1d(2, padding=1), "padding=1 is not supported"),
    ],
)
def test_maxpool1d_refusals(pool, match):
    with pytest.raises(regions.UnsupportedModelError, match=match):
        regions.trace(Pooled(pool, True))


# ----------------------------------------------------------------- shapes
def test_views_keep_the_features_in_order():
    def forward(s, x):
        h = F.relu(s.a(x)).unsqueeze(1)  # (batch, 1, 6): Linear acts on the last axis
        h = s.b(h).squeeze().view(x.size(0), -1).reshape(-1, 6).flatten(1)
        h = h.view(-1, 2, 3).unflatten(2, (3, 1)).reshape(x.shape[0], x.size(1) * 3)
        return torch.cat([h, F.relu(h).unsqueeze(-1).squeeze(2)], dim=-1)

    check_exact(*decompose(forward))


class Squeezed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(2)
        self.a, self.c = nn.Linear(2, 5), nn.Linear(5, 1)

    def forward(self, x):
        return self.c(F.relu(self.a(x))).squeeze(-1)  # (batch,): the usual binary classifier


def test_squeezed_single_output():
    model = Squeezed().double().eval()
    part = regions.decompose(model)
    assert part.network.n_outputs == 1
    check_exact(model, part)
    assert part.predicted_region(1).area + part.predicted_region(0).area == pytest.approx(16.0)


@pytest.mark.parametrize(
    "forward, match",
    [
        (lambda s, x: s.a(x).view(-1), r"to \(-1\) moves entries between examples"),
        (lambda s, x: s.a(x).reshape(3, -1), r"to \(3, -1\) moves entries between examples"),
        (lambda s, x: s.a(x).reshape(-1, 4), r"to \(-1, 4\) moves entries between examples"),
        (lambda s, x: s.a(x).flatten(), "start_dim=0 merges the batch axis"),
        (lambda s, x: s.a(x).unsqueeze(0), "dim=0 is the batch axis"),
        (lambda s, x: s.a(x).squeeze(0), "dim=0 is the batch axis"),
        (lambda s, x: s.a(x).view(x.size(0) * 2, -1), "arithmetic on the batch size"),
        (lambda s, x: torch.cat([s.a(x), s.a(x)], dim=0), "dim=0 is the batch axis"),
        (lambda s, x: s.a(x)[:, :2], "indexing a tensor is not supported"),
        (lambda s, x: s.a(x).view(-1, 2, 3) + s.a(x), r"shapes \(batch, 2, 3\) and \(batch, 6\)"),
        (lambda s, x: torch.cat([s.a(x).view(-1, 2, 3)] * 2, dim=2), "interleaves their features"),
    ],
)
def test_shapes_that_mix_examples_or_features_are_refused(forward, match):
    with pytest.raises(regions.UnsupportedModelError, match=match):
        decompose(forward)


# ----------------------------------------------------------------- what stays refused
@pytest.mark.parametrize(
    "forward, match",
    [
        (lambda s, x: s.a(x) * s.b(s.a(x)), "multiplying two tensors is not piecewise linear"),
        (lambda s, x: s.a(x) / s.b(s.a(x)), "dividing by a tensor is not piecewise linear"),
        (lambda s, x: 1.0 / s.a(x), "dividing by a tensor is not piecewise linear"),
        (lambda s, x: torch.exp(s.a(x)), "'exp'.* is not piecewise linear"),
        (lambda s, x: s.a(x).sigmoid(), "'sigmoid'.* is not piecewise linear"),
        (lambda s, x: F.gelu(s.a(x)), "'gelu'.* is not piecewise linear"),
    ],
)
def test_what_is_not_piecewise_linear_says_so(forward, match):
    with pytest.raises(regions.NotPiecewiseLinearError, match=match):
        decompose(forward)


@pytest.mark.parametrize(
    "model, match",
    [
        (nn.Sequential(nn.Linear(2, 3), nn.Hardshrink()), r"\(Hardshrink\) .* is discontinuous"),
        (nn.Sequential(nn.Linear(2, 3), nn.Unflatten(1, (1, 3)), nn.Conv1d(1, 1, 2)), "Conv1d"),
        (nn.Sequential(nn.Linear(2, 4), nn.AvgPool1d(2)), r"\(AvgPool1d\) .* is not supported"),
    ],
)
def test_piecewise_linear_but_unsupported_is_not_called_nonlinear(model, match):
    with pytest.raises(regions.UnsupportedModelError, match=match) as caught:
        regions.trace(model)
    assert not isinstance(caught.value, regions.NotPiecewiseLinearError)
    assert not regions.is_piecewise_linear(model)


@pytest.mark.parametrize(
    "forward, match",
    [
        (lambda s, x: s.a(x).clamp(0.0, 1.0, bogus=2), "argument 'bogus' is not supported"),
        (lambda s, x: s.a(x).relu(1), "takes 1 positional arguments, got 2"),
    ],
)
def test_unknown_arguments_are_refused_by_name(forward, match):
    with pytest.raises(regions.UnsupportedModelError, match=match):
        decompose(forward)


def test_every_new_layer_is_named_in_the_breakpoints():
    """Each abs, clamp, maximum and max-reduction is an activation layer of its own."""

    def forward(s, x):
        h = s.a(x).abs()
        h = torch.maximum(h.clamp(max=1.0), s.b(h))
        return h.view(-1, 3, 2).amax(2)

    model, part = decompose(forward)
    check_exact(model, part)
    acts = part.network.activations
    assert [(a.layer, a.name, a.width) for a in acts] == [
        (1, "abs_1", 6),
        (2, "clamp", 6),
        (3, "maximum", 6),
        (4, "amax", 3),
    ]
    assert math.prod(part.breakpoints.layer.shape) == 6 + 6 + 6 + 3
    assert np.array_equal(np.bincount(part.breakpoints.layer), [0, 6, 6, 6, 3])


class FlattenFirst(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(4)
        self.a, self.b = nn.Linear(2, 5), nn.Linear(5, 2)

    def forward(self, x):
        x = x.view(x.size(0), -1).flatten(1)  # before the first layer gives the input width
        return self.b(F.relu(self.a(x)))


def test_view_before_the_first_layer():
    model = FlattenFirst().double().eval()
    check_exact(model, regions.decompose(model))


def test_other_shapes_before_the_first_layer_need_n_inputs():
    class UnsqueezeFirst(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            return self.a(x.unsqueeze(1)).squeeze(1)

    with pytest.raises(regions.InvalidModelError, match="'unsqueeze'.*: pass n_inputs"):
        regions.trace(UnsqueezeFirst())
    assert regions.trace(UnsqueezeFirst(), n_inputs=2).widths == (2, 3)


def _fx_network(model: nn.Module) -> regions.Network:
    """The network through torch.fx.symbolic_trace, bypassing the Sequential fast path."""
    from regions.tracing import _Builder

    graph = torch.fx.symbolic_trace(model).graph
    return _Builder(graph, dict(model.named_modules()), None).build()


@pytest.mark.parametrize(
    "model",
    [
        nn.Sequential(
            nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 4), nn.LeakyReLU(0.1), nn.Linear(4, 2)
        ),
        nn.Sequential(
            nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Hardtanh(), nn.Dropout(0.2), nn.Linear(3, 1)
        ),
        nn.Sequential(nn.Linear(2, 4), nn.ReLU6(), nn.Identity(), nn.Linear(4, 3), nn.Softmax(1)),
    ],
)
def test_sequential_fast_path_gives_the_fx_network(model: nn.Module) -> None:
    torch.manual_seed(0)
    model.eval()
    fast, fx = regions.trace(model), _fx_network(model)
    assert (fast.widths, fast.output, fast.softmax) == (fx.widths, fx.output, fx.softmax)
    for a, b in zip(fast.nodes, fx.nodes, strict=True):
        assert type(a) is type(b)
        if a is not None:
            fields = {k: v for k, v in vars(a).items() if not k.startswith("_")}
            for key, value in fields.items():
                other = getattr(b, key)
                same = np.array_equal(value, other) if isinstance(value, np.ndarray) else None
                assert same if same is not None else value == other, key


def test_sequential_fast_path_only_for_plain_sequentials_of_torch_leaves() -> None:
    from regions.tracing import _sequential_graph

    class Scaled(nn.Sequential):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 2 * super().forward(x)

    class Custom(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x)

    plain = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert _sequential_graph(plain) is not None
    for model in (
        Scaled(nn.Linear(2, 3), nn.ReLU()),
        nn.Sequential(nn.Linear(2, 3), Custom()),
        nn.Sequential(nn.Sequential(nn.Linear(2, 3)), nn.ReLU()),
    ):
        assert _sequential_graph(model) is None
    # The subclass's own forward is traced by fx, scaling included.
    net = regions.trace(Scaled(nn.Linear(2, 3), nn.ReLU()))
    assert [type(n).__name__ for n in net.nodes] == ["NoneType", "Affine", "Activation", "Affine"]


def test_sequential_of_the_same_architecture_keeps_each_models_weights():
    """The fast path reuses the graph of a sequence of children: never their parameters."""
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    b = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.1), nn.Linear(4, 1))
    c = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    nets = [regions.trace(m) for m in (a, b, c, a)]
    for net, model in zip(nets, (a, b, c, a), strict=True):
        x = torch.rand(50, 2, dtype=torch.float64) * 4 - 2
        expected = model.double()(x).detach().numpy()
        np.testing.assert_allclose(net.forward(x.numpy())[0], expected, rtol=1e-12, atol=1e-12)
    assert not np.array_equal(nets[0].nodes[1].W, nets[2].nodes[1].W)
    assert nets[1].nodes[2].slopes[0, 0] == np.float64(0.1)


def _same_network(a: regions.Network, b: regions.Network) -> None:
    assert (a.widths, a.output, a.n_inputs, a.n_outputs, a.softmax) == (
        b.widths,
        b.output,
        b.n_inputs,
        b.n_outputs,
        b.softmax,
    )
    assert [type(n) for n in a.nodes] == [type(n) for n in b.nodes]
    for x, y in zip(a.nodes[1:], b.nodes[1:], strict=True):
        for field in dataclasses.fields(x):
            u, v = getattr(x, field.name), getattr(y, field.name)
            if isinstance(u, np.ndarray):
                assert u.dtype == v.dtype and u.shape == v.shape
                np.testing.assert_array_equal(u, v)
            else:
                assert u == v


CHAINS = {
    "relu mlp": (lambda: nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1)), None),
    "in place, no bias, ends with relu": (
        lambda: nn.Sequential(
            nn.Linear(2, 4, bias=False), nn.ReLU(inplace=True), nn.Linear(4, 3), nn.ReLU()
        ),
        None,
    ),
    "relu first": (lambda: nn.Sequential(nn.ReLU(), nn.Linear(3, 2)), 3),
    "float64 and float16 layers": (
        lambda: nn.Sequential(nn.Linear(2, 3).double(), nn.ReLU(), nn.Linear(3, 2).half()),
        2,
    ),
    "bfloat16, which numpy lacks": (
        lambda: nn.Sequential(nn.Linear(2, 3).to(torch.bfloat16), nn.ReLU()),
        None,
    ),
    "a lone Linear": (lambda: nn.Linear(3, 2), None),
    "a lone ReLU, no parameters": (lambda: nn.ReLU(), 4),
    "a ReLU listed twice": (
        lambda: (lambda r: nn.Sequential(nn.Linear(2, 3), r, nn.Linear(3, 3), r))(nn.ReLU()),
        None,
    ),
}


@pytest.mark.parametrize("name", CHAINS)
def test_linear_relu_chains_trace_as_the_walk_does(name, monkeypatch):
    """The graph-free path for Sequential(Linear, ReLU, ...) builds the walk's very network."""
    make, n_inputs = CHAINS[name]
    torch.manual_seed(0)
    model = make()
    fast = tracing._linear_relu_chain(model, n_inputs)
    assert fast is not None
    _same_network(fast, regions.trace(model, n_inputs=n_inputs))
    monkeypatch.setattr(tracing, "_linear_relu_chain", lambda *args: None)
    _same_network(fast, regions.trace(model, n_inputs=n_inputs))


BROKEN = {
    "widths": (lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(5, 1)), None),
    "n_inputs": (lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU()), 3),
    "no width": (lambda: nn.Sequential(nn.ReLU(), nn.Linear(3, 1)), None),
    "nan": (lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)), None),
    "no units": (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 0)), None),
}


@pytest.mark.parametrize("name", BROKEN)
def test_linear_relu_chains_are_refused_as_the_walk_refuses(name, monkeypatch):
    """The graph-free path raises the walk's error or leaves the model to the walk."""
    make, n_inputs = BROKEN[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "Initializing zero-element tensors is a no-op"
        model = make()
    if name == "nan":
        with torch.no_grad():
            model[2].bias[0] = float("nan")
    with pytest.raises(regions.InvalidModelError) as walked_or_fast:
        regions.trace(model, n_inputs=n_inputs)
    monkeypatch.setattr(tracing, "_linear_relu_chain", lambda *args: None)
    with pytest.raises(regions.InvalidModelError) as walked:
        regions.trace(model, n_inputs=n_inputs)
    assert str(walked_or_fast.value) == str(walked.value)


@pytest.mark.parametrize("where", ["linear", "relu", "sequential"])
def test_a_forward_replaced_on_an_instance_goes_to_the_trace_check(where):
    """A plain chain is read from its weights, never run: a ``forward`` replaced on one of
    its modules' instances (or the Sequential's) must not be read past. It goes to the graph,
    where the trace check sees the model compute something else."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3)).double()
    target = {"linear": model[0], "relu": model[1], "sequential": model}[where]
    forward = type(target).forward
    target.forward = lambda x: -forward(target, x)
    with pytest.raises(regions.TraceMismatchError):
        regions.trace(model)
    del target.forward  # the class's forward again: the fast path, and the model's function
    x = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_allclose(
        regions.trace(model).forward(x)[0], model(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )
