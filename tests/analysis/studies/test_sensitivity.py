"""Per-layer sensitivity: perturbation, measures, exact Hausdorff distance, re-init, gradients."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import regions
from analysis.lab.data import make_dataset
from analysis.lab.jobs import from_json
from analysis.lab.models import MLP, MLPConfig
from analysis.lab.sgd import TrainConfig, accuracy, build_model, dataset_for
from analysis.lab.train import train
from analysis.studies.sensitivity.drawn import drawn_nets
from analysis.studies.sensitivity.experiment import GradientJob, PerturbJob, _exploration
from analysis.studies.sensitivity.gradients import GradientRecord, depth_lr_scales, record_gradients
from analysis.studies.sensitivity.hausdorff import hausdorff_distance, shapely_hausdorff
from analysis.studies.sensitivity.perturbation import (
    MEASURES,
    Perturbation,
    PerturbationSweep,
    baseline,
    layer_noise,
    measure,
    perturb,
    perturbation_sweep,
)
from analysis.studies.sensitivity.reinit import Reinit, reinit_layer, reinit_robustness

DATA = make_dataset("abs", n_train=200, n_test=400, seed=3)
CONFIG = TrainConfig(
    "abs",
    n_train=500,
    n_test=300,
    epochs=30,
    batch_size=50,
    lr=0.2,
    model=MLPConfig(hidden=(6,) * 3, bias_std=0.1),
)


@pytest.fixture(scope="module")
def trained() -> tuple[MLP, dict[str, torch.Tensor]]:
    result = train(CONFIG, progress=False)
    return result.model, result.initial_state


def _states_equal_except(a: MLP, b: MLP, skip: set[str]) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa if k not in skip)


# ----------------------------------------------------------------------------- perturbation
def test_eps_zero_changes_nothing(trained) -> None:
    model, _ = trained
    base = baseline(model, DATA)
    for layer in (1, 4):
        for target, scale in (("weight", "layer"), ("weight", "row"), ("bias", "layer")):
            p = perturb(model, Perturbation(layer, 0.0, seed=5, target=target, scale=scale))
            assert _states_equal_except(model, p, set())
            np.testing.assert_array_equal(measure(base, p).as_array(), np.zeros(len(MEASURES)))


def test_noise_has_requested_relative_rms() -> None:
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(200, 300, generator=gen) * 3.0
    w[0] *= 50.0  # rows of very different scale separate the two variants
    eps = 0.1
    noise = layer_noise(w, eps, torch.Generator().manual_seed(1), "layer")
    rms = lambda t: t.double().square().mean().sqrt().item()  # noqa: E731
    # 60,000 normals: the sample RMS has relative sd 1 / sqrt(2 n) ~ 0.003; allow 5 sd.
    assert rms(noise) == pytest.approx(eps * rms(w), rel=0.015)
    # Whole-layer noise ignores row scales; per-row noise follows them.
    row = layer_noise(w, eps, torch.Generator().manual_seed(1), "row")
    ratios = row.double().square().mean(1).sqrt() / w.double().square().mean(1).sqrt()
    # Each row: 300 normals, relative sd ~ 0.04; allow 5 sd on every row.
    np.testing.assert_allclose(ratios.numpy(), eps, rtol=0.2)
    assert abs(rms(noise[0]) / rms(w[0]) - eps) > 0.5 * eps  # the big row got relatively less


def test_perturbation_touches_one_tensor_only(trained) -> None:
    model, _ = trained
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for layer, target in ((1, "weight"), (2, "bias"), (4, "weight")):
        p = perturb(model, Perturbation(layer, 0.3, seed=2, target=target))
        name = "output" if layer == 4 else f"blocks.{layer - 1}.linear"
        changed = f"{name}.{target}"
        assert _states_equal_except(model, p, {changed})
        assert not torch.equal(p.state_dict()[changed], model.state_dict()[changed])
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # no aliasing


def test_noise_direction_fixed_by_seed_and_scaled_by_eps(trained) -> None:
    model, _ = trained
    w = model.blocks[1].linear.weight
    d1 = perturb(model, Perturbation(2, 0.1, seed=7)).blocks[1].linear.weight - w
    d2 = perturb(model, Perturbation(2, 0.2, seed=7)).blocks[1].linear.weight - w
    d3 = perturb(model, Perturbation(2, 0.1, seed=8)).blocks[1].linear.weight - w
    torch.testing.assert_close(d2, 2 * d1, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(d1, d3)


def test_measures_grow_with_eps_and_sweep_shape(trained) -> None:
    model, _ = trained
    sweep = perturbation_sweep(model, DATA, layers=[1, 3], eps=[0.0, 0.01, 1.0], seeds=[0, 1])
    assert sweep.values.shape == (2, 3, 2, len(MEASURES))
    assert np.all(sweep.values[:, 0] == 0)
    change = sweep.mean("function_change")
    assert np.all(change[:, 1] > 0) and np.all(change[:, 2] > 10 * change[:, 1])
    hd = sweep.mean("hausdorff")
    assert np.all(hd[:, 2] > hd[:, 1])
    flips = sweep.get("pattern_flips")
    assert np.all((flips >= 0) & (flips <= 1)) and flips[:, 2].mean() > 0.2


def test_accuracy_drop_matches_direct_accuracy(trained) -> None:
    model, _ = trained
    base = baseline(model, DATA)
    p = perturb(model, Perturbation(1, 0.5, seed=0))
    m = measure(base, p)
    direct = (p(torch.from_numpy(DATA.X_test)).argmax(1).numpy() == DATA.y_test).mean()
    assert m.acc_drop == pytest.approx(
        accuracy(model, DATA.X_test, DATA.y_test) - direct, abs=1e-12
    )


# ------------------------------------------------------------------------------- Hausdorff
def test_hausdorff_of_a_boundary_to_itself_is_zero(trained) -> None:
    segments = baseline(trained[0], DATA).boundary
    assert len(segments) > 3
    assert hausdorff_distance(segments, segments) == 0.0


@pytest.mark.parametrize("d", [1e-6, 0.05, 0.7])
def test_segment_moved_perpendicular_is_at_distance_d(d: float) -> None:
    a = np.array([[[0.3, -1.0], [1.1, 0.8]]])
    direction = a[0, 1] - a[0, 0]
    normal = np.array([-direction[1], direction[0]]) / np.linalg.norm(direction)
    assert hausdorff_distance(a, a + d * normal) == pytest.approx(d, rel=1e-12, abs=1e-15)


def test_hausdorff_finds_interior_maxima_that_vertices_miss() -> None:
    # From the middle of A, (0, 0), both short segments of B are sqrt(1 + 0.5^2) away; every
    # vertex of either set is at most 0.6 from the other set.
    a = np.array([[[-1.0, 0.0], [1.0, 0.0]]])
    b = np.array([[[-1.0, 0.5], [-1.0, 0.6]], [[1.0, 0.5], [1.0, 0.6]]])
    assert hausdorff_distance(a, b) == pytest.approx(np.sqrt(1.25), abs=1e-9)
    assert shapely_hausdorff(a, b) == pytest.approx(0.6)  # vertices only: wrong
    assert shapely_hausdorff(a, b, densify=1e-3) == pytest.approx(np.sqrt(1.25), abs=1e-6)


def test_hausdorff_agrees_with_densified_shapely_on_random_polylines() -> None:
    rng = np.random.default_rng(4)
    for _ in range(5):
        pa = np.cumsum(rng.normal(size=(12, 2)), axis=0) * 0.3
        pb = pa + rng.normal(size=pa.shape) * 0.2
        a, b = np.stack([pa[:-1], pa[1:]], 1), np.stack([pb[:-1], pb[1:]], 1)
        exact = hausdorff_distance(a, b)
        dense = shapely_hausdorff(a, b, densify=1e-4)
        # Densified shapely samples the sets, so it can only fall short, by < one step.
        assert dense <= exact + 1e-9
        assert exact - dense < 1e-3
        assert exact == hausdorff_distance(b, a)


def test_hausdorff_empty_sets() -> None:
    seg = np.array([[[0.0, 0.0], [1.0, 0.0]]])
    empty = np.zeros((0, 2, 2))
    assert hausdorff_distance(empty, empty) == 0.0
    assert hausdorff_distance(seg, empty) == np.inf


# --------------------------------------------------------------------------- re-initialisation
def test_reinit_restores_initial_layer_and_keeps_the_rest(trained) -> None:
    model, initial = trained
    reset = reinit_layer(model, 2, initial_state=initial)
    torch.testing.assert_close(reset.blocks[1].linear.weight, initial["blocks.1.linear.weight"])
    assert _states_equal_except(model, reset, {"blocks.1.linear.weight", "blocks.1.linear.bias"})
    redrawn = reinit_layer(model, 2, seed=1)
    fresh = MLP.from_config(replace(model.config, seed=1))
    torch.testing.assert_close(redrawn.blocks[1].linear.weight, fresh.blocks[1].linear.weight)
    with pytest.raises(ValueError):
        reinit_layer(model, 2)


def test_reinit_robustness_shapes_and_values(trained) -> None:
    model, initial = trained
    r = reinit_robustness(model, initial, DATA, seeds=[0, 1])
    assert r.reset_acc.shape == (4,) and r.rerandom_acc.shape == (4, 2)
    assert r.trained_acc == accuracy(model, DATA.X_test, DATA.y_test) and r.trained_acc > 0.8
    assert np.all((r.rerandom_acc >= 0) & (r.rerandom_acc <= 1))
    assert r.reset_acc[0] == accuracy(
        reinit_layer(model, 1, initial_state=initial), DATA.X_test, DATA.y_test
    )


# ------------------------------------------------------------------------------ gradients
GRAD_CONFIG = replace(CONFIG, epochs=3, batch_size=CONFIG.n_train)  # full batch: 1 step/epoch


def _autograd_norms(model: MLP, X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    loss = F.cross_entropy(model(X), y)
    grads = torch.autograd.grad(loss, [layer.weight for layer in model.linears()])
    return np.array([g.double().norm().item() for g in grads])


def test_recorded_gradient_norms_match_autograd() -> None:
    rec = record_gradients(GRAD_CONFIG, every=1)
    data = dataset_for(GRAD_CONFIG)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    model = build_model(GRAD_CONFIG)
    expected0 = _autograd_norms(model, X, y)
    np.testing.assert_allclose(rec.grad_norm[0], expected0, rtol=1e-5)
    # One plain SGD step by hand, then the gradient at step 1.
    loss = F.cross_entropy(model(X), y)
    params = list(model.parameters())
    with torch.no_grad():
        for p, g in zip(params, torch.autograd.grad(loss, params), strict=True):
            p -= GRAD_CONFIG.lr * g
    np.testing.assert_allclose(rec.grad_norm[1], _autograd_norms(model, X, y), rtol=1e-4)
    # Update ratio of plain SGD: lr ||g|| / ||W||.
    w0 = np.array([lay.weight.double().norm().item() for lay in build_model(GRAD_CONFIG).linears()])
    np.testing.assert_allclose(rec.update_ratio[0], GRAD_CONFIG.lr * expected0 / w0, rtol=1e-4)


def test_recording_mirrors_train_and_per_layer_rates_apply() -> None:
    rec = record_gradients(CONFIG, every=7)
    reference = train(CONFIG, progress=False)
    got, expected = rec.model.state_dict(), reference.model.state_dict()
    assert all(torch.equal(got[k], expected[k]) for k in expected)  # same SGD, bit for bit
    assert rec.test_acc == pytest.approx(reference.history.test_acc[-1])
    assert rec.step[0] == 0 and rec.step[-1] == rec.n_steps - 1 and np.all(np.diff(rec.step) > 0)
    scales = depth_lr_scales(4, floor=0.1)
    np.testing.assert_allclose(scales, [1.0, 0.1 ** (1 / 3), 0.1 ** (2 / 3), 0.1])
    slow = record_gradients(GRAD_CONFIG, every=1, lr_scales=scales)
    fast = record_gradients(GRAD_CONFIG, every=1)
    # Same first gradient; the first update of layer k shrinks by its scale.
    np.testing.assert_allclose(slow.grad_norm[0], fast.grad_norm[0], rtol=1e-12)
    np.testing.assert_allclose(slow.update_ratio[0], fast.update_ratio[0] * scales, rtol=1e-4)


def test_sweep_computes_exact_measures_only_where_asked(trained) -> None:
    model, _ = trained
    full = perturbation_sweep(model, DATA, layers=[2], eps=[0.05, 0.5], seeds=[0])
    part = perturbation_sweep(model, DATA, layers=[2], eps=[0.05, 0.5], seeds=[0], exact_eps=[0.5])
    np.testing.assert_array_equal(part.values[:, 1], full.values[:, 1])
    np.testing.assert_array_equal(part.values[:, 0, :, :2], full.values[:, 0, :, :2])
    assert np.all(np.isnan(part.values[:, 0, :, 2:])) and not np.isnan(full.values).any()


def test_jobs_round_trip_through_json_exactly(tmp_path) -> None:
    """A sweep result read back from its JSON file equals the direct computation bit for bit."""
    job = PerturbJob(CONFIG, eps=(0.1, 1.0), seeds=(0, 1), exact_eps=(0.1,))
    loaded = json.loads(json.dumps(job.run(str(tmp_path))))
    sweep = from_json(PerturbationSweep, loaded["sweep"])
    reinit = from_json(Reinit, loaded["reinit"])
    result, data = train(CONFIG, cache_dir=tmp_path, progress=False), dataset_for(CONFIG)
    direct = perturbation_sweep(result.model, data, eps=(0.1, 1.0), seeds=(0, 1), exact_eps=(0.1,))
    np.testing.assert_array_equal(sweep.values, direct.values)  # NaN where not exact
    assert np.isnan(sweep.get("hausdorff")[:, 1]).all() and sweep.layers.dtype == np.int64
    again = reinit_robustness(result.model, result.initial_state, data, (0, 1))
    np.testing.assert_array_equal(reinit.rerandom_acc, again.rerandom_acc)
    grad = GradientJob(GRAD_CONFIG, every=3, lr_floor=0.1)
    record = from_json(GradientRecord, json.loads(json.dumps(grad.run())), config=GRAD_CONFIG)
    scales = depth_lr_scales(len(GRAD_CONFIG.model.hidden) + 1, 0.1)
    direct_record = record_gradients(GRAD_CONFIG, every=3, lr_scales=scales)
    np.testing.assert_array_equal(record.update_ratio, direct_record.update_ratio)
    assert record.test_acc == direct_record.test_acc and record.model is None


# ----------------------------------------------------------------------------- drawn nets


def test_drawn_nets_are_the_trained_net_and_two_one_layer_perturbations(trained) -> None:
    model, _ = trained
    result = train(CONFIG, progress=False)  # from the same config: the same net
    (row,) = drawn_nets({3: result}, seed=4, eps=0.2)
    assert [n.slug for n in row] == ["trained", "layer-1", "layer-3"]
    assert row[0].model is result.model and row[0].moved is None
    box = dataset_for(CONFIG).box
    for net, layer in zip(row[1:], (1, 3), strict=True):
        expected = perturb(result.model, Perturbation(layer, 0.2, 4))
        pairs = zip(net.model.parameters(), expected.parameters(), strict=True)
        assert all(torch.equal(a, b) for a, b in pairs)
        assert len(net.partition) == regions.count(expected, box)
        segments = net.partition.decision_boundary().segments
        assert net.moved == hausdorff_distance(row[0].before, segments)
        assert net.test_acc == accuracy(expected, net.data.X_test, net.data.y_test)
    assert len(row[0].partition) == regions.count(model, box)
    page = _exploration(row[2])  # the explorer page of the last one
    assert page.stem == "explore-abs-3x6-layer-3"
    assert page.caption == (
        f"abs, 3 × 6, layer 3 (last hidden), ε = 0.2 ({len(row[2].partition)} regions)"
    )
    assert page.partition is row[2].partition and page.accuracy == row[2].test_acc
