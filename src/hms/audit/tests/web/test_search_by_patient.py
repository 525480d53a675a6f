"""The auditor finds a patient's events by MRN or name, and sees who each patient is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.audit.services import Action, record_event, record_patients_shown
from hms.patients.tests.mpi_helpers import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads(facility):
    """Amina's record read alone, then Amina and Baraka listed together; Chidi read alone."""
    amina = register(facility, given_name="Amina", family_name="Ngūgĩ")
    baraka = register(facility, given_name="Baraka", family_name="Otieno")
    chidi = register(facility, given_name="Chidi", family_name="Okafor")
    alone = record_event(action=Action.READ, patient_id=str(amina.external_id), reason="alone")
    record_patients_shown(actor=None, patient_ids=[amina.external_id, baraka.external_id], what="l")
    record_event(action=Action.READ, patient_id=str(chidi.external_id), reason="chidi")
    return {"amina": amina, "baraka": baraka, "chidi": chidi, "alone": alone}


def _reasons(response) -> list[str]:
    return [e["reason"] for e in response.json()["results"]]


@pytest.mark.parametrize("typed", ["mrn", "name", "id"])
def test_the_api_finds_a_patients_events_by_mrn_name_or_id(reads, api_client_for, typed):
    # given
    amina = reads["amina"]
    text = {"mrn": amina.mrn.lower(), "name": "ngugi AMINA", "id": str(amina.external_id)}[typed]

    # when
    response = api_client_for("auditor").get(
        reverse("audit-event-list"), {"patient_id": text, "action": "read"}
    )

    # then: her own read and the list that showed her, not Chidi's
    assert response.status_code == 200
    assert _reasons(response) == ["l", "alone"]


def test_the_api_says_who_each_patient_is(reads, api_client_for):
    # when
    response = api_client_for("auditor").get(
        reverse("audit-event-list"), {"patient_id": reads["baraka"].mrn}
    )

    # then
    listed = next(e for e in response.json()["results"] if e["reason"] == "l")
    amina, baraka = reads["amina"], reads["baraka"]
    assert listed["patients"] == [
        {"id": str(amina.external_id), "name": "Amina Ngūgĩ", "mrn": amina.mrn},
        {"id": str(baraka.external_id), "name": "Baraka Otieno", "mrn": baraka.mrn},
    ]


def test_an_id_that_names_no_record_is_shown_as_it_is(db, api_client_for):
    # given
    record_event(action=Action.READ, patient_id="MRN-1", reason="old")

    # when
    response = api_client_for("auditor").get(reverse("audit-event-list"), {"patient_id": "MRN-1"})

    # then
    [event] = response.json()["results"]
    assert event["patients"] == [{"id": "MRN-1", "name": None, "mrn": None}]


def test_the_search_page_finds_by_name_and_shows_name_and_mrn(reads, client_for):
    # given
    chidi = reads["chidi"]

    # when
    response = client_for("auditor").get(
        reverse("audit:search"), {"patient_id": "chidi okafor", "action": "read"}
    )

    # then
    text = response.content.decode()
    assert response.status_code == 200
    assert "1 event." in text
    assert "Chidi Okafor" in text
    assert chidi.mrn in text
    assert "Baraka Otieno" not in text


def test_the_auditor_seeing_patients_is_itself_a_read_of_them(reads, client_for):
    # when
    client_for("auditor").get(reverse("audit:search"), {"patient_id": reads["chidi"].mrn})

    # then
    seen = AuditEvent.objects.get(reason="audit search")
    assert seen.patients_named == [str(reads["chidi"].external_id)]
