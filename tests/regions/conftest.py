import sys
from pathlib import Path

# The shared checks live beside the tests; make them importable under importlib mode.
sys.path.insert(0, str(Path(__file__).parent))
