"""Running the studies: the registry, the sweep runner (local or Dask), publishing, the
summary page and the command line.
"""
