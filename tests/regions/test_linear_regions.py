"""Exact linear regions: adjacent regions merge exactly when their exact output maps are equal
(``Partition.linear_regions()``), judged against maps computed in rational arithmetic."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from torch import nn

import regions
from regions import testing
from regions.oracle import exact_affine


def quadrants_then(hidden: list[list[float]], out: list[float]) -> nn.Sequential:
    """relu(x), relu(y), then a ReLU layer with rows ``hidden`` (no bias) and one output."""
    first, second, last = (
        nn.Linear(*s, dtype=torch.float64) for s in [(2, 2), (2, len(hidden)), (len(hidden), 1)]
    )
    with torch.no_grad():
        first.weight.copy_(torch.eye(2))
        second.weight.copy_(torch.tensor(hidden, dtype=torch.float64))
        last.weight.copy_(torch.tensor([out], dtype=torch.float64))
        for layer in (first, second, last):
            layer.bias.zero_()
    return nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), last)


def brute_force(part: regions.Partition) -> tuple[int, np.ndarray]:
    """Linear regions from every adjacent pair's exact maps, no float filter."""
    pairs = part.adjacency().pairs
    A, c = exact_affine(part.network, part.plane, part.patterns)
    same = np.array(
        [np.all(A[i] == A[j]) and np.all(c[i] == c[j]) for i, j in pairs.tolist()], dtype=bool
    ).reshape(-1)
    n = len(part)
    graph = coo_matrix((np.ones(same.sum()), tuple(pairs[same].T)), shape=(n, n))
    return connected_components(graph, directed=False)


def same_grouping(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labellings group the regions alike (labels may be numbered differently)."""
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_a_kink_of_1e_minus_12_is_a_boundary():
    # relu(x) + 1e-12 relu(y): the four quadrants carry four maps, however close.
    part = regions.decompose(quadrants_then([[1.0, 0.0], [0.0, 1.0]], [1.0, 1e-12]), (-1, 1, -1, 1))
    assert len(part) == 4
    lin = part.linear_regions()
    assert lin.n == 4 and lin.n_exact == 0  # the float bounds tell them apart
    assert part.linear_regions(rtol=1e-9).n == 2  # merged on purpose


def test_a_kink_below_rounding_is_settled_exactly():
    # relu(x) + (0.1 + 0.2 - 0.3) relu(y): in float64 numbers 0.1 + 0.2 - 0.3 is 2^-55, not 0,
    # so crossing y = 0 bends the output by 2^-55, far below the maps' rounding.
    hidden = [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    part = regions.decompose(quadrants_then(hidden, [1.0, 0.1, 0.2, -0.3]), (-1, 1, -1, 1))
    A, _ = exact_affine(part.network, part.plane, part.patterns)
    assert {a[0][1] for a in A} == {0, 2**-55}
    lin = part.linear_regions()
    assert lin.n == 4 and lin.n_exact > 0
    # Exactly cancelling weights: y's units add nothing, so only x = 0 is a kink.
    part = regions.decompose(quadrants_then(hidden, [1.0, 0.25, 0.25, -0.5]), (-1, 1, -1, 1))
    lin = part.linear_regions()
    assert len(part) == 4 and lin.n == 2 and lin.n_exact == 2
    assert same_grouping(lin.labels, np.sign(part.centroids[:, 0]).astype(int))


@settings(max_examples=40, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3)))
def test_linear_regions_are_the_exact_ones(case):
    # Adversarial nets: duplicated units, integer weights, units scaled by 1e-8..1e8.
    part = case.decompose()
    lin = part.linear_regions()
    n, labels = brute_force(part)
    assert lin.n == n
    assert same_grouping(lin.labels, labels)
