"""The lab around :mod:`regions`: experiments on small nets, with exact regions and figures.

Four layers, each importing only from the ones before it:

* :mod:`analysis.lab`: what every study stands on (datasets with exact boundaries, models,
  seeded and cached training, jobs, run options);
* :mod:`analysis.figures`: the figure style and the drawing primitives;
* :mod:`analysis.studies`: one package per study (measures, figures, the experiment);
* :mod:`analysis.run`: the registry, the sweep runner, publishing, the summary page and the
  command line (``python -m analysis``).

Nothing is re-exported here: import from the submodules.
"""
