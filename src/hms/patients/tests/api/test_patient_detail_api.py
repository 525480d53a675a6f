"""GET, PUT and PATCH /api/v1/patients/<id>/: the audited read and the two kinds of edit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hms.audit.models import AuditEvent
from hms.patients import services
from hms.patients.inputs import PatientInput
from hms.patients.models import Patient
from hms.patients.tests.api.conftest import body, detail_url
from hms.patients.tests.api.helpers import reads_of, refused_field, registry_counts


@pytest.mark.django_db
def test_read_returns_the_record_and_writes_one_audit_row(clerk, register):
    # given
    patient = register(phone="0712345678", identifiers=[{"system": "passport", "value": "A1"}])

    # when
    response = clerk.get(detail_url(patient))

    # then
    assert response.status_code == 200
    record = response.json()
    assert record["id"] == str(patient.external_id)
    assert record["mrn"] == patient.mrn
    assert record["phone"] == "+254712345678"
    assert record["identifiers"] == [{"system": "passport", "value": "A1", "assigner": ""}]
    assert record["age_years"] is not None
    read = AuditEvent.objects.get(action=AuditEvent.Action.READ)
    assert (read.patient_id, read.reason, read.actor_id) == (
        str(patient.external_id),
        "record",
        clerk.user.pk,
    )


@pytest.mark.django_db
def test_another_facilitys_patient_is_404_and_not_audited_as_read(
    api_client_for, other_facility, register
):
    # given: a receptionist of the other facility
    patient = register()
    outsider = api_client_for("receptionist", at=other_facility)

    # when
    response = outsider.get(detail_url(patient))

    # then
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert reads_of(patient) == 0


@pytest.mark.django_db
def test_unknown_id_is_404(clerk):
    # when
    response = clerk.get(f"/api/v1/patients/{uuid.uuid4()}/")

    # then
    assert response.status_code == 404


@pytest.mark.django_db
def test_put_replaces_every_field_and_clears_the_ones_left_out(clerk, register):
    # given
    patient = register(phone="0712345678", email="juma@example.org", middle_name="K")

    # when
    response = clerk.put(
        detail_url(patient),
        {"given_name": "Juma", "family_name": "Otieno", "sex": "male", "reason": "re-checked"},
        format="json",
    )

    # then
    assert response.status_code == 200, response.content
    record = response.json()
    assert (record["phone"], record["email"], record["middle_name"], record["birth_date"]) == (
        "",
        "",
        "",
        None,
    )
    update = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert "re-checked" in update.reason


@pytest.mark.django_db
def test_put_without_a_required_field_is_400_and_changes_nothing(clerk, register):
    # given
    patient = register(phone="0712345678")
    before = registry_counts()

    # when
    response = clerk.put(detail_url(patient), {"given_name": "Juma"}, format="json")

    # then
    assert response.status_code == 400
    assert refused_field(response) == "sex"
    assert registry_counts() == before
    assert Patient.objects.get(pk=patient.pk).phone == "+254712345678"


@pytest.mark.django_db
def test_patch_changes_only_what_it_names(clerk, register):
    # given
    patient = register(
        phone="0712345678", identifiers=[{"system": "national_id", "value": "998877"}]
    )

    # when
    response = clerk.patch(detail_url(patient), {"email": "juma@example.org"}, format="json")

    # then
    assert response.status_code == 200, response.content
    record = response.json()
    assert record["email"] == "juma@example.org"
    assert record["phone"] == "+254712345678"
    assert record["birth_date"] == "1985-01-20"
    assert record["identifiers"] == [{"system": "national_id", "value": "998877", "assigner": ""}]


@pytest.mark.django_db
def test_patch_keeps_an_estimated_birth_date_estimated(clerk, facility):
    # given: registered with an age, not a date
    patient = services.register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(given_name="Wanjiku", family_name="Kamau", sex="female", age_years=60),
        skip_permission_checks=True,
    )

    # when
    response = clerk.patch(detail_url(patient), {"language": "sw"}, format="json")

    # then
    assert response.status_code == 200, response.content
    assert response.json()["birth_date_estimated"] is True
    assert response.json()["birth_date"] == patient.birth_date.isoformat()


@pytest.mark.django_db
def test_patch_with_a_real_birth_date_ends_the_estimate(clerk, facility):
    # given
    patient = services.register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(given_name="Wanjiku", family_name="Kamau", sex="female", age_years=60),
        skip_permission_checks=True,
    )

    # when
    response = clerk.patch(detail_url(patient), {"birth_date": "1966-03-02"}, format="json")

    # then
    assert response.json()["birth_date_estimated"] is False
    assert response.json()["birth_date"] == "1966-03-02"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"birth_date": "2023-02-30"}, "birth_date"),
        ({"birth_date": "1850-01-01"}, "birth_date"),
        ({"phone": "0712"}, "phone"),
        ({"given_name": "x" * 500}, "given_name"),
        ({"sex": "f"}, "sex"),
        ({"email": "nobody"}, "email"),
        ({"nickname": "JJ"}, "nickname"),
    ],
)
@pytest.mark.django_db
def test_bad_patch_is_400_naming_the_field_and_changes_nothing(clerk, register, changes, field):
    # given
    patient = register(phone="0712345678")
    before = registry_counts()

    # when
    response = clerk.patch(detail_url(patient), changes, format="json")

    # then
    assert response.status_code == 400
    assert refused_field(response) == field
    assert registry_counts() == before
    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.given_name, stored.birth_date, stored.phone) == (
        "Juma",
        dt.date(1985, 1, 20),
        "+254712345678",
    )


@pytest.mark.django_db
def test_a_doctor_may_read_but_not_edit(api_client_for, register):
    # given
    patient = register()
    doctor = api_client_for("doctor")

    # when
    read = doctor.get(detail_url(patient))
    edit = doctor.patch(detail_url(patient), {"given_name": "Jumaa"}, format="json")

    # then
    assert read.status_code == 200
    assert edit.status_code == 403
    assert Patient.objects.get(pk=patient.pk).given_name == "Juma"


@pytest.mark.django_db
def test_put_body_refuses_hostile_names_like_registration(clerk, register):
    # given
    patient = register()

    # when
    response = clerk.put(detail_url(patient), body(family_name="A\u202eB"), format="json")

    # then
    assert response.status_code == 400
    assert refused_field(response) == "family_name"
