"""The task worker: periodic tasks are enqueued once per period into the database queue,
a db_worker runs them (messages go out, no-shows are marked), and two workers racing
over the same outbox send every message exactly once."""

from __future__ import annotations

import datetime as dt
import signal
import threading
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from hms.core import worker
from hms.patients import messaging, sending
from hms.patients.models import OutboundMessage
from hms.patients.testing import registered
from hms.patients.tests.outbox import seed_due_messages
from hms.patients.tests.smtp import smtp_server
from hms.scheduling import services
from hms.scheduling.models import Appointment

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
NOW = dt.datetime(2026, 5, 11, 9, 0, tzinfo=NAIROBI)
DISPATCH = "hms.scheduling.tasks.send_due_messages"
NO_SHOWS = "hms.scheduling.tasks.mark_no_shows"


@pytest.fixture
def smtp(settings):
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        yield inbox


@pytest.fixture
def keep_signal_handlers():
    """db_worker installs its own SIGINT/SIGTERM handlers and leaves them."""
    kept = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


def queued_paths() -> list[str]:
    return sorted(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))


@pytest.mark.django_db
def test_periodic_tasks_are_enqueued_once_per_period():
    with time_machine.travel(NOW, tick=False) as clock:
        first = worker.enqueue_due()
        again = worker.enqueue_due()  # the first copies still wait
        DBTaskResult.objects.update(status="SUCCESSFUL")
        clock.shift(dt.timedelta(seconds=61))
        a_minute_on = worker.enqueue_due()

    assert sorted(first) == [
        "hms.audit.tasks.anchor_audit_chain",
        "hms.billing.tasks.expire_preauthorisations",
        "hms.core.tasks.prune_task_results",
        "hms.scheduling.tasks.extend_horizons",
        "hms.scheduling.tasks.lapse_waitlist_offers",
        NO_SHOWS,
    ]
    assert again == []
    assert a_minute_on == ["hms.scheduling.tasks.lapse_waitlist_offers"]


@pytest.mark.django_db
def test_the_sender_is_enqueued_only_while_messages_are_due(facility):
    patient = registered(facility, email="juma@example.org", consent_email=True)
    with time_machine.travel(NOW, tick=False) as clock:
        assert DISPATCH not in worker.enqueue_due()
        messaging.queue_messages(
            patient=patient,
            drafts=[
                messaging.Draft(
                    reference="t:1",
                    topic="t",
                    purpose="reminder",
                    subject="s",
                    body="b",
                    sms_body="b",
                    due_at=NOW + dt.timedelta(minutes=1),
                )
            ],
        )
        assert DISPATCH not in worker.enqueue_due()
        clock.shift(dt.timedelta(minutes=1))
        assert DISPATCH in worker.enqueue_due()
        assert queued_paths().count(DISPATCH) == 1


def run_worker() -> None:
    """One db_worker in this thread, until the queue is empty."""
    call_command(
        "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0
    )


# Committed rows, as a worker sees them: db_worker closes connections between tasks.
@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_messages_and_marks_no_shows(
    smtp, facility, receptionist, schedule, slot, keep_signal_handlers
):
    patient = registered(facility, email="juma@example.org", consent_email=True)
    with time_machine.travel(slot.starts_at - dt.timedelta(days=1), tick=False) as clock:
        appointment = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
        assert DISPATCH in worker.enqueue_due()
        run_worker()
        clock.move_to(slot.starts_at + services.NO_SHOW_GRACE + dt.timedelta(minutes=1))
        assert NO_SHOWS in worker.enqueue_due()
        run_worker()

    results = list(DBTaskResult.objects.values_list("task_path", "status"))
    assert {status for _, status in results} == {"SUCCESSFUL"}, results
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NOSHOW
    # the confirmation went; the reminder lapsed with the appointment
    assert [m["Subject"] for m in smtp.messages] == [
        f"Appointment booked: {slot.starts_at.astimezone(NAIROBI):%a %d %b %H:%M}"
    ]
    reminder = OutboundMessage.objects.get(channel="email", purpose="reminder")
    assert (reminder.status, reminder.last_error) == (
        OutboundMessage.Status.SKIPPED,
        "Lapsed before it could be sent.",
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads need concurrent writers: the tests' shared-cache in-memory SQLite "
    "database refuses a second one ('database table is locked'); "
    "test_worker_processes covers SQLite with processes",
)
@pytest.mark.django_db(transaction=True)
def test_two_senders_racing_send_every_message_exactly_once(smtp, settings):
    settings.HMS_SMS_BACKEND = "hms.core.sms.LocmemBackend"
    queued = seed_due_messages(400, patients=8)
    start = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            results[i] = sending.send_due_messages()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert queued == 400
    assert all(isinstance(r, sending.Dispatch) for r in results), results
    assert results[0].sent + results[1].sent == 400
    assert results[0].sent > 0, "the other sender did all the work"
    assert results[1].sent > 0, "the other sender did all the work"
    counts = Counter(smtp.references())
    assert len(counts) == 400
    assert set(counts.values()) == {1}
    emails = OutboundMessage.objects.filter(channel="email")
    assert set(emails.values_list("status", flat=True)) == {"sent"}
