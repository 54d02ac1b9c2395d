# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Bring your own model
#
# `regions.decompose` is not tied to the lab's `MLP`: it takes any torch model that
# `torch.fx` can trace into linear maps and piecewise-linear activations (ReLU, LeakyReLU,
# PReLU, ReLU6, Hardtanh), including residual additions and concatenations. This notebook
# shows three cases you will meet with your own models, and how to test code of your own:
#
# 1. a model with **more than two inputs**, decomposed on a 2D plane through three inputs;
# 2. a **residual** model written as a custom `nn.Module`;
# 3. a model that is **not piecewise linear** (tanh), and the error that says so;
# 4. a **property test** of your own code built on `regions`, with `regions.testing`.
#
# For case 1 we would have liked scikit-learn's bundled 8 x 8 digits, but scikit-learn is not
# a dependency of this project, so we train a small classifier with 6 inputs on synthetic data
# instead. Nothing below depends on where the data came from.

# %%
import numpy as np
import torch
from hypothesis import given, settings
from matplotlib import pyplot as plt
from torch import nn

import regions
from analysis.figures import style
from analysis.figures.regions import draw_decision_boundary, draw_regions
from regions import testing

torch.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Six inputs, one plane
#
# The data: 6 standard normal features; the label is 1 when `x0 * x1 + sin(x2) - x3 / 2 > 0`
# (features 4 and 5 are noise). We train a plain `nn.Sequential` with Adam for a few hundred
# steps: any training loop will do.

# %%
X = rng.standard_normal((2_000, 6)).astype(np.float32)
y = (X[:, 0] * X[:, 1] + np.sin(X[:, 2]) - X[:, 3] / 2 > 0).astype(np.int64)
Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

wide = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
optimizer = torch.optim.Adam(wide.parameters(), lr=0.01)
for _ in range(300):
    idx = torch.randint(0, len(Xt), (128,))
    loss = nn.functional.cross_entropy(wide(Xt[idx]), yt[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
wide.eval()
with torch.no_grad():
    accuracy = (wide(Xt).argmax(1) == yt).float().mean().item()
print(f"training accuracy {accuracy:.1%}")
assert accuracy > 0.8

# %% [markdown]
# A ReLU net with 6 inputs is piecewise linear on all of R^6; any flat 2D slice of R^6 is cut
# into convex polygons too. `plane=(p0, p1, p2)` picks the plane through three input points
# and gives it coordinates `(u, v)` in which `p0, p1, p2` sit at `(0, 0), (1, 0), (0, 1)`.
# We take three training points of different classes and decompose the square
# `[-0.5, 1.5]^2` of plane coordinates around them.

# %%
p0, p1, p2 = (
    X[np.flatnonzero(y == 0)[0]],
    X[np.flatnonzero(y == 1)[0]],
    X[np.flatnonzero(y == 1)[1]],
)
square = (-0.5, 1.5, -0.5, 1.5)
part = regions.decompose(wide, square, plane=(p0, p1, p2))
print(part)
assert np.isclose(part.areas.sum(), 4.0)

# The plane maps (u, v) to 6-dimensional inputs: the three anchors are where we put them.
corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
anchors = part.plane.to_input(corners)
assert np.allclose(anchors, np.stack([p0, p1, p2]), atol=1e-6)

# The affine map of each region is in plane coordinates: logits = A[r] @ (u, v) + c[r].
A, c = part.affine()
uv = part.points
with torch.no_grad():
    logits = wide(torch.as_tensor(part.plane.to_input(uv), dtype=torch.float32)).numpy()
assert np.allclose(np.einsum("rij,rj->ri", A, uv) + c, logits, atol=1e-4)

# The exact decision boundary agrees with the classes the model gives the anchors.
region = part.locate(corners)
predicted = (np.einsum("rij,rj->ri", A[region], corners) + c[region]).argmax(1)
with torch.no_grad():
    assert (predicted == wide(torch.from_numpy(np.stack([p0, p1, p2]))).argmax(1).numpy()).all()

# %%
with style.style():
    fig, ax = plt.subplots(figsize=(3.8, 3.8))
    draw_regions(ax, part)
    draw_decision_boundary(ax, part)
    ax.plot(*corners.T, "ko")
    for (u, v), name in zip(corners, ("p0 (class 0)", "p1 (class 1)", "p2 (class 1)"), strict=True):
        ax.annotate(name, (u, v), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    ax.set_aspect("equal")
    ax.set_title(f"slice through 3 inputs: {len(part)} regions")
    plt.show()

# %% [markdown]
# ## 2. A residual model as a custom `nn.Module`
#
# Skip connections (`h + f(h)`) and concatenations are fine: `torch.fx` records the addition
# and `regions` follows it. The forward pass must not branch on the data (no `if x > 0:`),
# which is true of most models.


# %%
class ResidualNet(nn.Module):
    def __init__(self, width: int = 12, blocks: int = 3) -> None:
        super().__init__()
        self.inp = nn.Linear(2, width)
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in range(blocks))
        self.act = nn.LeakyReLU(0.1)
        self.out = nn.Linear(2 * width, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.inp(x))
        first = h
        for block in self.blocks:
            h = h + self.act(block(h))  # residual addition
        return self.out(torch.cat([h, first], dim=1))  # concatenation


res = ResidualNet().eval()
# What regions sees: the traced graph, one node per operation (node 0 is the input).
traced = regions.trace(res)
kinds = [type(node).__name__ for node in traced.nodes[1:]]
print(" -> ".join(kinds))
assert kinds.count("Sum") == 3 and kinds.count("Concat") == 1
res_part = regions.decompose(res)
print(res_part, "regions by depth:", res_part.counts_by_depth().tolist())
A, c = res_part.affine()
with torch.no_grad():
    logits = res(torch.as_tensor(res_part.points, dtype=torch.float32)).numpy()
assert np.allclose(np.einsum("rij,rj->ri", A, res_part.points) + c, logits, atol=1e-4)
assert np.isclose(res_part.areas.sum(), 16.0)
assert res_part.counts_by_depth()[-1] == len(res_part)

# %% [markdown]
# ## 3. A model that is not piecewise linear
#
# A tanh net is smooth: it has no linear regions at all, so decomposing it would be
# meaningless. `regions` refuses with `NotPiecewiseLinearError`, naming the module and where
# it sits, and `is_piecewise_linear` asks the same question without raising. Sigmoid, ELU,
# SiLU and GELU are refused the same way.

# %%
smooth = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
assert not regions.is_piecewise_linear(smooth)
assert regions.is_piecewise_linear(res)
try:
    regions.decompose(smooth)
except regions.NotPiecewiseLinearError as err:
    message = str(err)
    print(f"{type(err).__name__}: {message}")
else:
    raise AssertionError("a tanh model must be refused")
assert "Tanh" in message or "tanh" in message

# %% [markdown]
# For such models, sample instead: `analysis.lab.surfaces.probability_grid(model, box)` evaluates
# P(class 1) on a grid for any two-input classifier, piecewise linear or not.

# %% [markdown]
# ## 4. Property tests of your own code with `regions.testing`
#
# Code built on `regions` deserves the tests `regions` gives itself. `regions.testing`
# (install the extra: `pip install relu-regions[testing]`, which brings hypothesis) has the
# strategies the project's own tests draw from (`nets`, `boxes`, `polygons`, `domains`,
# `planes`, `cases`) and an **exact oracle**: `exact_eval` evaluates a traced model in
# rational arithmetic at any point, so a test can judge your results without a tolerance that
# might hide a mistake.
#
# Say your code predicts classes from the regions' affine maps instead of running the model.
# The property: wherever the model's winning class is clear, yours is the winner, exactly.
# `nets(adversarial=False)` draws ordinary nets; drop that argument to draw hard ones (weights
# spanning 1e-8 to 1e8, duplicated units, lines through the domain's corners).


# %%
def region_classes(part: regions.Partition, points: np.ndarray) -> np.ndarray:
    """Your code: the predicted class at plane points, from the regions' affine maps."""
    A, c = part.affine()
    r = part.locate(points)
    return (np.einsum("nij,nj->ni", A[r], points) + c[r]).argmax(axis=1)


checked = []


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    model=testing.nets(adversarial=False, n_outputs=3, max_layers=2),
    domain=testing.boxes(scales=(1.0, 4.0), centres=(0.0, 0.5)),
)
def test_region_classes_are_the_models(model, domain):
    part = regions.decompose(model, domain)
    points = testing.rational_grid(part.domain, 10)  # float points, taken exactly
    exact = testing.exact_eval(part.network, part.plane, points)
    for e, cls in zip(exact, region_classes(part, points), strict=True):
        best, second = sorted(e.logits)[-1], sorted(e.logits)[-2]
        if best - second > 1e-9 * (1 + abs(best)):  # a clear winner; float maps tie otherwise
            assert e.logits[cls] == best
            checked.append(cls)


test_region_classes_are_the_models()
print(f"{len(checked)} grid points checked exactly over 12 drawn nets and boxes")
assert len(checked) > 500

# %% [markdown]
# The oracle also sees what float64 rounds away. The first net of the project's issue 11,
# `relu(relu(1 - 1e6 relu(1e6 x)) - 1/2)`, has a kink at x = 1e-12; at the float nearest
# 1e-12 the second unit's input is about 2e-17 in exact arithmetic and 0 in a float forward
# pass:

# %%
tiny = nn.Sequential(
    nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1), nn.ReLU()
).double()
with torch.no_grad():
    for lin, w, b in zip(tiny[::2], ([1e6, 0.0], [-1e6], [1.0]), (0.0, 1.0, -0.5), strict=True):
        lin.weight.copy_(torch.tensor([w], dtype=torch.float64))
        lin.bias.fill_(b)
point = np.array([[1e-12, 0.0]])
exact_z = testing.exact_eval(regions.trace(tiny), None, point)[0].pre[1][0]
float_z = regions.trace(tiny).forward(point)[1][1][0, 0]
print(f"exact {float(exact_z):.3g} (a Fraction), float64 {float_z}")
assert exact_z > 0 and float_z == 0
