"""The front desk's search page and its live results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.html import escape

from hms.audit.models import AuditEvent
from hms.patients.tests.web.conftest import HTMX, REGISTER, SEARCH, page


def test_search_page_opens_with_the_cursor_in_the_search_box(clerk):
    # when
    response = clerk.get(SEARCH)

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="search" id="patient-q" name="q"' in html
    assert "autofocus" in html.split('id="patient-q"')[1].split(">")[0]
    assert 'data-shortcut="n"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_live_results_show_enough_to_tell_patients_apart(clerk, register):
    # given
    grace = register(given_name="Grace", family_name="Wanjiru", sex="female", phone="0712345678")

    # when
    response = clerk.get(SEARCH, {"q": "wanjiru"}, **HTMX)

    # then: the fragment, not the page, with MRN, name, sex, age and a masked phone
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert grace.mrn in html
    assert "Grace Wanjiru" in html
    assert "Female" in html
    assert "20 Jan 1985" in html
    assert "+254 ••••678" in html
    assert "712345678" not in html
    assert page("patient-detail", grace) in html


def test_a_typo_still_finds_the_patient(clerk, register):
    # given
    john = register(given_name="John", family_name="Smith")

    # when
    response = clerk.get(SEARCH, {"q": "Jonh Smtih"}, **HTMX)

    # then
    assert john.mrn in response.content.decode()


def test_a_wrong_mrn_check_digit_is_named(clerk, register):
    # given: the patient's MRN with its last digit changed
    patient = register()
    wrong = patient.mrn[:-1] + str((int(patient.mrn[-1]) + 1) % 10)

    # when
    response = clerk.get(SEARCH, {"q": wrong}, **HTMX)

    # then
    html = response.content.decode()
    assert "check digit is wrong" in html
    assert "data-stay" in html
    assert patient.mrn not in html


def test_the_right_mrn_opens_no_warning(clerk, register):
    patient = register()

    response = clerk.get(SEARCH, {"q": patient.mrn}, **HTMX)

    html = response.content.decode()
    assert patient.mrn in html
    assert "check digit" not in html


def test_no_match_offers_registration_with_what_was_typed(clerk):
    # when
    response = clerk.get(SEARCH, {"q": "Amina Okoth"}, **HTMX)

    # then
    html = response.content.decode()
    assert "No patient matches" in html
    assert f'href="{REGISTER}?q=Amina%20Okoth"' in html
    assert "No match — register “Amina Okoth”" in html


def test_enter_before_results_opens_the_first_match(clerk, register):
    patient = register(given_name="Zawadi", family_name="Mutua")

    response = clerk.get(SEARCH, {"q": "zawadi mutua", "open": "first"})

    assert response.status_code == 302
    assert response["Location"] == page("patient-detail", patient)


def test_enter_with_no_match_opens_registration_with_the_query(clerk):
    response = clerk.get(SEARCH, {"q": "Baraka Kip", "open": "first"})

    assert response.status_code == 302
    assert response["Location"] == f"{REGISTER}?q=Baraka+Kip"


def test_search_by_birth_date_narrows_the_results(clerk, register):
    # given two Otienos born on different days
    first = register(given_name="Juma")
    second = register(given_name="Akinyi", birth_date=dt.date(1999, 5, 6))

    # when
    response = clerk.get(SEARCH, {"q": "otieno", "born": "1999-05-06"}, **HTMX)

    # then
    html = response.content.decode()
    assert second.mrn in html
    assert first.mrn not in html


def test_patients_of_another_facility_are_not_found(clerk, register, other_facility):
    register(given_name="Hidden", family_name="Person", at=other_facility)

    response = clerk.get(SEARCH, {"q": "hidden person"}, **HTMX)

    assert "Hidden" not in response.content.decode().replace("“hidden person”", "")


@pytest.mark.parametrize("text", ["\x00abc", "ab\x1bc", "a\u202eb"])
def test_control_characters_in_the_query_are_refused(clerk, text):
    response = clerk.get(SEARCH, {"q": text}, **HTMX)

    assert response.status_code == 400
    assert "control character" in response.content.decode()


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "' OR 1=1 --", "{{ 7*7 }}"])
def test_injection_strings_are_searched_for_and_shown_escaped(clerk, text):
    response = clerk.get(SEARCH, {"q": text}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)" not in html
    assert escape(text) in html


def test_roles_without_view_patient_are_refused(client_for):
    auditor = client_for("auditor")

    response = auditor.get(SEARCH, {"q": "x"})

    assert response.status_code == 403
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).count() == 1


def test_home_page_opens_on_the_patient_search_for_the_front_desk(clerk, client_for):
    # when
    home = clerk.get("/").content.decode()
    auditor_home = client_for("auditor").get("/").content.decode()

    # then
    assert 'id="patient-q"' in home
    assert 'id="patient-q"' not in auditor_home
    assert 'data-shortcut="g p"' in home


def test_the_patients_listed_are_named_by_one_audited_read(clerk, register):
    # given
    first = register(given_name="Grace", family_name="Wanjiru")
    second = register(given_name="Grace", family_name="Wambui")

    # when
    clerk.get(SEARCH, {"q": "grace"}, **HTMX)

    # then
    read = AuditEvent.objects.get(action="read", reason="search")
    assert sorted(read.patients_named) == sorted([str(first.external_id), str(second.external_id)])


def test_results_beyond_the_first_twenty_are_paged(clerk, register):
    # given: 25 Wanjirus, each with a first name of their own
    for n in range(25):
        register(given_name=f"Grace{chr(97 + n)}", family_name="Wanjiru", phone=f"07120000{n:02d}")

    # when
    first = clerk.get(SEARCH, {"q": "wanjiru"}, **HTMX).content.decode()
    second = clerk.get(SEARCH, {"q": "wanjiru", "page": 2}, **HTMX).content.decode()

    # then
    assert first.count("data-result") == 20
    assert "Patients 1–20" in first
    assert "page=2" in first
    assert 'rel="prev"' not in first
    assert second.count("data-result") == 5
    assert "Patients 21–25" in second
    assert "page=1" in second
    assert 'rel="next"' not in second


@pytest.mark.parametrize("number", ["0", "-1", "501", "two", "1e3"])
def test_an_impossible_page_number_is_refused_by_name(clerk, number):
    # when
    response = clerk.get(SEARCH, {"q": "wanjiru", "page": number}, **HTMX)

    # then
    assert response.status_code == 400
    assert "Page: " in response.content.decode()
