"""Depth against width: exact counts at matched budgets against the theoretical bounds."""
