"""``regions.keep_freed_memory``: glibc keeps freed pages for the next decomposition, which then
takes (almost) no page faults; elsewhere it changes nothing and says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import regions
from regions import allocator

FAULTS = """
import resource, sys
import regions
from regions.testing import mlp
if sys.argv[1] == "keep":
    assert regions.keep_freed_memory()
net = regions.trace(mlp(32, 3, "default", 0))
for _ in range(5):
    regions.decompose(net, (-1, 1, -1, 1))
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    regions.decompose(net, (-1, 1, -1, 1))
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def faults_per_decomposition(mode: str) -> float:
    """Page faults of a 2-32x3-1 decomposition after five, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", FAULTS, mode], capture_output=True, text=True, env=env, check=True
    )
    return float(done.stdout)


@pytest.mark.skipif(allocator._glibc() is None, reason="glibc's allocator only")
def test_freed_pages_are_reused():
    default, kept = faults_per_decomposition("default"), faults_per_decomposition("keep")
    assert kept <= max(5.0, default / 20), (default, kept)


def test_bad_settings_are_refused():
    with pytest.raises(regions.InvalidArgumentError, match="map_above must be in 0..33554432"):
        regions.keep_freed_memory(64 << 20)
    with pytest.raises(regions.InvalidArgumentError, match="keep must be in"):
        regions.keep_freed_memory(keep=-1)
    with pytest.raises(regions.InvalidArgumentError, match="keep must be in"):
        regions.keep_freed_memory(keep=1.5e8)


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator._glibc() is None
    assert regions.keep_freed_memory() is False
