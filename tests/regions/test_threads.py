"""``regions.threads``: long loops over chunks of regions in threads, with BLAS in one thread
meanwhile, give the same partitions bit for bit as one thread."""

from __future__ import annotations

import os
import select
import signal
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from test_compensated import maps_in
from test_kernels import same_partition
from threadpoolctl import threadpool_info

from regions import map_kernels, region_maps, testing, threads


def blas_threads() -> list[int]:
    """BLAS's threads now, per library."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def _runs(n: int, step: int) -> list[tuple[int, int, int]]:
    def run(lo: int, hi: int) -> tuple[int, int, int]:
        time.sleep(0.05)  # every run busy at once, so each has its own thread
        return lo, hi, threading.get_ident()

    return threads.over_chunks(n, step, run)


def test_runs_cover_the_items_in_whole_chunks(monkeypatch):
    monkeypatch.setattr(threads, "THREADS", 3)
    runs = _runs(100, 4)  # 25 chunks of 4: 8, 8 and 9 chunks
    assert [(lo, hi) for lo, hi, _ in runs] == [(0, 32), (32, 64), (64, 100)]
    assert len({thread for _, _, thread in runs}) == 3
    assert runs[0][2] == threading.get_ident()  # the caller takes the first run
    assert [(lo, hi) for lo, hi, _ in _runs(100, 7)] == [(0, 100)]  # 15 chunks: too few
    elsewhere: list = []  # from any thread but the main one: in that thread
    other = threading.Thread(target=lambda: elsewhere.extend(_runs(100, 4)))
    other.start()
    other.join()
    assert [(lo, hi) for lo, hi, _ in elsewhere] == [(0, 100)]
    monkeypatch.setattr(threads, "THREADS", 1)
    assert [(lo, hi) for lo, hi, _ in _runs(100, 4)] == [(0, 100)]


def test_a_forked_child_starts_threads_of_its_own(monkeypatch):
    monkeypatch.setattr(threads, "THREADS", 2)
    assert len({thread for _, _, thread in _runs(100, 4)}) == 2  # the parent's pool exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its runs must finish (the inherited pool has no threads)
        try:
            os.write(write, str(len(_runs(100, 4))).encode())
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 30)
    got = os.read(read, 16) if ready else b"timed out"
    if not ready:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(read)
    assert got == b"2"


def test_an_error_in_a_run_reaches_the_caller_once_every_run_ended(monkeypatch):
    monkeypatch.setattr(threads, "THREADS", 3)
    ended = []

    def run(lo: int, hi: int) -> None:
        if lo == 32:
            raise RuntimeError("run 2")
        time.sleep(0.2)
        ended.append(lo)

    with pytest.raises(RuntimeError, match="run 2"):
        threads.over_chunks(100, 4, run)
    assert sorted(ended) == [0, 64]


def _block_elsewhere(depths: list[int]) -> None:
    with threads.one_blas_thread():
        depths.append(threads._blas["depth"])


def test_blas_runs_in_one_thread_inside_nested_blocks_of_the_main_thread():
    before, inside, depths = blas_threads(), [], []
    with threads.one_blas_thread():
        with threads.one_blas_thread():
            inside.append(blas_threads())
        inside.append(blas_threads())  # still inside the outer block
        other = threading.Thread(target=_block_elsewhere, args=(depths,))
        other.start()
        other.join()
    assert before and all(set(blas) == {1} for blas in inside)
    assert depths == [1]  # another thread's block is not counted (OpenBLAS would ignore it)
    assert blas_threads() == before


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_thread_cap_is_refused(monkeypatch, value):
    monkeypatch.setenv("REGIONS_THREADS", value)
    with pytest.raises(ValueError, match="REGIONS_THREADS must be an integer >= 1"):
        threads._threads()
    monkeypatch.setenv("REGIONS_THREADS", "1")
    assert threads._threads() == 1


@settings(max_examples=25, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3), max_layers=4, max_width=8))
def test_partitions_are_the_same_in_any_number_of_threads(case):
    with maps_in(double=True), pytest.MonkeyPatch.context() as patch:
        # Chunks of a region or two, every loop in threads.
        patch.setattr(region_maps, "COMPENSATED_CHUNK", 16)
        patch.setattr(map_kernels, "EVALUATE_CHUNK", 16)
        patch.setattr(threads, "MIN_CHUNKS", 1)
        patch.setattr(threads, "THREADS", 1)
        one = case.decompose()
        patch.setattr(threads, "THREADS", 3)
        three = case.decompose()
    assert one.cut_state.output.lo is not None
    same_partition(one, three)
    # The threads' extremes, merged, are the loop's: the per-unit bounds read them.
    for name in ("_extremes", "_lo_extremes"):
        x, y = getattr(one.cut_state.output, name), getattr(three.cut_state.output, name)
        for a, b in zip(x, y, strict=True):
            np.testing.assert_array_equal(a, b, strict=True)


class _Library:
    """A BLAS library's controller; with ``fails``, its first ``set_num_threads`` is
    interrupted (a Ctrl-C)."""

    def __init__(self, fails: bool) -> None:
        self.threads, self.fails = 4, fails

    def get_num_threads(self) -> int:
        return self.threads

    def set_num_threads(self, n: int) -> None:
        if self.fails:
            self.fails = False
            raise KeyboardInterrupt
        self.threads = n


def test_a_ctrl_c_while_blas_is_being_limited_restores_it(monkeypatch) -> None:
    """A Ctrl-C after one library was set to one thread and before the block was entered left
    it there (and, a moment later, the depth at 1, so that no later block restored it)."""
    libs = [_Library(fails=False), _Library(fails=True)]
    monkeypatch.setitem(threads._blas, "libraries", libs)
    with pytest.raises(KeyboardInterrupt), threads.one_blas_thread():
        pass
    assert [lib.threads for lib in libs] == [4, 4]
    assert threads._blas["depth"] == 0
