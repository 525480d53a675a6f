"""Plain-text input (hms.core.text): what every form, serializer and service cleans."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from hms.core.text import clean_text

# Every character that draws nothing by itself.
INVISIBLE = [
    chr(cp)
    for cp in range(sys.maxunicode + 1)
    if unicodedata.category(chr(cp)) in {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"}
] + ["\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"]


@given(st.lists(st.sampled_from(INVISIBLE), min_size=1, max_size=12).map("".join))
def test_text_of_only_invisible_characters_is_refused(text):
    # when / then: refused (as invisible, or for a control character), or nothing left
    try:
        cleaned = clean_text(text)
    except ValidationError:
        return
    assert cleaned == ""


# Those allowed around text that change no letter: not controls, bidi overrides, line
# separators or combining marks.
ALLOWED_INVISIBLE = [
    c
    for c in INVISIBLE
    if unicodedata.category(c) not in {"Cc", "Zl", "Zp", "Mn", "Me"}
    and not ("\u202a" <= c <= "\u202e")
]


@given(
    st.lists(st.sampled_from(ALLOWED_INVISIBLE), max_size=3).map("".join),
    st.text(st.characters(categories=["Lu", "Ll", "Lo"]), min_size=1, max_size=8),
)
def test_a_visible_letter_among_invisible_ones_is_kept(around, letters):
    # when
    cleaned = clean_text(f"{around}{letters}{around}")

    # then
    assert unicodedata.normalize("NFC", letters) in cleaned


@pytest.mark.parametrize(
    "text", ["\u200b", "\u200d\u200c", "\u200f", "\u2060\ufeff", "\u3164", "\u00a0\u200b"]
)
def test_zero_width_and_bidi_marks_alone_are_no_text(text):
    with pytest.raises(ValidationError) as refused:
        clean_text(text)
    assert refused.value.code == "invisible"


@pytest.mark.parametrize("name", ["क्\u200dष", "\u200fعلي", "Jose\u0301", "Amina"])
def test_names_that_need_joiners_and_marks_are_kept(name):
    assert clean_text(name) == unicodedata.normalize("NFC", name)
