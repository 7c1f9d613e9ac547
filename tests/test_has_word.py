"""``has_word`` with one compiled pattern per word list equals one search per word (Hypothesis)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.projection.readiness import has_word, normalise

TEXT = st.text(alphabet="aceé’'_ -0123ACÉpvjrdu\u0301", max_size=30)


def one_search_per_word(text: str, words: list[str]) -> bool:
    plain = normalise(text)
    return any(
        re.search(rf"(?<![a-z0-9]){re.escape(normalise(w))}(?![a-z0-9])", plain) for w in words
    )


@settings(max_examples=500, deadline=None)
@given(TEXT, st.lists(st.one_of(TEXT, st.sampled_from(("ca", "pv", "ordre du jour", "odj")))))
def test_one_pattern_equals_one_search_per_word(text: str, words: list[str]) -> None:
    assert has_word(text, words) == one_search_per_word(text, words)
