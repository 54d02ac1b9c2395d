"""Running sweeps on a Dask distributed cluster: ``reproduce --scheduler ADDRESS``.

Needs the ``cluster`` extra (``pip install -e ".[cluster]"``: ``dask[distributed]``). Workers
compute jobs and render figures; the client (the machine running ``reproduce``) writes every
result file, figure and manifest, so results, resuming and outputs are those of a local run.
Workers train through the model cache folder, so it must be on a file system they share with
the client (as on most SLURM clusters; on Kubernetes, a shared volume).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

__all__ = ["dask_executor"]


@contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor on the Dask scheduler at ``address``.

    Parameters
    ----------
    address : str
        The scheduler's address, e.g. ``tcp://10.0.0.5:8786``.

    Yields
    ------
    Executor
        Its futures are :class:`concurrent.futures.Future` s; the client is closed on exit.

    Raises
    ------
    ImportError
        When ``dask.distributed`` is not installed, saying how to install it.
    """
    try:
        # An optional dependency: only a cluster run needs it.
        from distributed import Client
    except ImportError as err:
        raise ImportError(
            "--scheduler needs dask.distributed: pip install 'relu-regions[cluster]'"
        ) from err
    client = Client(address)
    try:
        yield client.get_executor()
    finally:
        client.close()
