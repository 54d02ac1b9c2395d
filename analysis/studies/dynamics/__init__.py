"""Training dynamics: exact regions and local complexity over training, and animations."""
