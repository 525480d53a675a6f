"""The directory search: by name words, specialty, department and language, scoped to
the viewer's facility and permission."""

from __future__ import annotations

import pytest

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.core.errors import InvalidInput, NotFound
from hms.staff import services
from hms.staff.selectors import practitioner_detail, search_practitioners
from hms.staff.tests.conftest import an_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_user):
    return make_user("receptionist")


def names(found) -> list[str]:
    return [p.given_name for p in found]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["Amina", "José"]),  # by family name: Hassan, Peña-García
        ("amina", ["Amina"]),
        ("AMI", ["Amina"]),
        ("hass ami", ["Amina"]),  # words in any order, each the start of a word
        ("jose", ["José"]),
        ("JOSÉ pena", ["José"]),
        ("garcia", ["José"]),  # a word after the hyphen
        ("ina", []),  # the middle of a word is no match
        ("amina kamau", []),
        ("%", []),
        ("_", []),
        ("'; DROP TABLE staff_practitioner; --", []),
    ],
)
def test_search_by_name_words(clerk, facility, directory, q, expected):
    assert names(search_practitioners(viewer=clerk, facility=facility, q=q)) == expected


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"specialty": "PAED"}, ["Amina"]),
        ({"specialty": "card"}, ["José"]),
        ({"specialty": "NEPHRO"}, []),
        ({"department": "OPD"}, ["José"]),
        ({"department": "paeds"}, ["Amina"]),
        ({"language": "sw"}, ["Amina"]),  # sw-KE; Wanjiru speaks sw but has left
        ({"language": "SW", "active": None}, ["Amina", "Wanjiru"]),
        ({"language": "sw-KE"}, ["Amina"]),
        ({"language": "es"}, ["José"]),
        ({"language": "en"}, ["Amina"]),
        ({"language": "fr"}, []),
        ({"active": False}, ["Wanjiru"]),
        ({"active": None}, ["Amina", "Wanjiru", "José"]),
        ({"q": "dr"}, []),  # titles are not names
        ({"specialty": "PAED", "language": "es"}, []),
        ({"specialty": "CARD", "department": "OPD", "language": "es", "q": "pe"}, ["José"]),
    ],
)
def test_search_by_criteria(clerk, facility, directory, criteria, expected):
    assert names(search_practitioners(viewer=clerk, facility=facility, **criteria)) == expected


def test_a_language_matches_whole_tags_only(clerk, admin, facility):
    # given: Comorian (swb) and Swahili (sw) start alike
    services.add_practitioner(
        actor=admin, facility=facility, data=an_entry(given_name="Said", languages=["swb"])
    )

    # then
    assert names(search_practitioners(viewer=clerk, facility=facility, language="sw")) == []
    assert names(search_practitioners(viewer=clerk, facility=facility, language="swb")) == ["Said"]


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"language": "english"}, "language"),
        ({"language": '"%'}, "language"),
        ({"specialty": "no such"}, "specialty"),
        ({"department": "x" * 30}, "department"),
    ],
)
def test_malformed_criteria_are_refused_naming_them(clerk, facility, criteria, field):
    with pytest.raises(InvalidInput) as exc:
        search_practitioners(viewer=clerk, facility=facility, **criteria)

    assert exc.value.field == field


def test_another_facility_is_invisible(make_user, facility, other_facility, directory):
    # given
    elsewhere = make_user("admin", at=other_facility)
    services.add_practitioner(
        actor=elsewhere, facility=other_facility, data=an_entry(given_name="Baraka")
    )
    clerk = make_user("receptionist")

    # then
    assert names(search_practitioners(viewer=clerk, facility=facility, active=None)) == [
        "Amina",
        "Wanjiru",
        "José",
    ]
    assert names(search_practitioners(viewer=elsewhere, facility=other_facility)) == ["Baraka"]
    assert search_practitioners(viewer=elsewhere, facility=facility) == []
    with pytest.raises(NotFound):
        practitioner_detail(
            viewer=elsewhere, facility=other_facility, external_id=directory["amina"].external_id
        )


@pytest.mark.parametrize("role", ["pharmacist", "auditor", "patient"])
def test_a_viewer_without_view_schedule_sees_nothing(make_user, facility, directory, role):
    viewer = make_user(role)

    assert search_practitioners(viewer=viewer, facility=facility, active=None) == []
    with pytest.raises(NotFound):
        practitioner_detail(
            viewer=viewer, facility=facility, external_id=directory["amina"].external_id
        )


def test_no_facility_no_results(clerk, directory):
    assert search_practitioners(viewer=clerk, facility=None) == []


def test_limit_bounds_the_results(clerk, facility, directory):
    assert len(search_practitioners(viewer=clerk, facility=facility, active=None, limit=2)) == 2
    assert len(search_practitioners(viewer=clerk, facility=facility, active=None, limit=0)) == 1


def test_search_reads_in_two_queries_whatever_the_size(
    clerk, facility, directory, django_assert_num_queries
):
    # given: the viewer's roles are read once per user, before the search
    assert policies.has_permission(clerk, Perm.VIEW_SCHEDULE, facility)

    # when
    with django_assert_num_queries(2):
        found = search_practitioners(viewer=clerk, facility=facility, active=None)
        shown = [
            (p.department and p.department.code, [s.code for s in p.specialties.all()])
            for p in found
        ]

    # then
    assert shown == [("PAEDS", ["PAED"]), (None, []), ("OPD", ["CARD"])]
