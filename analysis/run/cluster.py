"""Running sweeps on a Dask distributed cluster: ``reproduce --scheduler ADDRESS``.

Needs the ``cluster`` extra (``pip install -e ".[cluster]"``: ``dask[distributed]``). Workers
compute jobs and render figures; the client (the machine running ``reproduce``) writes every
result file, figure and manifest, so results, resuming and outputs are those of a local run.
Workers train through the model cache folder, so it must be on a file system they share with
the client (as on most SLURM clusters; on Kubernetes, a shared volume).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

__all__ = ["SCHEMES", "address_problem", "dask_executor"]

SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
"""The network protocols of Dask scheduler addresses (``tcp`` when none is named)."""

_ADDRESS = re.compile(
    r"(?:(?P<scheme>[A-Za-z]+)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):(?P<port>\d+)"
)


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot name a Dask scheduler, or None: checked before anything starts.

    Parameters
    ----------
    address : str
        ``[SCHEME://]HOST:PORT``, SCHEME one of :data:`SCHEMES`.

    Returns
    -------
    str or None
        The reason (a malformed address, or ``dask.distributed`` not installed), else None.

    Examples
    --------
    >>> from analysis.run.cluster import address_problem
    >>> address_problem("tcp://10.0.0.5:8786") is None, address_problem("[::1]:8786") is None
    (True, True)
    >>> print(address_problem("garbage"))
    'garbage' is not a scheduler address: expected [SCHEME://]HOST:PORT, e.g. tcp://10.0.0.5:8786
    >>> print(address_problem("http://host:80"))
    unknown protocol 'http' in 'http://host:80'; use one of tcp, tls, ws, wss, ucx
    """
    match = _ADDRESS.fullmatch(address)
    if match is None:
        return (
            f"{address!r} is not a scheduler address: expected [SCHEME://]HOST:PORT, "
            "e.g. tcp://10.0.0.5:8786"
        )
    scheme = (match["scheme"] or "tcp").lower()
    if scheme not in SCHEMES:
        return f"unknown protocol {scheme!r} in {address!r}; use one of {', '.join(SCHEMES)}"
    if not 0 < int(match["port"]) < 65536:
        return f"port {match['port']} of {address!r} is not in 1..65535"
    if importlib.util.find_spec("distributed") is None:
        return "needs dask.distributed: pip install 'relu-regions[cluster]'"
    return None


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
    ConnectionError
        When the scheduler cannot be reached within Dask's connect timeout
        (``distributed.comm.timeouts.connect``, 30 s by default), naming the address.
    ValueError
        When ``address`` is malformed (see :func:`address_problem`).
    """
    try:
        # An optional dependency: only a cluster run needs it.
        from distributed import Client
    except ImportError as err:
        raise ImportError(
            "--scheduler needs dask.distributed: pip install 'relu-regions[cluster]'"
        ) from err
    problem = address_problem(address)
    if problem is not None:
        raise ValueError(f"dask_executor: {problem}")
    try:
        client = Client(address)
    except OSError as err:  # distributed raises OSError on a timeout or a refusal
        raise ConnectionError(f"cannot reach the Dask scheduler at {address}: {err}") from err
    try:
        yield client.get_executor()
    finally:
        client.close()
