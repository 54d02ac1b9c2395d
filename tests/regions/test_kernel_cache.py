"""The compiled kernels' disk cache is dropped whenever any source of the package changes."""

from pathlib import Path

import pytest

from regions import kernels
from regions.kernel_cache import STAMP, cache_folder, drop_stale, keep_fresh, sources_digest


def _package(tmp_path: Path) -> Path:
    package = tmp_path / "package"
    package.mkdir()
    (package / "a.py").write_text("X = 1\n")
    (package / "b.py").write_text("Y = 2\n")
    return package


def test_digest_follows_every_module(tmp_path):
    package = _package(tmp_path)
    first = sources_digest(package)
    assert sources_digest(package) == first
    (package / "b.py").write_text("Y = 3\n")  # a module other than the kernels' own
    second = sources_digest(package)
    assert second != first
    (package / "c.py").write_text("")  # a new, empty module
    assert sources_digest(package) not in (first, second)
    (package / "notes.txt").write_text("not a module")
    assert sources_digest(package) == sources_digest(package)
    assert sources_digest(package, "regions") != sources_digest(package, "regions_base")


def _function(package: Path, module: str):
    """A function of ``package/k.py`` as if that module were imported as ``module``."""
    source = package / "k.py"
    source.write_text("def f():\n    return 1\n")
    namespace = {"__name__": module}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    return namespace["f"]


@pytest.mark.skipif(kernels.numba is None, reason="numba caches nothing without numba")
def test_a_package_imported_under_another_name_drops_its_cache(tmp_path):
    package = _package(tmp_path)
    one, two = _function(package, "one.k"), _function(package, "two.k")
    folder = cache_folder(one)
    assert folder is not None and folder == cache_folder(two)
    folder.mkdir(parents=True, exist_ok=True)
    keep_fresh(one)
    (folder / "k.f-1.py311.nbi").write_bytes(b"index")  # compiled as one.k
    keep_fresh(one)
    assert (folder / "k.f-1.py311.nbi").exists()
    keep_fresh(two)  # its code would name one.k, which two's importer may not have
    assert not (folder / "k.f-1.py311.nbi").exists()


def test_indexes_dropped_only_when_the_digest_changes(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "fused._run_loops-1.py311.nbi").write_bytes(b"index")
    (folder / "fused._run_loops-1.py311.1.nbc").write_bytes(b"code")
    assert drop_stale(folder, "one")  # no stamp: the sources are unknown
    assert not (folder / "fused._run_loops-1.py311.nbi").exists()
    assert (folder / "fused._run_loops-1.py311.1.nbc").exists()  # overwritten when recompiled
    assert (folder / STAMP).read_text() == "one"
    (folder / "kernels._plan_loops-9.py311.nbi").write_bytes(b"index")  # compiled from "one"
    assert not drop_stale(folder, "one")
    assert (folder / "kernels._plan_loops-9.py311.nbi").exists()
    assert drop_stale(folder, "two")
    assert not list(folder.glob("*.nbi"))
    assert (folder / STAMP).read_text() == "two"
    assert not list(folder.glob(f"{STAMP}.*"))  # no partial stamp left behind


def test_unwritable_folder_is_left_alone(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    assert not drop_stale(not_a_folder, "one")


@pytest.mark.skipif(kernels.numba is None, reason="numba caches nothing without numba")
def test_importing_the_kernels_stamps_their_cache():
    folder = cache_folder(kernels._plan_loops)
    assert folder is not None
    package = Path(kernels.__file__).parent
    assert (folder / STAMP).read_text() == sources_digest(package, "regions")


@pytest.mark.skipif(kernels.numba is None, reason="numba caches nothing without numba")
def test_a_numba_without_its_cache_classes_is_not_asked(monkeypatch):
    from numba.core import caching

    monkeypatch.delattr(caching, "CacheImpl", raising=False)
    monkeypatch.delattr(caching, "_CacheImpl", raising=False)
    assert cache_folder(kernels._plan_loops) is None  # no purge, and no error at import
