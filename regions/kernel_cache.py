"""The compiled kernels' disk cache, kept in step with the whole package's sources.

numba keys a function's cached machine code to its own source file only, while the compiled
cut loop (:mod:`regions.fused`) is built from kernels, constants and bounds of five other
modules: after an edit to one of them (a ``git pull`` into an editable install, say) it
would go on running the old code. :func:`keep_fresh` keeps a digest of every module of the
package beside the cache and, when it changes, deletes the cache's indexes, so that every
kernel compiles afresh on its next first call. The digest includes the name the package is
imported under: cached code names the modules it was compiled in, and loading it under
another name (a copy imported as ``regions_base`` by ``benchmarks/bench_against.py``, then as
``regions``) failed in numba with ``ModuleNotFoundError``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["STAMP", "cache_folder", "drop_stale", "keep_fresh", "sources_digest"]

STAMP = "regions-sources.digest"
"""The file, in the cache folder, holding the digest the cached code was compiled from."""


def keep_fresh(func: Callable) -> None:
    """:func:`drop_stale` for the folder numba caches ``func`` in, against the digest of the
    package ``func`` is defined in; to be called before any compiled function is first called."""
    folder = cache_folder(func)
    if folder is not None:
        name = func.__module__.rpartition(".")[0]
        drop_stale(folder, sources_digest(Path(func.__code__.co_filename).parent, name))


def sources_digest(package: Path, name: str = "") -> str:
    """A digest (hex) of the import ``name`` of ``package`` and every ``.py`` file of it,
    names and contents."""
    digest = hashlib.sha256(name.encode() + b"\0")
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_folder(func: Callable) -> Path | None:
    """Where numba caches ``func``'s compiled code (its own order of places: a user-given
    folder, beside the source, a user-wide one), or None where it would not cache, or where
    this numba does not say (its cache classes are internal, and were renamed once)."""
    from numba.core import caching  # numba's own choice of folder, not a guess of ours

    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    source = func.__code__.co_filename
    for locator in getattr(impl, "_locator_classes", ()):
        found = locator.from_function(func, source)
        if found is not None:
            return Path(found.get_cache_path())
    return None


def drop_stale(folder: Path, digest: str) -> bool:
    """Delete the cache indexes (``*.nbi``) in ``folder`` unless its stamp holds ``digest``,
    then write it; returns whether anything was dropped. Best effort: where the folder cannot
    be written (numba caches nothing there either), it returns False and the next import
    tries again."""
    stamp = folder / STAMP
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass  # no stamp yet: whatever is cached is of unknown sources
    try:
        dropped = False
        for index in folder.glob("*.nbi"):
            index.unlink(missing_ok=True)
            dropped = True
        partial = folder / f"{STAMP}.{os.getpid()}"
        partial.write_text(digest)
        partial.replace(stamp)  # atomic: concurrent imports see one stamp or the other
    except OSError:
        return False
    return dropped
