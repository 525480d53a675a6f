"""Walk-in, unknown-patient and full registration pages, and the duplicates panel."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.utils import timezone
from django.utils.html import escape

from hms.audit.models import AuditEvent
from hms.patients.models import DuplicateCandidate, Patient, TimelineEntry
from hms.patients.tests.web.conftest import (
    CHECK,
    REGISTER,
    REGISTER_FULL,
    UNKNOWN,
    autofocused,
    errors_of,
    page,
    walk_in,
)


def test_walk_in_is_registered_and_opens_the_patient_page(clerk):
    # when
    response = clerk.post(REGISTER, walk_in())

    # then
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page("patient-detail", patient)
    assert (patient.given_name, patient.family_name, patient.sex) == ("Amina", "Wanjiru", "female")
    assert patient.birth_date == dt.date(1990, 4, 12)
    assert patient.phone == "+254712345678"
    assert TimelineEntry.objects.filter(patient=patient, kind="registered").count() == 1
    shown = clerk.get(response["Location"]).content.decode()
    assert f"Registered Amina Wanjiru: MRN {patient.mrn}." in shown


def test_an_age_instead_of_a_birth_date_is_an_estimate(clerk):
    clerk.post(REGISTER, walk_in(birth="34"))

    patient = Patient.objects.get()
    assert patient.birth_date == dt.date(timezone.localdate().year - 34, 7, 1)
    assert patient.birth_date_estimated is True


@pytest.mark.parametrize(
    ("query", "prefilled"),
    [
        ("amina okoth", ['value="Amina Okoth"']),
        ("Mary Anne Wanjiru", ['value="Mary Anne Wanjiru"']),
        ("0712 345 678", ['value="0712 345 678"']),
    ],
)
def test_the_search_text_becomes_the_first_fields(clerk, query, prefilled):
    # when
    response = clerk.get(REGISTER, {"q": query})

    # then
    html = response.content.decode()
    for value in prefilled:
        assert value in html
    # the cursor goes to the first field still empty
    assert autofocused(html)[0] == ("id_name" if query[0].isdigit() else "id_sex_0")


def test_an_mrn_typed_in_the_search_is_not_carried_over(clerk):
    response = clerk.get(REGISTER, {"q": "000000018"})

    assert 'value="000000018"' not in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "   ", "This field is required."),
        ("name", "Amina", "Type the given names and then the family name."),
        ("sex", "", "Choose one."),
        ("sex", "robot", "Select a valid choice."),
        ("birth", "", "This field is required."),
        ("birth", "31/02/2000", "There is no such date"),
        ("birth", "yesterday", "Type a date as dd/mm/yyyy"),
        ("birth", "01/01/2999", "The birth date is in the future."),
        ("birth", "01/01/1850", "The birth date is before 1880."),
        ("birth", "200", "Age must be a whole number of years"),
        ("phone", "phone me", "Not a phone number"),
        ("phone", "0700", "is not a valid phone number"),
        ("phone", "", "Give a phone number, or say why there is none."),
        ("no_phone_reason", "lost it", "Select a valid choice."),
        ("name", "x" * 500, "at most 200 characters"),
        ("name", "Amina " + "x" * 150, "At most 100 characters"),
        ("name", "Ami\x00na", "control character"),
        ("name", "Amina Wan\x07jiru", "control character"),
        ("name", "Amina abc\u202edef", "control character"),
    ],
)
def test_bad_walk_in_input_is_shown_on_its_field_and_nothing_is_saved(clerk, field, value, message):
    # when
    response = clerk.post(REGISTER, walk_in(**{field: value}))

    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert any(message in error for error in errors_of(html, field)), errors_of(html, field)
    assert autofocused(html)[0].startswith(f"id_{field}")
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    ["مريم", "שָׁלוֹם", "Jose\u0301", "क्\u200dष", "\u200fعلي", "Nguyễn"],
)
def test_names_in_any_script_are_registered_nfc_normalised(clerk, name):
    # when
    response = clerk.post(REGISTER, walk_in(name=f"{name} Okoth"))

    # then
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.given_name == unicodedata.normalize("NFC", name).strip()
    assert escape(patient.given_name) in clerk.get(response["Location"]).content.decode()


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "' OR 1=1 --", "{{ 7*7 }}"])
def test_injection_strings_are_kept_as_text_and_shown_escaped(clerk, text):
    # when
    response = clerk.post(REGISTER, walk_in(name=f"Amina {text}"))

    # then
    patient = Patient.objects.get()
    assert patient.full_name == f"Amina {text}"
    html = clerk.get(response["Location"]).content.decode()
    assert escape(text) in html
    assert "<script>alert(1)" not in html


def test_likely_duplicates_stop_the_walk_in_until_a_reason_is_given(clerk, register):
    # given
    existing = register(
        given_name="Amina", family_name="Wanjiru", sex="female", birth_date=dt.date(1990, 4, 12)
    )

    # when: registering the same name and birth date without a reason
    response = clerk.post(REGISTER, walk_in())

    # then: the match is shown with a reason box, and nothing is saved
    html = response.content.decode()
    assert response.status_code == 400
    assert existing.mrn in html
    assert page("patient-detail", existing) in html
    assert 'name="duplicate_override_reason"' in html
    assert "possible duplicate(s) found" in html
    assert Patient.objects.count() == 1

    # when: the clerk says why this is someone else
    response = clerk.post(
        REGISTER, walk_in(duplicate_override_reason="Different mother; checked ID")
    )

    # then: registered, and the pair is on the records officer's worklist
    assert response.status_code == 302
    assert Patient.objects.count() == 2
    assert DuplicateCandidate.objects.count() == 1


def test_the_duplicates_panel_appears_while_typing(clerk, register):
    # given
    existing = register(given_name="Grace", family_name="Wanjiru", birth_date=dt.date(1990, 4, 12))

    # when: the family name and birth date are typed (the form is half filled)
    response = clerk.post(
        CHECK, {"given_name": "Grace", "family_name": "Wanjiku", "birth": "12/04/1990"}
    )

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert existing.mrn in html
    assert "same birth date" in html
    assert 'name="duplicate_override_reason"' in html


def test_the_duplicates_panel_is_empty_until_enough_is_typed(clerk, register):
    register(given_name="Grace", family_name="Wanjiru")

    response = clerk.post(CHECK, {"given_name": "Gr"})

    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_the_duplicates_panel_ignores_unreadable_input(clerk):
    response = clerk.post(
        CHECK, {"given_name": "\x00", "family_name": "A" * 500, "birth": "99/99/9999", "phone": "x"}
    )

    assert response.status_code == 200


def test_the_duplicates_check_answers_only_posts(clerk):
    assert clerk.get(CHECK).status_code == 405


def test_the_edit_form_panel_leaves_out_the_record_being_edited(clerk, register):
    patient = register(given_name="Grace", family_name="Wanjiru")

    response = clerk.post(
        f"{CHECK}?patient={patient.external_id}",
        {"given_name": "Grace", "family_name": "Wanjiru", "birth": "20/01/1985"},
    )

    assert patient.mrn not in response.content.decode()


def test_unknown_patient_is_registered_with_an_estimated_age(clerk, register):
    # given another unknown patient of the same age: never a duplicate of this one
    clerk.post(UNKNOWN, {"sex": "unknown", "age": "40"})

    # when
    response = clerk.post(UNKNOWN, {"sex": "male", "age": "40"})

    # then
    assert response.status_code == 302
    patient = Patient.objects.order_by("-id").first()
    assert patient.given_name == "Unknown"
    assert patient.is_unknown is True
    assert patient.birth_date_estimated is True
    assert Patient.objects.filter(is_unknown=True).count() == 2
    html = clerk.get(response["Location"]).content.decode()
    assert "Identity unknown" in html


def test_unknown_patient_form_starts_in_the_age_box(clerk):
    html = clerk.get(UNKNOWN).content.decode()

    assert autofocused(html) == ["id_age"]


def test_full_registration_keeps_identifiers_contacts_and_consent(clerk):
    # when
    response = clerk.post(REGISTER_FULL, full_form())

    # then
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.middle_name == "Njeri"
    assert patient.email == "amina@example.org"
    assert patient.address == {"line": "Plot 7, Moi Avenue", "city": "Nairobi"}
    assert (patient.consent_sms, patient.consent_email, patient.consent_research) == (
        True,
        False,
        True,
    )
    assert [(i.system, i.value) for i in patient.identifiers.all()] == [("national_id", "12345678")]
    contact = patient.contacts.get()
    assert (contact.name, contact.relationship, contact.phone) == (
        "Baraka Wanjiru",
        "brother",
        "+254733111222",
    )


def test_full_registration_puts_each_error_on_its_field(clerk):
    # when: a bad email, a bad contact phone, and an identifier with no kind
    data = full_form(
        email="not-an-email",
        **{"contacts-0-phone": "12", "identifiers-0-system": ""},
    )
    response = clerk.post(REGISTER_FULL, data)

    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert "not a valid phone number" in errors_of(html, "contacts-0-phone")[0]
    assert errors_of(html, "identifiers-0-system") == ["Choose what kind of number this is."]
    assert Patient.objects.count() == 0


def test_full_registration_shows_a_service_error_on_its_field(clerk):
    response = clerk.post(REGISTER_FULL, full_form(email="not-an-email"))

    html = response.content.decode()
    assert response.status_code == 400
    assert errors_of(html, "email") == ["Not an email address."]
    assert Patient.objects.count() == 0


def test_more_details_carries_the_walk_in_fields_over(clerk):
    response = clerk.post(REGISTER_FULL, {**walk_in(), "_carry_over": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Amina"' in html
    assert 'value="0712345678"' in html
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("url", [REGISTER, REGISTER_FULL, UNKNOWN])
def test_roles_that_do_not_register_are_refused(client_for, url):
    doctor = client_for("doctor")

    assert doctor.get(url).status_code == 403
    assert doctor.post(url, walk_in()).status_code == 403
    assert Patient.objects.count() == 0


def full_form(**overrides) -> dict:
    values = {
        "given_name": "Amina",
        "middle_name": "Njeri",
        "family_name": "Wanjiru",
        "sex": "female",
        "birth": "1990-04-12",
        "phone": "+254712345678",
        "email": "amina@example.org",
        "address_line": "Plot 7, Moi Avenue",
        "city": "Nairobi",
        "consent_sms": "on",
        "consent_research": "on",
        "identifiers-TOTAL_FORMS": "2",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-system": "national_id",
        "identifiers-0-value": "12345678",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Baraka Wanjiru",
        "contacts-0-relationship": "brother",
        "contacts-0-phone": "0733111222",
        "contacts-0-is_emergency": "on",
    }
    values.update(overrides)
    return values


def test_patients_in_the_duplicates_panel_are_audited_reads(clerk, register):
    existing = register(given_name="Grace", family_name="Wanjiru", birth_date=dt.date(1990, 4, 12))

    clerk.post(CHECK, {"given_name": "Grace", "family_name": "Wanjiru", "birth": "12/04/1990"})

    read = AuditEvent.objects.get(action="read", reason="likely duplicates")
    assert read.patient_id == str(existing.external_id)


def test_a_walk_in_without_a_phone_is_registered_with_the_reason(clerk):
    response = clerk.post(REGISTER, walk_in(phone="", no_phone_reason="declined"))

    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.phone == ""
    note = TimelineEntry.objects.get(patient=patient, kind="note")
    assert note.detail == {"no_phone_reason": "declined"}
    assert "declined to give one" in note.summary


def test_the_walk_in_form_asks_for_one_name_and_splits_it(clerk):
    html = clerk.get(REGISTER).content.decode()
    assert 'name="name"' in html
    assert 'name="given_name"' not in html

    clerk.post(REGISTER, walk_in(name="mary anne wanjiru"))

    patient = Patient.objects.get()
    assert (patient.given_name, patient.family_name) == ("Mary Anne", "Wanjiru")


def test_more_details_opens_the_name_in_its_parts(clerk):
    response = clerk.post(REGISTER_FULL, {**walk_in(name="Baraka Kiprono"), "_carry_over": "1"})

    html = response.content.decode()
    assert 'name="given_name"' in html
    assert 'value="Baraka"' in html
    assert 'value="Kiprono"' in html
    assert Patient.objects.count() == 0
