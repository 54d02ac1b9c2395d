"""The lab around :mod:`regions`: datasets with exact boundaries, models, cached training,
and the plots and experiments built on them.

Import from the submodules: :mod:`analysis.data` (datasets and true boundaries),
:mod:`analysis.models` (the MLP builder), :mod:`analysis.train` (deterministic cached
training) and :mod:`analysis.cache` (the on-disk format). Nothing is re-exported here, so that
importing a light submodule does not pull in torch and no function shadows a submodule
(``analysis.train`` is the module, ``analysis.train.train`` the function).
"""
