"""One package per study, each split into measures (no matplotlib), figures and the experiment;
:mod:`.experiment` is the shape every experiment has.
"""
