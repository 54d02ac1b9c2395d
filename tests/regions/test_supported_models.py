"""Which torch models decompose, and the errors for those that cannot."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from checks import ResidualConcat, check_all, seeded
from torch import nn

import regions


def test_residual_concat_and_final_softmax():
    model = seeded(ResidualConcat(softmax=True))
    part = regions.decompose(model)
    assert part.network.softmax and part.network.n_layers == 3
    # Maps are of the logits: their log-softmax must equal the log of the model's output.
    A, c = part.affine()
    p = part.points
    with torch.no_grad():
        lp = torch.log_softmax(torch.as_tensor(np.einsum("rij,rj->ri", A, p) + c), dim=1)
        expected = torch.log(model(torch.as_tensor(p)))
    np.testing.assert_allclose(lp.numpy(), expected.numpy(), atol=1e-9)


def test_batchnorm_is_folded_in_eval_semantics():
    model = nn.Sequential(
        nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 2)
    )
    model = seeded(model)
    bn = model[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    check_all(model, regions.decompose(model))


@pytest.mark.parametrize(
    "act",
    [nn.ReLU(), nn.LeakyReLU(0.1), nn.PReLU(5), nn.ReLU6(), nn.Hardtanh(-1, 2), nn.Identity()],
)
def test_each_supported_activation(act):
    model = seeded(
        nn.Sequential(
            nn.Flatten(), nn.Linear(2, 5), act, nn.Linear(5, 5), nn.ReLU(), nn.Linear(5, 1)
        )
    )
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.mul_(3)
    check_all(model, regions.decompose(model))


@pytest.mark.parametrize(
    "act, name",
    [
        (nn.Tanh(), "Tanh"),
        (nn.Sigmoid(), "Sigmoid"),
        (nn.ELU(), "ELU"),
        (nn.SiLU(), "SiLU"),
        (nn.GELU(), "GELU"),
        (nn.Softplus(), "Softplus"),
    ],
)
def test_non_piecewise_linear_modules_are_named(act, name):
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), act, nn.Linear(4, 1))
    with pytest.raises(regions.NotPiecewiseLinearError, match=rf"module '3' \({name}\).*after '2'"):
        regions.decompose(model)
    assert not regions.is_piecewise_linear(model)


def test_functional_tanh_is_rejected():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 3)

        def forward(self, x):
            return torch.tanh(self.fc(x))

    with pytest.raises(regions.NotPiecewiseLinearError, match="tanh"):
        regions.decompose(Net())


def test_softmax_in_the_middle_is_rejected():
    model = nn.Sequential(nn.Linear(2, 4), nn.Softmax(dim=1), nn.Linear(4, 1))
    with pytest.raises(regions.NotPiecewiseLinearError, match="Softmax.*last"):
        regions.decompose(model)


def test_untraceable_model_is_reported():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            if x.sum() > 0:
                return self.fc(x)
            return x

    with pytest.raises(regions.UnsupportedModelError, match="torch.fx could not trace"):
        regions.decompose(Branchy())


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_and_inf_weights(bad):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[2].weight[0, 1] = bad
    with pytest.raises(
        regions.InvalidModelError, match=r"'2.weight' holds NaN or Inf|2.weight holds NaN or Inf"
    ):
        regions.decompose(model)


def test_wrong_input_width_needs_a_plane():
    model = nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(regions.DomainError, match="5 inputs, not 2.*plane"):
        regions.decompose(model)


def test_training_mode_warns_and_uses_eval_semantics():
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 1))
    model.train()
    with pytest.warns(regions.EvalSemanticsWarning, match="training mode"):
        n_train = regions.count(model)
    assert model.training  # the user's model is left as it was
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert regions.count(model.eval()) == n_train


def test_plane_through_three_points_of_a_wider_model():
    model = seeded(
        nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3))
    )
    rng = np.random.default_rng(0)
    p0, p1, p2 = rng.normal(size=(3, 6))
    part = regions.decompose(model, plane=(p0, p1, p2), domain=(-1, 2, -1, 2))
    check_all(model, part)
    np.testing.assert_allclose(part.plane.to_input([[0, 0], [1, 0], [0, 1]]), [p0, p1, p2])


def test_plane_from_origin_and_directions():
    model = seeded(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1)))
    part = regions.decompose(model, plane=(np.zeros(3), ([1, 0, 0], [0, 0, 1])))
    check_all(model, part)


@pytest.mark.parametrize(
    "plane, match",
    [
        ((np.zeros(3), ([1, 0, 0], [2, 0, 0])), "parallel"),
        ((np.zeros(2), ([1, 0], [0, 1])), "input width 3"),
        ("abc", "plane must be"),
    ],
)
def test_bad_planes(plane, match):
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(regions.DomainError, match=match):
        regions.decompose(model, plane=plane)


@pytest.mark.parametrize(
    "domain, match",
    [
        ((1, 1, 0, 1), "empty"),
        ((0, 1, 2, 1), "empty"),
        ((0, float("nan"), 0, 1), "non-finite"),
        ((0, 1), "must be None, a box"),
        ("box", "must be None, a box"),
    ],
)
def test_bad_domains(domain, match):
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(regions.DomainError, match=match):
        regions.decompose(model, domain)


def test_degenerate_polygon_domain():
    import shapely

    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(regions.DomainError, match="empty, degenerate or invalid"):
        regions.decompose(model, shapely.Polygon([(0, 0), (1, 1), (2, 2)]))


def test_region_explosion_stops_at_max_regions():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)
    )
    with pytest.raises(regions.TooManyRegionsError, match="max_regions=100 .*layer"):
        regions.decompose(model, max_regions=100)


def test_functional_activations_match_their_modules():
    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c, self.d = (
                nn.Linear(2, 4),
                nn.Linear(4, 4),
                nn.Linear(4, 4),
                nn.Linear(4, 1),
            )

        def forward(self, x):
            x = F.leaky_relu(self.a(x), 0.2)
            x = F.relu6(3 * self.b(x))
            x = F.hardtanh(self.c(x), -0.5, 0.5)
            return self.d(x)

    model = seeded(Functional())
    part = regions.decompose(model)
    check_all(model, part)
    assert part.breakpoints.threshold.tolist()[4:6] == [0.0, 6.0]


def test_bare_modules():
    linear = seeded(nn.Linear(2, 3))
    part = regions.decompose(linear)
    assert len(part) == 1 and part.patterns.shape == (1, 0)
    check_all(linear, part)
    with pytest.raises(regions.NotPiecewiseLinearError, match=r"\(Tanh\)"):
        regions.decompose(nn.Tanh())
