"""relu-regions: exact linear regions of piecewise-linear torch models over 2D domains.

>>> import regions
>>> part = regions.decompose(model)          # doctest: +SKIP
>>> len(part), part.areas.sum()              # doctest: +SKIP

The core never imports matplotlib; drawing lives in :mod:`analysis`.
"""

from .decompose import DEFAULT_MAX_REGIONS, DEFAULT_TOL, count, decompose
from .domain import DEFAULT_BOX, Domain, Plane
from .errors import (
    DomainError,
    EvalSemanticsWarning,
    InvalidModelError,
    NotPiecewiseLinearError,
    RegionsError,
    TooManyRegionsError,
    UnsupportedModelError,
)
from .local import local_counts, local_density
from .network import Network, is_piecewise_linear, trace
from .partition import (
    Adjacency,
    Boundaries,
    DecisionBoundary,
    LinearRegions,
    Partition,
    Switches,
)

__all__ = [
    "DEFAULT_BOX",
    "DEFAULT_MAX_REGIONS",
    "DEFAULT_TOL",
    "Adjacency",
    "Boundaries",
    "DecisionBoundary",
    "Domain",
    "DomainError",
    "EvalSemanticsWarning",
    "InvalidModelError",
    "LinearRegions",
    "Network",
    "NotPiecewiseLinearError",
    "Partition",
    "Plane",
    "RegionsError",
    "Switches",
    "TooManyRegionsError",
    "UnsupportedModelError",
    "count",
    "decompose",
    "is_piecewise_linear",
    "local_counts",
    "local_density",
    "trace",
]
