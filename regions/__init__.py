"""relu-regions: exact linear regions of piecewise-linear torch models over 2D domains.

>>> import regions
>>> part = regions.decompose(model)          # doctest: +SKIP
>>> len(part), part.areas.sum()              # doctest: +SKIP

The core never imports matplotlib; drawing lives in :mod:`analysis`.
"""

from .allocator import keep_freed_memory
from .arrangement import arrangement_cells, distinct_lines
from .breakpoints import Breakpoints, renamed_class
from .certify import CertificationError, CertificationReport, certify
from .counting import count
from .decompose import DEFAULT_MAX_REGIONS, DEFAULT_TOL, decompose
from .domain import DEFAULT_BOX, Domain, Plane
from .errors import (
    DomainError,
    EvalSemanticsWarning,
    InvalidArgumentError,
    InvalidModelError,
    NotPiecewiseLinearError,
    RegionsError,
    TooManyRegionsError,
    TraceMismatchError,
    UnsupportedModelError,
)
from .line import DEFAULT_MAX_PIECES, LinePieces, decompose_line, decompose_lines
from .local import local_counts, local_density
from .network import Network
from .partition import (
    Adjacency,
    Boundaries,
    DecisionBoundary,
    LinearRegions,
    Partition,
)
from .tracing import is_piecewise_linear, trace

__all__ = [
    "DEFAULT_BOX",
    "DEFAULT_MAX_PIECES",
    "DEFAULT_MAX_REGIONS",
    "DEFAULT_TOL",
    "Adjacency",
    "Boundaries",
    "Breakpoints",
    "CertificationError",
    "CertificationReport",
    "DecisionBoundary",
    "Domain",
    "DomainError",
    "EvalSemanticsWarning",
    "InvalidArgumentError",
    "InvalidModelError",
    "LinePieces",
    "LinearRegions",
    "Network",
    "NotPiecewiseLinearError",
    "Partition",
    "Plane",
    "RegionsError",
    "TooManyRegionsError",
    "TraceMismatchError",
    "UnsupportedModelError",
    "arrangement_cells",
    "certify",
    "count",
    "decompose",
    "decompose_line",
    "decompose_lines",
    "distinct_lines",
    "is_piecewise_linear",
    "keep_freed_memory",
    "local_counts",
    "local_density",
    "trace",
]


def __getattr__(name: str) -> type[Breakpoints]:
    return renamed_class(__name__, name)  # ``regions.Switches``, deprecated
