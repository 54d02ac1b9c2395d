"""``python -m analysis``: see :mod:`analysis.run.cli`."""

from analysis.run.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
