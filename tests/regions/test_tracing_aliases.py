"""Tracing follows torch's storage semantics: aliases, in-place operators, shared modules,
hooks and training mode (each case here was once traced into a different function)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from checks import check_exact
from torch import nn

import regions

X = np.random.default_rng(0).uniform(-2, 2, (200, 2))


def traced_error(model: nn.Module | torch.export.ExportedProgram, net: regions.Network) -> float:
    """The largest difference between the traced network and the float64 model at ``X``."""
    run = model.module() if isinstance(model, torch.export.ExportedProgram) else model
    with torch.no_grad():
        ref = run(torch.tensor(X)).numpy().reshape(len(X), -1)
    return float(np.abs(net.forward(X)[0] - ref).max())


class Forward(nn.Module):
    """Two seeded Linear layers (2 -> 6 -> 6) and a forward given as a function."""

    def __init__(self, forward) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.a, self.b = nn.Linear(2, 6), nn.Linear(6, 6)
        self.fn = forward

    def forward(self, x):
        return self.fn(self, x)


def model_of(forward) -> nn.Module:
    return Forward(forward).double().eval()


# ----------------------------------------------------------------- shared modules
def shared_relu() -> nn.Sequential:
    act = nn.ReLU()
    return nn.Sequential(nn.Linear(2, 4), act, nn.Linear(4, 4), act, nn.Linear(4, 1))


def shared_linear() -> nn.Sequential:
    lin = nn.Linear(4, 4)
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), lin, nn.ReLU(), lin)


def shared_batchnorm() -> nn.Sequential:
    bn = nn.BatchNorm1d(4)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    return nn.Sequential(nn.Linear(2, 4), bn, nn.ReLU(), nn.Linear(4, 4), bn, nn.Linear(4, 1))


@pytest.mark.parametrize("build", [shared_relu, shared_linear, shared_batchnorm])
def test_a_module_used_twice_in_a_sequential_is_called_twice(build):
    torch.manual_seed(0)
    model = build().double().eval()
    net = regions.trace(model)
    assert len(net.nodes) - 1 == len(model._modules)  # one node per call (BatchNorm: Affine)
    assert traced_error(model, net) < 1e-12
    check_exact(model, regions.decompose(model))


# ----------------------------------------------------------------- aliases and in-place
def clamp_then_in_place(s, x):
    h = s.a(x)
    y = torch.clamp(h, min=float("-inf"))  # the same values in a new tensor
    y.relu_()  # must leave h as it is
    return h + y


def hardtanh_unbounded_then_in_place(s, x):
    h = s.a(x)
    y = F.hardtanh(h, float("-inf"), float("inf"))
    y.neg_()
    return h + y + F.relu(s.b(h))


def max_values_in_place(s, x):
    r = torch.max(s.a(x).view(-1, 2, 3), dim=2)
    r.values.relu_()  # the pair's values change too
    return r.values - 2 * r[0]


@pytest.mark.parametrize(
    "forward", [clamp_then_in_place, hardtanh_unbounded_then_in_place, max_values_in_place]
)
def test_in_place_changes_reach_exactly_the_aliases(forward):
    model = model_of(forward)
    assert traced_error(model, regions.trace(model)) < 1e-12
    check_exact(model, regions.decompose(model))


def augmented(op: str):
    def forward(s, x):
        h = s.a(x)
        alias = h
        if op == "+=":
            h += 1.5
        elif op == "-=":
            h -= F.relu(s.b(h))
        elif op == "*=":
            h *= -2
        else:
            h /= 4
        return h + F.relu(alias)  # alias is h: torch changed both

    return forward


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_is_in_place(op):
    model = model_of(augmented(op))
    assert traced_error(model, regions.trace(model)) < 1e-12
    check_exact(model, regions.decompose(model))


def values_augmented_under_a_view(s, x):
    v = torch.max(s.a(x).view(-1, 2, 3), dim=2).values  # an attribute of a proxy
    w = v.unsqueeze(1)  # a view of v
    v += 1.0
    return w


def values_augmented_read_again(s, x):
    r = torch.max(s.a(x).view(-1, 2, 3), dim=2)
    v = r.values
    v -= 2.0
    return r.values * 3.0  # the pair's values, changed


@pytest.mark.parametrize("forward", [values_augmented_under_a_view, values_augmented_read_again])
def test_augmented_assignment_on_an_attribute_is_in_place(forward):
    """``torch.max(x, dim).values`` is an attribute of fx's proxy, not a proxy fx makes: its
    ``+=`` was recorded as ``v = v + 1``, and the view (the pair) kept the old values."""
    model = model_of(forward)
    assert traced_error(model, regions.trace(model, check=False)) < 1e-12


def test_augmented_assignment_on_numbers_and_residuals():
    def forward(s, x):
        out = F.relu(s.a(x))
        out += s.a(x)  # a residual sum written into out
        n = x.size(1)
        n += 1  # a number: nothing in place
        return out * n

    model = model_of(forward)
    assert traced_error(model, regions.trace(model)) < 1e-12


def test_python_arithmetic_on_sizes_is_run():
    """Numbers from shape queries go through Python's own functions too (``-n``, ``n ** 2``,
    ``math.sqrt(n)``), which no handler reads: they are run as they are; not on the batch
    size, which is no number while tracing."""

    def forward(s, x):
        h = F.relu(s.a(x))  # the Linear first: it gives the input's width
        n = x.size(1)
        return h * -n / n**2 * math.sqrt(n) + abs(-n)

    model = model_of(forward)
    assert traced_error(model, regions.trace(model)) < 1e-12
    with pytest.raises(regions.UnsupportedModelError, match="arithmetic on the batch size"):
        regions.trace(model_of(lambda s, x: s.a(x) * -x.size(0)))


# ----------------------------------------------------------------- hooks
def test_forward_hooks_and_pre_hooks_are_refused():
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3)).double().eval()
    handle = model[0].register_forward_hook(lambda mod, inputs, out: 2 * out)
    with pytest.raises(regions.UnsupportedModelError, match=r"Linear module '0' has forward"):
        regions.trace(model)
    handle.remove()
    handle = model.register_forward_pre_hook(lambda mod, inputs: (-inputs[0],))
    with pytest.raises(regions.UnsupportedModelError, match="torch.export.export"):
        regions.trace(model)
    handle.remove()
    regions.trace(model)  # without hooks, traced


def test_pruned_weights_are_refused_until_pruning_is_made_permanent():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3)).double().eval()
    prune.l1_unstructured(model[0], "weight", amount=0.4)
    with torch.no_grad():
        model[0].weight_orig.add_(0.5)  # the hook computes the weight from this
    with pytest.raises(regions.UnsupportedModelError, match="prune.remove"):
        regions.trace(model)
    # torch.export runs the hook: the traced weight is the pruned one
    program = torch.export.export(model, (torch.tensor(X[:4]),))
    assert traced_error(model, regions.trace(program)) < 1e-12
    prune.remove(model[0], "weight")
    assert traced_error(model, regions.trace(model)) < 1e-12


def test_global_forward_hooks_are_refused():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU()).double().eval()
    handle = nn.modules.module.register_module_forward_hook(lambda mod, inputs, out: None)
    try:
        with pytest.raises(regions.UnsupportedModelError, match="global forward hooks"):
            regions.trace(model)
    finally:
        handle.remove()


# ----------------------------------------------------------------- training mode
def test_a_submodule_in_training_mode_warns_at_the_caller():
    model = nn.Sequential(nn.Linear(2, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 1))
    model.eval()
    model[1].train()
    with pytest.warns(regions.EvalSemanticsWarning, match="BatchNorm1d module '1'") as record:
        regions.trace(model)
    assert len(record) == 1 and record[0].filename == __file__


@pytest.mark.parametrize(
    "forward",
    [
        lambda s, x: F.dropout(s.a(x), 0.5),  # training=True unless told
        lambda s, x: torch.dropout(s.a(x), 0.2, True),
    ],
)
def test_functional_dropout_in_training_mode_warns_at_the_caller(forward):
    with pytest.warns(regions.EvalSemanticsWarning, match="dropout") as record:
        regions.trace(model_of(forward))
    assert len(record) == 1 and record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", regions.EvalSemanticsWarning)
        regions.trace(model_of(lambda s, x: F.dropout(s.a(x), 0.5, training=False)))


def test_feature_alpha_dropout_in_training_mode_warns():
    model = nn.Sequential(nn.Linear(2, 5), nn.FeatureAlphaDropout(0.5), nn.Linear(5, 1))
    with pytest.warns(regions.EvalSemanticsWarning, match="FeatureAlphaDropout"):
        regions.trace(model)


def test_a_module_called_by_keyword_is_refused_clearly():
    with pytest.raises(regions.UnsupportedModelError, match="its input alone, by position"):
        regions.trace(model_of(lambda s, x: s.a(input=x)))


# ----------------------------------------------------------------- exported permutations
class Permuted(nn.Module):
    def __init__(self, how: str) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc, self.how = nn.Linear(2, 6), how

    def forward(self, x):
        h = self.fc(x).view(-1, 2, 3)
        if self.how == "permute":
            return F.relu(h.permute(0, 2, 1)).flatten(1)
        if self.how == "transpose":
            return F.relu(h.transpose(1, 2)).flatten(1)
        if self.how == "in place through the view":
            h.transpose(1, 2).relu_()  # writes into h
            return h.flatten(1)
        p = h.transpose(1, 2)
        h.relu_()  # the transposed view sees it
        return p.flatten(1)


@pytest.mark.parametrize("how", ["permute", "transpose"])
@pytest.mark.parametrize("core", [False, True], ids=["aten", "core-aten"])
def test_exported_permutations_of_feature_axes(how, core):
    model = Permuted(how).double().eval()
    program = torch.export.export(model, (torch.tensor(X[:4]),))
    program = program.run_decompositions() if core else program
    assert traced_error(model, regions.trace(program)) < 1e-12


@pytest.mark.parametrize("how", ["in place through the view", "in place on the base"])
def test_in_place_beside_a_permuted_view_is_refused(how):
    model = Permuted(how).double().eval()
    program = torch.export.export(model, (torch.tensor(X[:4]),))
    with pytest.raises(regions.UnsupportedModelError, match="permuted or transposed view"):
        regions.trace(program)


# ----------------------------------------------------------------- wrappers and leftovers
def test_a_compiled_module_is_traced_as_the_module_it_wraps():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)).double().eval()
    net = regions.trace(torch.compile(model))
    assert traced_error(model, net) < 1e-12 and net.widths == (2, 4, 4, 1)


@pytest.mark.parametrize(
    "script", [torch.jit.script, lambda m: torch.jit.trace(m, torch.ones(2, 2))]
)
def test_torchscript_modules_are_refused_for_what_they_are(script):
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)).eval()
    with pytest.raises(regions.UnsupportedModelError, match="TorchScript module"):
        regions.trace(script(model))


def test_the_unread_indices_of_a_max_are_no_obstacle():
    def forward(s, x):
        values, _ = torch.max(s.a(x).view(-1, 2, 3), 2)
        return values

    model = model_of(forward)
    assert traced_error(model, regions.trace(model)) < 1e-12
    with pytest.raises(regions.UnsupportedModelError, match="indices of a max"):
        regions.trace(model_of(lambda s, x: torch.max(s.a(x).view(-1, 2, 3), 2)[1] * 1.0))


@pytest.mark.parametrize(
    "forward",
    [
        lambda s, x: torch.true_divide(F.relu(s.a(x)), 4),
        lambda s, x: +F.relu(s.a(x)),
        lambda s, x: nn.functional.feature_alpha_dropout(F.relu(s.a(x)), 0.5, training=False),
        lambda s, x: torch.absolute(s.a(x)),
        lambda s, x: torch.subtract(s.a(x), 1.0, alpha=2),
        lambda s, x: torch.multiply(F.relu(s.a(x)), 2.0),
        lambda s, x: torch.divide(F.relu(s.a(x)), 4.0),
        lambda s, x: torch.negative(F.relu(s.a(x))),
        lambda s, x: s.a(x).absolute_(),
    ],
    ids=[
        "true_divide",
        "positive",
        "feature_alpha_dropout",
        "absolute",
        "subtract",
        "multiply",
        "divide",
        "negative",
        "absolute_",
    ],
)
def test_exported_programs_take_what_the_fx_tracer_takes(forward):
    model = model_of(forward)
    program = torch.export.export(model, (torch.tensor(X[:4]),))
    assert traced_error(model, regions.trace(program)) < 1e-12


@pytest.mark.parametrize(
    "forward",
    [
        lambda s, x: s.b(F.dropout(F.relu(s.a(x)), 0.5, False, True)),
        lambda s, x: s.b(F.alpha_dropout(F.relu(s.a(x)), 0.5, False)),
        lambda s, x: s.b(F.feature_alpha_dropout(F.relu(s.a(x)), 0.5)),
        lambda s, x: s.b(F.dropout1d(F.relu(s.a(x)).unsqueeze(1), 0.5, False).flatten(1)),
    ],
    ids=["dropout in place", "alpha_dropout", "feature_alpha_dropout", "dropout1d"],
)
def test_functional_dropouts_in_eval_both_ways(forward):
    """Dropouts called off (``training=False``) are the identity, in place too, for both
    tracers (fx refused the alpha ones, export the in-place one)."""
    model = model_of(forward)
    program = torch.export.export(model, (torch.tensor(X[:4]),))
    assert traced_error(model, regions.trace(model)) < 1e-12
    assert traced_error(model, regions.trace(program)) < 1e-12
