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
# # Depth versus width: bounds, random nets and hand-built nets
#
# How many linear regions can a ReLU net have? Theory answers with *bounds* over all possible
# weights: the maximum grows exponentially with depth but only polynomially with width
# (Montufar et al. 2014, Serra et al. 2018). That is the classic argument for depth.
#
# But a maximum is not what a typical net has. Here we compare, at the same parameter
# budget, the bounds with the **exact** counts of a few randomly initialised nets, and then
# look at hand-built nets (Telgarsky's sawtooth, Montufar's folding net) that do reach the
# exponential counts, their exact counts matching the formulas.

# %%
import math

import numpy as np
from matplotlib import pyplot as plt

import regions
from analysis.figures import style
from analysis.figures.regions import draw_regions
from analysis.lab.models import MLP, MLPConfig
from analysis.studies.depth_width import bounds
from analysis.studies.depth_width.counting import count_net
from analysis.studies.depth_width.nets import (
    INIT_BIAS_STD,
    describe,
    matched_widths,
    n_parameters,
)
from regions import constructions

# %% [markdown]
# ## The bounds for one architecture
#
# For hidden widths `[n_1, ..., n_L]` on 2 inputs, `analysis.studies.depth_width.bounds`
# gives upper bounds (no net
# with these widths has more regions in the whole plane) and lower bounds (some net with
# these widths has at least that many). The lower bounds only apply to wide enough layers
# (`None` otherwise). Every value is an exact Python integer.

# %%
for widths in ([16], [8, 8], [4, 4, 4, 4]):
    print(widths, bounds.evaluate_bounds(widths))
b = bounds.evaluate_bounds([8, 8])
assert b["montufar_lower"] <= b["serra_upper"] <= b["montufar_upper"] <= b["trivial_upper"]
assert bounds.one_layer_max(16) == 1 + 16 + math.comb(16, 2)  # 16 lines in the plane

# %% [markdown]
# ## Random nets at a matched parameter budget
#
# `matched_widths(budget, depth)` picks nearly constant hidden widths whose parameter count is
# closest to the budget, so deep and shallow nets are compared at equal cost. We draw three
# random nets per depth (He-normal weights, biases with standard deviation 0.5 so that the
# first layer's lines spread over the box) and count their regions exactly on `[-2, 2]^2`.

# %%
BUDGET = 300
DEPTHS = (1, 2, 3, 4)
SEEDS = (0, 1, 2)
rows = []
for depth in DEPTHS:
    widths = matched_widths(BUDGET, depth)
    for seed in SEEDS:
        model = MLP.from_config(MLPConfig(hidden=widths, bias_std=INIT_BIAS_STD, seed=seed))
        count = count_net(model)
        rows.append((depth, widths, seed, count.by_depth[-1], count.linear))
    b = bounds.evaluate_bounds(widths)
    counts = [r[3] for r in rows if r[0] == depth]
    print(
        f"{describe(widths):>8} ({n_parameters(widths)} params): exact {counts}, "
        f"serra_upper {b['serra_upper']:,}, montufar_lower {b['montufar_lower']}"
    )
for _, widths, _, n, linear in rows:
    assert abs(n_parameters(widths) - BUDGET) <= 0.05 * BUDGET
    assert linear <= n <= bounds.serra_upper(widths)

# %% [markdown]
# For one hidden layer the regions are exactly the cells of a line arrangement, so two
# independent methods must agree: the general decomposition and counting line crossings
# (`regions.arrangement_cells`, exact and O(n² log n), which the lab uses for every
# one-layer net).

# %%
shallow = MLP.from_config(MLPConfig(hidden=matched_widths(BUDGET, 1), bias_std=INIT_BIAS_STD))
layer = shallow.blocks[0].linear
lines = regions.arrangement_cells(
    layer.weight.detach().double().numpy(),
    layer.bias.detach().double().numpy(),
    regions.DEFAULT_BOX,
)
assert lines == regions.count(shallow) == count_net(shallow).by_depth[-1]
print(f"one layer of {layer.out_features} units: {lines} regions by both methods")

# %% [markdown]
# The figure puts them together on a log scale. The bounds shoot up with depth; the random
# nets do not follow. The deep ones stay far below even the *lower* bound (which some net of
# those widths attains), and the one-layer net, with about twice as many neurons at this
# budget (60 against about 30), has the most regions. Hanin & Rolnick (2019) explain it: for
# random (and trained) nets the number of regions per unit area grows like the number of
# neurons squared, whatever the depth. Depth buys the *possibility* of many regions, not
# regions by default.

# %%
with style.style():
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in ("trivial_upper", "serra_upper", "montufar_lower"):
        values = [bounds.evaluate_bounds(matched_widths(BUDGET, d))[name] for d in DEPTHS]
        ds = [d for d, v in zip(DEPTHS, values, strict=True) if v is not None]
        ax.plot(ds, [v for v in values if v is not None], marker="o", label=name)
    for seed in SEEDS:
        ax.plot(
            DEPTHS,
            [r[3] for r in rows if r[2] == seed],
            "k.",
            label="random nets (exact)" if seed == 0 else None,
        )
    ax.set_yscale("log")
    ax.set_xticks(DEPTHS)
    ax.set_xlabel(f"depth (about {BUDGET} parameters)")
    ax.set_ylabel("regions")
    ax.legend(fontsize=7)
    plt.show()
for depth, widths, _, n, _ in rows:
    if depth > 1:
        assert n < bounds.montufar_lower(widths)

# %% [markdown]
# The density law in numbers: fit `regions ~ C N^2 area` to these counts (`N` hidden units).
# With so few nets the fit is rough; the full `depth-vs-width` experiment fits hundreds.

# %%
n_neurons = [sum(r[1]) for r in rows]
fit = bounds.fit_density_law(n_neurons, [r[3] for r in rows], [16.0] * len(rows))
print(
    f"C = {fit.constant:.4f}, free exponent {fit.slope:.2f}, rms log residual "
    f"{fit.rms_log_residual:.2f}"
)
assert fit.constant > 0 and fit.n_points == len(rows)

# %% [markdown]
# ## Hand-built nets that reach the exponential counts
#
# **Telgarsky's sawtooth.** Two ReLUs compute the tent map `t(x)` (up from 0 to 1 and back
# down on `[0, 1]`). Composing it `L` times doubles the number of teeth each time, so `L`
# layers of width 2 make `2^L` regions (vertical strips) on `[0, 1]^2`. A single layer of
# the same `2L` units cutting along x only could make at most `2L + 1`.

# %%
unit = (0.0, 1.0, 0.0, 1.0)
for L in range(1, 8):
    n = regions.count(constructions.sawtooth(L), unit)
    assert n == 2**L
    print(f"sawtooth, depth {L}: {n} regions = 2^{L}")
for L in range(1, 4):
    assert regions.count(constructions.sawtooth_2d(L), unit) == 4**L

# %% [markdown]
# **Montufar's folding net.** `L - 1` layers of width `2p` fold the square `p` times along each
# axis, so whatever the last layer draws in the folded square is copied `p^2` times per fold
# layer. A last layer of `n` lines in general position makes `1 + n + C(n, 2)` regions, so the
# net has `p^(2(L-1)) (1 + n + C(n, 2))`. That is exactly Montufar et al.'s lower bound for
# these widths: the construction is what proves the bound.

# %%
for p, L in ((2, 2), (2, 3), (3, 2), (3, 3)):
    net = constructions.folding_net(p, L)
    widths = [2 * p] * (L - 1) + [3]
    n = regions.count(net, unit)
    formula = constructions.folding_net_count(p, L)
    print(f"folding net p={p}, depth {L}, widths {widths}: {n} regions, formula {formula}")
    assert n == formula == bounds.montufar_lower(widths)
    assert n <= bounds.serra_upper(widths)

# %% [markdown]
# The folding net's regions, drawn: the same three lines, reflected into every fold.

# %%
part = regions.decompose(constructions.folding_net(3, 2), unit)
with style.style():
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    draw_regions(ax, part)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_title(f"folding net p=3, depth 2: {len(part)} regions")
    plt.show()
assert len(part) == 9 * 7
assert np.isclose(part.areas.sum(), 1.0)
