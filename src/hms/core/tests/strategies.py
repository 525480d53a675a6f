"""Hypothesis strategies for hostile input, shared by the property tests of every app."""

from __future__ import annotations

from hypothesis import strategies as st

# Values of every JSON type, weighted toward what breaks parsers and validators.
hostile_text = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        [
            "",
            " ",
            "A" * 500,
            "\x00",
            "\u202e",
            "\u200fמרים",
            "e\u0301",
            "'; DROP TABLE x;--",
            "<img src=x onerror=alert(1)>",
            "2023-02-30",
            "1879-12-31",
            "+254712345678",
            "+44 20 7946 0958",
            "0712",
            "a@b",
            "amina@example.org",
        ]
    ),
)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
