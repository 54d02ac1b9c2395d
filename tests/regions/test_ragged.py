"""Ragged-array helpers (:mod:`regions.ragged`): ``positions`` is ``expand``'s index."""

from __future__ import annotations

import numpy as np

from regions.ragged import expand, positions


def test_positions_are_the_index_of_expand():
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 200):
        lengths = rng.integers(0, 6, size=n)  # empty segments too
        first = rng.integers(0, 1000, size=n)
        index, _, _ = expand(first, lengths)
        got = positions(first, lengths)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, index, strict=True)
