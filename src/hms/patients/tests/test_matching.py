"""The matcher: which records are likely the same person, and which are look-alikes."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.core import crypto
from hms.patients import blocking, matching
from hms.patients.inputs import identifier_key
from hms.patients.matching import LIKELY, Level, Probe, find_likely_duplicates, name_level
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.services import phone_index
from hms.patients.tests.mpi_helpers import new_phone, register

BORN = dt.date(1990, 4, 12)


def _probe(**fields) -> Probe:
    values = {
        "given_name": "Wanjiru",
        "family_name": "Kamau",
        "sex": "female",
        "birth_date": BORN,
        **fields,
    }
    return Probe(**values)


def _id_index(value: str) -> str:
    return crypto.blind_index(identifier_key("national_id", value), kind="identifier")


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("kamau", "kamau", Level.EXACT),
        ("kamau", "kaamu", Level.TYPO),  # two letters transposed
        ("wanjiru", "wanjriu", Level.TYPO),
        ("mary jane", "mary", Level.TYPO),  # one name of two kept
        ("mohamed", "muhammad", Level.SOUNDS_ALIKE),
        ("emma", "emily", Level.DIFFERENT),
        ("john", "peter", Level.DIFFERENT),
        ("ann", "", Level.MISSING),
    ],
)
def test_name_levels(a, b, level):
    assert name_level(a.split(), b.split()) == level


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, "same name"),
        ({"family_name": "Kaamu"}, "family name spelt alike"),
        ({"given_name": "Wanjriu"}, "given name spelt alike"),
        ({"given_name": "Kamau", "family_name": "Wanjiru"}, "given and family names swapped"),
        ({"birth_date": dt.date(1990, 12, 4)}, "birth date nearly the same"),  # day/month
        ({"birth_date": dt.date(1991, 4, 12)}, "birth date nearly the same"),  # one digit
        ({"birth_date": None}, "same phone"),
    ],
)
def test_a_second_record_of_one_person_is_a_likely_match(facility, change, reason):
    # given
    phone = new_phone()
    existing = register(facility, phone=phone)
    probe = _probe(phone_index=phone_index(phone), **change)

    # when
    matches = find_likely_duplicates(probe, facility_id=facility.pk)

    # then
    assert [m.patient for m in matches] == [existing]
    assert matches[0].score >= LIKELY
    assert reason in matches[0].reasons


@pytest.mark.django_db
def test_a_new_phone_still_matches_on_name_and_birth_date(facility):
    existing = register(facility)

    matches = find_likely_duplicates(
        _probe(phone_index=phone_index(new_phone())), facility_id=facility.pk
    )

    assert [m.patient for m in matches] == [existing]
    assert "different phone" in matches[0].reasons


@pytest.mark.django_db
def test_the_same_national_id_matches_despite_a_nickname(facility):
    existing = register(facility, given_name="Wanjiku", national_id="12345678")

    probe = _probe(
        given_name="Shiku",
        identifier_indexes=(_id_index("12 345 678"),),
        identifier_systems=("national_id",),
    )
    matches = find_likely_duplicates(probe, facility_id=facility.pk)

    assert [m.patient for m in matches] == [existing]
    assert "same National ID" in matches[0].reasons


@pytest.mark.django_db
def test_twins_are_not_a_match(facility):
    # given: a twin sister: same family, birth date and (the mother's) phone
    phone = new_phone()
    register(facility, given_name="Akinyi", family_name="Otieno", phone=phone)

    # when
    probe = _probe(given_name="Atieno", family_name="Otieno", phone_index=phone_index(phone))
    matches = find_likely_duplicates(probe, facility_id=facility.pk)

    # then
    assert matches == []


@pytest.mark.django_db
def test_a_father_and_son_of_one_name_are_not_a_match(facility):
    phone = new_phone()
    register(facility, given_name="Daniel", sex="male", birth_date=dt.date(1961, 3, 2), phone=phone)

    probe = _probe(
        given_name="Daniel",
        sex="male",
        birth_date=dt.date(1994, 8, 30),
        phone_index=phone_index(phone),
    )

    assert find_likely_duplicates(probe, facility_id=facility.pk) == []


@pytest.mark.django_db
def test_namesakes_born_on_other_days_are_not_a_match(facility):
    register(facility, given_name="John", sex="male", birth_date=dt.date(1980, 1, 5))

    probe = _probe(given_name="John", sex="male", birth_date=dt.date(1975, 6, 21))

    assert find_likely_duplicates(probe, facility_id=facility.pk) == []


@pytest.mark.django_db
def test_different_national_ids_count_against_a_match(facility):
    register(facility, national_id="11111111", phone="")

    without_id = find_likely_duplicates(_probe(), facility_id=facility.pk)
    with_other_id = find_likely_duplicates(
        _probe(identifier_indexes=(_id_index("22222222"),), identifier_systems=("national_id",)),
        facility_id=facility.pk,
    )

    assert len(without_id) == 1
    assert with_other_id == []


@pytest.mark.django_db
def test_a_common_name_weighs_less(facility):
    # given: one record of a rare name, four of a common one, all with a near birth date
    rare = register(facility, given_name="Zawadi", family_name="Kagwe", phone="")
    for _ in range(4):
        register(facility, given_name="Mary", family_name="Kamau", phone="")
    near = dt.date(1990, 4, 13)

    # when
    rare_score = matching.find_likely_duplicates(
        _probe(given_name="Zawadi", family_name="Kagwe", birth_date=near),
        facility_id=facility.pk,
        threshold=0,
    )
    common = matching.find_likely_duplicates(
        _probe(given_name="Mary", family_name="Kamau", birth_date=near),
        facility_id=facility.pk,
        threshold=0,
    )

    # then
    assert [m.patient for m in rare_score] == [rare]
    assert len(common) == 4
    assert common[0].score < rare_score[0].score
    assert "3 other records of this name" in common[0].reasons


@pytest.mark.django_db
def test_only_active_records_of_the_facility_are_candidates(facility, other_facility):
    elsewhere = register(other_facility)
    merged = register(facility)
    survivor = register(facility)
    Patient.objects.filter(pk=merged.pk).update(status=Patient.Status.MERGED, merged_into=survivor)

    matches = find_likely_duplicates(_probe(), facility_id=facility.pk)

    assert [m.patient for m in matches] == [survivor]
    assert elsewhere not in [m.patient for m in matches]


@pytest.mark.django_db
def test_an_estimated_age_matches_only_roughly(facility):
    existing = register(facility, given_name="Achieng", birth_date=dt.date(1979, 7, 1), phone="")
    Patient.objects.filter(pk=existing.pk).update(birth_date_estimated=True)
    existing.refresh_from_db()

    close = _probe(given_name="Achieng", birth_date=dt.date(1978, 2, 14))
    far = _probe(given_name="Achieng", birth_date=dt.date(1960, 2, 14))

    assert "birth year about the same" in matching.score(close, existing).reasons
    assert "different age" in matching.score(far, existing).reasons
    assert matching.score(far, existing).score < matching.score(close, existing).score


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["birth date", "phone", "identifier", "names"])
def test_each_blocking_key_alone_finds_the_record(facility, other_facility, key):
    # given: a record, its namesake elsewhere, and a merged-away record with every key
    phone = new_phone()
    gone = register(facility, phone=phone, national_id="30300001")
    PatientIdentifier.objects.filter(patient=gone).update(is_current=False)  # taken over
    record = register(facility, phone=phone, national_id="30300001")
    register(other_facility, phone=phone, national_id="30300001")
    Patient.objects.filter(pk=gone.pk).update(status=Patient.Status.MERGED, merged_into=record)
    probes = {
        "birth date": Probe(given_name="Zed", family_name="Other", sex="", birth_date=BORN),
        "phone": Probe(
            given_name="Zed", family_name="Other", sex="", phone_index=phone_index(phone)
        ),
        "identifier": Probe(
            given_name="Zed",
            family_name="Other",
            sex="",
            identifier_indexes=(_id_index("30300001"),),
        ),
        "names": Probe(given_name="Wanjriu", family_name="Kamau", sex=""),
    }

    # when
    found = blocking.candidates(probes[key], facility_id=facility.pk)

    # then: only the facility's active record, with what the matcher scores
    assert [p.pk for p in found] == [record.pk]
    assert found[0].family_name == record.family_name
    assert found[0].birth_date == record.birth_date


@pytest.mark.django_db
def test_a_probe_without_keys_meets_no_one(facility):
    register(facility)

    assert (
        blocking.candidates(Probe(given_name="", family_name="", sex=""), facility_id=facility.pk)
        == []
    )
