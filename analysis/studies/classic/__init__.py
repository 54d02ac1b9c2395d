"""The classic 2D experiments: activation, depth, width, dropout, batch norm, residual skips."""
