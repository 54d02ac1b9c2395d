"""Exactness on random networks, depths, widths, activations and domains (hypothesis)."""

from __future__ import annotations

import numpy as np
import shapely
import torch
from checks import check_all
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import regions

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky": lambda: nn.LeakyReLU(0.2),
    "relu6": nn.ReLU6,
    "hardtanh": lambda: nn.Hardtanh(-0.5, 0.7),
    "prelu": lambda: nn.PReLU(1, init=-0.3),
}


def random_mlp(widths: list[int], activation: str, seed: int, scale: float = 1.0) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    n = 2
    for w in widths:
        layers += [nn.Linear(n, w), ACTIVATIONS[activation]()]
        n = w
    layers.append(nn.Linear(n, 3))
    model = nn.Sequential(*layers).double()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
    return model.eval()


nets = st.builds(
    random_mlp,
    widths=st.lists(st.integers(1, 10), min_size=1, max_size=4),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    seed=st.integers(0, 10_000),
    scale=st.floats(0.5, 4.0),
)
boxes = st.tuples(st.floats(-3, 1), st.floats(0.05, 4), st.floats(-3, 1), st.floats(0.05, 4)).map(
    lambda t: (t[0], t[0] + t[1], t[2], t[2] + t[3])
)


@settings(max_examples=60, deadline=None)
@given(model=nets, domain=boxes)
def test_random_nets_on_random_boxes(model, domain):
    part = regions.decompose(model, domain)
    check_all(model, part)


@settings(max_examples=25, deadline=None)
@given(model=nets, seed=st.integers(0, 10_000))
def test_random_nets_on_random_convex_polygons(model, seed):
    rng = np.random.default_rng(seed)
    poly = shapely.MultiPoint(rng.uniform(-2, 2, (8, 2))).convex_hull
    part = regions.decompose(model, poly)
    check_all(model, part)


@settings(max_examples=20, deadline=None)
@given(model=nets)
def test_non_convex_domain_with_hole_is_tiled(model):
    outer = shapely.Polygon(
        [(-2, -2), (2, -2), (2, 2), (0.5, 2), (0.5, -0.5), (-0.5, -0.5), (-0.5, 2), (-2, 2)]
    )
    domain = outer.difference(shapely.Point(1.2, -1.2).buffer(0.4, quad_segs=4))
    part = regions.decompose(model, domain)
    check_all(model, part)
    assert shapely.covered_by(part.to_shapely(), domain.buffer(1e-9)).all()


@settings(max_examples=30, deadline=None)
@given(
    widths=st.lists(st.integers(1, 8), min_size=1, max_size=3),
    seed=st.integers(0, 10_000),
    perm_seed=st.integers(0, 10_000),
)
def test_count_invariant_under_permutation_and_positive_rescaling(widths, seed, perm_seed):
    model = random_mlp(widths, "relu", seed)
    before = regions.count(model)
    rng = np.random.default_rng(perm_seed)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for k in range(len(linears) - 1):
            n = linears[k].out_features
            perm = torch.as_tensor(rng.permutation(n))
            alpha = torch.as_tensor(rng.uniform(0.1, 10.0, n))
            linears[k].weight.copy_(linears[k].weight[perm] * alpha[:, None])
            linears[k].bias.copy_(linears[k].bias[perm] * alpha)
            linears[k + 1].weight.copy_(linears[k + 1].weight[:, perm] / alpha[None, :])
    assert regions.count(model) == before


@settings(max_examples=30, deadline=None)
@given(model=nets)
def test_at_depth_matches_truncated_model(model):
    part = regions.decompose(model)
    modules = list(model)
    for k in range(1, part.depth + 1):
        truncated = nn.Sequential(*modules[: 2 * k])
        coarse = part.at_depth(k)
        assert len(coarse) == regions.count(truncated)
        assert abs(coarse.areas.sum() - 16.0) < 1e-9
        assert coarse.euler_characteristic() == 1
    counts = part.counts_by_depth()
    assert counts[0] == 1 and np.all(np.diff(counts) >= 0) and counts[-1] == len(part)
