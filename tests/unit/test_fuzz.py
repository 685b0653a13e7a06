"""Property-based fuzzing of every parser (hypothesis): no input makes one raise, and an input
four times as long costs at most about four times the steps. Capped to stay within a minute or
two; ``bench/fuzz.py`` runs the same properties for longer and prints its count."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fuzz import PARSERS, SNIPPETS, steps, texts

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_no_input_makes_a_parser_raise(name: str):
    parse = PARSERS[name]

    @QUICK
    @given(texts())
    def never_raises(text: str) -> None:
        parse(text)

    never_raises()


@pytest.mark.parametrize(
    "name", sorted(set(PARSERS) - {"bibtex", "curriculum", "result record", "declaration"})
)
def test_a_longer_input_costs_proportionally_more(name: str):
    """Any snippet repeated 600 and 2,400 times: quadratic growth would cost 16x the steps."""
    parse = PARSERS[name]

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.sampled_from(SNIPPETS), min_size=2, max_size=6).map("".join))
    def linear(snippet: str) -> None:
        small, large = steps(parse, snippet * 600), steps(parse, snippet * 2_400)
        assert large <= 6 * small + 2_000, (snippet, small, large)

    linear()
