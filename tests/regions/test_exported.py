"""``torch.export`` programs decompose like the models they came from (regions.exported)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from checks import check_affine
from exact_checks import check_interior_points
from torch import nn

import regions
from regions.network import Activation, Affine, Concat, Sum
from regions.oracle import exact_affine, exact_eval

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.export's own


def seeded(module: nn.Module, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
        if isinstance(m, nn.BatchNorm1d):
            with torch.no_grad():
                m.running_mean.uniform_(-1.0, 1.0)
                m.running_var.uniform_(0.5, 2.0)
    return module.double().eval()


def export(model: nn.Module, *, dynamic: bool = False, core: bool = False):
    x = torch.randn(4, 2, dtype=torch.float64)
    shapes = ({0: torch.export.Dim("batch")},) if dynamic else None
    program = torch.export.export(model, (x,), dynamic_shapes=shapes)
    return program.run_decompositions() if core else program


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 6), nn.Linear(6, 6), nn.Linear(6, 2)

    def forward(self, x):
        h = torch.relu(self.a(x))
        h = h + torch.relu(self.b(h))
        return self.c(h - 0.5 * torch.relu(self.b(h)))


class Maxout(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(2, 12), nn.Linear(4, 1)

    def forward(self, x):
        return self.b(self.a(x).view(-1, 4, 3).amax(dim=2))


class Branchy(nn.Module):
    """A shape-based branch and loop: torch.fx cannot trace it, torch.export resolves it."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 6), nn.Linear(3, 1), nn.Linear(6, 1)

    def forward(self, x):
        h = torch.relu(self.a(x))
        if h.shape[1] > 4:
            h = h.view(h.shape[0], 2, 3).amax(dim=1)
            for _ in range(h.shape[1] - 1):
                h = torch.relu(h - 0.25)
            return self.b(h)
        return self.c(h)


class Unrolled(nn.Module):
    """The branch :class:`Branchy` takes, written for torch.fx."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 6), nn.Linear(3, 1), nn.Linear(6, 1)

    def forward(self, x):
        h = torch.relu(self.a(x)).view(-1, 2, 3).amax(dim=1)
        return self.b(torch.relu(torch.relu(h - 0.25) - 0.25))


class Buffers(nn.Module):
    """A constant buffer, PReLU, max over a dim, maximum, clamp: fx refuses the buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.p = nn.Linear(2, 6), nn.PReLU(6)
        self.register_buffer("shift", torch.linspace(-1.0, 1.0, 6))

    def forward(self, x):
        y = self.p(self.a(x) * 2.0 + self.shift).view(-1, 2, 3).amax(dim=2)
        top = torch.max(y, dim=1).values.unsqueeze(1)
        parts = [y, top, x.abs() - 1, torch.maximum(x, -x / 3), 1 - x]
        return torch.cat(parts, dim=1).clamp(min=0).view(-1, 3, 3).transpose(1, 2).flatten(1)


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1))


def batchnorm() -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, 8),
        nn.BatchNorm1d(8),
        nn.ReLU(inplace=True),
        nn.Dropout(0.2),
        nn.Linear(8, 8),
        nn.Hardtanh(-0.5, 0.7),
        nn.Linear(8, 3),
    )


def pooled() -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, 8), nn.Unflatten(1, (1, 8)), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(4, 1)
    )


def same_network(a: regions.Network, b: regions.Network) -> None:
    """Node by node the same graph with bit-identical float64 weights."""
    assert (a.widths, a.output, a.softmax) == (b.widths, b.output, b.softmax)
    for i, (x, y) in enumerate(zip(a.nodes[1:], b.nodes[1:], strict=True), 1):
        assert type(x) is type(y), (i, x, y)
        if isinstance(x, Affine):
            assert x.src == y.src and np.array_equal(x.W, y.W) and np.array_equal(x.b, y.b), i
        elif isinstance(x, (Sum, Concat)):
            assert x.srcs == y.srcs and getattr(x, "signs", 0) == getattr(y, "signs", 0), i
        else:
            assert isinstance(x, Activation) and x.src == y.src, i
            for f in ("thresholds", "slopes", "offsets"):
                assert np.array_equal(getattr(x, f), getattr(y, f)), (i, f)


def same_partition(a: regions.Partition, b: regions.Partition) -> None:
    assert len(a) == len(b)
    assert np.array_equal(a.patterns, b.patterns)
    assert np.array_equal(a.points, b.points)
    for x, y in zip(a.affine(), b.affine(), strict=True):
        assert np.array_equal(x, y)


def check_exact_maps(model: nn.Module, part: regions.Partition) -> None:
    """Each region's exact map equals the exact network at the region's interior point, whose
    pattern is the region's (judged in Fractions), and the model's own float64 output."""
    check_interior_points(part)
    A, c = exact_affine(part.network, part.plane, part.patterns)
    values = exact_eval(part.network, part.plane, part.points)
    for r, p in enumerate(values):
        assert tuple(A[r] @ np.array(p.point, dtype=object) + c[r]) == p.logits, r
    check_affine(model, part)


@pytest.mark.parametrize("make", [mlp, batchnorm, Residual, Maxout, pooled])
@pytest.mark.parametrize("core", [False, True], ids=["export", "core-aten"])
def test_program_decomposes_like_the_fx_traced_model(make, core):
    model = seeded(make())
    program = export(model, core=core)
    same_network(regions.trace(program), regions.trace(model))
    part = regions.decompose(program)
    same_partition(part, regions.decompose(model))
    assert regions.count(program) == len(part) > 4
    check_exact_maps(model, part)


@pytest.mark.parametrize("core", [False, True], ids=["export", "core-aten"])
def test_final_softmax_is_stripped(core):
    model = seeded(Lambda(lambda h: torch.log_softmax(torch.relu(h), dim=1)))
    net = regions.trace(export(model, core=core))
    assert net.softmax
    same_network(net, regions.trace(model))


def test_dynamic_batch_is_the_same_program():
    model = seeded(Maxout())
    same_network(regions.trace(export(model, dynamic=True)), regions.trace(model))


def test_control_flow_fx_cannot_trace():
    model = seeded(Branchy())
    with pytest.raises(regions.UnsupportedModelError, match="torch.fx could not trace"):
        regions.trace(model)
    twin = seeded(Unrolled())
    for program in (export(model), export(model, dynamic=True), export(model, core=True)):
        part = regions.decompose(program)
        same_partition(part, regions.decompose(twin))
    check_exact_maps(model, part)


def test_constant_buffers_prelu_and_permutations():
    model = seeded(Buffers())
    with pytest.raises(regions.UnsupportedModelError, match="tensor attribute 'shift'"):
        regions.trace(model)
    part = regions.decompose(export(model))
    assert len(part) > 10
    check_exact_maps(model, part)


def test_saved_and_loaded_program(tmp_path):
    model = seeded(batchnorm())
    path = tmp_path / "model.pt2"
    torch.export.save(export(model), path)
    program = torch.export.load(path)
    same_partition(regions.decompose(program), regions.decompose(model))
    a = regions.decompose_line(program, (-1.0, -1.0), (1.0, 1.0))
    b = regions.decompose_line(model, (-1.0, -1.0), (1.0, 1.0))
    assert len(a) == len(b) > 1
    assert np.array_equal(a.breaks, b.breaks) and np.array_equal(a.patterns, b.patterns)


def test_training_mode_program_warns_and_uses_eval_semantics():
    model = seeded(batchnorm()).train()
    program = torch.export.export(model, (torch.randn(4, 2, dtype=torch.float64),))
    with pytest.warns(regions.EvalSemanticsWarning, match="aten.batch_norm"):
        net = regions.trace(program)
    same_network(net, regions.trace(model.eval()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", regions.EvalSemanticsWarning)
        regions.trace(program, warn=False)


class Lambda(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fc, self.fn = nn.Linear(2, 3), fn

    def forward(self, x):
        return self.fn(self.fc(x))


@pytest.mark.parametrize("core", [False, True], ids=["export", "core-aten"])
@pytest.mark.parametrize(
    "fn, name", [(torch.tanh, "tanh"), (torch.sigmoid, "sigmoid"), (nn.GELU(), "gelu")]
)
def test_not_piecewise_linear(fn, name, core):
    program = export(seeded(Lambda(fn)), core=core)
    with pytest.raises(regions.NotPiecewiseLinearError, match=rf"aten\.{name} .*not piecewise"):
        regions.decompose(program)
    assert not regions.is_piecewise_linear(program)


@pytest.mark.parametrize(
    "fn, error, match",
    [
        (lambda h: h * h, regions.NotPiecewiseLinearError, "multiplying two tensors"),
        (torch.floor, regions.UnsupportedModelError, r"aten\.floor .*discontinuous"),
        (lambda h: h[:, :2], regions.UnsupportedModelError, r"aten\.slice .*not supported"),
        (lambda h: h.t(), regions.UnsupportedModelError, "moves the batch axis"),
        (lambda h: h.transpose(0, 1), regions.UnsupportedModelError, "dim=0 is the batch axis"),
        (lambda h: h.reshape(-1), regions.UnsupportedModelError, "between examples"),
        (lambda h: h.amax(dim=0), regions.UnsupportedModelError, "batch axis"),
        (lambda h: (h, h), regions.UnsupportedModelError, "returns 2 outputs"),
        (lambda h: h / 0.0, regions.InvalidModelError, "divides by zero"),
    ],
)
def test_unsupported_operations_name_the_op(fn, error, match):
    program = export(seeded(Lambda(fn)))
    with pytest.raises(error, match=match):
        regions.trace(program)


def test_bad_inputs():
    class Two(nn.Module):
        def forward(self, x, y):
            return x + y

    x = torch.zeros(4, 2)
    with pytest.raises(regions.UnsupportedModelError, match="takes 2 inputs"):
        regions.trace(torch.export.export(Two(), (x, x)))
    program = export(seeded(mlp()))
    with pytest.raises(regions.UnsupportedModelError, match="n_inputs=3, but .* 2 features"):
        regions.trace(program, n_inputs=3)
    with pytest.raises(regions.UnsupportedModelError, match="or a torch.export.ExportedProgram"):
        regions.trace("model.pt2")


class DeadBranch(nn.Module):
    """A result computed and never used (ReLUs of ReLUs, after the output in graph order)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 4), nn.Linear(2, 3), nn.Linear(3, 3)

    def forward(self, x):
        out = torch.maximum(self.a(x), -self.a(x))
        unused = torch.relu(self.c(torch.relu(self.b(x))))  # noqa: F841 (the point)
        return out


@pytest.mark.parametrize("core", [False, True], ids=["export", "core-aten"])
def test_dead_code_draws_no_boundary(core):
    """fx records a result that is never used, and each of its activations once cut the
    regions (26 where the function has 10); a program drops it, but only its last node.
    Only the nodes the output reads are kept, in both tracers, and certify's exact
    evaluation (which stops at the output) agrees with the patterns."""
    model = seeded(DeadBranch())
    only = Lambda(lambda h: torch.maximum(h, -h))
    only.fc = model.a
    net = regions.trace(model)
    assert net.n_layers == 1  # the maximum's
    same_network(regions.trace(export(model, core=core)), net)
    part = regions.decompose(model)
    assert len(part) == regions.count(export(model, core=core)) == len(regions.decompose(only))
    regions.certify(part)


def test_a_program_torch_cannot_unlift_is_traced_unchecked():
    """A core ATen program that writes into its input: ``program.module()`` itself raises
    (torch's unlifting), so there is nothing to check against."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.ReLU(inplace=True), nn.Linear(2, 1)).double().eval()
    program = export(model, core=True)
    with pytest.raises(RuntimeError):
        program.module()
    net = regions.trace(program)
    assert net.widths == (2, 2, 1) and net.n_layers == 1


# ----------------------------------------------------------------- core ATen's multi-node forms
class Prelu(nn.Module):
    """PReLU with one slope or one per feature on (batch, 6), or per channel on (batch, 2, 3):
    core ATen writes it as where(x > 0, x, x * w)."""

    def __init__(self, slopes: int, channels: bool) -> None:
        super().__init__()
        self.a, self.p, self.c = nn.Linear(2, 6), nn.PReLU(slopes), nn.Linear(6, 1)
        self.channels = channels

    def forward(self, x):
        h = self.a(x)
        return self.c(self.p(h.view(-1, 2, 3) if self.channels else h).flatten(1))


class ChannelLinear(nn.Module):
    """A Linear (3 -> 4) on the last axis of a (batch, *shape) tensor: core ATen writes it as
    view(batch * rows, 3), addmm and a view back."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        rows = math.prod(shape[:-1])
        self.a, self.b, self.c = nn.Linear(2, 3 * rows), nn.Linear(3, 4), nn.Linear(4 * rows, 1)
        self.shape = shape

    def forward(self, x):
        h = torch.relu(self.a(x)).view(-1, *self.shape)
        return self.c(torch.relu(self.b(h)).flatten(1))


def prelu(slopes: int, channels: bool = False) -> nn.Module:
    model = seeded(Prelu(slopes, channels))
    with torch.no_grad():  # slopes of both signs, each its own
        model.p.weight.copy_(torch.linspace(-0.75, 0.5, slopes))
    return model


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: prelu(1),
        lambda: prelu(6),
        lambda: prelu(2, True),
        lambda: seeded(ChannelLinear(2, 3)),
        lambda: seeded(ChannelLinear(2, 2, 3)),
    ],
    ids=["prelu", "prelu per feature", "prelu per channel", "linear on rows", "on 2x2 rows"],
)
def test_core_aten_forms_of_prelu_and_a_linear_on_channels(make, dynamic):
    model = make()
    program = export(model, dynamic=dynamic, core=True)
    same_network(regions.trace(program), regions.trace(model))
    part = regions.decompose(program)
    assert len(part) > 4
    check_exact_maps(model, part)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize(
    "fn, match",
    [
        (lambda h: torch.where(h > 0, h, 0.5 * h + 1), "where only as"),
        (lambda h: torch.where(h > 0, 0.5 * h, h), "where only as"),
        (lambda h: torch.where(h > 0, h, torch.relu(h) * 0.5), "where only as"),
        (lambda h: torch.where(h > 1, h, 0.5 * h), "a comparison is discontinuous"),
        (lambda h: (h > 0) * h, "'gt' is a comparison"),
        (lambda h: torch.relu(h.view(h.shape[0] * 3, 1)).view(-1, 3), "merges the batch axis"),
        (lambda h: h.view(h.shape[0] * 3, 1), "returns 'view', a view that merges the batch"),
        (lambda h: torch.addmm(h, h, torch.eye(3, dtype=h.dtype)), "traced tensor as the bias"),
    ],
    ids=["shifted", "swapped", "other", "threshold", "mask", "rows", "rows out", "addmm bias"],
)
def test_core_aten_forms_refuse_anything_else(fn, match, dynamic):
    program = export(seeded(Lambda(fn)), dynamic=dynamic, core=True)
    with pytest.raises(regions.UnsupportedModelError, match=match):
        regions.trace(program)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("core", [False, True], ids=["export", "core-aten"])
def test_squeezing_the_batch_axis(core, dynamic):
    """Core ATen writes squeeze() as squeeze over every axis, which is squeeze(); squeezing
    the batch axis of a fixed batch of 4 changes nothing, while a dynamic batch of one would
    lose it."""
    model = seeded(Lambda(lambda h: torch.relu(h).unsqueeze(1).squeeze()))
    same_network(regions.trace(export(model, dynamic=dynamic, core=core)), regions.trace(model))
    model = seeded(Lambda(lambda h: torch.relu(h).unsqueeze(1).squeeze((0, 1))))
    program = export(model, dynamic=dynamic, core=core)
    if dynamic:
        with pytest.raises(regions.UnsupportedModelError, match="for a batch of one example"):
            regions.trace(program)
    else:
        twin = seeded(Lambda(lambda h: torch.relu(h).unsqueeze(1).squeeze(1)))
        same_network(regions.trace(program), regions.trace(twin))


class Reversed(nn.Module):
    """rsub of a constant buffer: ``shift - 2 relu(fc(x))``."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.register_buffer("shift", torch.tensor([0.5, -1.0, 2.0]))

    def forward(self, x):
        return torch.rsub(torch.relu(self.fc(x)), self.shift, alpha=2)


class ReversedByNumber(nn.Module):
    """rsub of a number, ``1.5 - 3 relu(fc(x))``: ATen's rsub.Scalar takes alpha by position."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 3)

    def forward(self, x):
        return torch.rsub(torch.relu(self.fc(x)), 1.5, alpha=3)


@pytest.mark.parametrize("core", [False, True], ids=["export", "core-aten"])
@pytest.mark.parametrize("module", [Reversed, ReversedByNumber])
def test_rsub_of_a_constant_tensor(core, module):
    model = seeded(module())
    part = regions.decompose(export(model, core=core))
    assert len(part) > 2
    check_exact_maps(model, part)
