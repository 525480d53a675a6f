"""GET /fhir/R4/Encounter: the facility's outpatient visits, read and searched by
patient, date and status; every visit shown is an audited read of the patient's data."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter as FhirEncounter

from hms.audit.models import AuditEvent
from hms.encounters import services as visits
from hms.encounters.models import Encounter
from hms.interop.fhir.tests.helpers import operation_outcome
from hms.interop.fhir.tests.scheduling_clinic import a_clinic, body, local
from hms.patients.testing import registered
from hms.scheduling import queue, services

SEARCH = "/fhir/R4/Encounter"


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def clinic(facility, admin):
    return a_clinic(facility, admin)


@pytest.fixture
def opd(facility):
    return facility.departments.get(code="OPD")


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


@pytest.fixture
def day(clinic, admin, facility, opd, time_machine):
    """Tomorrow at the clinic: Juma checks in for his 08:00 appointment at 07:50, is
    triaged at 08:05, seen from 08:10 and done at 08:30; Wanjiru walks in at 09:00 and
    leaves unseen at 10:00; Baraka walks in at 11:00 and is still waiting."""
    juma = registered(facility)
    wanjiru = registered(facility, given_name="Wanjiru", family_name="Kamau", sex="female")
    baraka = registered(facility, given_name="Baraka", family_name="Mwangi")
    booked = services.book_appointment(actor=admin, patient=juma, slot=clinic.first_slot())

    def at(hour, minute=0):
        time_machine.move_to(local(clinic, clinic.tomorrow, hour, minute), tick=False)

    at(7, 50)
    seen = queue.check_in(actor=admin, appointment=booked).encounter
    at(8, 5)
    visits.move_visit(actor=admin, encounter=seen, to=Encounter.Status.TRIAGED)
    at(8, 10)
    visits.move_visit(actor=admin, encounter=seen, to=Encounter.Status.IN_CONSULTATION)
    at(8, 30)
    visits.move_visit(actor=admin, encounter=seen, to=Encounter.Status.FINISHED)
    at(9)
    left = visits.start_visit(actor=admin, patient=wanjiru, department=opd)
    at(10)
    visits.move_visit(actor=admin, encounter=left, to=Encounter.Status.LEFT)
    at(11)
    waiting = queue.walk_in(
        actor=admin, patient=baraka, department=opd, practitioner=clinic.amina
    ).encounter
    at(12)
    return {
        "juma": juma,
        "wanjiru": wanjiru,
        "baraka": baraka,
        "appointment": booked,
        "seen": seen,
        "left": left,
        "waiting": waiting,
    }


def _read(client, encounter) -> tuple[FhirEncounter, dict]:
    response = client.get(f"{SEARCH}/{encounter.external_id}")
    assert response.status_code == 200, response.content
    raw = body(response)
    return FhirEncounter.model_validate(raw), raw


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate(body(response))
    return [entry.resource.id for entry in bundle.entry or []]


@pytest.mark.django_db
def test_a_visit_seen_is_finished_with_its_steps_and_appointment(clerk, clinic, day, opd):
    # when
    seen, raw = _read(clerk, day["seen"])

    # then
    d = clinic.tomorrow.isoformat()
    assert seen.status == "finished"
    assert (seen.class_fhir.system, seen.class_fhir.code) == (
        "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "AMB",
    )
    assert seen.subject.reference == f"Patient/{day['juma'].external_id}"
    assert seen.participant[0].individual.reference == f"Practitioner/{clinic.amina.external_id}"
    assert seen.appointment[0].reference == f"Appointment/{day['appointment'].external_id}"
    assert seen.serviceProvider.reference == f"Organization/{opd.external_id}"
    assert raw["period"] == {"start": f"{d}T07:50:00+03:00", "end": f"{d}T08:30:00+03:00"}
    assert raw["statusHistory"] == [
        {
            "status": "arrived",
            "period": {"start": f"{d}T07:50:00+03:00", "end": f"{d}T08:05:00+03:00"},
        },
        {
            "status": "triaged",
            "period": {"start": f"{d}T08:05:00+03:00", "end": f"{d}T08:10:00+03:00"},
        },
        {
            "status": "in-progress",
            "period": {"start": f"{d}T08:10:00+03:00", "end": f"{d}T08:30:00+03:00"},
        },
    ]
    assert seen.hospitalization is None


@pytest.mark.django_db
def test_a_patient_who_left_unseen_is_a_cancelled_encounter_saying_so(clerk, clinic, day):
    # when
    left, raw = _read(clerk, day["left"])

    # then
    assert left.status == "cancelled"
    assert left.hospitalization.dischargeDisposition.text == "Left without being seen"
    assert [h.status for h in left.statusHistory] == ["arrived"]
    assert left.participant is None
    assert left.appointment is None


@pytest.mark.django_db
def test_a_visit_going_on_has_an_open_period(clerk, clinic, day):
    # when
    waiting, raw = _read(clerk, day["waiting"])

    # then
    assert waiting.status == "arrived"
    assert raw["period"] == {"start": f"{clinic.tomorrow.isoformat()}T11:00:00+03:00"}
    assert waiting.statusHistory is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["seen", "left", "waiting"]),
        ({"patient": "juma"}, ["seen"]),
        ({"subject": "Patient/wanjiru"}, ["left"]),
        ({"patient": "juma,baraka"}, ["seen", "waiting"]),
        ({"status": "finished"}, ["seen"]),
        ({"status": "cancelled"}, ["left"]),
        ({"status": "arrived,in-progress"}, ["waiting"]),
        ({"status": "planned"}, []),
        # a period: eq holds it whole; ge/gt reach past the value; le/lt start before it
        ({"date": "{d}"}, ["seen", "left"]),
        ({"date": "ge{d}T09:30"}, ["left", "waiting"]),
        ({"date": "gt{d}T10:00"}, ["waiting"]),
        ({"date": "lt{d}T09:00"}, ["seen"]),
        ({"date": "le{d}T09:30"}, ["seen", "left"]),
        ({"date": "le{d}T09:00"}, ["seen"]),
        ({"date": "sa{d}T08:30"}, ["left", "waiting"]),
        ({"date": "eb{d}T09:00"}, ["seen"]),
        ({"date": "ne{d}"}, ["waiting"]),
        ({"date": "ge{d}T08:00", "status": "cancelled,finished"}, ["seen", "left"]),
    ],
)
@pytest.mark.django_db
def test_search_parameters(clerk, clinic, day, params, expected):
    # given
    names = {
        "{d}": clinic.tomorrow.isoformat(),
        "juma": str(day["juma"].external_id),
        "wanjiru": str(day["wanjiru"].external_id),
        "baraka": str(day["baraka"].external_id),
    }
    query = {}
    for key, value in params.items():
        query[key] = _named(value, names)

    # when
    found = _ids(clerk.get(SEARCH, query))

    # then: by arrival
    assert found == [str(day[n].external_id) for n in expected]


def _named(value: str, names: dict) -> str:
    for name, replacement in names.items():
        value = value.replace(name, replacement)
    return value


@pytest.mark.django_db
def test_reads_and_searches_are_audited_per_patient_shown(api_client_for, day):
    # given
    doctor = api_client_for("doctor")

    # when
    _read(doctor, day["left"])
    _ids(doctor.get(SEARCH, {"status": "finished,arrived"}))

    # then
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ).order_by("id")
    assert [(r.patient_id, r.object_id, r.actor_id) for r in reads] == [
        (str(day["wanjiru"].external_id), str(day["left"].external_id), doctor.user.pk),
        (str(day["juma"].external_id), str(day["seen"].external_id), doctor.user.pk),
        (str(day["baraka"].external_id), str(day["waiting"].external_id), doctor.user.pk),
    ]


@pytest.mark.django_db
def test_those_who_do_not_see_patients_are_refused_and_nothing_is_read(api_client_for, day):
    # when
    response = api_client_for("auditor").get(f"{SEARCH}/{day['seen'].external_id}")

    # then
    assert response.status_code == 403
    assert operation_outcome(response).issue[0].code == "forbidden"
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, outcome=AuditEvent.Outcome.SUCCESS
    ).exists()


@pytest.mark.django_db
def test_another_facilitys_user_neither_reads_nor_finds_them(api_client_for, day, other_facility):
    # given
    stranger = api_client_for("nurse", at=other_facility)

    # when
    read = stranger.get(f"{SEARCH}/{day['seen'].external_id}")
    found = _ids(stranger.get(SEARCH))

    # then
    assert read.status_code == 404
    assert found == []


@pytest.mark.parametrize(
    "params",
    [
        {"status": "in_consultation"},
        {"status": "left"},
        {"patient": "Group/1"},
        {"patient": "x" * 250},
        {"date": "2025-02-30"},
        {"date": "ge2025-01-01T10:00:00+99:00"},
        {"class": "AMB"},
        {"_count": "101abc"},
    ],
)
@pytest.mark.django_db
def test_hostile_or_unknown_parameters_answer_400(clerk, day, params):
    # when
    response = clerk.get(SEARCH, params)

    # then
    assert response.status_code == 400, response.content
    assert operation_outcome(response).issue[0].code == "invalid"


@pytest.mark.django_db
def test_a_page_of_encounters_takes_a_fixed_number_of_queries(
    clerk, day, django_assert_max_num_queries
):
    # when: auth and roles, the page with its patients and tickets, the audit append
    with django_assert_max_num_queries(12):
        found = _ids(clerk.get(SEARCH))

    # then
    assert len(found) == 3


@pytest.mark.django_db
def test_emergency_class_is_the_v3_emer_code(clerk, facility, opd, admin):
    # given
    visit = visits.start_visit(
        actor=admin,
        patient=registered(facility),
        department=opd,
        encounter_class=Encounter.Class.EMERGENCY,
    )

    # when
    read, _ = _read(clerk, visit)

    # then
    assert (read.class_fhir.code, read.class_fhir.display) == ("EMER", "emergency")
    assert dt.datetime.fromisoformat(str(read.period.start))
