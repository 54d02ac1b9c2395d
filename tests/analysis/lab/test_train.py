"""Training: determinism, loss reduction, caching (hits, corruption), pools, classic accuracy."""

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import analysis.lab.train as train_module
from analysis.lab.cache import CacheWarning, entry_paths, tensor_digest
from analysis.lab.models import MLPConfig
from analysis.lab.sgd import TrainConfig, build_model, dataset_for, run_sgd, sgd_optimizer
from analysis.lab.train import TrainResult, train

SMALL = TrainConfig(
    "line",
    n_train=1000,
    n_test=500,
    epochs=10,
    batch_size=100,
    lr=0.05,
    model=MLPConfig(hidden=(8, 8)),
)
REGULARISED = replace(
    SMALL, epochs=3, model=MLPConfig(hidden=(8, 8), batch_norm=True, keep_prob=0.8)
)


def _same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _same_result(a: TrainResult, b: TrainResult) -> bool:
    return (
        _same_weights(a.model.state_dict(), b.model.state_dict())
        and _same_weights(a.initial_state, b.initial_state)
        and all(
            np.array_equal(getattr(a.history, f), getattr(b.history, f))
            for f in ("epoch", "loss", "train_acc", "test_acc")
        )
    )


@pytest.fixture(scope="module")
def small_result() -> TrainResult:
    return train(SMALL, progress=False)


def test_training_reduces_loss(small_result: TrainResult) -> None:
    h = small_result.history
    assert h.epoch.tolist() == list(range(1, 11))
    assert h.loss[-1] < 0.7 * h.loss[0]
    assert h.test_acc[-1] > 0.85
    assert np.all((h.train_acc >= 0) & (h.train_acc <= 1))
    assert not small_result.model.training and not small_result.from_cache


def test_initial_state_is_the_untrained_model(small_result: TrainResult) -> None:
    assert _same_weights(small_result.initial_state, build_model(SMALL).state_dict())
    assert not _same_weights(small_result.initial_state, small_result.model.state_dict())


@pytest.mark.parametrize("config", [SMALL, REGULARISED], ids=["plain", "bn+dropout"])
def test_same_seed_same_weights(config: TrainConfig) -> None:
    rng_state = torch.random.get_rng_state()
    a, b = train(config, progress=False), train(config, progress=False)
    assert torch.equal(rng_state, torch.random.get_rng_state())
    assert _same_result(a, b)
    other = train(replace(config, seed=config.seed + 1), progress=False)
    assert not _same_weights(a.model.state_dict(), other.model.state_dict())


def test_weight_decay_shrinks_weights_only() -> None:
    config = replace(SMALL, epochs=2, lr=0.1)
    plain = train(config, progress=False).model
    decayed = train(replace(config, weight_decay=0.5), progress=False).model
    norm = lambda m: sum(layer.weight.norm() ** 2 for layer in m.linears())  # noqa: E731
    assert norm(decayed) < 0.9 * norm(plain)


@pytest.mark.parametrize("loss", ["classic", "cross_entropy"])
def test_plain_sgd_update_is_optimizer_step_bit_for_bit(loss: str) -> None:
    # run_sgd replaces torch.optim.SGD.step by the foreach calls it makes; a hook on the
    # optimizer forces torch's own step, so the two runs take different code paths.
    config = replace(REGULARISED, loss=loss, weight_decay=0.01)
    data = dataset_for(config)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    models = []
    for hooked in (False, True):
        model = build_model(config)
        scales = [0.5] + [1.0] * (len(model.linears()) - 1)  # two learning rates
        optimizer = sgd_optimizer(model, config, lr_scales=scales)
        calls: list[int] = []
        if hooked:
            optimizer.register_step_post_hook(lambda *_, calls=calls: calls.append(1))
        steps = run_sgd(model, optimizer, config, X, y)
        assert len(calls) == (steps if hooked else 0)
        models.append(model)
    assert _same_weights(models[0].state_dict(), models[1].state_dict())
    assert not _same_weights(models[0].state_dict(), build_model(config).state_dict())


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("epochs", 2.5, "epochs must be an integer, got 2.5"),
        ("epochs", 0, "epochs must be >= 1, got 0"),
        ("epochs", True, "epochs must be an integer, got True"),
        ("seed", 1.7, "seed must be an integer, got 1.7"),
        ("seed", -1, "seed must be >= 0, got -1"),
        ("seed", "3", "seed must be an integer, got '3'"),
        ("data_seed", -1, "data_seed must be >= 0, got -1"),
        ("n_train", 10.9, "n_train must be an integer, got 10.9"),
        ("n_train", 0, "n_train must be >= 1, got 0"),
        ("n_test", -1, "n_test must be >= 0, got -1"),
        ("batch_size", 0, "batch_size must be >= 1, got 0"),
        ("lr", float("nan"), "lr must be a finite number, got nan"),
        ("lr", float("inf"), "lr must be a finite number, got inf"),
        ("lr", 0.0, "lr must be > 0, got 0.0"),
        ("weight_decay", float("nan"), "weight_decay must be a finite number, got nan"),
        ("weight_decay", -0.1, "weight_decay must be >= 0, got -0.1"),
        ("noise", 1.5, r"noise must be a probability in \[0, 1\], got 1.5"),
        ("model", MLPConfig((4,), n_outputs=1), "model: .* n_outputs >= 2, got 2 and 1"),
        ("model", MLPConfig((4,), n_inputs=3), "model: .* needs n_inputs 2 "),
    ],
)
def test_invalid_fields_are_refused_by_name(field: str, value: object, why: str) -> None:
    with pytest.raises(ValueError, match=f"^TrainConfig.{why}"):
        replace(SMALL, **{field: value})


def test_integral_floats_are_still_accepted() -> None:
    assert replace(SMALL, epochs=10.0, seed=0.0, lr=1) == replace(SMALL, lr=1.0)
    assert replace(SMALL, epochs=10.0).key() == SMALL.key()


def test_key_is_canonical_and_sensitive() -> None:
    assert SMALL.key() == replace(SMALL, lr=0.05, noise=0).key()
    assert SMALL.key() == TrainConfig.from_dict(json.loads(json.dumps(SMALL.to_dict()))).key()
    assert len(SMALL.key()) == 16
    assert SMALL.key() != replace(SMALL, lr=0.051).key()
    assert SMALL.key() != replace(SMALL, model=MLPConfig(hidden=(8, 8), seed=0)).key()


def test_loss_is_part_of_the_key_and_of_training(tmp_path: Path) -> None:
    classic = replace(SMALL, epochs=2, loss="classic")
    assert "loss" not in SMALL.to_dict()  # the default keeps the keys cached before the field
    assert TrainConfig.from_dict(classic.to_dict()) == classic
    keys = {replace(SMALL, loss=loss).key() for loss in ("cross_entropy", "classic", "mse")}
    assert len(keys) == 3
    plain = train(replace(classic, loss="cross_entropy"), cache_dir=tmp_path, progress=False)
    published = train(classic, cache_dir=tmp_path, progress=False)
    assert not published.from_cache  # a net cached under another loss is never reused
    assert not _same_weights(plain.model.state_dict(), published.model.state_dict())
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        replace(SMALL, loss="hinge")


def test_classic_loss_by_hand() -> None:
    """One SGD step on the classic loss (its L2 term as weight decay) equals the step on the
    published objective written out, L2 term included."""
    config = replace(SMALL, epochs=1, n_train=100, batch_size=100, loss="classic")
    model = build_model(config)
    data = dataset_for(config)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    by_hand = build_model(config)
    p = torch.softmax(by_hand(X), dim=1)
    p_true = torch.where(y == 1, p[:, 1], p[:, 0])
    objective = -2 * torch.log(p_true + 0.01).mean()
    objective = objective + 1e-4 * sum(0.5 * (m.weight**2).sum() for m in by_hand.linears())
    objective.backward()
    with torch.no_grad():
        for q in by_hand.parameters():
            q -= config.lr * q.grad
    run_sgd(model, sgd_optimizer(model, config), config, X, y)
    for a, b in zip(model.parameters(), by_hand.parameters(), strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-6)
    untouched = build_model(config)
    pairs = zip(model.parameters(), untouched.parameters(), strict=True)
    assert all(not torch.equal(a, b) for a, b in pairs)


def test_record_every() -> None:
    result = train(replace(SMALL, epochs=5), progress=False, record_every=2)
    assert result.history.epoch.tolist() == [2, 4, 5]
    assert len(result.history.loss) == len(result.history.test_acc) == 3


def test_cache_hit_skips_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = train(SMALL, cache_dir=tmp_path, progress=False)
    pt_path, json_path = entry_paths(tmp_path, SMALL.key())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([pt_path.name, json_path.name])
    payload = torch.load(pt_path, weights_only=True)
    assert {"state_dict", "initial_state_dict", "history"} <= set(payload)
    meta = json.loads(json_path.read_text())
    assert meta["config"] == SMALL.to_dict()
    assert meta["summary"]["final_test_acc"] == first.history.test_acc[-1]

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained despite a cache hit")

    monkeypatch.setattr(train_module, "_fit", no_training)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = train(SMALL, cache_dir=tmp_path, progress=False)
        thinned = train(SMALL, cache_dir=tmp_path, progress=False, record_every=4)
    assert second.from_cache and not first.from_cache
    assert _same_result(first, second)
    assert not second.model.training
    assert thinned.history.epoch.tolist() == [4, 8, 10]


def _garbage(pt: Path, js: Path) -> None:
    pt.write_bytes(b"\x00not a torch file" * 10)


def _truncated(pt: Path, js: Path) -> None:
    pt.write_bytes(pt.read_bytes()[:200])


def _resave(pt: Path, js: Path, payload: dict) -> None:
    """Save a changed payload with a matching checksum, so the checks behind it are reached."""
    torch.save(payload, pt)
    meta = json.loads(js.read_text())
    js.write_text(json.dumps({**meta, "sha256": tensor_digest(payload)}))


def _missing_key(pt: Path, js: Path) -> None:
    payload = torch.load(pt, weights_only=True)
    del payload["initial_state_dict"]
    _resave(pt, js, payload)


def _wrong_shape(pt: Path, js: Path) -> None:
    payload = torch.load(pt, weights_only=True)
    payload["state_dict"]["output.weight"] = torch.zeros(3, 8)
    _resave(pt, js, payload)


def _nan_weights(pt: Path, js: Path) -> None:
    payload = torch.load(pt, weights_only=True)
    payload["state_dict"]["output.bias"][0] = float("nan")
    _resave(pt, js, payload)


def _flipped_bit(pt: Path, js: Path) -> None:
    payload = torch.load(pt, weights_only=True)
    weight = payload["state_dict"]["output.weight"]
    weight.view(torch.int32)[0, 0] ^= 1  # the last bit of one float32's mantissa
    torch.save(payload, pt)


def _no_checksum(pt: Path, js: Path) -> None:
    meta = json.loads(js.read_text())
    del meta["sha256"]
    js.write_text(json.dumps(meta))


def _config_mismatch(pt: Path, js: Path) -> None:
    meta = json.loads(js.read_text())
    meta["config"]["lr"] = 0.5
    js.write_text(json.dumps(meta))


def _missing_json(pt: Path, js: Path) -> None:
    js.unlink()


@pytest.mark.parametrize(
    ("corrupt", "reason"),
    [
        (_garbage, "unreadable"),
        (_truncated, "unreadable"),
        (_missing_key, "missing keys"),
        (_wrong_shape, "output.weight"),
        (_config_mismatch, "does not match"),
        (_missing_json, "is missing"),
        (_nan_weights, "non-finite weights"),
        (_flipped_bit, "checksum that does not match"),
        (_no_checksum, "no checksum"),
    ],
)
def test_unusable_cache_entry_is_warned_about_and_retrained(
    tmp_path: Path, corrupt, reason: str
) -> None:
    config = replace(SMALL, epochs=2)
    original = train(config, cache_dir=tmp_path, progress=False)
    pt_path, json_path = entry_paths(tmp_path, config.key())
    corrupt(pt_path, json_path)
    with pytest.warns(CacheWarning, match=f"{pt_path.name}.*{reason}"):
        retrained = train(config, cache_dir=tmp_path, progress=False)
    assert not retrained.from_cache
    assert _same_result(original, retrained)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert train(config, cache_dir=tmp_path, progress=False).from_cache


def test_cached_history_too_sparse_is_retrained(tmp_path: Path) -> None:
    config = replace(SMALL, epochs=4)
    train(config, cache_dir=tmp_path, progress=False, record_every=2)
    with pytest.warns(CacheWarning, match="record_every=1"):
        result = train(config, cache_dir=tmp_path, progress=False)
    assert result.history.epoch.tolist() == [1, 2, 3, 4]


def test_diverged_training_is_an_error_and_never_cached(tmp_path: Path) -> None:
    config = replace(SMALL, lr=1e30, epochs=3)
    with pytest.raises(FloatingPointError, match="diverged"):
        train(config, cache_dir=tmp_path, progress=False)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("dataset", ["line", "abs"])
def test_classic_settings_reach_97_percent(dataset: str) -> None:
    # The classic setup, fixed by the spec: 10,000 samples, batch 1000, 100 epochs of plain SGD
    # at lr 0.01, He init, relu [10] * 4.
    config = TrainConfig(dataset)
    assert (config.n_train, config.batch_size, config.epochs, config.lr) == (
        10_000,
        1000,
        100,
        0.01,
    )
    assert config.model == MLPConfig(hidden=(10, 10, 10, 10), activation="relu", init="he")
    result = train(config, progress=False, record_every=10)
    assert result.history.test_acc[-1] >= 0.97
