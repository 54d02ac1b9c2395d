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
# # Watching a net learn: exact regions and local complexity over training
#
# Humayun, Balestriero and Baraniuk (*Deep networks always grok*, ICML 2024) count how many
# linear regions lie near the data while a net trains, and report three phases: the *local
# complexity* (LC) around training points first falls, then rises, then falls again late in
# training as the regions migrate towards the decision boundary. In high dimension they
# estimate it by sampling. In 2D it can be computed exactly at every checkpoint:
#
# * `regions.local_counts(part, points, radius)` is the number of regions that meet the open
#   disc of `radius` about each point, decided exactly for the partition's float64 polygons;
# * the `dynamics` study trains nets with checkpoints at log-spaced steps (resumable), and
#   measures every checkpoint: regions per layer, the decision boundary, accuracies and LC at
#   five kinds of location.
#
# This notebook runs a small version of the study (seconds) and reads its numbers.

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import shapely
from IPython.display import display

import regions
from analysis.lab.data import get_boundary
from analysis.lab.models import MLPConfig
from analysis.lab.sgd import TrainConfig, build_model
from analysis.studies.dynamics.checkpoints import DynamicsRun, train_checkpoints
from analysis.studies.dynamics.experiment import DynamicsJob
from analysis.studies.dynamics.figures import lc_figure, snapshots_figure
from analysis.studies.dynamics.measures import Probe
from regions.constructions import line_arrangement

# Where the checkpoints go (a temporary folder unless told otherwise).
OUT = Path(os.environ.get("RELU_REGIONS_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="relu-"))

# %% [markdown]
# ## Local complexity, exactly
#
# The two axes cut the box `[-1, 1]^2` into four unit squares. A disc of radius 0.2 about
# `(0.5, 0.5)` lies in one square; about `(0.5, 0.1)` it crosses the x axis; about the origin
# it meets all four. A disc that only *touches* a square from outside does not meet the open
# disc: about `(0.5, 0.2)` with radius exactly 0.2 the count is 1, and a hair more makes it 2.

# %%
axes = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
centres = np.array([[0.5, 0.5], [0.5, 0.1], [0.0, 0.0], [0.5, 0.2]])
print(axes.local_counts(centres, 0.2), axes.local_counts(centres[3:], 0.2 + 1e-15))
assert axes.local_counts(centres, 0.2).tolist() == [1, 2, 4, 1]
assert axes.local_counts(centres[3:], 0.2 + 1e-15).tolist() == [2]
# local_density divides by the disc's area: regions per unit area.
assert np.isclose(axes.local_density([[0.0, 0.0]], 0.5)[0], 4 / (np.pi * 0.25))

# %% [markdown]
# On a random net the counts agree with the distance of every region's polygon to the
# centre, computed by shapely (away from exact ties, where floats cannot be trusted and
# `local_counts` falls back to rational arithmetic).

# %%
net = build_model(TrainConfig("sine", model=MLPConfig((16, 16), init="default")))
part = regions.decompose(net)
points = np.random.default_rng(0).uniform(-2, 2, (200, 2))
brute = shapely.distance(shapely.points(points)[:, None], part.to_shapely()[None]) < 0.3
assert (part.local_counts(points, 0.3) == brute.sum(axis=1)).all()
print(f"{len(part)} regions; on average {part.local_counts(points, 0.3).mean():.1f} per disc")

# %% [markdown]
# ## A small run: Humayun et al.'s setting scaled down
#
# MSE on one-hot targets, AdamW (lr 1e-3, weight decay 0.01 on the weights), batches of 200
# from 1,000 samples of `sine`, a 3 × 16 ReLU net with PyTorch's default initialisation. The
# study's full runs are 3 × 32 and 3 × 64 nets for 50,000 steps; here 1,500 steps and 9
# checkpoints keep it to seconds. Checkpoints are at log-spaced steps from 0.

# %%
config = TrainConfig(
    "sine", n_train=1000, n_test=1000, batch_size=200, epochs=300, lr=1e-3,
    weight_decay=0.01, loss="mse", model=MLPConfig((16, 16, 16), init="default"),
)  # fmt: skip
run = DynamicsRun("sine, AdamW, 3 × 16", config, optimizer="adamw", checkpoints=8)
print(run.steps, run.checkpoint_steps.tolist())
assert run.checkpoint_steps[0] == 0 and run.checkpoint_steps[-1] == run.steps == 1500

# %% [markdown]
# Training saves each checkpoint (weights and optimizer state, loadable with
# `torch.load(weights_only=True)`) as it reaches it. Stop after the fourth checkpoint, as an
# interrupt would, then start again: the finished checkpoints are read from disk and
# training continues from the last one, ending on exactly the same weights.

# %%
cache = OUT / "cache"
for step, _ in train_checkpoints(run, cache):
    if step == run.checkpoint_steps[3]:
        break  # "interrupted"
resumed = {step: net for step, net in train_checkpoints(run, cache)}
with tempfile.TemporaryDirectory() as fresh:
    straight = {step: net for step, net in train_checkpoints(run, fresh)}
final = run.steps
assert all(
    (a == b).all()
    for a, b in zip(resumed[final].parameters(), straight[final].parameters(), strict=True)
)

# %% [markdown]
# ## Measuring every checkpoint
#
# A `DynamicsJob` trains (or resumes) and measures each checkpoint. LC is measured at two
# radii about 60 points of each kind: training points, test points, the true boundary, the
# net's decision boundary at that step, and far from the data (the domain is `[-4, 4]^2`, the
# data fill `[-2, 2]^2`).

# %%
probe = Probe(radii=(0.1, 0.2), n_points=60)
result = DynamicsJob(run, probe).run(str(cache))
rows = result["rows"]
for row in rows:
    print(
        f"step {row['step']:>5}: {row['regions']:>5} regions, test acc {row['test_acc']:.3f}, "
        f"LC train {row['lc']['train'][0]:.2f}, decision {row['lc']['decision boundary'][0]:.2f}"
    )

# %% [markdown]
# Checks: step 0 is the initial net (its count is `regions.count` of the untrained net);
# every disc about a training point meets at least the region that holds it; the partition
# after the last layer is the full partition; and the net learns.

# %%
assert rows[0]["regions"] == regions.count(build_model(config), probe.domain)
assert all(min(row["lc"]["train"]) >= 1 for row in rows)
assert all(row["regions_by_layer"][-1] == row["regions"] for row in rows)
assert rows[-1]["test_acc"] > rows[0]["test_acc"] + 0.2

# %% [markdown]
# ## Reading the curves
#
# The LC figure has one panel per radius, one line per kind of location, over log steps.
# In the full study (`python -m analysis reproduce --experiment dynamics`) the runs go to
# 50,000 steps; `benchmarks/RESULTS.md` records what they show.

# %%
display(lc_figure([run.label], [rows], probe.radii))

# %% [markdown]
# Snapshots: each region is coloured by a hash of its activation pattern, so a region that
# keeps its pattern keeps its colour from one checkpoint to the next; the decision boundary
# is black, the true boundary dashed.

# %%
picks = [0, len(rows) // 2, len(rows) - 1]
shots = [(regions.decompose(resumed[rows[i]["step"]], probe.domain), rows[i]) for i in picks]
display(snapshots_figure([run.label], [shots], [get_boundary("sine")]))
