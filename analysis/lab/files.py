"""Atomic file writes: a reader never sees a half-written cache entry, result or figure.

Everything is written to a temporary file in the target's directory, flushed to disk and then
renamed over the target (``os.replace`` is atomic on POSIX and Windows). The file gets the mode a
plain ``open()`` would create it with, ``0o666`` less the umask, so outputs can be served and a
cache shared as the umask allows.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "atomic_write_text", "remove_partial"]

_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (4.7 and later).

    Elsewhere it is set and restored, which is only safe against threads of this module
    (another thread creating a file in between would get the temporary mask).
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(fh)`` on a binary temporary file, then move it to ``path``.

    The parent directory is created if missing; on any error the temporary file is removed
    and ``path`` is left as it was.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file. The temporary file ``.<name>.*.tmp`` lives in the same directory,
        so the final rename never crosses file systems.
    write : callable
        ``write(fh)`` writes the whole content to the binary file object ``fh``; whatever it
        returns is ignored. An exception it raises propagates after the clean-up.

    Returns
    -------
    Path
        ``path``, as a :class:`pathlib.Path`, with mode ``0o666`` less the umask (as
        ``open(path, "w")`` creates files; :func:`tempfile.mkstemp` alone gives ``0o600``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.lab.files import atomic_write
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = atomic_write(Path(tmp) / "sub" / "data.bin", lambda fh: fh.write(b"abc"))
    ...     print(target.name, target.read_bytes(), sorted(p.name for p in target.parent.iterdir()))
    data.bin b'abc' ['data.bin']

    A failing writer leaves an existing file untouched and no temporary file behind:

    >>> def broken(fh):
    ...     fh.write(b"half")
    ...     raise RuntimeError("disk on fire")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = atomic_write(Path(tmp) / "data.bin", lambda fh: fh.write(b"old"))
    ...     try:
    ...         atomic_write(target, broken)
    ...     except RuntimeError as err:
    ...         print(err)
    ...     print(target.read_bytes(), len(list(Path(tmp).iterdir())))
    disk on fire
    b'old' 1
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _WRITING.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, 0o666 & ~_umask())
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        _WRITING.discard(tmp)
    return path


_WRITING: set[str] = set()
"""The temporary files of this process's writes in progress (see :func:`remove_partial`)."""


def remove_partial() -> None:
    """Remove the temporary files of the writes in progress, for a process about to end
    without unwinding (a pool worker terminated by SIGTERM runs no ``except`` clause): they
    would be left in the cache for good."""
    for tmp in list(_WRITING):
        Path(tmp).unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; its parent directory is created if missing.
    text : str
        Content, encoded as UTF-8 without any newline translation.

    Returns
    -------
    Path
        ``path``, as a :class:`pathlib.Path`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.lab.files import atomic_write_text
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = atomic_write_text(Path(tmp) / "note.txt", "área = 16")
    ...     print(target.read_text(encoding="utf-8"))
    ...     print(target.stat().st_size)  # "á" takes two bytes in UTF-8
    área = 16
    10
    """
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))
