"""The whole outpatient loop in a browser: the clerk books from the patient page, the
confirmation and the reminder go out through a real SMTP server, the patient is checked
in at the desk, the waiting-room screen shows the ticket, the nurse running the clinic
calls the patient in and finishes the visit."""

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


@pytest.fixture
def afternoon_clinic(facility, make_user):
    """Dr Amina Hassan of outpatients, consulting room 3, tomorrow 14:00-16:00 in
    15-minute slots; returns (doctor, first slot, tomorrow)."""
    from django.utils import timezone

    from hms.core.models import Department
    from hms.scheduling import services
    from hms.scheduling.models import Slot
    from hms.scheduling.times import zone_of
    from hms.staff.models import Practitioner

    admin = make_user("admin")
    opd = Department.objects.get(facility=facility, code="OPD")
    doctor = Practitioner.objects.create(
        facility=facility,
        title="Dr",
        given_name="Amina",
        family_name="Hassan",
        search_name="amina hassan",
        department=opd,
    )
    room = services.add_room(actor=admin, facility=facility, code="R3", name="Consulting room 3")
    tomorrow = timezone.localdate(timezone=zone_of(facility)) + dt.timedelta(days=1)
    schedule = services.add_schedule(
        actor=admin,
        practitioner=doctor,
        room=room,
        weekday=tomorrow.weekday(),
        starts_at=dt.time(14),
        ends_at=dt.time(16),
        slot_minutes=15,
        valid_from=tomorrow,
    )
    return doctor, Slot.objects.filter(schedule=schedule).order_by("starts_at").first(), tomorrow


def test_book_remind_check_in_call_and_finish(
    page, browser, sign_in, site, make_user, facility, afternoon_clinic, settings, screenshot
):
    from hms.encounters.models import Encounter
    from hms.patients.sending import send_due_messages
    from hms.patients.testing import registered
    from hms.patients.tests.smtp import smtp_server
    from hms.scheduling.models import Appointment

    doctor, slot, _ = afternoon_clinic
    patient = registered(
        facility,
        given_name="Baraka",
        family_name="Mwangi",
        email="baraka@example.org",
        consent_email=True,
    )
    make_user("receptionist", username="grace")
    make_user("nurse", username="peter")
    morning = slot.starts_at - dt.timedelta(hours=4)  # 10:00 on the clinic's day
    with smtp_server() as (inbox, port), time_machine.travel(morning, tick=True) as clock:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port

        sign_in("grace")
        book_first_slot(page, site, patient, slot)
        appointment = Appointment.objects.get(patient=patient)
        reference = str(appointment.external_id)[:8].upper()

        # The worker's sender mails the confirmation now and the reminder two hours ahead.
        assert send_due_messages().sent == 1
        clock.move_to(slot.starts_at - dt.timedelta(hours=2) + dt.timedelta(minutes=1))
        assert send_due_messages().sent == 1
        assert_messages_say_when_and_where_only(inbox, reference)

        # On the day, the patient arrives and is checked in at the desk in one action.
        clock.move_to(slot.starts_at - dt.timedelta(minutes=20))
        page.context.clear_cookies()  # hours later: the morning's session has timed out
        sign_in("grace")
        page.goto(site("/queue/desk/"))
        page.get_by_role("button", name="Check in").click()
        expect(page.get_by_text("Checked in Baraka Mwangi: ticket OPD-001.")).to_be_visible()

        # The waiting-room screen shows the ticket, by number only.
        screen = browser.new_page(viewport={"width": 1920, "height": 1080})
        screen.goto(site("/queue/RGH/OPD/screen/"))
        expect(screen.locator("body")).to_contain_text("OPD-001")
        assert "Mwangi" not in screen.content()

        # The nurse running the clinic calls the next patient into the doctor's room.
        page.context.clear_cookies()
        sign_in("peter")
        page.goto(site(f"/queue/worklist/?doctor={doctor.external_id}"))
        page.get_by_role("button", name=re.compile("Call next")).click()
        expect(
            page.get_by_text("Called OPD-001, Baraka Mwangi to Consulting room 3.")
        ).to_be_visible()
        expect(screen.locator(".called li.latest")).to_contain_text("OPD-001", timeout=10_000)
        expect(screen.locator(".called li.latest")).to_contain_text("Consulting room 3")
        screenshot("loop-01-screen-called", on=screen)

        # The visit ends.
        page.get_by_role("button", name="Finish").click()
        expect(page.get_by_text("OPD-001 seen.")).to_be_visible()
        screen.close()

    encounter = Encounter.objects.get(patient=patient)
    appointment.refresh_from_db()
    assert encounter.status == Encounter.Status.FINISHED
    assert appointment.status == Appointment.Status.FULFILLED
    assert encounter.arrived_at < encounter.ended_at


def book_first_slot(page, site, patient, slot) -> None:
    """The clerk books the first free slot of Dr Hassan from the patient's page."""
    page.goto(site(f"/patients/{patient.external_id}/"))
    page.get_by_role("link", name=re.compile("Book appointment")).click()
    with page.expect_response(lambda r: urlsplit(r.url).path.endswith("/options/")):
        page.get_by_label("Doctor or specialty").fill("hassan")
    expect(page.locator(f'[data-slot="{slot.pk}"] input')).to_be_checked()
    page.get_by_label("Reason (optional)").fill("Chest pain follow-up")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text(re.compile(r"Booked Baraka Mwangi: .* 14:00"))).to_be_visible()


def assert_messages_say_when_and_where_only(inbox, reference: str) -> None:
    """A confirmation then a reminder, to the patient, with the time and the reference
    and no clinical detail."""
    assert len(inbox.messages) == 2
    for message in inbox.messages:
        body = message.get_payload(decode=True).decode()
        assert message["X-Envelope-To"] == "baraka@example.org"
        assert reference in body
        assert "14:00" in body
        assert "Chest pain" not in body
    assert "remind" in inbox.messages[1]["Subject"].lower()


def test_the_scheduler_adds_a_weekly_session_on_the_page(
    page, sign_in, site, make_user, afternoon_clinic, screenshot, enrolled_device, totp_now
):
    from hms.scheduling.models import Schedule

    doctor, _, tomorrow = afternoon_clinic
    scheduler = make_user("admin", username="ruth")
    device = enrolled_device(scheduler)
    sign_in("ruth")
    page.get_by_label("Code").fill(totp_now(device.bin_key))
    page.get_by_role("button", name="Verify").click()
    page.goto(site(f"/appointments/sessions/?doctor={doctor.external_id}"))
    expect(
        page.get_by_role("heading", name=re.compile("Sessions · Dr Amina Hassan"))
    ).to_be_visible()
    form = page.locator("form", has=page.get_by_role("button", name="Add session"))
    form.get_by_label("Day", exact=True).select_option(str(tomorrow.weekday()))
    form.get_by_label("From", exact=True).fill("08:00")
    form.get_by_label("To", exact=True).fill("11:00")
    form.get_by_label("Slot (minutes)").fill("30")
    form.get_by_label("Room").select_option("R3")
    page.get_by_role("button", name="Add session").click()
    expect(page.get_by_text("Session added for Dr Amina Hassan")).to_be_visible()
    expect(page.get_by_role("cell", name="08:00–11:00")).to_be_visible()
    screenshot("scheduling-10-sessions")
    page.goto(site("/appointments/doctors/?q=hassan"))
    expect(page.locator("table.directory tbody tr")).to_contain_text("Dr Amina Hassan")
    screenshot("scheduling-11-directory")
    assert Schedule.objects.filter(practitioner=doctor).count() == 2


def test_the_sessions_page_picker_opens_the_chosen_practitioner(
    page, sign_in_as, site, facility, afternoon_clinic
):
    from hms.staff.models import Practitioner

    doctor, _, _ = afternoon_clinic
    other = Practitioner.objects.create(
        facility=facility, title="Dr", given_name="Peter", family_name="Kamau", search_name="kamau"
    )
    sign_in_as("admin", username="ruth")
    page.goto(site(f"/appointments/sessions/?doctor={doctor.external_id}"))

    page.get_by_label("Practitioner").select_option(str(other.external_id))

    expect(page.get_by_role("heading", name="Sessions · Dr Peter Kamau")).to_be_visible()
    expect(page).to_have_url(re.compile(f"doctor={other.external_id}"))
