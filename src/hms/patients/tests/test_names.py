"""Name folding, search keys and the reading of a search box's text (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.core.names import fold, tokens
from hms.patients import search
from hms.patients.names import search_name


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("José", "jose"),
        ("JOSÉ", "jose"),
        ("Müller", "muller"),
        ("Groß", "gross"),
        ("Søren", "soren"),
        ("Łukasz", "lukasz"),
        ("Yıldız", "yildiz"),
        ("İstanbul", "istanbul"),
        ("Nguyễn", "nguyen"),
        ("Ærø", "aero"),
        ("ﬁona", "fiona"),  # the "fi" ligature
        ("Zoë", "zoe"),
    ],
)
def test_fold_drops_accents_and_case(typed, folded):
    assert fold(typed) == folded


def test_fold_keeps_other_scripts_and_drops_their_vowel_points():
    assert fold("مُحَمَّد") == "محمد"
    assert fold("أحمد") == "احمد"  # hamza on alif is a mark
    assert fold("فاطمة") == "فاطمه"  # taa marbuta spelled as haa
    assert fold("علـــي") == "علي"  # tatweel stretches, it is not a letter
    assert fold("דָּוִד") == "דוד"
    assert fold("Дмитрий") == "дмитрии"
    assert fold("王小明") == "王小明"


def test_fold_drops_bidi_marks_and_zero_width_characters():
    assert fold("\u200fعلي\u200e") == "علي"
    assert fold("Jo\u200bhn") == "john"


def test_tokens_split_on_spaces_hyphens_apostrophes_and_dots():
    assert tokens("Mary-Jane O'Brien St. John") == ["mary", "jane", "o", "brien", "st", "john"]
    assert tokens("  ") == []


def test_search_name_joins_folded_words_of_every_part():
    assert search_name("José", "", "Peña-García") == "jose pena garcia"
    assert len(search_name("a" * 500)) == 410


def test_name_keys_hold_a_word_key_per_word_with_the_whole_name():
    keys = search.name_keys("john smith")

    assert "tjohn john smith " in keys
    assert "tsmith john smith " in keys
    assert "mSM0" in keys  # Metaphone of smith
    assert {"pj", "pjo", "pjoh", "pjohn"} <= keys  # prefix keys other lookups use
    assert "djhn" in keys  # one letter deleted


def test_query_keys_meet_name_keys_despite_one_typo():
    stored = search.name_keys("john smith")

    assert search.query_keys("smtih") & stored
    assert search.query_keys("jonh") & stored
    assert not search.query_keys("kamau") & stored


def test_word_ranges_bound_exact_and_prefix_matches():
    key = search.word_key("smith", "john smith")
    low, high = search.word_range("smi")
    exact_low, exact_high = search.exact_word_range("smith")

    assert low <= key < high
    assert exact_low <= key < exact_high
    assert not exact_low <= search.word_key("smithson", "ann smithson") < exact_high
    # exact words sort before longer words that start the same way
    assert key < search.word_key("smithson", "ann smithson")


def test_typo_variants_are_one_edit_away():
    variants = search.typo_variants("jonh")

    assert "john" in variants  # swapped
    assert "jon" in variants  # dropped
    assert "jono" in variants  # replaced
    assert "jjonh" in variants  # added
    assert "jonhs" not in variants  # the prefix range finds those already
    assert search.typo_variants("jo") == set()


def test_typo_variants_use_the_words_own_script():
    variants = search.typo_variants("فاطم")

    assert "فاطمه" not in variants  # starts with the word: a prefix match
    assert "فاطن" in variants
    assert all(not any("a" <= c <= "z" for c in v) for v in variants)


@pytest.mark.parametrize(
    ("text", "words", "number", "born"),
    [
        ("John Smith", ("john", "smith"), "", None),
        ("smith 1980-05-01", ("smith",), "", dt.date(1980, 5, 1)),
        ("01/05/1980 Smith", ("smith",), "", dt.date(1980, 5, 1)),
        ("0712 345 678", (), "0712 345 678", None),
        ("mary 0712345678", ("mary",), "0712345678", None),
        ("RGH-00001234-5", (), "RGH-00001234-5", None),
        ("O'Brien", ("o", "brien"), "", None),
        ("a b c d e f g h", ("a", "b", "c", "d", "e", "f"), "", None),
        ("john JOHN", ("john",), "", None),
    ],
)
def test_read_query(text, words, number, born):
    typed = search.read_query(text, country="KE")

    assert typed.words == words
    assert typed.number == number
    assert typed.birth_date == born
    assert typed.problems == ()


def test_read_query_month_first_where_the_country_writes_it_so():
    assert search.read_query("05/01/1980", country="US").birth_date == dt.date(1980, 5, 1)
    assert search.read_query("05/01/1980", country="KE").birth_date == dt.date(1980, 1, 5)


def test_read_query_reports_a_date_that_does_not_exist():
    typed = search.read_query("smith 1980-02-30")

    assert typed.birth_date is None
    assert typed.words == ("smith",)
    assert typed.problems == ("1980-02-30 is not a date.",)


def test_word_quality_orders_exact_prefix_typo():
    names = ["john", "smithson"]

    assert search.word_quality("john", names, set()) == 3
    assert search.word_quality("smith", names, set()) == 2
    assert search.word_quality("jonh", names, search.typo_variants("jonh")) == 1
    assert search.word_quality("kamau", names, search.typo_variants("kamau")) == 0
