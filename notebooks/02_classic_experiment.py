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
# # A classic experiment end to end: does depth help?
#
# The lab's classic experiments (after T. Gupta, *What 2D data reveals about deep nets?*)
# each vary one thing about a small MLP and train every setting on 2D datasets whose true
# decision boundary is known. `python -m analysis reproduce --experiment depth` runs the depth
# experiment: ReLU nets with 1, 2, 4 and 8 hidden layers of 10 units on four boundaries.
#
# Here we run the *same code* on a tiny version of it, so that it finishes in seconds: two
# boundaries (`abs`, the V `y = |x|`, and `sine`, the wave `y = sin(pi x)`), depths 1, 2 and
# 4, and only 200 SGD steps per net. The numbers are therefore rougher than the full run's,
# but the way to read them is the same.

# %%
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from IPython.display import Image, display

from analysis.lab.options import RunOptions
from analysis.run.registry import EXPERIMENTS
from analysis.run.reproduce import run_experiment

# Where the figures and the model cache go (a temporary folder unless told otherwise).
OUT = Path(os.environ.get("RELU_REGIONS_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="relu-"))

# %% [markdown]
# ## The experiment as data
#
# An experiment is a `GridExperiment`: a list of `Setting`s (the columns of its figures: what
# varies) and a list of true boundaries (the rows). Each setting overrides fields of the model
# config (`MLPConfig`) or of the training config (`TrainConfig`). Because it is plain data,
# we can shrink it with `dataclasses.replace` instead of writing a new experiment.

# %%
depth = EXPERIMENTS["depth"]
print(depth.description)
for s in depth.settings:
    print(f"  {s.label!r}: model overrides {dict(s.model)}")

tiny_train = {"n_train": 1_000, "n_test": 500, "epochs": 20, "batch_size": 100, "lr": 0.05}
tiny = replace(
    depth,
    boundaries=("abs", "sine"),
    settings=tuple(replace(s, train=tiny_train) for s in depth.settings[:3]),
    quick_changes={},  # keep both rows: quick mode would keep only the sine row
)
options = RunOptions(out_dir=OUT / "figures", cache_dir=OUT / "cache", quick=True, progress=False)
configs = tiny.configs(options)  # as quick mode trains them
assert len(configs) == 2 * 3  # boundaries x settings
assert [c.model.hidden for c in configs[:3]] == [(10,), (10, 10), (10, 10, 10, 10)]
assert all(c.epochs * c.n_train // c.batch_size == 200 for c in configs)

# %% [markdown]
# ## Run it
#
# `run_experiment` runs its jobs (here: one training run per net, or a load from the cache when
# the same config was trained before), then its report: it evaluates every net, writes three
# figures and returns the manifest: the figure files and a table of numbers. With `quick=True`
# the training is capped and the figures written as PNG only, as in `reproduce --quick`; a
# full run writes each figure as PNG and PDF.

# %%
report = run_experiment(tiny, options)
for f in report.figures:
    print(f"{f.stem}: {f.caption}")
assert [f.stem for f in report.figures] == ["depth/surfaces", "depth/heatmaps", "depth/regions"]
assert all((options.out_dir / f"{f.stem}.png").is_file() for f in report.figures)

# %% [markdown]
# ## How to read the figure
#
# One row per true boundary, one column per setting; the first column is the ground truth.
# Each panel shows the net's probability of class 1 (red = 1, blue = 0), the true boundary
# (dashed), and, because these nets are piecewise linear, the exact region boundaries (thin)
# and the exact decision boundary (thick). The corner box gives the test accuracy, the
# number of regions (and of distinct linear pieces) and the exact misclassified area.
#
# What to look for: the one-layer net can only place its 10 lines, so its regions form a
# plain line arrangement and it must approximate the sine wave with few straight pieces; the
# deeper nets' region boundaries bend where they cross earlier ones, giving more, and more
# varied, pieces to place along a curved boundary. With only 200 SGD steps the accuracies
# are modest; the full run trains 1,000 or more.

# %%
display(Image(filename=str(options.out_dir / "depth" / "heatmaps.png")))

# %% [markdown]
# ## The numbers
#
# The table has one row per trained net. `n_regions` is the exact number of activation
# regions inside the box, `n_linear_regions` the number left after merging neighbours with
# the same affine map, `misclassified_area` the exact area (out of 16) where the net predicts
# the wrong class, and `grid_acc` the accuracy on a 200 x 200 grid (an estimate of
# `1 - misclassified_fraction`).

# %%
table = report.table
rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
print(
    f"{'boundary':8} {'setting':8} {'test acc':>8} {'regions':>8} {'linear':>7} {'error area':>10}"
)
for r in rows:
    print(
        f"{r['boundary']:8} {r['setting']:8} {r['test_acc']:8.1%} {r['n_regions']:8d} "
        f"{r['n_linear_regions']:7d} {r['misclassified_area']:10.3f}"
    )

# %% [markdown]
# A few facts that hold however the training went, checked so that a regression in the lab
# fails this notebook:
#
# * merging equal maps never increases the count;
# * the exact misclassified fraction and the grid accuracy tell the same story (a 200 x 200
#   grid is fine enough to agree to a couple of percent);
# * a one-layer net of 10 units has at most `1 + 10 + 45 = 56` regions (10 lines in the
#   plane);
# * the easy V boundary is learned well by every net.

# %%
assert len(rows) == 6
for r in rows:
    assert 1 <= r["n_linear_regions"] <= r["n_regions"]
    assert abs((1 - r["misclassified_fraction"]) - r["grid_acc"]) < 0.03
    assert abs(r["misclassified_area"] - 16 * r["misclassified_fraction"]) < 1e-9
for r in rows:
    if r["setting"] == "1 × 10":
        assert r["n_regions"] <= 56
    if r["boundary"] == "abs":
        assert r["test_acc"] > 0.9

# %% [markdown]
# ## Running it again is free
#
# Trained models are cached by a hash of their config, so a second run only re-evaluates and
# redraws: useful when you change a figure. The full-size experiment is one command:
# `python -m analysis reproduce --experiment depth --out out` (add `--quick` for the
# scaled-down version).

# %%
again = run_experiment(tiny, options)
assert again.table == report.table
