"""Exactness checks shared by the region tests: each one can fail on a wrong partition."""

from __future__ import annotations

import numpy as np
import shapely
import torch
from torch import nn
from torch.nn import functional as F

import regions


def seeded(module: nn.Module, seed: int = 0) -> nn.Module:
    """``module`` with every submodule's parameters reset from ``seed``, in float64, eval mode."""
    torch.manual_seed(seed)
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
    return module.double().eval()


class ResidualConcat(nn.Module):
    """Sums and a concatenation between three ReLU layers; a final softmax if ``softmax``."""

    def __init__(self, softmax: bool = False) -> None:
        super().__init__()
        self.softmax = softmax
        self.inp = nn.Linear(2, 6)
        self.h1 = nn.Linear(6, 6)
        self.h2 = nn.Linear(6, 6)
        self.out = nn.Linear(12, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.inp(x))
        b = torch.relu(self.h1(a) + a)
        c = (self.h2(b) - 0.5 * a).relu()
        logits = self.out(torch.cat([b, c], dim=1))
        return torch.softmax(logits, dim=1) if self.softmax else logits


def model_forward(model: torch.nn.Module, points: np.ndarray) -> np.ndarray:
    """The model's own float64 output (N, m) at input points (N, d), in eval semantics; an
    output with other feature axes, or none ((N,) for one logit), is flattened per point."""
    model = model.double().eval()
    with torch.no_grad():
        out = model(torch.as_tensor(points, dtype=torch.float64))
    return out.reshape(len(points), -1).numpy()


def check_tiling(part: regions.Partition, rtol: float = 1e-9) -> None:
    """Areas positive and summing to the domain's; cells convex, valid and non-overlapping."""
    areas = part.areas
    assert np.all(areas > 0), f"{np.sum(areas <= 0)} regions of non-positive area"
    assert abs(areas.sum() - part.domain.area) <= rtol * part.domain.area, (
        areas.sum(),
        part.domain.area,
    )
    geoms = part.to_shapely()
    assert shapely.is_valid(geoms).all()
    if len(geoms) <= 3000:
        union = shapely.union_all(geoms)
        assert abs(union.area - areas.sum()) <= 1e-9 * part.domain.area, "regions overlap"


def check_affine(model: torch.nn.Module, part: regions.Partition, rtol: float = 1e-9) -> None:
    """The model's output at every region's interior point equals the region's A x + c."""
    A, c = part.affine()
    p = part.points
    expected = model_forward(model, part.plane.to_input(p))
    got = np.einsum("rij,rj->ri", A, p) + c
    scale = max(np.abs(expected).max(), 1.0)
    assert np.abs(got - expected).max() <= rtol * scale


def float_patterns(part: regions.Partition, points: np.ndarray) -> np.ndarray:
    """Activation patterns (N, S) of the float64 forward pass at plane points, columns as
    ``part.breakpoints`` (unit-major, breakpoint-minor)."""
    _, pre = part.network.forward(part.plane.to_input(points))
    acts = part.network.activations[: part.depth]
    cols = [
        (z[:, :, None] > a.thresholds).reshape(len(z), -1)
        for z, a in zip(pre[: part.depth], acts, strict=True)
    ]
    return np.concatenate(cols, axis=1) if cols else np.zeros((len(points), 0), dtype=bool)


def _ties(part: regions.Partition, points: np.ndarray) -> np.ndarray:
    """(N, S) bool: the model's preactivation at a point is within rounding of a breakpoint.

    A unit that sits exactly at its breakpoint on a whole region (a dead unit feeding it, say)
    has a bit decided by rounding noise; only those columns may differ from a forward pass.
    """
    _, pre = part.network.forward(part.plane.to_input(points))
    cols = []
    for z, act in zip(pre[: part.depth], part.network.activations, strict=False):
        gap = np.abs(z[:, :, None] - act.thresholds)
        cols.append((gap <= 1e-12 * max(np.abs(z).max(), 1.0)).reshape(len(z), -1))
    return np.concatenate(cols, axis=1) if cols else np.zeros((len(points), 0), dtype=bool)


def check_patterns(part: regions.Partition, grid: int = 150) -> None:
    """Interior points show their region's pattern; patterns are distinct; every pattern seen
    on a dense grid is a region of the partition (completeness), and each grid point's region
    shows the grid point's pattern. Columns where the model sits at a breakpoint within
    rounding are exempt (see :func:`_ties`)."""
    pats = part.patterns
    agree = (float_patterns(part, part.points) == pats) | _ties(part, part.points)
    assert agree.all(), f"{np.sum(~agree.all(axis=1))} regions disagree with a forward pass"
    assert len(np.unique(pats, axis=0)) == len(pats) or not part.domain.convex
    xmin, ymin, xmax, ymax = part.domain.polygon.bounds
    # Cell-centred grid with different x and y offsets, so no sample sits exactly on a
    # boundary by symmetry (boundaries have measure zero and are not regions).
    gx, gy = np.meshgrid(
        xmin + (np.arange(grid) + 0.31) * (xmax - xmin) / grid,
        ymin + (np.arange(grid) + 0.77) * (ymax - ymin) / grid,
    )
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    pts = pts[shapely.contains_xy(part.domain.polygon, pts[:, 0], pts[:, 1])]
    seen, ties = float_patterns(part, pts), _ties(part, pts)
    known = {row.tobytes() for row in pats}
    clean = seen[~ties.any(axis=1)]
    missing = [row for row in np.unique(clean, axis=0) if row.tobytes() not in known]
    assert not missing, f"{len(missing)} grid patterns are not regions"
    found = part.locate(pts)
    assert np.all(found >= 0)
    assert np.all((pats[found] == seen) | ties), "grid points located in the wrong region"


def check_locate(part: regions.Partition) -> None:
    """Each region's interior point is located in that region."""
    assert np.array_equal(part.locate(part.points), np.arange(len(part)))


def check_vertices(model: torch.nn.Module, part: regions.Partition, rtol: float = 1e-9) -> None:
    """The model's output at every vertex of every region equals that region's A x + c (the
    maps agree on shared boundaries, as a continuous model's must)."""
    A, c = part.affine()
    owner = np.repeat(np.arange(len(part)), [len(p) for p in part.polygons])
    vertices = np.concatenate(part.polygons)
    expected = model_forward(model, part.plane.to_input(vertices))
    got = np.einsum("rij,rj->ri", A[owner], vertices) + c[owner]
    assert np.abs(got - expected).max() <= rtol * max(np.abs(expected).max(), 1.0)


def check_boundaries(part: regions.Partition, rtol: float = 1e-9) -> None:
    """Both ends of every boundary segment sit on the breakpoint of the unit that drew it."""
    b = part.boundaries()
    _, pre = part.network.forward(part.plane.to_input(b.segments.reshape(-1, 2)))
    for layer in np.unique(b.layer):
        seg = np.flatnonzero(b.layer == layer)
        z = pre[layer - 1].reshape(len(b), 2, -1)[seg, :, b.unit[seg]]
        t = part.breakpoints.threshold[b.switch[seg]]
        assert np.abs(z - t[:, None]).max() <= rtol * max(np.abs(pre[layer - 1]).max(), 1.0)


def check_all(model: torch.nn.Module, part: regions.Partition) -> None:
    check_tiling(part)
    check_affine(model, part)
    check_patterns(part)
    check_locate(part)
    if part.domain.convex:
        assert part.euler_characteristic() == 1


def check_exact(model: torch.nn.Module, part: regions.Partition) -> None:
    """Every check: :func:`check_all`, the maps at every vertex, boundaries on breakpoints."""
    check_all(model, part)
    check_vertices(model, part)
    check_boundaries(part)
