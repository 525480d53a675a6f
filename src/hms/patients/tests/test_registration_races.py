"""One person, one record: clerks registering at the same moment (real threads, on
SQLite and PostgreSQL), and identifiers that name one person held unique."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from hms.core import crypto
from hms.patients import services
from hms.patients.errors import IdentifierTaken, PatientErrorCode, PossibleDuplicates
from hms.patients.inputs import IdentifierInput, PatientInput, identifier_key
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.tests.api.conftest import LIST, body
from hms.patients.tests.races import in_race_database, race

pytestmark = pytest.mark.django_db(transaction=True)

CLERKS = 8


def _person(**fields) -> PatientInput:
    values = {
        "given_name": "Amina",
        "family_name": "Wanjiru",
        "sex": "female",
        "birth_date": dt.date(1990, 4, 12),
        "phone": "0712345678",
        "identifiers": (IdentifierInput(system="national_id", value="12345678"),),
        **fields,
    }
    return PatientInput(**values)


def _registration(facility, data: PatientInput, reason: str = ""):
    return lambda: services.register_patient(
        actor=None,
        facility=facility,
        data=data,
        duplicate_override_reason=reason,
        skip_permission_checks=True,
    )


def _records() -> list[tuple[str, str]]:
    return list(Patient.objects.order_by("pk").values_list("mrn", "given_name"))


def test_eight_identical_registrations_make_one_record(facility, tmp_path):
    # when
    results = race([_registration(facility, _person())] * CLERKS, tmp_path)

    # then
    made = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "raised"]
    assert len(made) == 1, results
    assert len(refused) == CLERKS - 1
    assert all(isinstance(exc, PossibleDuplicates) for exc in refused), refused
    assert all([m.patient.pk for m in exc.matches] == [made[0].pk] for exc in refused)
    assert in_race_database(_records, tmp_path) == [(made[0].mrn, "Amina")]


def test_two_people_with_one_national_id_make_one_record(facility, tmp_path):
    # given: nothing alike but the number
    amina = _person()
    baraka = _person(
        given_name="Baraka",
        family_name="Otieno",
        sex="male",
        birth_date=dt.date(1971, 9, 3),
        phone="0722000111",
    )

    # when
    results = race([_registration(facility, amina), _registration(facility, baraka)], tmp_path)

    # then
    made = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "raised"]
    assert len(made) == 1, results
    assert len(refused) == 1
    assert isinstance(refused[0], IdentifierTaken | PossibleDuplicates), refused
    assert len(in_race_database(_records, tmp_path)) == 1


def test_racing_clerks_on_rest_get_one_record_and_409s_with_the_match(api_client_for, tmp_path):
    # given
    clerks = [api_client_for("receptionist") for _ in range(CLERKS)]

    def post(client: APIClient):
        return lambda: client.post(LIST, body(), format="json")

    # when
    results = race([post(c) for c in clerks], tmp_path)

    # then
    answers = [value for _, value in results]
    assert sorted(a.status_code for a in answers) == [201] + [409] * (CLERKS - 1), results
    [created] = [a.json() for a in answers if a.status_code == 201]
    for refusal in (a.json() for a in answers if a.status_code == 409):
        assert refusal["code"] == PatientErrorCode.POSSIBLE_DUPLICATE
        assert [m["patient"]["id"] for m in refusal["matches"]] == [created["id"]]
    assert len(in_race_database(_records, tmp_path)) == 1


def test_a_second_record_with_a_national_id_is_refused_naming_the_field(api_client_for, facility):
    # given
    clerk = api_client_for("receptionist")
    first = clerk.post(LIST, body(), format="json")
    assert first.status_code == 201  # positive control
    other = body(
        given_name="Baraka", family_name="Otieno", sex="male", birth_date="1971-09-03", phone=""
    )

    # when
    response = clerk.post(LIST, other, format="json")

    # then
    assert response.status_code == 409, response.content
    answer = response.json()
    assert (answer["code"], answer["field"]) == (PatientErrorCode.IDENTIFIER_TAKEN, "identifiers")
    assert first.json()["mrn"] in answer["detail"]
    assert "National ID" in answer["detail"]
    assert Patient.objects.count() == 1


def test_confirming_a_different_person_still_registers(facility):
    # given: a namesake born the same day, warned about
    services.register_patient(
        actor=None, facility=facility, data=_person(), skip_permission_checks=True
    )
    twin = _person(phone="0733000222", identifiers=())
    with pytest.raises(PossibleDuplicates):
        _registration(facility, twin)()

    # when
    patient = _registration(facility, twin, reason="Twin sister, seen together")()

    # then
    assert Patient.objects.count() == 2
    assert patient.timeline.get().summary.endswith("Twin sister, seen together")


def test_the_database_holds_identifiers_unique_per_facility_while_current(facility, other_facility):
    # given
    first = services.register_patient(
        actor=None, facility=facility, data=_person(), skip_permission_checks=True
    )
    elsewhere = services.register_patient(
        actor=None, facility=other_facility, data=_person(), skip_permission_checks=True
    )
    second = services.register_patient(
        actor=None,
        facility=facility,
        data=_person(given_name="Baraka", phone="", identifiers=()),
        skip_permission_checks=True,
        check_duplicates=False,
    )
    index = crypto.blind_index(identifier_key("national_id", "12345678"), kind="identifier")

    def add(patient, **fields):
        with transaction.atomic():
            PatientIdentifier.objects.create(
                patient=patient,
                facility_id=patient.facility_id,
                system=fields.pop("system", "national_id"),
                value="12345678",
                value_index=index,
                **fields,
            )

    # then: refused past every service
    with pytest.raises(IntegrityError):
        add(second)
    # another issuer's number, an insurance member number and a number the record holds
    # no longer are all allowed
    add(second, assigner="UG")
    add(second, system="insurance_member")
    PatientIdentifier.objects.filter(patient=first).update(is_current=False)
    add(second)
    assert elsewhere.identifiers.count() == 1


def test_an_edit_to_another_records_national_id_is_refused(facility, make_user):
    # given
    services.register_patient(
        actor=None, facility=facility, data=_person(), skip_permission_checks=True
    )
    other = services.register_patient(
        actor=None,
        facility=facility,
        data=_person(given_name="Baraka", phone="", identifiers=()),
        skip_permission_checks=True,
        check_duplicates=False,
    )

    # when
    with pytest.raises(IdentifierTaken) as refused:
        services.update_patient(
            actor=make_user("receptionist"),
            patient=other,
            data=_person(given_name="Baraka", phone=""),
        )

    # then
    assert refused.value.field == "identifiers"
    assert other.identifiers.count() == 0


def test_racing_clerks_on_the_page_get_one_record_and_the_duplicate_warning(client_for, tmp_path):
    # given
    clerks = [client_for("receptionist") for _ in range(4)]
    form = {
        "given_name": "Amina",
        "family_name": "Wanjiru",
        "sex": "female",
        "birth": "1990-04-12",
        "phone": "0712345678",
        "identifiers-TOTAL_FORMS": "0",
        "identifiers-INITIAL_FORMS": "0",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }

    # when
    results = race([lambda c=c: c.post("/patients/new/full/", form) for c in clerks], tmp_path)

    # then
    answers = [value for _, value in results]
    assert sorted(a.status_code for a in answers) == [302, 400, 400, 400], results
    for refusal in (a for a in answers if a.status_code == 400):
        assert "possible duplicate" in refusal.content.decode()
    assert len(in_race_database(_records, tmp_path)) == 1
