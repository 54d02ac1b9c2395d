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
# # Quickstart: the exact linear regions of a small ReLU net
#
# A network built from linear layers and ReLUs computes a *piecewise-linear* function: the
# input plane is cut into convex polygons, and on each polygon the network is exactly one
# affine map `A x + c`. These polygons are its **linear regions**. With two inputs we can
# find every one of them exactly (no sampling) and draw them.
#
# In this notebook we
#
# 1. train a small ReLU classifier on 2D data whose true boundary we know,
# 2. count and decompose its regions with `regions.count` and `regions.decompose`,
# 3. draw the regions over the net's prediction surface,
# 4. see how each layer refines the regions of the layers before it (`counts_by_depth`),
# 5. extract the exact decision boundary, where the predicted class changes,
# 6. write an interactive page to explore the regions in a browser (`analysis.explore`).
#
# Everything runs in a few seconds on a laptop CPU.

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from matplotlib import pyplot as plt

import analysis
import regions
from analysis.figures import style
from analysis.figures.panels import annotate
from analysis.figures.regions import draw_decision_boundary, draw_region_boundaries, draw_regions
from analysis.figures.surfaces import draw_probability, draw_true_boundary
from analysis.lab.data import get_boundary
from analysis.lab.models import MLPConfig
from analysis.lab.sgd import TrainConfig, dataset_for
from analysis.lab.surfaces import misclassified_area, probability_grid
from analysis.lab.train import train

# %% [markdown]
# ## 1. Train a small net
#
# The dataset `abs` labels a point `(x, y)` of the box `[-2, 2]^2` positive when `y > |x|`: a
# V-shaped boundary. A `TrainConfig` fixes everything about a run (data, architecture, SGD
# settings, seeds), so the same config always gives the same weights. We keep it small: three
# hidden layers of 8 units, 1,000 training points, 30 epochs.

# %%
config = TrainConfig(
    dataset="abs",
    n_train=1_000,
    n_test=500,
    model=MLPConfig(hidden=(8, 8, 8)),
    epochs=30,
    batch_size=50,
    lr=0.05,
)
result = train(config, progress=False)  # cache_dir=None: nothing is written to disk
model = result.model
print(model)
print(f"test accuracy after {config.epochs} epochs: {result.history.test_acc[-1]:.1%}")
assert result.history.test_acc[-1] > 0.9
data = dataset_for(config)
assert abs(data.y_test.mean() - 0.25) < 0.06  # y > |x| is a quarter of the box

# %% [markdown]
# ## 2. Count and decompose
#
# `regions.count(model, box)` gives just the number of regions. `regions.decompose` returns a
# `Partition`: every region's polygon, its activation pattern (which ReLUs are on), and its
# affine map. The regions tile the box exactly, so their areas add up to the box's area
# (16 for `[-2, 2]^2`). Both default to that box.

# %%
box = (-2.0, 2.0, -2.0, 2.0)
n = regions.count(model, box)
part = regions.decompose(model, box)
print(part)
print(f"{n} regions; total area {part.areas.sum():.12f}")
assert len(part) == n
assert abs(part.areas.sum() - 16.0) < 1e-9
assert part.patterns.shape == (n, sum(config.model.hidden))  # one bit per ReLU

# %% [markdown]
# On region `r` the net's two logits are exactly `A[r] @ x + c[r]`. Let us check that at one
# interior point per region (`part.points`) against the torch model itself, and use
# `part.locate` to find which region holds a given point.

# %%
A, c = part.affine()
points = part.points  # one point strictly inside each region
with torch.no_grad():
    logits = model(torch.as_tensor(points, dtype=torch.float32)).double().numpy()
exact = np.einsum("rij,rj->ri", A, points) + c
print(f"largest difference between torch and the affine maps: {np.abs(logits - exact).max():.2e}")
assert np.allclose(logits, exact, atol=1e-4)  # the model runs in float32
assert (part.locate(points) == np.arange(n)).all()

# %% [markdown]
# Several neighbouring regions can share the same affine map (a ReLU switches but the output
# does not notice). `linear_regions()` merges them; it can only be smaller or equal.

# %%
merged = part.linear_regions().n
print(f"{n} activation regions, {merged} distinct linear pieces")
assert 1 <= merged <= n

# %% [markdown]
# ## 3. Draw the regions over the prediction surface
#
# Left: the net's probability of class 1 on a grid (red = 1, blue = 0), the exact region
# boundaries (thin grey), the exact decision boundary (thick) and the true boundary
# `y = |x|` (dashed). Right: the same regions filled, neighbours in different colours.
#
# Notice the fan around the origin: the lab initialises biases at zero, so every first-layer
# line starts out through the origin, and short training moves them only a little. Most
# regions are far from the decision boundary, where the net is flat and confident: the
# boundary itself needs only a few straight pieces to follow the V.

# %%
boundary = get_boundary("abs")
surface = probability_grid(model, box, resolution=100)
with style.style():
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 3.5))
    draw_probability(left, surface)
    draw_region_boundaries(left, part)
    draw_decision_boundary(left, part)
    draw_true_boundary(left, boundary, box)
    annotate(left, f"{n} regions")
    left.set_title("P(class 1) and exact regions")
    draw_regions(right, part)
    draw_decision_boundary(right, part)
    right.set_xlim(-2, 2)
    right.set_ylim(-2, 2)
    right.set_aspect("equal")
    right.set_title("regions, coloured")
    plt.show()

# %% [markdown]
# ## 4. Layer by layer
#
# The first hidden layer cuts the plane along straight lines, one per unit. Every later layer
# can only cut the regions that already exist further, along lines that bend where they cross
# an earlier boundary. `counts_by_depth()[k]` is the number of regions drawn by the first `k`
# hidden layers (`k = 0` is the whole box), and `at_depth(k)` is that coarser partition.

# %%
by_depth = part.counts_by_depth()
print("regions after 0, 1, 2, 3 hidden layers:", by_depth.tolist())
assert by_depth[0] == 1 and by_depth[-1] == n
assert (np.diff(by_depth) >= 0).all()  # a layer never merges regions
# The first layer is 8 lines: at most 1 + 8 + C(8, 2) = 37 regions in the plane.
assert by_depth[1] <= 37

with style.style():
    fig, axes = plt.subplots(1, part.depth, figsize=(3 * part.depth, 3))
    for k, ax in enumerate(axes, start=1):
        draw_regions(ax, part.at_depth(k))
        ax.set_xlim(-2, 2)
        ax.set_ylim(-2, 2)
        ax.set_aspect("equal")
        ax.set_title(f"first {k} layer(s): {by_depth[k]} regions")
    plt.show()

# %% [markdown]
# ## 5. The exact decision boundary
#
# Inside each region the difference of the two logits is affine, so the set where it is zero
# is a straight segment there. Put together, the segments form the exact decision boundary, a
# polyline. `predicted_region(1)` is the exact set predicted positive, and comparing it with
# the true positive set gives the exact misclassified area.

# %%
decision = part.decision_boundary()
lines = decision.to_shapely()
print(f"{len(decision)} straight pieces, total length {decision.length:.3f}")
print(f"as shapely: {lines.geom_type} with {len(lines.geoms)} polyline(s)")
error = misclassified_area(part, boundary, box)
print(f"misclassified area {error.area:.4f} ({error.fraction:.2%} of the box)")
# The true boundary y = |x| inside the box has length 2 * 2 * sqrt(2) ~ 5.66.
assert 4.0 < decision.length < 8.0
assert error.fraction < 0.1
# The predicted-positive area, from the exact partition, agrees with a fine grid.
grid = probability_grid(model, box, resolution=201)
assert abs(part.predicted_region(1).area / 16.0 - grid.predicted.mean()) < 0.02

# %% [markdown]
# ## 6. Explore it in the browser
#
# `analysis.explore` writes the partition as one self-contained HTML page (no network needed,
# it opens from disk): hover a region to read its id, area, activation pattern layer by layer,
# output map and the logits under the cursor; click to pin it and name the layer and unit of
# each of its bounding edges; slide through the layers, pick a unit to see its bent
# hyperplane, zoom and pan. The page also answers scripts: `window.regionsExplorer.regionAt(x,
# y)`, `setLayer(k)` and `setStep(i)`. From a shell, `python -m analysis explore MODEL` does
# the same for a lab checkpoint, a `torch.export` program or a state dict.

# %%
out = Path(os.environ.get("RELU_REGIONS_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="relu-"))
page = analysis.explore(part, out / "quickstart.html", data=data)
print(f"open {page.as_uri()} in a browser ({page.stat().st_size / 1e3:.0f} kB)")
html = page.read_text(encoding="utf-8")
assert f'"count":{len(part)},' in html and "http" not in html  # this net, all inline

# %% [markdown]
# ## Where next
#
# * `02_classic_experiment.py` runs one of the lab's classic experiments end to end.
# * `03_depth_vs_width.py` compares exact counts with the theoretical bounds.
# * `05_sensitivity.py` perturbs single layers and measures what changes.
# * `06_bring_your_own_model.py` decomposes your own model, with more inputs, skips, or not
#   piecewise linear at all.
