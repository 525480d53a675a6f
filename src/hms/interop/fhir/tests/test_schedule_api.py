"""GET /fhir/R4/Schedule: one Schedule per weekly session, read and searched by actor
and active."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.schedule import Schedule as FhirSchedule

from hms.interop.fhir.tests.helpers import operation_outcome
from hms.interop.fhir.tests.scheduling_clinic import a_clinic, body
from hms.scheduling import services
from hms.scheduling.models import Schedule
from hms.staff import services as staff
from hms.staff.inputs import PractitionerInput

SEARCH = "/fhir/R4/Schedule"


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
def ended(clinic, admin) -> Schedule:
    """Dr Otieno's Saturday session, which ran for a month and ended yesterday."""
    today = clinic.tomorrow - dt.timedelta(days=1)
    return services.add_schedule(
        actor=admin,
        practitioner=clinic.otieno,
        weekday=5,
        starts_at=dt.time(9, 0),
        ends_at=dt.time(11, 0),
        slot_minutes=20,
        valid_from=today - dt.timedelta(days=30),
        valid_until=today - dt.timedelta(days=1),
    )


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate(body(response))
    return sorted(entry.resource.id for entry in bundle.entry or [])


@pytest.mark.django_db
def test_read_gives_a_valid_schedule_of_the_session(clerk, clinic):
    # when
    response = clerk.get(f"{SEARCH}/{clinic.morning.external_id}")

    # then
    assert response.status_code == 200, response.content
    schedule = FhirSchedule.model_validate(body(response))
    assert schedule.active is True
    practitioner, room = schedule.actor
    assert practitioner.reference == f"Practitioner/{clinic.amina.external_id}"
    assert room.reference == f"#{schedule.contained[0].id}"
    assert schedule.contained[0].name == "Consulting room 3"
    assert str(schedule.planningHorizon.start) == clinic.tomorrow.isoformat()
    assert schedule.planningHorizon.end is None
    assert schedule.serviceType[0].coding[0].code == "new"
    assert schedule.specialty[0].coding[0].code == "PAED"
    assert "08:00-12:00" in schedule.comment
    assert "15-minute slots" in schedule.comment


@pytest.mark.django_db
def test_a_session_without_a_room_has_the_practitioner_alone(clerk, clinic):
    # when
    schedule = FhirSchedule.model_validate(
        body(clerk.get(f"{SEARCH}/{clinic.afternoon.external_id}"))
    )

    # then
    assert [a.reference for a in schedule.actor] == [f"Practitioner/{clinic.otieno.external_id}"]
    assert schedule.contained is None
    assert (
        str(schedule.planningHorizon.end) == (clinic.tomorrow + dt.timedelta(days=29)).isoformat()
    )
    assert schedule.serviceType[0].coding[1].code == "FOLLOWUP"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["morning", "afternoon", "ended", "off"]),
        ({"actor": "amina"}, ["morning", "off"]),
        ({"actor": "Practitioner/otieno"}, ["afternoon", "ended"]),
        ({"actor": "amina,otieno"}, ["morning", "afternoon", "ended", "off"]),
        ({"active": "true"}, ["morning", "afternoon"]),
        ({"active": "false"}, ["ended", "off"]),
        ({"actor": "otieno", "active": "false"}, ["ended"]),
    ],
)
@pytest.mark.django_db
def test_search_by_actor_and_active(clerk, clinic, admin, ended, params, expected):
    # given: a Friday session of Dr Hassan's, switched off
    off = services.add_schedule(
        actor=admin,
        practitioner=clinic.amina,
        weekday=(clinic.tomorrow.weekday() + 4) % 7,
        starts_at=dt.time(8, 0),
        ends_at=dt.time(9, 0),
        slot_minutes=30,
        valid_from=clinic.tomorrow,
    )
    Schedule.objects.filter(pk=off.pk).update(is_active=False)
    sessions = {"morning": clinic.morning, "afternoon": clinic.afternoon, "ended": ended}
    sessions["off"] = off
    doctors = {"amina": clinic.amina, "otieno": clinic.otieno}
    if "actor" in params:
        for name, doctor in doctors.items():
            params["actor"] = params["actor"].replace(name, str(doctor.external_id))

    # when
    found = _ids(clerk.get(SEARCH, params))

    # then
    assert found == sorted(str(sessions[n].external_id) for n in expected)


@pytest.mark.django_db
def test_an_ended_session_reads_as_inactive(clerk, ended):
    # when
    schedule = FhirSchedule.model_validate(body(clerk.get(f"{SEARCH}/{ended.external_id}")))

    # then
    assert schedule.active is False


@pytest.mark.django_db
def test_another_facilitys_sessions_are_neither_read_nor_found(
    clerk, clinic, other_facility, make_user
):
    # given
    their_admin = make_user("admin", at=other_facility)
    theirs = staff.add_practitioner(
        actor=their_admin,
        facility=other_facility,
        data=PractitionerInput(given_name="Far", family_name="Away"),
    )
    session = services.add_schedule(
        actor=their_admin,
        practitioner=theirs,
        weekday=0,
        starts_at=dt.time(8, 0),
        ends_at=dt.time(9, 0),
        slot_minutes=30,
        valid_from=clinic.tomorrow,
    )

    # when
    read = clerk.get(f"{SEARCH}/{session.external_id}")
    found = _ids(clerk.get(SEARCH, {"actor": str(theirs.external_id)}))

    # then
    assert read.status_code == 404
    assert found == []


@pytest.mark.django_db
def test_a_role_that_does_not_see_schedules_is_refused(api_client_for, clinic):
    # when
    response = api_client_for("billing_clerk").get(f"{SEARCH}/{clinic.morning.external_id}")

    # then
    assert response.status_code == 403
    assert operation_outcome(response).issue[0].code == "forbidden"


@pytest.mark.parametrize(
    "params",
    [
        {"actor": "Location/room-1"},
        {"actor": "Practitioner/<script>"},
        {"actor": "https://elsewhere.example/Practitioner/1"},
        {"active": "1"},
        {"date": "2025"},
    ],
)
@pytest.mark.django_db
def test_hostile_or_unknown_parameters_answer_400(clerk, clinic, params):
    # when
    response = clerk.get(SEARCH, params)

    # then
    assert response.status_code == 400, response.content
    assert operation_outcome(response).issue[0].code == "invalid"


@pytest.mark.parametrize("resource_id", ["not-a-uuid", "1", "'%00"])
@pytest.mark.django_db
def test_read_of_an_id_that_cannot_exist_is_404(clerk, clinic, resource_id):
    # when
    response = clerk.get(f"{SEARCH}/{resource_id}")

    # then
    assert response.status_code == 404
    assert operation_outcome(response).issue[0].code == "not-found"
