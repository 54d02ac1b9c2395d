"""``regions.count(..., workers=k)``: strips decomposed in threads at once give the same exact
count, with BLAS in one thread meanwhile, and errors come back as they are, the strips still
running stopped first."""

from __future__ import annotations

import signal
import threading
import time
from functools import cache

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


@cache
def long_strips() -> tuple[regions.Network, tuple[float, float, float, float]]:
    """A deep net and a box whose strips (pieces=2) take seconds each (some 5 s on a 2-core
    Xeon), with every compiled kernel they use ready: compiling one in a strip could not be
    stopped (a deep net with double-float maps, 0.1 s once compiled)."""
    regions.decompose(mlp(16, 32, "he+default-bias", seed=0), (-0.1, 0.1, -0.1, 0.1))
    return regions.trace(mlp(64, 32, "he+default-bias", seed=0)), (-0.375, -0.025, -3.0, 3.0)


def count_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("regions.count")]


def outcomes(monkeypatch) -> list[str]:
    """How each strip's decomposition ended ("done", or the exception's name), as they end."""
    seen, decompose = [], counting._decompose

    def watched(*args, **kwargs):
        try:
            part = decompose(*args, **kwargs)
        except BaseException as err:
            seen.append(type(err).__name__)
            raise
        seen.append("done")
        return part

    monkeypatch.setattr(counting, "_decompose", watched)
    return seen


def test_a_failing_strip_stops_the_running_ones(monkeypatch):
    net, box = long_strips()
    strip, ended = counting._strip, outcomes(monkeypatch)

    def first_fails(net, bounds, **kwargs):
        if bounds[0] == box[0]:
            time.sleep(0.3)  # the other strip is well under way
            raise regions.TooManyRegionsError("too many in the first strip")
        return strip(net, bounds, **kwargs)

    monkeypatch.setattr(counting, "_strip", first_fails)
    with pytest.raises(regions.TooManyRegionsError, match="the first strip"):
        regions.count(net, box, pieces=2, workers=2)
    # The other strip was stopped (not run to its end, seconds later), and its thread ended
    # before the error came back.
    assert ended == ["_Cancelled"]
    assert not count_threads()


def test_a_ctrl_c_stops_the_running_strips(monkeypatch):
    assert threading.current_thread() is threading.main_thread()  # a Ctrl-C reaches it only
    net, box = long_strips()
    before, ended = blas_threads(), outcomes(monkeypatch)
    main = threading.main_thread().ident
    ctrl_c = threading.Timer(0.5, signal.pthread_kill, (main, signal.SIGINT))
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # a Ctrl-C raises
    try:
        ctrl_c.start()
        with pytest.raises(KeyboardInterrupt):
            regions.count(net, box, pieces=2, workers=2)
    finally:
        ctrl_c.cancel()
        ctrl_c.join()
        signal.signal(signal.SIGINT, handler)
    # Both strips were stopped (not run to their end, seconds later), their threads ended
    # before the Ctrl-C came back, and BLAS has its threads again.
    assert ended == ["_Cancelled", "_Cancelled"]
    assert not count_threads()
    assert blas_threads() == before
