"""The patient page (banner, details, identifiers, contacts, timeline), the call log and
the edit page."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.patients.models import Patient, TimelineEntry
from hms.patients.tests.web.conftest import HTMX, autofocused, errors_of, page


@pytest.fixture
def amina(register):
    return register(
        given_name="Amina",
        family_name="Wanjiru",
        sex="female",
        birth_date=dt.date(1990, 4, 12),
        phone="0712345678",
        identifiers=[{"system": "national_id", "value": "12345678"}],
        contacts=[{"name": "Baraka Wanjiru", "relationship": "brother", "phone": "+254733111222"}],
    )


def test_patient_page_shows_the_banner_details_and_timeline(clerk, amina):
    # when
    response = clerk.get(page("patient-detail", amina))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Amina Wanjiru" in html
    assert amina.mrn in html
    assert "12 Apr 1990" in html
    assert "Female" in html
    assert "Allergies: not recorded" in html
    assert "+254 712 345678" in html
    assert "12345678" in html
    assert "National ID" in html
    assert "Baraka Wanjiru" in html
    assert "brother" in html
    assert f"Registered with MRN {amina.mrn}" in html
    for key in ('data-shortcut="e"', 'data-shortcut="p"', 'data-shortcut="w"'):
        assert key in html
    assert autofocused(html) == []  # the one-letter shortcuts work at once


def test_opening_the_patient_page_is_audited(clerk, amina):
    before = AuditEvent.objects.filter(action="read").count()

    clerk.get(page("patient-detail", amina))

    read = AuditEvent.objects.filter(action="read").order_by("-id").first()
    assert AuditEvent.objects.filter(action="read").count() == before + 1
    assert read.patient_id == str(amina.external_id)
    assert read.reason == "patient page"


def test_a_patient_of_another_facility_is_not_found(clerk, register, other_facility):
    stranger = register(at=other_facility)

    assert clerk.get(page("patient-detail", stranger)).status_code == 404
    assert clerk.get(page("patient-edit", stranger)).status_code == 404
    assert clerk.post(page("patient-card", stranger)).status_code == 404
    assert clerk.post(page("patient-log-contact", stranger), {}).status_code == 404


def test_an_unknown_id_is_not_found(clerk):
    url = reverse("patients:patient-detail", kwargs={"external_id": uuid.uuid4()})

    assert clerk.get(url).status_code == 404


def test_roles_without_view_patient_are_refused(client_for, amina):
    assert client_for("auditor").get(page("patient-detail", amina)).status_code == 403


def test_the_banner_warns_of_a_deceased_and_of_a_merged_record(clerk, register, amina):
    # given: a record merged into Amina's, and Amina deceased
    other = register(given_name="Amina", family_name="Wanjiro")
    Patient.objects.filter(pk=other.pk).update(status="merged", merged_into=amina)
    Patient.objects.filter(pk=amina.pk).update(is_deceased=True)

    # when
    merged_page = clerk.get(page("patient-detail", other)).content.decode()
    survivor_page = clerk.get(page("patient-detail", amina)).content.decode()

    # then
    assert f'Merged into <a href="{page("patient-detail", amina)}">{amina.mrn}</a>' in merged_page
    assert 'data-shortcut="e"' not in merged_page
    assert 'data-shortcut="p"' not in merged_page
    assert "Deceased" in survivor_page
    assert f"Holds the merged record {other.mrn}" in survivor_page


def test_a_call_is_logged_with_its_outcome_and_shown_in_place(clerk, amina):
    # when
    response = clerk.post(
        page("patient-log-contact", amina),
        {"kind": "call", "outcome": "no_answer", "summary": "Reminder for Tuesday"},
        **HTMX,
    )

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div id="timeline-box">' in html
    assert "No answer" in html
    assert "Reminder for Tuesday" in html
    entry = TimelineEntry.objects.get(patient=amina, kind="call")
    assert entry.detail == {"outcome": "no_answer"}


def test_a_note_without_htmx_goes_back_to_the_timeline(clerk, amina):
    response = clerk.post(
        page("patient-log-contact", amina), {"kind": "note", "summary": "Prefers Kiswahili"}
    )

    assert response.status_code == 302
    assert response["Location"] == page("patient-detail", amina) + "#timeline"
    assert TimelineEntry.objects.get(patient=amina, kind="note").summary == "Prefers Kiswahili"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "call", "summary": "Rang"}, "outcome", "Say how the call went."),
        ({"kind": "call", "outcome": "reached"}, "summary", "This field is required."),
        ({"kind": "note", "summary": "a\x00b"}, "summary", "control character"),
        ({"kind": "note", "summary": "line\nbreak"}, "summary", "control character"),
        ({"kind": "visit", "summary": "x"}, "kind", "Select a valid choice"),
        ({"kind": "note", "summary": "x" * 301}, "summary", "at most 300 characters"),
    ],
)
def test_a_bad_log_entry_is_refused_on_its_field(clerk, amina, data, field, message):
    response = clerk.post(page("patient-log-contact", amina), data, **HTMX)

    assert response.status_code == 400
    assert any(message in e for e in errors_of(response.content.decode(), field))
    assert not TimelineEntry.objects.filter(patient=amina, kind__in=["call", "note"]).exists()


def test_roles_without_log_contact_cannot_log(client_for, amina):
    pharmacist = client_for("pharmacist")

    response = pharmacist.post(page("patient-log-contact", amina), {"kind": "note", "summary": "x"})

    assert response.status_code == 403
    assert (
        'id="timeline-box"'
        in client_for("doctor").get(page("patient-detail", amina)).content.decode()
    )
    assert "log-form" not in pharmacist.get(page("patient-detail", amina)).content.decode()


def test_the_log_form_answers_only_posts(clerk, amina):
    assert clerk.get(page("patient-log-contact", amina)).status_code == 405


def edit_form(patient, **overrides) -> dict:
    values = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "sex": patient.sex,
        "birth": "12/04/1990",
        "phone": "0712345678",
        "identifiers-TOTAL_FORMS": "2",
        "identifiers-INITIAL_FORMS": "1",
        "identifiers-0-system": "national_id",
        "identifiers-0-value": "12345678",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "1",
        "contacts-0-name": "Baraka Wanjiru",
        "contacts-0-relationship": "brother",
        "contacts-0-phone": "+254733111222",
        "contacts-0-is_emergency": "on",
    }
    values.update(overrides)
    return values


def test_edit_form_opens_filled_in_with_the_cursor_in_the_first_field(clerk, amina):
    # when
    response = clerk.get(page("patient-edit", amina))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert autofocused(html) == ["id_given_name"]
    assert 'value="12/04/1990"' in html
    assert 'value="12345678"' in html
    assert 'value="Baraka Wanjiru"' in html
    assert AuditEvent.objects.filter(action="read", reason="edit form").count() == 1


def test_an_edit_is_saved_with_its_reason_on_the_timeline(clerk, amina):
    # when
    response = clerk.post(
        page("patient-edit", amina),
        edit_form(amina, family_name="Wanjiru-Otieno", reason="Married; ID seen"),
    )

    # then
    assert response.status_code == 302
    amina.refresh_from_db()
    assert amina.family_name == "Wanjiru-Otieno"
    entry = TimelineEntry.objects.get(patient=amina, kind="updated")
    assert entry.detail["reason"] == "Married; ID seen"
    assert "family_name" in entry.detail["fields"]
    assert AuditEvent.objects.filter(action="update", patient_id=str(amina.external_id)).exists()


def test_an_estimated_age_survives_an_edit(clerk, register):
    patient = register(birth_date=None, age_years=40)
    html = clerk.get(page("patient-edit", patient)).content.decode()
    assert 'name="birth" value="40"' in html

    clerk.post(page("patient-edit", patient), edit_form(patient, birth="40"))

    patient.refresh_from_db()
    assert patient.birth_date_estimated is True


def test_clearing_an_identifier_removes_it(clerk, amina):
    clerk.post(page("patient-edit", amina), edit_form(amina, **{"identifiers-0-value": ""}))

    amina.refresh_from_db()
    assert amina.identifiers.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth", "01/01/2999", "The birth date is in the future."),
        ("family_name", "", "This is required."),
        ("given_name", "\u202eevil", "control character"),
        ("phone", "0700", "not a valid phone number"),
        ("reason", "x" * 301, "at most 300 characters"),
        ("deceased_at", "2999-01-01T10:00", "The time of death is in the future."),
        ("deceased_at", "2020-02-30T10:00", "Enter a valid date/time."),
    ],
)
def test_a_bad_edit_is_shown_on_its_field_and_nothing_changes(clerk, amina, field, value, message):
    # when
    response = clerk.post(page("patient-edit", amina), edit_form(amina, **{field: value}))

    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert any(message in e for e in errors_of(html, field)), errors_of(html, field)
    amina.refresh_from_db()
    assert amina.family_name == "Wanjiru"
    assert not TimelineEntry.objects.filter(patient=amina, kind="updated").exists()


def test_a_merged_record_cannot_be_edited(clerk, register, amina):
    other = register()
    Patient.objects.filter(pk=other.pk).update(status="merged", merged_into=amina)

    response = clerk.get(page("patient-edit", other))

    assert response.status_code == 302
    assert response["Location"] == page("patient-detail", other)


def test_roles_without_edit_patient_cannot_edit(client_for, amina):
    doctor = client_for("doctor")

    assert doctor.get(page("patient-edit", amina)).status_code == 403
    assert doctor.post(page("patient-edit", amina), edit_form(amina)).status_code == 403
    assert 'data-shortcut="e"' not in doctor.get(page("patient-detail", amina)).content.decode()


def test_a_death_is_recorded_and_shown_in_the_banner(clerk, amina):
    # when
    response = clerk.post(
        page("patient-edit", amina),
        edit_form(amina, is_deceased="on", deceased_at="2024-03-01T14:30", reason="Death cert."),
    )

    # then
    assert response.status_code == 302
    amina.refresh_from_db()
    assert amina.is_deceased is True
    html = clerk.get(page("patient-detail", amina)).content.decode()
    assert "Deceased 1 Mar 2024, 14:30" in html
    assert "33 y" in html  # the age at death
