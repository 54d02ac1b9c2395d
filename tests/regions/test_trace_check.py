"""The safety net under tracing: every trace read from a graph is run against the model's own
forward pass (regions.trace_check). It must catch a misread model, raise nothing for a right
one at any weight scale, and leave the model as it found it."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from test_tracing_aliases import model_of
from torch import nn
from torch.nn.utils import parametrizations as P

import regions
from regions import testing
from regions.trace_check import check_forward


def alias_add(s, x):
    """``h += y`` beside an alias of ``h``: fx's own proxies once traced it as ``h = h + y``."""
    h = s.a(x)
    kept = h
    h += s.b(torch.relu(h))
    return torch.relu(kept) - h


def misread_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the in-place proxies: the tracer records ``h += y`` as ``h = h + y`` again."""
    monkeypatch.setattr(regions.tracing._Tracer, "proxy", torch.fx.Tracer.proxy)


def test_a_misread_alias_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_of(alias_add)
    regions.trace(model)  # read right: no error
    misread_in_place(monkeypatch)
    with pytest.raises(regions.TraceMismatchError, match="is not what the model computes"):
        regions.trace(model)
    assert isinstance(regions.trace(model, check=False), regions.Network)  # the way out
    assert not regions.is_piecewise_linear(model)


def test_a_misread_model_in_training_mode_is_caught_and_left_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dropout and BatchNorm in training mode are run in eval mode for the check (the trace
    reads them so), then put back; nothing the forward could update changes."""

    def forward(s, x):
        return alias_add(s, s.drop(s.norm(x)))

    model = model_of(forward)
    model.norm, model.drop = nn.BatchNorm1d(2).double(), nn.Dropout(0.5)
    with torch.no_grad():
        model.norm.running_mean.fill_(0.5)
        model.norm.running_var.fill_(2.0)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", regions.EvalSemanticsWarning)
        regions.trace(model)
        misread_in_place(monkeypatch)
        with pytest.raises(regions.TraceMismatchError):
            regions.trace(model)
    assert all(m.training for m in model.modules())
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_a_call_in_training_mode_is_not_checked() -> None:
    """``F.dropout(..., training=True)`` drops at random in the forward pass, and the trace
    reads it as off: the two differ on purpose, so the check stays out."""
    model = model_of(lambda s, x: s.b(F.dropout(torch.relu(s.a(x)), 0.5, True)))
    with pytest.warns(regions.EvalSemanticsWarning):
        net = regions.trace(model)
    assert net.n_outputs == 6


@pytest.mark.parametrize("final", [nn.Softmax(dim=1), nn.LogSoftmax(dim=1)])
def test_a_stripped_softmax_is_compared_through_it(final: nn.Module) -> None:
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(2, 5), nn.LeakyReLU(0.1), nn.Linear(5, 3), final).double()
    b = nn.Sequential(nn.Linear(2, 5), nn.LeakyReLU(0.1), nn.Linear(5, 3), final).double()
    assert regions.trace(a).softmax
    with pytest.raises(regions.TraceMismatchError):
        check_forward(b, regions.trace(a))


@pytest.mark.parametrize("shape", [(3, 2), (3, 1, 2)])
def test_exported_programs_are_checked_at_their_static_batch_and_shape(
    shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.manual_seed(0)
    a, b = (
        nn.Sequential(nn.Flatten(), nn.Linear(2, 4), nn.Hardtanh(), nn.Linear(4, 2)).eval()
        for _ in range(2)
    )
    program = torch.export.export(a, (torch.zeros(shape),))  # batch 3 only
    with pytest.raises(AssertionError):  # the program refuses another batch size
        program.module()(torch.zeros(8, *shape[1:]))
    regions.trace(program)  # read right
    misread = regions.trace(b)
    monkeypatch.setattr(regions.exported._AtenWalker, "network", lambda self, output: misread)
    with pytest.raises(regions.TraceMismatchError):
        regions.trace(program)


def test_a_forward_that_cannot_run_is_left_unchecked() -> None:
    net = regions.trace(nn.Sequential(nn.Linear(2, 3), nn.Hardtanh()))

    def fails(x):
        raise RuntimeError("no")

    check_forward(fails, net)
    check_forward(lambda x: (x, x), net)  # no tensor


def shifted_output(model: nn.Sequential, by: float) -> nn.Sequential:
    """``model`` with its last bias moved by ``by``."""
    with torch.no_grad():
        model[-1].bias += by
    return model


@pytest.mark.parametrize(("by", "caught"), [(1e-7, True), (1e-13, False)])
def test_the_margin_lies_between_rounding_and_a_real_difference(by: float, caught: bool) -> None:
    """Outputs of order one, rounded at about 1e-16: a trace off by 1e-7 is caught, one off by
    1e-13 (a few hundred ulps) is taken for rounding."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 2)).double()
    net = regions.trace(model)
    other = shifted_output(nn.Sequential(*model).double(), by)
    if caught:
        with pytest.raises(regions.TraceMismatchError):
            check_forward(other, net)
    else:
        check_forward(other, net)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(model=testing.nets(max_layers=4, max_width=6))
def test_adversarial_nets_raise_no_false_alarm(model: nn.Sequential) -> None:
    """Weights from 1e-8 to 1e8 (over 1e16 across two layers), duplicated and shifted units,
    integer weights putting lines through common points: torch's float64 forward agrees with
    the trace within the margin."""
    check_forward(model, regions.trace(model, check=False))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(model=testing.nets(max_layers=4, max_width=6, adversarial=False))
def test_a_doubled_output_is_caught(model: nn.Sequential) -> None:
    """Normal weights, outputs of order one: twice the model is not its trace."""
    net = regions.trace(model, check=False)
    with pytest.raises(regions.TraceMismatchError, match="further apart than rounding"):
        check_forward(lambda t: 2 * model(t), net)


def test_a_float32_model_gets_its_own_tensors_back() -> None:
    """The check runs the forward with float64 copies swapped in; the model's own parameters
    and buffers (the same objects, float32) are back after it."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.LeakyReLU(0.1), nn.Linear(4, 1))
    model.eval()
    before = [(m, dict(m._parameters), dict(m._buffers)) for m in model.modules()]
    values = {k: v.clone() for k, v in model.state_dict().items()}
    regions.trace(model)
    for m, params, buffers in before:
        assert all(m._parameters[k] is t for k, t in params.items())
        assert all(m._buffers[k] is t for k, t in buffers.items())
    assert model[0].weight.dtype == torch.float32
    assert all(torch.equal(v, values[k]) for k, v in model.state_dict().items())


def test_parametrized_float32_weights_raise_no_false_alarm() -> None:
    """weight_norm and spectral_norm compute a float32 model's weight in float32, and the trace
    reads that weight exactly: a float64 run would compute another weight, so such a model is
    not checked (it raised TraceMismatchError)."""
    for parametrization in (P.weight_norm, P.spectral_norm):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
        model.append(nn.Linear(8, 1))
        parametrization(model[2])
        net = regions.trace(model.eval())
        assert np.array_equal(net.nodes[3].W, model[2].weight.detach().double().numpy())


def test_parametrized_float64_weights_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.1), nn.Linear(4, 1)).double()
    P.weight_norm(model[0])
    regions.trace(model)
    misread_weights(monkeypatch, by=1e-6)
    with pytest.raises(regions.TraceMismatchError):
        regions.trace(model)


def misread_weights(monkeypatch: pytest.MonkeyPatch, by: float) -> None:
    """A tracer that reads every weight ``by`` too large (relative)."""
    to_numpy = regions.layers.to_numpy
    monkeypatch.setattr(regions.layers, "to_numpy", lambda t, name: to_numpy(t, name) * (1 + by))


def test_spectral_norm_in_training_mode_is_read_with_eval_semantics() -> None:
    """In training mode, reading spectral_norm's weight runs a step of its power iteration on
    the model's own vectors: tracing reads it in eval mode (warning), changes nothing and is
    the trace of the model in eval mode."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.1), nn.Linear(8, 8), nn.ReLU())
    model = model.append(nn.Linear(8, 1)).double()
    P.spectral_norm(model[2])  # 8 x 8: a step of the power iteration moves its vectors
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.warns(regions.EvalSemanticsWarning, match="parametrization with state"):
        net = regions.trace(model)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert all(m.training for m in model.modules())
    expected = regions.trace(model.eval())
    assert np.array_equal(net.nodes[3].W, expected.nodes[3].W)


class _ScaledWeight(nn.Module):
    """A linear layer whose weight the forward computes from a parameter, and a call counter
    (a buffer the forward updates)."""

    def __init__(self, factor: float, dtype: torch.dtype) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.w = nn.Parameter(torch.randn(3, 2, dtype=dtype))
        self.out = nn.Linear(3, 1).to(dtype)
        self.factor = factor
        self.register_buffer("calls", torch.zeros((), dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.out(torch.relu(F.linear(x, self.w * self.factor)))


@pytest.mark.parametrize(
    ("factor", "dtype", "checked"),
    [(0.1, torch.float32, False), (0.5, torch.float32, True), (0.1, torch.float64, True)],
)
def test_exported_constants_rounded_below_float64_are_not_checked(
    factor: float, dtype: torch.dtype, checked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A weight times 0.1 in float32 rounds (the check's float64 run would not); times 0.5, or
    in float64, it is what a float64 run computes, and a misread is caught. The program's
    buffers are the model's: the check's runs leave its counter alone."""
    model = _ScaledWeight(factor, dtype).eval()
    program = torch.export.export(model, (torch.zeros(4, 2, dtype=dtype),))
    regions.trace(program)
    assert int(program.state_dict["calls"]) == 0
    misread = regions.trace(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    monkeypatch.setattr(regions.exported._AtenWalker, "network", lambda self, output: misread)
    if checked:
        with pytest.raises(regions.TraceMismatchError, match="program, check=False"):
            regions.trace(program)
    else:
        regions.trace(program)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_a_softmax_in_a_lower_precision_is_compared_in_it(dtype: torch.dtype) -> None:
    """``softmax(..., dtype=)`` computes the probabilities in float32 or float16 from logits
    rounded to it: no false alarm, and a misread logit is still caught."""
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 3)).double()
    model = model_of(lambda s, x: F.softmax(s.body(x), dim=1, dtype=dtype))
    model.body = body
    net = regions.trace(model)
    with torch.no_grad():
        body[2].bias[1] += 0.5
    with pytest.raises(regions.TraceMismatchError):
        check_forward(model, net)


def test_small_probabilities_are_compared_through_their_logarithms() -> None:
    """A class the model gives 1e-27 at every check point and a misread trace 1e-12: both
    nearly zero, but the misread moves the decision boundary into the box."""

    def head(bias: float) -> nn.Sequential:
        model = nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1)).double()
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor([[20.0, 0.0], [-20.0, 0.0], [0.0, 20.0]]))
            model[0].bias.copy_(torch.tensor([0.0, 0.0, bias]))
        return model

    check_forward(head(-60.0), regions.trace(head(-60.0)))
    with pytest.raises(regions.TraceMismatchError):
        check_forward(head(-60.0), regions.trace(head(-25.0), check=False))


def test_breakpoints_far_from_the_origin_are_reached() -> None:
    """A dropped ``clamp(max=3)``: some check points have preactivations beyond 3."""
    model = model_of(lambda s, x: s.b(torch.clamp(s.a(x), max=3.0)))
    misread = regions.trace(nn.Sequential(model.a, model.b).double(), check=False)
    regions.trace(model)
    with pytest.raises(regions.TraceMismatchError):
        check_forward(model, misread)


def test_a_log_softmax_mismatch_names_log_probabilities() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.LogSoftmax(dim=1))
    net = regions.trace(model.double())
    with pytest.raises(regions.TraceMismatchError) as caught:
        check_forward(lambda t: model(t) - 1.0, net)
    quoted = r"is (\S+) from the model's forward and (\S+) from"
    theirs, ours = re.search(quoted, str(caught.value)).groups()
    assert float(theirs) < 0 and float(ours) < 0 and abs(float(theirs) - float(ours) - -1.0) < 1e-9
