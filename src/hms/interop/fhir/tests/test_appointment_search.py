"""GET /fhir/R4/Appointment (read, search by patient, practitioner, date and status),
the audit of those reads, and PUT to cancel."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from hms.audit.models import AuditEvent
from hms.interop.fhir.tests.helpers import FHIR_JSON, operation_outcome
from hms.interop.fhir.tests.scheduling_clinic import a_clinic, body, local
from hms.patients.testing import registered
from hms.scheduling import services
from hms.scheduling.models import Appointment, Slot

SEARCH = "/fhir/R4/Appointment"


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def clinic(facility, admin):
    return a_clinic(facility, admin)


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


@pytest.fixture
def diary(clinic, admin, facility):
    """Juma at 08:00 tomorrow with Dr Hassan (a no-show by 10:00); Wanjiru at 08:15,
    cancelled; Juma the day after at 14:00 with Dr Otieno, a follow-up."""
    juma = registered(facility)
    wanjiru = registered(facility, given_name="Wanjiru", family_name="Kamau", sex="female")
    first, second = clinic.slots()[:2]
    missed = services.book_appointment(actor=admin, patient=juma, slot=first, reason="Fever")
    cancelled = services.book_appointment(actor=admin, patient=wanjiru, slot=second)
    services.cancel_appointment(actor=admin, appointment=cancelled, reason="Travelling")
    follow_up = services.book_appointment(
        actor=admin, patient=juma, slot=clinic.first_slot(clinic.afternoon)
    )
    services.mark_no_shows(now=local(clinic, clinic.tomorrow, 10))
    return {
        "juma": juma,
        "wanjiru": wanjiru,
        "missed": missed,
        "cancelled": cancelled,
        "follow_up": follow_up,
    }


def _named(value: str, names: dict) -> str:
    for name, replacement in names.items():
        value = value.replace(name, str(replacement))
    return value


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate(body(response))
    return [entry.resource.id for entry in bundle.entry or []]


def _read(client, appointment) -> FhirAppointment:
    response = client.get(f"{SEARCH}/{appointment.external_id}")
    assert response.status_code == 200, response.content
    return FhirAppointment.model_validate(body(response))


@pytest.mark.django_db
def test_read_maps_status_type_reason_and_cancellation(clerk, diary):
    # when
    missed = _read(clerk, diary["missed"])
    cancelled = _read(clerk, diary["cancelled"])
    follow_up = _read(clerk, diary["follow_up"])

    # then
    assert (missed.status, missed.reasonCode[0].text, missed.cancelationReason) == (
        "noshow",
        "Fever",
        None,
    )
    assert (cancelled.status, cancelled.cancelationReason.text) == ("cancelled", "Travelling")
    assert follow_up.status == "booked"
    assert follow_up.appointmentType.coding[0].code == "follow_up"
    assert follow_up.contained is None  # Dr Otieno's session has no room
    assert follow_up.minutesDuration == 30


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["missed", "cancelled", "follow_up"]),
        ({"patient": "juma"}, ["missed", "follow_up"]),
        ({"patient": "Patient/wanjiru"}, ["cancelled"]),
        ({"patient": "juma,wanjiru"}, ["missed", "cancelled", "follow_up"]),
        ({"practitioner": "amina"}, ["missed", "cancelled"]),
        ({"practitioner": "Practitioner/otieno", "patient": "juma"}, ["follow_up"]),
        ({"status": "noshow"}, ["missed"]),
        ({"status": "booked,cancelled"}, ["cancelled", "follow_up"]),
        ({"status": "http://hl7.org/fhir/appointmentstatus|cancelled"}, ["cancelled"]),
        ({"status": "waitlist"}, []),
        ({"date": "{tomorrow}"}, ["missed", "cancelled"]),
        ({"date": "gt{tomorrow}"}, ["follow_up"]),
        ({"date": "ge{tomorrow}T08:15"}, ["cancelled", "follow_up"]),
        ({"date": "lt{tomorrow}T08:15"}, ["missed"]),
        ({"date": "ne{tomorrow}"}, ["follow_up"]),
    ],
)
@pytest.mark.django_db
def test_search_parameters(clerk, clinic, diary, params, expected):
    # given
    names = {
        "juma": diary["juma"].external_id,
        "wanjiru": diary["wanjiru"].external_id,
        "amina": clinic.amina.external_id,
        "otieno": clinic.otieno.external_id,
        "{tomorrow}": clinic.tomorrow.isoformat(),
    }
    query = {key: _named(value, names) for key, value in params.items()}

    # when
    found = _ids(clerk.get(SEARCH, query))

    # then: in time order
    assert found == [str(diary[n].external_id) for n in expected]


@pytest.mark.django_db
def test_search_pages(clerk, diary):
    # when
    first = Bundle.model_validate(body(clerk.get(SEARCH, {"_count": "2"})))
    second = Bundle.model_validate(body(clerk.get(SEARCH, {"_count": "2", "_offset": "2"})))

    # then
    assert [e.resource.id for e in first.entry] == [
        str(diary["missed"].external_id),
        str(diary["cancelled"].external_id),
    ]
    assert "next" in {link.relation for link in first.link}
    assert [e.resource.id for e in second.entry] == [str(diary["follow_up"].external_id)]
    assert second.total == 3


@pytest.mark.django_db
def test_a_read_is_audited_as_a_read_of_the_patients_data(api_client_for, diary):
    # given
    nurse = api_client_for("nurse")

    # when
    _read(nurse, diary["cancelled"])

    # then
    read = AuditEvent.objects.get(action=AuditEvent.Action.READ)
    assert (read.patient_id, read.actor_id, read.channel, read.outcome) == (
        str(diary["wanjiru"].external_id),
        nurse.user.pk,
        "api",
        AuditEvent.Outcome.SUCCESS,
    )
    assert read.object_id == str(diary["cancelled"].external_id)


@pytest.mark.django_db
def test_a_search_audits_one_read_per_appointment_shown(clerk, diary):
    # when
    _ids(clerk.get(SEARCH, {"patient": str(diary["juma"].external_id)}))
    _ids(clerk.get(SEARCH, {"status": "proposed"}))  # shows nobody

    # then
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ).order_by("id")
    assert [(r.patient_id, r.object_id) for r in reads] == [
        (str(diary["juma"].external_id), str(diary["missed"].external_id)),
        (str(diary["juma"].external_id), str(diary["follow_up"].external_id)),
    ]


@pytest.mark.django_db
def test_a_refused_read_is_not_a_read_of_the_patient(api_client_for, diary):
    # when: pharmacists see patients, not the diary
    response = api_client_for("pharmacist").get(f"{SEARCH}/{diary['missed'].external_id}")

    # then
    assert response.status_code == 403
    assert operation_outcome(response).issue[0].code == "forbidden"
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, outcome=AuditEvent.Outcome.SUCCESS
    ).exists()
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).count() == 1


@pytest.mark.django_db
def test_another_facilitys_user_neither_reads_nor_finds_them(api_client_for, diary, other_facility):
    # given
    stranger = api_client_for("receptionist", at=other_facility)

    # when
    read = stranger.get(f"{SEARCH}/{diary['missed'].external_id}")
    found = _ids(stranger.get(SEARCH, {"patient": str(diary["juma"].external_id)}))

    # then
    assert read.status_code == 404
    assert found == []


@pytest.mark.parametrize(
    "params",
    [
        {"patient": "Practitioner/1"},
        {"patient": "<img src=x>"},
        {"practitioner": "00000000-0000-0000-0000-00000000000g"},
        {"status": "arrived'--"},
        {"status": "http://other.example|booked"},
        {"date": "2025-02-29"},
        {"date": "tomorrow"},
        {"date": "ap2025"},
        {"slot": "Slot/1"},
        {"_count": "\x00"},
    ],
)
@pytest.mark.django_db
def test_hostile_or_unknown_parameters_answer_400(clerk, diary, params):
    # when
    response = clerk.get(SEARCH, params)

    # then
    assert response.status_code == 400, response.content
    assert operation_outcome(response).issue[0].code == "invalid"


# --- cancelling --------------------------------------------------------------------------


def _put(client, appointment, resource):
    return client.put(
        f"{SEARCH}/{appointment.external_id}", json.dumps(resource), content_type=FHIR_JSON
    )


def _as_stored(client, appointment) -> dict:
    return body(client.get(f"{SEARCH}/{appointment.external_id}"))


@pytest.mark.django_db
def test_put_with_status_cancelled_cancels_through_the_service_and_frees_the_slot(clerk, diary):
    # given
    appointment = diary["follow_up"]
    resource = _as_stored(clerk, appointment)
    resource.update(status="cancelled", cancelationReason={"text": "Feeling better"})

    # when
    response = _put(clerk, appointment, resource)

    # then
    assert response.status_code == 200, response.content
    assert FhirAppointment.model_validate(body(response)).status == "cancelled"
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Feeling better")
    assert Slot.objects.get(pk=appointment.slot_id).booked == 0
    slot = body(clerk.get(f"/fhir/R4/Slot/{appointment.slot_id}"))
    assert slot["status"] == "free"


@pytest.mark.parametrize(
    ("changes", "status", "expression"),
    [
        ({"status": "cancelled"}, 400, "Appointment.cancelationReason.text"),
        ({"status": "fulfilled"}, 422, "Appointment.status"),
        (
            {"status": "cancelled", "cancelationReason": {"text": "x"}, "id": "other"},
            400,
            "Appointment.id",
        ),
        (
            {
                "status": "cancelled",
                "cancelationReason": {"text": "x"},
                "slot": [{"reference": "Slot/1"}],
            },
            422,
            "Appointment.slot",
        ),
        ({"status": "cancelled", "cancelationReason": {"text": "\x07"}}, 400, None),
    ],
)
@pytest.mark.django_db
def test_put_refuses_anything_but_a_cancellation_with_a_reason(
    clerk, diary, changes, status, expression
):
    # given
    appointment = diary["follow_up"]
    resource = {**_as_stored(clerk, appointment), **changes}

    # when
    response = _put(clerk, appointment, resource)

    # then
    assert response.status_code == status, response.content
    outcome = operation_outcome(response)
    if expression:
        assert outcome.issue[0].expression == [expression]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


@pytest.mark.django_db
def test_put_cannot_cancel_a_missed_appointment(clerk, diary):
    # given
    resource = _as_stored(clerk, diary["missed"])
    resource.update(status="cancelled", cancelationReason={"text": "Late"})

    # when
    response = _put(clerk, diary["missed"], resource)

    # then
    assert response.status_code == 409
    assert operation_outcome(response).issue[0].expression == ["Appointment.status"]


@pytest.mark.django_db
def test_put_needs_the_permission_to_book(api_client_for, clerk, diary):
    # given: doctors book; billing clerks may not even see the diary
    resource = _as_stored(clerk, diary["follow_up"])
    resource.update(status="cancelled", cancelationReason={"text": "x"})

    # when
    response = _put(api_client_for("billing_clerk"), diary["follow_up"], resource)

    # then
    assert response.status_code == 403
    diary["follow_up"].refresh_from_db()
    assert diary["follow_up"].status == Appointment.Status.BOOKED


@pytest.mark.django_db
def test_metadata_lists_the_scheduling_resources_with_their_search_parameters(client):
    # when
    statement = CapabilityStatement.model_validate(
        json.loads(client.get("/fhir/R4/metadata").content)
    )

    # then
    resources = {r.type: r for r in statement.rest[0].resource}
    params = {t: sorted(p.name for p in r.searchParam or []) for t, r in resources.items()}
    assert params["Appointment"] == ["_id", "date", "patient", "practitioner", "status"]
    assert params["Slot"] == ["_id", "schedule", "specialty", "start", "status"]
    assert params["Schedule"] == ["_id", "active", "actor"]
    assert params["Practitioner"] == ["_id", "active", "identifier", "name"]
    assert params["PractitionerRole"] == ["_id", "practitioner", "specialty"]
    assert params["Encounter"] == ["_id", "date", "patient", "status", "subject"]
    interactions = [i.code for i in resources["Appointment"].interaction]
    assert interactions == ["read", "update", "search-type", "create"]
    assert dt.date.fromisoformat(str(statement.date))
