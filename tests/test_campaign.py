"""The ``--campaign`` option of ``tests/conftest.py`` reaches a test's own settings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st


def _conftest():
    spec = importlib.util.spec_from_file_location(
        "campaign", Path(__file__).with_name("conftest.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Config:
    def __init__(self, times: int) -> None:
        self.times = times

    def getoption(self, name: str) -> int:
        assert name == "--campaign"
        return self.times


def _probe():
    calls = []

    @settings(max_examples=5, derandomize=True, database=None)
    @given(st.integers())
    def probe(x):
        calls.append(x)

    return probe, SimpleNamespace(obj=probe), calls


def test_campaign_option():
    conftest = _conftest()
    probe, item, calls = _probe()
    conftest.pytest_collection_modifyitems(_Config(3), [item])
    probe()
    assert len(calls) > 10  # three times its five examples, not five
    first = list(calls)
    calls.clear()
    probe()
    assert calls != first  # drawn afresh, not derandomized


def test_without_the_option_nothing_changes():
    conftest = _conftest()
    probe, item, calls = _probe()
    conftest.pytest_collection_modifyitems(_Config(0), [item])
    probe()
    first = list(calls)
    calls.clear()
    probe()
    assert len(first) <= 5 and calls == first
