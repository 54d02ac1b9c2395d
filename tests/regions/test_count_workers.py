"""``regions.count(..., workers=k)``: strips decomposed in worker processes give the same exact
count, errors come back as they are, and the pool leaves nothing behind."""

from __future__ import annotations

import time

import pytest
from test_count_pieces import across
from threadpoolctl import threadpool_info

import regions
from regions.counting import _one_blas_thread
from regions.testing import mlp
from regions.workers import process_pool


def test_workers_give_the_count():
    assert regions.count(across(4), (0, 1, 0, 1), pieces=3, workers=2) == 16
    net = mlp(12, 3, "he+bias", seed=4)
    whole = len(regions.decompose(net, (-2, 2, -2, 2)))
    assert regions.count(net, (-2, 2, -2, 2), pieces=5, workers=2) == whole


def test_workers_run_blas_in_one_thread():
    with process_pool(1, _one_blas_thread) as pool:
        info = pool.submit(threadpool_info).result()
    blas = [lib for lib in info if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)


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


def test_an_error_in_the_pool_ends_its_workers_at_once():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="stop"), process_pool(2) as pool:
        futures = [pool.submit(time.sleep, 60) for _ in range(2)]
        while not all(future.running() for future in futures):
            time.sleep(0.05)
        workers = list(pool._processes.values())
        raise RuntimeError("stop")
    assert len(workers) == 2 and not any(worker.is_alive() for worker in workers)
    assert time.monotonic() - start < 30
