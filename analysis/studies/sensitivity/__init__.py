"""Per-layer sensitivity: weight perturbation, re-initialisation and gradient flow."""
