"""MLP builder: shapes, fx tracing, residual checks, initialisation, seeding, dropout."""

import itertools
import json
import math

import numpy as np
import pytest
import torch
import torch.fx
from torch import nn

from analysis.lab.models import ACTIVATIONS, MLP, MLPConfig, predict_proba

OPTIONS = list(
    itertools.product(ACTIVATIONS, [False, True], [1.0, 0.7], [None, (False, True, True)])
)


def _equal_states(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("n_outputs", [1, 2, 3])
def test_output_shape(n_outputs: int) -> None:
    model = MLP((7, 5), n_inputs=3, n_outputs=n_outputs, seed=0)
    assert model(torch.randn(11, 3)).shape == (11, n_outputs)
    assert len(model.blocks) == 2 and model.output.in_features == 5


@pytest.mark.parametrize(("activation", "batch_norm", "keep_prob", "residual"), OPTIONS)
def test_fx_traceable(
    activation: str, batch_norm: bool, keep_prob: float, residual: tuple[bool, ...] | None
) -> None:
    model = MLP(
        (6, 6, 6), activation, batch_norm=batch_norm, keep_prob=keep_prob, residual=residual, seed=1
    ).eval()
    traced = torch.fx.symbolic_trace(model)
    x = torch.randn(32, 2)
    assert torch.equal(traced(x), model(x))
    targets = [n.target for n in traced.graph.nodes if n.op == "call_module"]
    assert targets[:2] == ["blocks.0.linear", "blocks.0.bn" if batch_norm else "blocks.0.act"]
    assert sum(t.endswith("dropout") for t in targets) == (3 if keep_prob < 1 else 0)
    adds = [n for n in traced.graph.nodes if n.op == "call_function"]
    assert len(adds) == (2 if residual else 0)


@pytest.mark.parametrize(
    ("activation", "kind"),
    [
        ("relu", nn.ReLU),
        ("leaky_relu", nn.LeakyReLU),
        ("sigmoid", nn.Sigmoid),
        ("tanh", nn.Tanh),
        ("elu", nn.ELU),
        ("swish", nn.SiLU),
    ],
)
def test_activation_modules(activation: str, kind: type[nn.Module]) -> None:
    model = MLP((4, 4), activation, leaky_slope=0.2)
    assert all(type(block.act) is kind for block in model.blocks)
    if activation == "leaky_relu":
        assert model.blocks[0].act.negative_slope == 0.2


def test_batch_norm_settings() -> None:
    model = MLP((4, 4), batch_norm=True)
    bn = model.blocks[1].bn
    assert isinstance(bn, nn.BatchNorm1d)
    assert bn.momentum == 0.05 and bn.eps == 1e-4 and bn.num_features == 4
    assert MLP((4, 4)).blocks[0].bn is None


def test_residual_adds_input_before_activation() -> None:
    model = MLP((4, 4), "tanh", residual=[False, True], seed=0)
    with torch.no_grad():
        model.blocks[1].linear.weight.zero_()
        model.blocks[1].linear.bias.fill_(0.5)
    h = torch.randn(9, 4)
    assert torch.allclose(model.blocks[1](h), torch.tanh(h + 0.5))


def test_residual_width_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="hidden layer 1 needs equal widths, got 10 -> 5"):
        MLP((10, 5), residual=[False, True])
    with pytest.raises(ValueError, match="hidden layer 0"):
        MLP((10, 10), residual=[True, False])  # input width 2 != 10
    with pytest.raises(ValueError, match="one flag per hidden layer"):
        MLP((10, 10), residual=[False])
    assert MLP((2, 2), residual=[True, True]).config.residual == (True, True)


def test_he_init_statistics() -> None:
    model = MLP((1000, 1000), seed=0)
    w = model.blocks[1].linear.weight
    assert w.std().item() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)
    assert abs(w.mean().item()) < 1e-3
    assert all(torch.count_nonzero(layer.bias) == 0 for layer in model.linears())


def test_xavier_and_default_init_statistics() -> None:
    xavier = MLP((1000, 500), init="xavier", seed=0).blocks[1].linear.weight
    assert xavier.std().item() == pytest.approx(math.sqrt(2 / 1500), rel=0.02)
    default = MLP((1000, 500), init="default", seed=0).blocks[1]
    bound = 1 / math.sqrt(1000)
    assert default.linear.weight.abs().max().item() <= bound
    assert default.linear.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert 0 < default.linear.bias.abs().max().item() <= bound


@pytest.mark.parametrize("init", ["he", "xavier", "default"])
def test_seed_determinism_without_touching_global_rng(init: str) -> None:
    state = torch.random.get_rng_state()
    a, b = MLP(init=init, seed=5), MLP(init=init, seed=5)
    assert torch.equal(state, torch.random.get_rng_state())
    assert _equal_states(a, b)
    assert not _equal_states(a, MLP(init=init, seed=6))


def test_unseeded_init_uses_global_rng() -> None:
    torch.manual_seed(0)
    a = MLP()
    torch.manual_seed(0)
    assert _equal_states(a, MLP())
    assert not _equal_states(a, MLP())


def test_dropout_active_in_train_only() -> None:
    model = MLP((64, 64), keep_prob=0.5, seed=0)
    assert model.blocks[0].dropout.p == 0.5
    x = torch.randn(16, 2)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))
    assert not any(isinstance(m, nn.Dropout) for m in MLP(keep_prob=1.0).modules())


def test_n_parameters() -> None:
    # 2->10, three 10->10, 10->2 with biases.
    assert MLP().n_parameters == 30 + 3 * 110 + 22
    model = MLP((8, 8), batch_norm=True)
    assert model.n_parameters == sum(p.numel() for p in model.parameters()) == 24 + 72 + 18 + 32


def test_config_round_trip() -> None:
    model = MLP([8, 8], "elu", keep_prob=0.9, batch_norm=True, residual=[False, True], seed=3)
    cfg = model.config
    assert cfg.hidden == (8, 8) and cfg.residual == (False, True)
    restored = MLPConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert restored == cfg
    assert _equal_states(MLP.from_config(restored), model)
    assert MLPConfig(keep_prob=1).to_dict() == MLPConfig(keep_prob=1.0).to_dict()


def test_invalid_config() -> None:
    with pytest.raises(ValueError, match="activation"):
        MLP(activation="gelu")
    with pytest.raises(ValueError, match="init"):
        MLP(init="orthogonal")
    with pytest.raises(ValueError, match="keep_prob"):
        MLP(keep_prob=0.0)
    with pytest.raises(ValueError, match="hidden"):
        MLP(())


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("hidden", (4.7,), r"hidden\[0\] must be an integer, got 4.7"),
        ("hidden", (4, 0), r"hidden\[1\] must be >= 1, got 0"),
        ("bn_eps", -1, "bn_eps must be > 0, got -1.0"),
        ("bn_eps", 0, "bn_eps must be > 0"),
        ("leaky_slope", math.nan, "leaky_slope must be a finite number, got nan"),
        ("bias_std", math.nan, "bias_std must be a finite number, got nan"),
        ("keep_prob", math.nan, "keep_prob must be a finite number, got nan"),
        ("bn_momentum", math.inf, "bn_momentum must be a finite number, got inf"),
        ("seed", -3, "seed must be >= 0, got -3"),
        ("seed", 1.5, "seed must be an integer, got 1.5"),
        ("n_outputs", 0, "n_outputs must be >= 1, got 0"),
        ("n_inputs", 2.5, "n_inputs must be an integer, got 2.5"),
    ],
)
def test_invalid_fields_are_refused_by_name(field: str, value: object, why: str) -> None:
    with pytest.raises(ValueError, match=f"^MLPConfig.{why}"):
        MLPConfig(**{field: value})


def test_integral_floats_are_still_widths() -> None:
    assert MLPConfig(hidden=(4.0, 3), seed=2.0) == MLPConfig(hidden=(4, 3), seed=2)


def test_predict_proba() -> None:
    model = MLP((16,), keep_prob=0.5, batch_norm=True, seed=0)
    model.train()
    points = np.random.default_rng(0).uniform(-2, 2, (100, 2)).astype(np.float32)
    p = predict_proba(model, points, chunk=7)
    assert p.shape == (100,) and p.dtype == np.float64
    assert np.all((p >= 0) & (p <= 1))
    assert model.training and all(m.training for m in model.modules())
    assert np.array_equal(p, predict_proba(model, torch.from_numpy(points), chunk=7))
    assert np.allclose(p, predict_proba(model, points), rtol=1e-6)
    model.eval()
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(points)).double(), dim=1)[:, 1]
    assert np.allclose(p, expected.numpy())
    assert not model.training
