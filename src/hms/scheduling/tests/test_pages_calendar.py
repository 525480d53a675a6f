"""Day and week views per doctor, department and room, and what a booked row offers:
check in (the token issued), cancel with a reason, reschedule."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from hms.core.models import Department
from hms.patients.testing import registered
from hms.scheduling import services
from hms.scheduling.models import Appointment, QueueTicket, Slot

pytestmark = pytest.mark.django_db
CALENDAR = "/appointments/"


@pytest.fixture
def opd(facility, practitioner) -> Department:
    department = Department.objects.get(facility=facility, code="OPD")
    practitioner.department = department
    practitioner.save()
    return department


@pytest.fixture
def slots(schedule) -> list[Slot]:
    return list(Slot.objects.filter(schedule=schedule, is_emergency=False).order_by("starts_at"))


@pytest.fixture
def appointment(receptionist, patient, slots, opd) -> Appointment:
    return services.book_appointment(actor=receptionist, patient=patient, slot=slots[0])


@pytest.fixture
def clerk(client_for):
    return client_for("receptionist")


@pytest.fixture
def on_the_day(slots):
    """The clinic's morning, half an hour before the first slot."""
    with time_machine.travel(slots[0].starts_at - dt.timedelta(minutes=30), tick=True):
        yield


def action(name: str, appointment: Appointment) -> str:
    return reverse(f"appointments:{name}", args=[appointment.external_id])


@pytest.mark.parametrize("show", ["department:OPD", "doctor", "room:R3"])
def test_the_day_view_lists_slots_and_appointments(
    clerk, appointment, tomorrow, show, practitioner
):
    show = f"doctor:{practitioner.external_id}" if show == "doctor" else show

    response = clerk.get(CALENDAR, {"show": show, "date": tomorrow.isoformat()})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Juma Otieno" in html
    assert appointment.patient.mrn in html
    assert '<span class="status booked">Booked</span>' in html
    assert "New patient" in html
    assert html.count("<tr data-row") == 15  # 16 slots less the break: 08:00-12:00
    assert "Free · held for emergencies" in html
    assert f'formaction="/appointments/{appointment.external_id}/cancel/"' in html
    assert "Check in" not in html.split("<main", 1)[1].split("data-rows", 1)[1]  # not today


def test_the_week_view_of_a_department_counts_each_doctors_days(clerk, appointment, tomorrow):
    response = clerk.get(
        CALENDAR, {"show": "department:OPD", "date": tomorrow.isoformat(), "span": "week"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dr Amina Hassan" in html
    assert "<strong>1</strong> booked · 13 free" in html


def test_the_week_view_of_a_doctor_lists_the_appointments(
    clerk, appointment, tomorrow, practitioner
):
    show = f"doctor:{practitioner.external_id}"

    html = clerk.get(CALENDAR, {"show": show, "date": tomorrow, "span": "week"}).content.decode()

    assert "Juma Otieno" in html
    assert "No appointments" in html  # the other days


def test_the_day_view_says_its_keys(clerk, appointment, tomorrow):
    html = clerk.get(CALENDAR, {"show": "department:OPD", "date": tomorrow}).content.decode()

    assert 'data-shortcut="ArrowLeft"' in html
    assert 'data-shortcut="t"' in html
    assert 'data-shortcut="w"' in html
    assert "<kbd>i</kbd> check in" in html


def test_the_department_day_view_reads_a_fixed_number_of_rows(
    clerk, appointment, tomorrow, django_assert_max_num_queries, admin, facility, opd
):
    # given five more doctors with full mornings
    for number in range(5):
        doctor = type(appointment.practitioner).objects.create(
            facility=facility, given_name="Doc", family_name=f"T{number}", department=opd
        )
        services.add_schedule(
            actor=admin,
            practitioner=doctor,
            weekday=tomorrow.weekday(),
            starts_at=dt.time(8),
            ends_at=dt.time(12),
            slot_minutes=15,
            valid_from=tomorrow,
        )

    with django_assert_max_num_queries(20):
        response = clerk.get(CALENDAR, {"show": "department:OPD", "date": tomorrow})

    assert response.content.decode().count("<tr data-row") == 15 + 5 * 16


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"show": "doctor:zzz"}, "Show: Choose a department, a doctor or a room"),
        ({"show": "department:NOPE"}, "Show: No such department, doctor or room here."),
        ({"show": "ward:<b>"}, "Show: Choose a department"),
        ({"date": "2026-02-31"}, "Date: Enter a valid date."),
        ({"date": "x" * 500}, "Date: Enter a valid date."),
        ({"span": "year"}, "View: Select a valid choice."),
        ({"show": "department:OPD\x00"}, "control character"),
    ],
)
def test_hostile_queries_are_a_400_naming_the_field(clerk, opd, query, message):
    response = clerk.get(CALENDAR, query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_another_facilitys_doctor_is_not_shown(clerk, other_facility, opd):
    stranger = type(opd).objects.create(
        facility=other_facility, code="OPD", name="Their OPD", kind="opd"
    )

    response = clerk.get(CALENDAR, {"show": f"department:{stranger.code}"})

    assert response.status_code == 200  # the code names this facility's own OPD
    assert "Their OPD" not in response.content.decode()


def test_roles_without_schedules_are_refused(client_for):
    assert client_for("pharmacist").get(CALENDAR).status_code == 403


def test_check_in_issues_the_token_in_one_action(on_the_day, clerk, appointment, tomorrow):
    back = f"{CALENDAR}?show=department:OPD&date={tomorrow.isoformat()}"

    response = clerk.post(action("check-in", appointment), {"back": back})

    ticket = QueueTicket.objects.get(appointment=appointment)
    assert response.status_code == 302
    assert response["Location"] == f"{back.replace(':', '%3A')}&issued={ticket.pk}"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    page = clerk.get(response["Location"]).content.decode()
    assert f"Checked in Juma Otieno: ticket {ticket.label}." in page
    assert reverse("queue:ticket-slip", args=[ticket.pk]) in page
    assert "Print slip" in page


def test_check_in_on_another_day_is_refused_with_nothing_issued(clerk, appointment):
    response = clerk.post(action("check-in", appointment), {"back": CALENDAR})

    assert response.status_code == 302
    assert not QueueTicket.objects.exists()
    page = clerk.get(response["Location"]).content.decode()
    assert "not today" in page


@pytest.mark.parametrize(
    "data", [{"priority": "99"}, {"priority": "x"}, {"back": "\x00"}, {"priority": "1" * 500}]
)
def test_hostile_check_in_issues_nothing(on_the_day, clerk, appointment, data):
    response = clerk.post(action("check-in", appointment), data)

    assert response.status_code == 302
    assert not QueueTicket.objects.exists()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_check_in_never_sends_off_site(on_the_day, clerk, appointment, back):
    response = clerk.post(action("check-in", appointment), {"back": back})

    assert response["Location"].startswith("/queue/desk/?issued=")


def test_cancel_asks_a_reason_and_frees_the_slot(clerk, appointment, slots):
    page = clerk.get(action("cancel", appointment))
    refused = clerk.post(action("cancel", appointment), {"reason": ""})
    done = clerk.post(action("cancel", appointment), {"reason": "Patient travelling"})

    assert page.status_code == 200
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Patient travelling")
    slots[0].refresh_from_db()
    assert slots[0].booked == 0


def test_cancelling_twice_is_a_form_error(clerk, appointment):
    clerk.post(action("cancel", appointment), {"reason": "Travelling"})

    response = clerk.post(action("cancel", appointment), {"reason": "Again"})

    assert response.status_code == 400
    assert "cannot be cancelled" in response.content.decode()


def test_reschedule_offers_the_doctors_next_slots_and_moves_it(clerk, appointment, slots):
    page = clerk.get(action("reschedule", appointment)).content.decode()
    response = clerk.post(action("reschedule", appointment), {"slot": slots[3].pk})

    assert f'name="slot" value="{slots[1].pk}" checked' in page
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert (moved.slot, moved.status) == (slots[3], "booked")


def test_rescheduling_into_a_taken_slot_keeps_the_appointment(
    clerk, appointment, slots, receptionist, facility
):
    services.book_appointment(
        actor=receptionist, patient=registered(facility, given_name="Neema"), slot=slots[3]
    )

    response = clerk.post(action("reschedule", appointment), {"slot": slots[3].pk})

    assert response.status_code == 409
    assert "That slot was just taken." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert Appointment.objects.filter(patient=appointment.patient).count() == 1


@pytest.mark.parametrize("slot", ["", "abc", "0", "99999999"])
def test_hostile_reschedule_is_a_form_error(clerk, appointment, slot):
    response = clerk.post(action("reschedule", appointment), {"slot": slot})

    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_roles_without_booking_cannot_cancel_or_move(client_for, appointment, slots):
    nurse_free = client_for("pharmacist")

    assert nurse_free.post(action("cancel", appointment), {"reason": "x"}).status_code == 403
    assert (
        nurse_free.post(action("reschedule", appointment), {"slot": slots[2].pk}).status_code == 403
    )
    assert nurse_free.post(action("check-in", appointment)).status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_names_in_the_rows_are_escaped(clerk, receptionist, facility, slots, opd, tomorrow):
    patient = registered(facility, given_name="Aoife", family_name="O'Neil")
    services.book_appointment(actor=receptionist, patient=patient, slot=slots[1])

    html = clerk.get(CALENDAR, {"show": "department:OPD", "date": tomorrow}).content.decode()

    assert "Aoife O&#x27;Neil" in html
    assert "O'Neil" not in html
