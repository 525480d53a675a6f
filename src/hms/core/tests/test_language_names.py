"""Languages by their names, in the reader's language, never a bare code when CLDR
knows the language."""

import pytest

from hms.core.languages import language_name


@pytest.mark.parametrize(
    ("tag", "shown_in", "name"),
    [
        ("sw", "en", "Swahili"),
        ("sw-KE", "en", "Swahili (Kenya)"),
        ("en", "sw", "Kiingereza"),
        ("fr", "fr", "français"),
        ("luo", "fr", "Luo"),  # no French name in CLDR: the English one
        ("xx-nope", "en", "xx-nope"),  # unknown: the tag as given
    ],
)
def test_a_language_reads_as_its_name(tag, shown_in, name):
    assert language_name(tag, shown_in=shown_in) == name
