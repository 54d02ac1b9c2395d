"""``--campaign N``: every property test random and N times as long, for searching by hand.

In CI the property tests draw the same examples every run (most are ``derandomize=True``), so
a result never depends on luck. That also means they never look anywhere new. A campaign runs
each hypothesis test with N times its examples, drawn from ``--hypothesis-seed`` (or afresh),
without the example database and without shrinking (the checks name what failed; shrinking an
exact check's failure takes minutes)::

    python -m pytest tests/regions -q -x -p no:randomly --campaign 3 --hypothesis-seed 11

Run with several seeds. The first campaigns (2026-12-06) found a bug, a tiny non-convex
domain far from the origin clipped to no region at all
(``test_tiny_non_convex_domain_far_out_keeps_its_regions``), and two checks stricter than
float64 allows: cut vertices farther off a slanted domain edge than the tiling check allowed,
though within their own distance bounds
(``test_line_at_a_shallow_angle_to_a_slanted_edge_far_out``), and a line's output map off by
more than the check allowed where a duplicated unit's large terms cancel
(``test_output_map_where_a_duplicated_unit_cancels``).
Hypothesis has no public way to override a test's own ``@settings``: this replaces the
settings object it keeps on the test (``_hypothesis_internal_use_settings``), which a later
hypothesis may rename; ``test_campaign_option`` would then fail.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

_KEPT = "_hypothesis_internal_use_settings"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--campaign",
        type=int,
        default=0,
        metavar="N",
        help="run every hypothesis test with N times its examples, randomly drawn",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    times = config.getoption("--campaign")
    if times <= 0:
        return
    for item in items:
        test = getattr(item, "obj", None)
        test = getattr(test, "__func__", test)  # a test method's function
        own = getattr(test, _KEPT, None)
        if own is None or getattr(test, "hypothesis", None) is None:
            continue
        setattr(
            test,
            _KEPT,
            settings(
                own,
                max_examples=own.max_examples * times,
                derandomize=False,
                database=None,
                deadline=None,
                phases=(Phase.explicit, Phase.reuse, Phase.generate),
            ),
        )
