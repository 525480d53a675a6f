"""The outpatient loop in a browser, with the action counts of UX.md: booking from the
patient page, checking a booked patient in, a walk-in from the home page, the day view
driven from the keyboard, the doctor calling the next patient, and screenshots."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

BOOK_TARGET = 4  # UX.md: at most 4 actions from the patient page
CHECK_IN_TARGET = 1  # one action, the token issued in the same step
WALK_IN_TARGET = 3  # at most 3 actions from the home page


def report(line: str) -> None:
    """Show a measured action count in the test output (pytest -s); the README quotes it."""
    print(f"\n{line}")  # noqa: T201


def answered(page, path_end: str):
    """`with answered(page, "/options/"):` returns once the htmx request to a path ending
    so is answered (the live server's threads share one SQLite connection)."""
    return page.expect_response(lambda r: urlsplit(r.url).path.endswith(path_end))


@pytest.fixture
def clinic(facility, make_user):
    """Dr Amina Hassan of the outpatient department, in consulting room 3, seeing
    patients tomorrow 08:00-12:00 in 15-minute slots; returns (doctor, tomorrow's slots)."""
    from django.utils import timezone

    from hms.core.models import Department
    from hms.scheduling import services
    from hms.scheduling.models import Room, Slot
    from hms.scheduling.times import zone_of
    from hms.staff.models import Practitioner, Specialty

    opd = Department.objects.get(facility=facility, code="OPD")
    doctor = Practitioner.objects.create(
        facility=facility,
        title="Dr",
        given_name="Amina",
        family_name="Hassan",
        search_name="amina hassan",
        department=opd,
    )
    doctor.specialties.add(Specialty.objects.create(code="GP", name="General practice"))
    room = Room.objects.create(facility=facility, code="R3", name="Consulting room 3")
    tomorrow = timezone.localdate(timezone=zone_of(facility)) + dt.timedelta(days=1)
    schedule = services.add_schedule(
        actor=make_user("admin"),
        practitioner=doctor,
        room=room,
        weekday=tomorrow.weekday(),
        starts_at=dt.time(8),
        ends_at=dt.time(12),
        slot_minutes=15,
        valid_from=tomorrow,
    )
    slots = list(Slot.objects.filter(schedule=schedule).order_by("starts_at"))
    return doctor, slots, tomorrow


@pytest.fixture
def patient(facility):
    from hms.patients.testing import registered

    return registered(facility, given_name="Baraka", family_name="Mwangi")


def test_booking_takes_at_most_four_actions_from_the_patient_page(
    page, actions, sign_in, site, make_user, clinic, patient, screenshot
):
    doctor, slots, _ = clinic
    make_user("receptionist", username="grace")
    sign_in("grace")
    page.goto(site(f"/patients/{patient.external_id}/"))
    actions.reset()

    # When the clerk opens booking, types the doctor's name and books the slot offered
    actions.click(page.get_by_role("link", name=re.compile("Book appointment")))
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    expect(page.get_by_label("Doctor or specialty")).to_be_focused()
    with answered(page, "/options/"):
        actions.fill(page.get_by_label("Doctor or specialty"), "hassan")
    expect(page.locator("#options [name=choice]").first).to_be_checked()
    expect(page.locator("#options fieldset.whom")).to_contain_text("Dr Amina Hassan")
    first = page.locator(f'[data-slot="{slots[0].pk}"] input')
    expect(first).to_be_checked()
    screenshot("scheduling-01-booking")
    actions.click(page.get_by_role("button", name="Book", exact=True))

    # Then the appointment is booked and the patient's page says so
    expect(
        page.get_by_text(re.compile(r"Booked Baraka Mwangi: .* 08:00 with Dr Amina Hassan"))
    ).to_be_visible()
    report(f"book an appointment: {actions.count} actions from the patient page")
    assert actions.count <= BOOK_TARGET


def test_the_keyboard_books_too(page, actions, sign_in, site, make_user, clinic, patient):
    _, slots, _ = clinic
    make_user("receptionist", username="grace")
    sign_in("grace")
    page.goto(site(f"/patients/{patient.external_id}/"))
    actions.reset()

    actions.press("b")
    expect(page.get_by_label("Doctor or specialty")).to_be_focused()
    with answered(page, "/options/"):
        actions.fill(page.get_by_label("Doctor or specialty"), "general")
    expect(page.get_by_role("radio", name=re.compile("^General practice"))).to_be_checked()
    actions.press("Enter")  # to the Book button
    expect(page.get_by_role("button", name="Book", exact=True)).to_be_focused()
    actions.press("Enter")

    expect(page.get_by_text(re.compile(r"Booked Baraka Mwangi"))).to_be_visible()
    assert actions.count == 4


def test_a_booked_patient_is_checked_in_in_one_action(
    page, actions, sign_in, site, make_user, clinic, patient, screenshot
):
    from hms.scheduling import services
    from hms.scheduling.models import QueueTicket

    _, slots, _ = clinic
    desk = make_user("receptionist", username="grace")
    with time_machine.travel(slots[0].starts_at - dt.timedelta(minutes=30), tick=True):
        services.book_appointment(actor=desk, patient=patient, slot=slots[1])
        sign_in("grace")
        page.goto(site("/queue/desk/"))
        expect(page.get_by_role("heading", name=re.compile("Check-in desk"))).to_be_visible()
        screenshot("scheduling-02-check-in-desk")
        actions.reset()

        # When the clerk checks the patient in
        actions.click(page.get_by_role("button", name="Check in"))

        # Then the token is issued in the same step, its slip one click away
        expect(page.get_by_text("Checked in Baraka Mwangi: ticket OPD-001.")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Print slip"))).to_be_visible()
        assert QueueTicket.objects.get().label == "OPD-001"
        screenshot("scheduling-03-checked-in")
        report(f"check a booked patient in: {actions.count} action")
        assert actions.count == CHECK_IN_TARGET


def test_a_walk_in_is_checked_in_in_three_actions_from_home(
    page, actions, sign_in, site, make_user, facility, patient, screenshot
):
    make_user("receptionist", username="grace")
    sign_in("grace")
    expect(page.locator("#patient-q")).to_be_focused()
    actions.reset()

    # When the clerk finds the patient, opens him and checks him in as a walk-in
    with answered(page, "/patients/"):
        actions.fill(page.get_by_role("searchbox", name="Find a patient"), "baraka mwangi")
    expect(page.locator("#results [data-result]").first).to_contain_text("Baraka Mwangi")
    actions.press("Enter")
    expect(page.get_by_role("button", name=re.compile("Check in walk-in"))).to_be_visible()
    screenshot("scheduling-04-patient-page-actions")
    actions.click(page.get_by_role("button", name=re.compile("Check in walk-in")))

    # Then the slip with his token is open, ready to print
    expect(page.get_by_test_id("ticket-number")).to_have_text("OPD-001")
    expect(page.get_by_text("You are next")).to_be_visible()
    screenshot("scheduling-05-token-slip")
    report(f"check an existing walk-in in: {actions.count} actions from the home page")
    assert actions.count <= WALK_IN_TARGET


def test_the_day_view_is_driven_from_the_keyboard(
    page, sign_in, site, make_user, facility, clinic, screenshot
):
    from hms.patients.testing import registered
    from hms.scheduling import services

    doctor, slots, tomorrow = clinic
    desk = make_user("receptionist", username="grace")
    first = registered(facility, given_name="Zawadi", family_name="Njeri")
    services.book_appointment(actor=desk, patient=first, slot=slots[0])
    services.book_appointment(
        actor=desk, patient=registered(facility, given_name="Chebet"), slot=slots[2]
    )
    sign_in("grace")
    day = f"/appointments/?show=department%3AOPD&date={tomorrow.isoformat()}&span=day"
    page.goto(site(day))
    expect(page.get_by_role("heading", name=re.compile("Outpatients"))).to_be_visible()
    expect(page.locator("#calendar-keys")).to_contain_text("check in")
    screenshot("scheduling-06-day-view")

    # j moves to the first row, Enter opens its patient
    page.keyboard.press("j")
    expect(page.locator("tr[data-row]").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(site(f"/patients/{first.external_id}/"))
    page.go_back()

    # the arrows change the day, t comes back to today, w toggles the week
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"date={tomorrow + dt.timedelta(days=1):%Y-%m-%d}"))
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(rf"date={tomorrow:%Y-%m-%d}"))
    page.keyboard.press("w")
    expect(page).to_have_url(re.compile("span=week"))
    expect(page.get_by_role("link", name="Dr Amina Hassan")).to_be_visible()
    screenshot("scheduling-07-week-view")
    page.keyboard.press("w")
    expect(page).to_have_url(re.compile("span=day"))

    # x on a booked row opens its cancellation, which goes back to the day when done
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.get_by_role("heading", name="Cancel the appointment")).to_be_visible()
    page.get_by_label("Why is it cancelled?").fill("Patient travelling")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Cancelled Zawadi Njeri's")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"date={tomorrow:%Y-%m-%d}"))

    # r on the other booked row offers the doctor's next free slots
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("r")
    expect(page.get_by_role("heading", name="Move the appointment")).to_be_visible()
    screenshot("scheduling-08-reschedule")
    page.get_by_role("button", name="Move it").click()
    expect(page.get_by_text(re.compile("Moved Chebet Otieno from"))).to_be_visible()

    page.keyboard.press("t")
    expect(page).to_have_url(re.compile(rf"date={tomorrow - dt.timedelta(days=1):%Y-%m-%d}"))


def test_the_doctor_calls_the_next_patient_to_their_room(
    page, browser, sign_in, site, make_user, facility, clinic, patient, screenshot
):
    from hms.core.models import Department
    from hms.scheduling import queue

    doctor, slots, _ = clinic
    desk = make_user("receptionist")
    opd = Department.objects.get(facility=facility, code="OPD")
    with time_machine.travel(slots[0].starts_at - dt.timedelta(minutes=5), tick=True):
        queue.walk_in(actor=desk, patient=patient, department=opd)
        make_user("nurse", username="peter")
        sign_in("peter")
        page.goto(site(f"/queue/worklist/?doctor={doctor.external_id}"))
        expect(page.get_by_role("cell", name=re.compile("Baraka Mwangi"))).to_be_visible()
        screenshot("scheduling-09-worklist")

        page.get_by_role("button", name=re.compile("Call next")).click()

        expect(
            page.get_by_text("Called OPD-001, Baraka Mwangi to Consulting room 3.")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Finish")).to_be_visible()
        screen = browser.new_page()
        screen.goto(site("/queue/RGH/OPD/screen/"))
        expect(screen.locator(".called li.latest")).to_contain_text("Consulting room 3")
        screen.close()
        page.get_by_role("button", name="Finish").click()
        expect(page.get_by_text("OPD-001 seen.")).to_be_visible()
