"""The lab around :mod:`regions`: experiments on small nets, with exact regions and figures.

Four layers, each importing only from the ones before it:

* :mod:`analysis.lab`: what every study stands on (datasets with exact boundaries, models,
  seeded and cached training, jobs, run options);
* :mod:`analysis.figures`: the figure style and the drawing primitives;
* :mod:`analysis.studies`: one package per study (measures, figures, the experiment);
* :mod:`analysis.run`: the registry, the sweep runner, publishing, the summary page and the
  command line (``python -m analysis``).

Besides :mod:`analysis.explorer`, which writes an interactive page of any net's exact
regions; its one function is also ``analysis.explore`` (imported on first use, so
``import analysis`` stays light). Nothing else is re-exported here: import from the
submodules.

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
