"""``regions.count(..., workers=k)``: strips decomposed in threads at once give the same exact
count, with BLAS in one thread meanwhile, and errors come back as they are."""

from __future__ import annotations

import threading
import time

import pytest
from test_count_pieces import across
from test_threads import blas_threads

import regions
from regions import counting
from regions.testing import mlp


def test_workers_give_the_count():
    assert regions.count(across(4), (0, 1, 0, 1), pieces=3, workers=2) == 16
    net = mlp(12, 3, "he+bias", seed=4)
    whole = len(regions.decompose(net, (-2, 2, -2, 2)))
    assert regions.count(net, (-2, 2, -2, 2), pieces=5, workers=3) == whole


def test_workers_run_strips_at_once_with_blas_in_one_thread(monkeypatch):
    strip, seen = counting._strip, []

    def watched(*args, **kwargs):
        seen.append((threading.get_ident(), blas_threads()))
        time.sleep(0.2)  # long enough that every worker takes a strip
        return strip(*args, **kwargs)

    before = blas_threads()
    monkeypatch.setattr(counting, "_strip", watched)
    assert regions.count(across(3), (0, 1, 0, 1), pieces=4, workers=2) == 8
    assert len(seen) == 4 and len({thread for thread, _ in seen}) == 2
    assert all(blas and set(blas) == {1} for _, blas in seen)
    assert blas_threads() == before  # restored


def test_bad_workers_and_errors_in_workers():
    model = across(2)
    with pytest.raises(regions.InvalidArgumentError, match="workers=3 is more than pieces=2"):
        regions.count(model, (0, 1, 0, 1), pieces=2, workers=3)
    for bad in (0, 1.5, "2", None):
        with pytest.raises(regions.InvalidArgumentError, match="count: workers must be in"):
            regions.count(model, (0, 1, 0, 1), pieces=2, workers=bad)
    # Raised in a worker, it reaches the caller as the same error.
    with pytest.raises(regions.TooManyRegionsError, match="max_regions=3"):
        regions.count(across(4), (0, 1, 0, 1), pieces=2, workers=2, max_regions=3)
