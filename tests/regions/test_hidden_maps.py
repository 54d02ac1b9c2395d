"""Hidden-layer maps ``Partition.affine(layer=k)``, built on the regions of level k and read
through each region's ancestor there, against the exact maps of every region's pattern."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from checks import ResidualConcat, seeded
from torch import nn

import regions
from regions.oracle import exact_affine


def check_hidden_maps(part: regions.Partition) -> int:
    """Every layer's maps, pre and post activation, equal the exact maps of the regions'
    patterns to float rounding (relative to each region's largest exact entry); returns the
    number of maps checked."""
    checked = 0
    for layer in range(1, part.depth + 1):
        for pre in (False, True):
            A, c = part.affine(layer=layer, pre=pre)
            eA, ec = exact_affine(part.network, part.plane, part.patterns, layer=layer, pre=pre)
            got = np.concatenate([A.reshape(len(part), -1), c], axis=1)
            exact = np.concatenate([eA.reshape(len(part), -1), ec], axis=1).astype(float)
            scale = np.abs(exact).max(axis=1, keepdims=True)
            assert got.shape == exact.shape
            assert np.all(np.abs(got - exact) <= 1e-12 * scale), (layer, pre)
            checked += got.size
    return checked


@pytest.mark.parametrize(
    ("make", "domain"),
    [
        (lambda: seeded(ResidualConcat(), 0), None),
        (
            lambda: seeded(
                nn.Sequential(
                    nn.Linear(2, 5),
                    nn.Hardtanh(),
                    nn.Linear(5, 5),
                    nn.LeakyReLU(0.2),
                    nn.Linear(5, 1),
                ),
                1,
            ),
            (-2, 2, -2, 2),
        ),
        (
            lambda: seeded(
                nn.Sequential(
                    nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 1)
                ),
                2,
            ),
            shapely.Polygon([(-2, -2), (2, -2), (2, 0), (0, 0), (0, 2), (-2, 2)]),  # an L
        ),
    ],
    ids=["residual", "hardtanh-leaky", "non-convex domain"],
)
def test_hidden_maps_are_the_exact_maps(make, domain):
    part = regions.decompose(make(), domain)
    assert part.depth >= 2 and len(part) > part.levels[0].n_regions  # later layers cut
    assert check_hidden_maps(part) > 0


def test_hidden_maps_of_a_coarser_partition_and_a_plane():
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Linear(3, 6),
        nn.ReLU(),
        nn.Linear(6, 6),
        nn.ReLU(),
        nn.Linear(6, 6),
        nn.ReLU(),
        nn.Linear(6, 1),
    ).double()
    plane = ([0.1, -0.2, 0.3], ([1.0, 0.5, 0.0], [0.0, 1.0, -1.0]))
    part = regions.decompose(model, plane=plane)
    coarse = part.at_depth(2)
    assert len(coarse) < len(part)
    check_hidden_maps(coarse)
    # The same layer's maps on the finer partition, read at each fine region's ancestor.
    fine, _ = part.affine(layer=2)
    ancestor = part.levels[2].parent
    A, _ = coarse.affine(layer=2)
    assert np.array_equal(fine, A[ancestor])


class MaxThenLeaky(nn.Module):
    """Layer 2's preactivation ``a`` comes before layer 1 (the maximum) in node order."""

    def __init__(self) -> None:
        super().__init__()
        self.l1, self.l2, self.out = nn.Linear(2, 3), nn.Linear(2, 3), nn.Linear(3, 1)

    def forward(self, x):
        a, b = self.l1(x), self.l2(x)
        return self.out(torch.maximum(a, b) + torch.nn.functional.leaky_relu(a, 0.1))


class EarlyPreactivation(nn.Module):
    """Layer 3's preactivation ``p`` is computed before layer 2."""

    def __init__(self) -> None:
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 4)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        h = torch.relu(self.l1(x))
        p = self.l3(h)
        q = torch.relu(self.l2(h))
        return self.out(torch.cat([q, torch.nn.functional.leaky_relu(p, 0.1)], dim=1))


@pytest.mark.parametrize(
    ("make", "plane"),
    [
        (lambda: seeded(MaxThenLeaky(), 0), None),
        (lambda: seeded(EarlyPreactivation(), 1), ([0.1, -0.2, 0.3], ([1, 0.5, 0], [0, 1, -1]))),
    ],
)
def test_a_preactivation_before_an_earlier_layer_is_read_on_its_own_level(make, plane):
    """Its maps are built on the level of the last activation before it in node order; they
    were read through the ancestors one level too deep (IndexError)."""
    part = regions.decompose(make(), (-2, 2, -2, 2), plane=plane)
    assert check_hidden_maps(part) > 0
    assert check_hidden_maps(part.at_depth(part.depth - 1)) > 0
