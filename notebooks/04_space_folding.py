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
# # Space folding: how each layer folds the plane, exactly
#
# A ReLU layer folds its input like a sheet of paper: different regions of the input are sent
# onto the same piece of the layer's output, and everything later layers compute there is
# replicated in every folded copy (Montufar et al. 2014). This notebook shows it exactly,
# from the decomposition, without sampling:
#
# 1. the **folding measure** chi of Lewandowski et al. along straight segments, with a closed
#    form on Telgarsky's sawtooth;
# 2. a **hand-built folding net**: its regions, the exact images of its regions, and a hole
#    cut in its representation whose preimage appears 4^k times;
# 3. **trained nets** on the `ring` data set: coloured images and warped grids layer by layer,
#    regions folded onto each other, why width 2 can never enclose the inner disc, and the
#    3-unit "bowl";
# 4. chi across **depth and width** at a matched parameter budget.
#
# `python -m analysis reproduce --experiment folding` draws the full-size versions of all of
# these figures.

# %%
import numpy as np

import regions
from analysis.lab.models import MLPConfig
from analysis.lab.sgd import TrainConfig, build_model, dataset_for
from analysis.lab.train import train
from analysis.studies.depth_width.nets import describe, matched_widths, train_config
from analysis.studies.folding.chi_figures import chi_layers_figure
from analysis.studies.folding.figures import bowl_figure, fold_groups_figure, images_figure
from analysis.studies.folding.folding_net import folded_images, folding_partition, hole_preimage
from analysis.studies.folding.images import find_folds, output_plane
from analysis.studies.folding.measures import (
    chi_by_layer,
    folding_distribution,
    folding_measure,
    random_segments,
)
from analysis.studies.folding.net_figures import folding_figure, hole_figure
from analysis.studies.folding.ring import enclosure
from regions.constructions import sawtooth

# %% [markdown]
# ## 1. The folding measure on the sawtooth
#
# Walk along a segment through the regions it crosses, with activation patterns
# pi_1, ..., pi_m. chi = 1 - max_i d_H(pi_1, pi_i) / sum_i d_H(pi_i, pi_{i+1}): 0 when every
# step moves further from the start in Hamming distance, close to 1 when the walk keeps
# coming back. The sawtooth of depth L folds [0, 1] onto itself 2^(L-1) times; along the
# horizontal segment through all its strips, chi = 1 - L / (2^L - 1) exactly. The walk is
# `regions.decompose_line` along the segment: exact breaks, so no piece is too thin to count.
# (Many segments at once, as the distributions below take, walk together through
# `regions.decompose_lines`: the same pieces, a small net's walk some 20 times faster.)

# %%
for depth in range(1, 6):
    part = regions.decompose(sawtooth(depth), (0, 1, 0, 1))
    chi = folding_measure(sawtooth(depth), np.array([0.0, 0.5]), np.array([1.0, 0.5]))
    expected = 1 - depth / (2**depth - 1)
    print(
        f"depth {depth}: {len(part):3d} regions, chi = {chi:.6f}, 1 - L/(2^L - 1) = {expected:.6f}"
    )
    assert abs(chi - expected) < 1e-12

# %% [markdown]
# ## 2. A folding net built by hand
#
# `folding_net(2, 3)` folds each coordinate of the unit square twice per layer (units
# computing |x|-style zigzags). After k layers, each of its 4^k square regions is mapped by an
# invertible affine map onto the *same* square of "folded coordinates". Left: the input
# coloured by position; right: the images, which coincide and are drawn as a shifted stack.

# %%
demo = folding_partition()
folding_figure(demo)

# %% [markdown]
# Now cut a small disc (the "hole") out of the folded square after layer k and pull it back
# through the exact affine map of every region: one copy per region, 4^k in all.

# %%
for k in (1, 2):
    pre = hole_preimage(folded_images(demo, k))
    print(f"layer {k}: {len(pre.components)} copies of the hole")
    assert len(pre.components) == 4**k
hole_figure(demo)

# %% [markdown]
# ## 3. Trained nets on the ring
#
# `ring` has two concentric classes: the inner disc and the annulus around it. We train two
# small nets with plain SGD: four hidden layers of width 2, and one hidden layer of width 3.


# %%
def ring_net(hidden: tuple[int, ...]):
    config = TrainConfig(
        "ring",
        n_train=1000,
        n_test=1000,
        epochs=20,
        batch_size=50,
        lr=0.05,
        model=MLPConfig(hidden=hidden, bias_std=0.1),
        seed=0,
    )
    return train(config, progress=False)


narrow, wide = ring_net((2, 2, 2, 2)), ring_net((3,))
box = (-2.0, 2.0, -2.0, 2.0)
narrow_part = regions.decompose(narrow.model, box)
for result in (narrow, wide):
    print(result.config.model.hidden, "test accuracy", result.history.test_acc[-1])

# %% [markdown]
# ### Coloured images and the warped grid
#
# Row k: the input plane coloured by position with the regions of layers 1..k; the
# exact image of every small coloured piece in layer k's two units; and a grid of input lines
# pushed exactly through the same layers. Width 2 lets us draw each layer in its own
# coordinates. Whole regions collapse onto the axes (a unit switches off), and colours from
# opposite sides of the plane meet: those are the folds.

# %%
images_figure(narrow_part, title="ring, widths 2-2-2-2")

# %% [markdown]
# ### Which regions are folded together?
#
# Two regions are folded together at layer k when their images there have the same
# dimension and overlap (in area, or in length for images flattened to segments): every later
# layer then computes the same thing on both. Each colour is one group.

# %%
for k in range(1, 5):
    folds = find_folds(narrow_part.at_depth(k), k)
    print(f"layer {k}: {folds.n_groups} fold groups, largest {folds.max_copies} regions")
assert find_folds(narrow_part.at_depth(1), 1).max_copies == 1  # one layer is injective
fold_groups_figure(narrow_part)

# %% [markdown]
# ### Width 2 cannot enclose the disc
#
# However deep, a net whose layers all have width <= 2 has only unbounded decision regions
# (Johnson 2019). `enclosure` checks this exactly: it decomposes the net on a box 5 times
# larger than the data, splits the exact predicted inner-class region into connected
# components and asks which ones stay away from the box's edge.

# %%
narrow_row, _ = enclosure(narrow, n_segments=20)
wide_row, wide_part = enclosure(wide, n_segments=20)
print(narrow_row)
print(wide_row)
assert narrow_row.n_bounded == 0

# %% [markdown]
# ### The bowl
#
# With three units the plane is mapped onto a piecewise-linear surface in 3D. The output
# layer is a plane there; the net classes as inner whatever lies on one side of it. Faces are
# coloured by the predicted class, points by their true class.

# %%
test = dataset_for(wide.config)
bowl_figure(
    [regions.decompose(wide.model, box)],
    [1],
    [output_plane(wide.model)],
    test.X_test[:600],
    test.y_test[:600],
    [f"one layer of width 3, accuracy {wide.history.test_acc[-1]:.3f}"],
)

# %% [markdown]
# ## 4. Depth against width
#
# Nets of the same parameter budget (here about 300), at initialisation with the depth-vs-width
# study's settings (He-normal weights, biases N(0, 0.5^2)): one hidden layer never folds a
# straight segment, deeper nets do, more with every layer. The same random segments are used
# for every net.

# %%
segments = random_segments(200, box, seed=0)
panels = []
for depth in (1, 2, 4):
    widths = matched_widths(300, depth)
    model = build_model(train_config(widths))  # He-normal weights, biases N(0, 0.5^2)
    part = regions.decompose(model, box)
    chi = chi_by_layer(model, segments)
    print(f"{describe(widths):>12}: {len(part):5d} regions, mean chi {chi[-1].mean():.3f}")
    panels.append((describe(widths), [("init", chi)]))
    if depth == 1:
        assert np.all(chi == 0)
    # The last row is the whole net's measure.
    assert np.array_equal(chi[-1], folding_distribution(model, segments))
chi_layers_figure(panels)
