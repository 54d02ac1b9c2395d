"""The classic experiments (analysis.studies.classic): their settings, in full and quick mode."""

from __future__ import annotations

from pathlib import Path

from analysis.lab.models import MLPConfig
from analysis.lab.options import QuickMode, RunOptions
from analysis.lab.sgd import TrainConfig
from analysis.run.registry import EXPERIMENTS
from analysis.studies.classic.experiment import QUICK_BOUNDARIES

FULL = RunOptions(Path("out"), Path("out/cache"))
QUICK = RunOptions(Path("out"), Path("out/cache"), quick=True)


def test_registry_holds_the_six_classic_experiments_with_their_settings() -> None:
    assert list(EXPERIMENTS)[:6] == [
        "activation",
        "depth",
        "width",
        "dropout",
        "batchnorm",
        "residual",
    ]
    columns = {name: len(EXPERIMENTS[name].settings) for name in list(EXPERIMENTS)[:6]}
    assert columns == {
        "activation": 5,
        "depth": 4,
        "width": 7,
        "dropout": 4,
        "batchnorm": 2,
        "residual": 8,
    }


def test_full_mode_uses_the_classic_training_settings() -> None:
    classic = TrainConfig(dataset="line")
    for name in ("activation", "depth", "width", "dropout", "batchnorm"):
        for config in EXPERIMENTS[name].configs(FULL):
            assert (config.n_train, config.batch_size, config.epochs, config.lr) == (
                10_000,
                1_000,
                100,
                0.01,
            )
            assert config.model.init == "he" and config.seed == classic.seed
    residual = EXPERIMENTS["residual"].configs(FULL)
    assert sorted({c.n_train for c in residual}) == [100, 1_000, 10_000, 100_000]
    assert {c.batch_size for c in residual} == {100}
    assert {c.model.residual for c in residual} == {None, (False, True, True, True)}
    assert MLPConfig(batch_norm=True).bn_momentum == 0.05  # a 0.95 moving average


def test_quick_mode_caps_sgd_steps_and_keeps_residual_sample_sizes() -> None:
    for name in list(EXPERIMENTS)[:6]:
        configs = EXPERIMENTS[name].configs(QUICK)
        assert len(configs) == len(QUICK_BOUNDARIES) * len(EXPERIMENTS[name].settings)
        assert [c.dataset for c in configs[:: len(EXPERIMENTS[name].settings)]] == list(
            QUICK_BOUNDARIES
        )
        for config in configs:
            per_epoch = -(-config.n_train // config.batch_size)
            steps = config.epochs * per_epoch
            assert 1 <= steps <= max(QuickMode().steps, per_epoch)  # one epoch at least
    residual = EXPERIMENTS["residual"].configs(QUICK)
    assert sorted({c.n_train for c in residual}) == [100, 1_000, 10_000, 100_000]
