"""The lab around :mod:`regions`: experiments on small nets, with exact regions and figures.

Five layers, each importing only from the ones before it:

* :mod:`analysis.lab`: what every study stands on (datasets with exact boundaries, models,
  seeded and cached training, jobs, run options);
* :mod:`analysis.figures`: the figure style and the drawing primitives;
* :mod:`analysis.explorer`: any net's exact regions as one interactive HTML page;
* :mod:`analysis.studies`: one package per study (measures, figures, the experiment);
* :mod:`analysis.run`: the registry, the sweep runner, publishing, the summary page and the
  command line (``python -m analysis``).

One function is re-exported: :func:`analysis.explorer.explore` as ``analysis.explore``
(imported on first use, so ``import analysis`` stays light). For everything else import
from the submodules.

>>> import analysis
>>> analysis.explore.__module__
'analysis.explorer'
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "explore":
        from analysis.explorer import explore

        return explore
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
