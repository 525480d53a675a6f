"""The outbox: queuing honours consent, contact details and quiet hours; the sender
delivers through a real SMTP server and the SMS backend, retries what failed, never
sends twice, and records what it sent on the timeline and in the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest

from hms.audit.models import AuditEvent
from hms.core import sms
from hms.patients import messaging, sending
from hms.patients.models import OutboundMessage, TimelineEntry
from hms.patients.testing import registered
from hms.patients.tests.smtp import free_port, smtp_server

Status = OutboundMessage.Status
NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")  # the test facility's zone, UTC+3
# A Tuesday, 10:00 in Nairobi: outside the default quiet hours (21:00-07:00).
MORNING = dt.datetime(2026, 5, 12, 10, 0, tzinfo=NAIROBI)


@pytest.fixture
def smtp(settings):
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        yield inbox


@pytest.fixture(autouse=True)
def sms_outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def patient(facility):
    return registered(
        facility,
        email="juma@example.org",
        phone="+254712345678",
        consent_email=True,
        consent_sms=True,
    )


def draft(name="reminder-1", *, due=MORNING, expires=None, **overrides) -> messaging.Draft:
    values = {
        "reference": f"test:{name}",
        "topic": "test:topic",
        "purpose": "reminder",
        "subject": "Appointment reminder: Wed 13 May 08:00",
        "body": "A reminder of your appointment.\n\nReference: AB12CD34\n",
        "sms_body": "Riverside General: reminder. Ref AB12CD34.",
        "due_at": due,
        "expires_at": expires,
        **overrides,
    }
    return messaging.Draft(**values)


def queue(patient, *drafts, now=MORNING):
    return messaging.queue_messages(patient=patient, drafts=drafts, now=now)


def test_sends_by_email_and_sms_and_records_each_once(patient, smtp, sms_outbox):
    queue(patient, draft())

    result = sending.send_due_messages(now=MORNING)

    assert (result.sent, result.retried, result.failed) == (2, 0, 0)
    [received] = smtp.messages
    assert received["To"] == "juma@example.org"
    assert received["Subject"] == "Appointment reminder: Wed 13 May 08:00"
    assert received["X-HMS-Reference"] == "test:reminder-1:email"
    assert "Reference: AB12CD34" in received.get_payload()
    assert sms_outbox == [
        sms.Sms(
            to="+254712345678",
            body="Riverside General: reminder. Ref AB12CD34.",
            reference="test:reminder-1:sms",
        )
    ]
    rows = OutboundMessage.objects.filter(patient=patient).order_by("channel")
    assert [(m.channel, m.status, m.attempts, m.sent_to) for m in rows] == [
        ("email", Status.SENT, 1, "juma@example.org"),
        ("sms", Status.SENT, 1, "+254712345678"),
    ]
    timeline = TimelineEntry.objects.filter(patient=patient, kind=TimelineEntry.Kind.MESSAGE)
    assert sorted(timeline.values_list("summary", flat=True)) == [
        "Email sent: Appointment reminder: Wed 13 May 08:00",
        "SMS sent: Appointment reminder: Wed 13 May 08:00",
    ]
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    assert (
        sorted(audit.values_list("patient_id", "object_type"))
        == [(str(patient.external_id), "patients.OutboundMessage")] * 2
    )
    # a second run finds nothing to send
    assert sending.send_due_messages(now=MORNING).sent == 0
    assert len(smtp.messages) == 1
    assert len(sms_outbox) == 1


def test_without_consent_nothing_goes_and_the_reason_is_kept(facility, smtp, sms_outbox):
    patient = registered(facility, email="amina@example.org", phone="+254712345679")

    queue(patient, draft())
    result = sending.send_due_messages(now=MORNING)

    assert result.sent == 0
    assert smtp.messages == []
    assert sms_outbox == []
    assert sorted(
        OutboundMessage.objects.filter(patient=patient).values_list(
            "channel", "status", "last_error"
        )
    ) == [
        ("email", Status.SKIPPED, "The patient has not agreed to email."),
        ("sms", Status.SKIPPED, "The patient has not agreed to text messages."),
    ]
    assert not TimelineEntry.objects.filter(patient=patient, kind=TimelineEntry.Kind.MESSAGE)


def test_consent_with_no_address_on_file_is_skipped(facility):
    patient = registered(facility, consent_email=True, consent_sms=True)

    queue(patient, draft())

    assert sorted(OutboundMessage.objects.values_list("status", "last_error")) == [
        (Status.SKIPPED, "No email address on file."),
        (Status.SKIPPED, "No phone number on file."),
    ]


def test_consent_withdrawn_after_queuing_stops_the_message(patient, smtp, sms_outbox):
    queue(patient, draft())
    patient.consent_email = False
    patient.save(update_fields=["consent_email"])

    result = sending.send_due_messages(now=MORNING)

    assert (result.sent, result.skipped) == (1, 1)
    assert smtp.messages == []
    assert len(sms_outbox) == 1
    email = OutboundMessage.objects.get(channel="email")
    assert (email.status, email.last_error) == (
        Status.SKIPPED,
        "The patient has not agreed to email.",
    )


def test_queuing_the_same_reference_twice_keeps_one(patient):
    queue(patient, draft())
    queue(patient, draft(subject="changed"))

    assert OutboundMessage.objects.count() == 2
    assert set(OutboundMessage.objects.values_list("subject", flat=True)) == {
        "Appointment reminder: Wed 13 May 08:00"
    }


def test_a_message_due_in_quiet_hours_waits_for_their_end(patient, smtp):
    late = dt.datetime(2026, 5, 12, 22, 30, tzinfo=NAIROBI)
    queue(patient, draft(due=late), now=MORNING)

    email = OutboundMessage.objects.get(channel="email")
    assert email.due_at == dt.datetime(2026, 5, 13, 7, 0, tzinfo=NAIROBI)
    assert sending.send_due_messages(now=late + dt.timedelta(hours=1)).sent == 0
    assert smtp.messages == []
    assert sending.send_due_messages(now=email.due_at).sent == 2
    assert len(smtp.messages) == 1


def test_a_backlog_found_in_quiet_hours_is_held_not_sent(patient, smtp, sms_outbox):
    queue(patient, draft(due=MORNING))
    night = dt.datetime(2026, 5, 12, 23, 0, tzinfo=NAIROBI)

    result = sending.send_due_messages(now=night)

    assert (result.sent, result.held) == (0, 2)
    assert smtp.messages == []
    assert sms_outbox == []
    email = OutboundMessage.objects.get(channel="email")
    assert (email.status, email.attempts) == (Status.QUEUED, 0)
    assert email.due_at == dt.datetime(2026, 5, 13, 7, 0, tzinfo=NAIROBI)


def test_quiet_hours_end_after_the_deadline_send_before_they_begin():
    deadline = dt.datetime(2026, 5, 13, 6, 30, tzinfo=NAIROBI)  # before 07:00
    due = dt.datetime(2026, 5, 13, 4, 30, tzinfo=NAIROBI)

    held = messaging.hold_for_quiet_hours(due, zone=NAIROBI, now=MORNING, deadline=deadline)
    too_late = messaging.hold_for_quiet_hours(
        due, zone=NAIROBI, now=dt.datetime(2026, 5, 12, 21, 30, tzinfo=NAIROBI), deadline=deadline
    )

    assert held == dt.datetime(2026, 5, 12, 20, 59, tzinfo=NAIROBI)
    assert too_late is None


def test_quiet_hours_can_be_turned_off(settings):
    settings.HMS_QUIET_HOURS = ""
    night = dt.datetime(2026, 5, 12, 23, 0, tzinfo=NAIROBI)

    assert messaging.hold_for_quiet_hours(night, zone=NAIROBI, now=night) == night


def test_a_refusing_server_is_tried_again_later_then_delivers_once(patient, smtp, settings):
    settings.HMS_MESSAGE_RETRY_SECONDS = 60
    queue(patient, draft())
    smtp.refuse = "451 4.3.0 Try again later"

    first = sending.send_due_messages(now=MORNING)

    assert (first.sent, first.retried) == (1, 1)  # the SMS went
    email = OutboundMessage.objects.get(channel="email")
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert email.last_error == "Mail server answered 451 4.3.0 Try again later"
    assert email.due_at == MORNING + dt.timedelta(seconds=60)
    assert sending.send_due_messages(now=MORNING + dt.timedelta(seconds=30)).sent == 0

    smtp.refuse = ""
    second = sending.send_due_messages(now=MORNING + dt.timedelta(seconds=60))

    assert second.sent == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 2, "")
    assert smtp.references() == ["test:reminder-1:email"]


def test_retries_back_off_and_stop_at_the_last_attempt(patient, smtp, settings):
    settings.HMS_MESSAGE_RETRY_SECONDS = 10
    settings.HMS_MESSAGE_MAX_ATTEMPTS = 3
    patient.consent_sms = False
    patient.save(update_fields=["consent_sms"])
    queue(patient, draft())
    smtp.refuse = "421 4.7.0 Busy"
    email = OutboundMessage.objects.get(channel="email")

    waits = []
    at = MORNING
    for _ in range(3):
        sending.send_due_messages(now=at)
        email.refresh_from_db()
        waits.append((email.status, (email.due_at - at).total_seconds()))
        at = email.due_at

    assert waits == [(Status.QUEUED, 10.0), (Status.QUEUED, 40.0), (Status.FAILED, 0.0)]
    assert email.attempts == 3
    assert smtp.messages == []


def test_a_mailbox_that_does_not_exist_fails_at_once(patient, smtp):
    queue(patient, draft())
    smtp.refuse = "550 5.1.1 No such user"

    result = sending.send_due_messages(now=MORNING)

    assert result.failed == 1
    email = OutboundMessage.objects.get(channel="email")
    assert (email.status, email.attempts) == (Status.FAILED, 1)
    assert email.last_error.startswith("Mail server answered 550")


def test_an_unreachable_server_puts_the_batch_back_and_ends_the_run(patient, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    patient.consent_sms = False
    patient.save(update_fields=["consent_sms"])
    queue(patient, *(draft(f"r{i}") for i in range(3)))

    result = sending.send_due_messages(now=MORNING)

    assert result.stopped_by.startswith("Could not reach the server: ConnectionRefusedError")
    assert result.retried == 3
    emails = OutboundMessage.objects.filter(channel="email")
    assert {(m.status, m.attempts) for m in emails} == {(Status.QUEUED, 1)}


def test_a_lapsed_message_is_not_sent(patient, smtp, sms_outbox):
    queue(patient, draft(expires=MORNING + dt.timedelta(minutes=5)))

    result = sending.send_due_messages(now=MORNING + dt.timedelta(minutes=5))

    assert (result.sent, result.skipped) == (0, 2)
    assert smtp.messages == []
    assert sms_outbox == []
    assert set(OutboundMessage.objects.values_list("last_error", flat=True)) == {
        "Lapsed before it could be sent."
    }


def test_a_claim_left_by_a_stopped_worker_is_not_sent_again(patient, smtp, sms_outbox):
    queue(patient, draft())
    # a worker claimed the batch, then died before recording what it sent
    OutboundMessage.objects.update(
        status=Status.SENDING, claimed_by="dead", claimed_at=MORNING - sending.LEASE
    )
    assert sending.has_due_messages(MORNING + dt.timedelta(seconds=1))

    result = sending.send_due_messages(now=MORNING + dt.timedelta(seconds=1))

    assert result.sent == 0
    assert smtp.messages == []
    assert sms_outbox == []
    assert set(OutboundMessage.objects.values_list("status", "last_error")) == {
        (Status.FAILED, "Delivery unknown: the worker stopped while sending; not sent again.")
    }


def test_a_claim_inside_its_lease_is_left_alone(patient):
    queue(patient, draft())
    OutboundMessage.objects.update(status=Status.SENDING, claimed_by="alive", claimed_at=MORNING)

    sending.send_due_messages(now=MORNING + dt.timedelta(minutes=1))

    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENDING}


def test_cancel_pending_cancels_only_queued_messages_of_the_topic(patient, smtp):
    queue(patient, draft("a"), draft("b", due=MORNING + dt.timedelta(days=1)))
    queue(patient, draft("other", topic="test:other", due=MORNING + dt.timedelta(days=1)))
    sending.send_due_messages(now=MORNING)  # "a" goes

    cancelled = messaging.cancel_pending(topic="test:topic")

    assert cancelled == 2  # "b" by email and SMS
    statuses = dict(OutboundMessage.objects.values_list("reference", "status"))
    assert statuses == {
        "test:a:email": Status.SENT,
        "test:a:sms": Status.SENT,
        "test:b:email": Status.CANCELLED,
        "test:b:sms": Status.CANCELLED,
        "test:other:email": Status.QUEUED,
        "test:other:sms": Status.QUEUED,
    }


def test_the_file_backend_writes_one_json_line_per_message(patient, settings, tmp_path):
    settings.HMS_SMS_BACKEND = "hms.core.sms.FileBackend"
    settings.HMS_SMS_FILE = tmp_path / "sms.jsonl"
    patient.consent_email = False
    patient.save(update_fields=["consent_email"])
    queue(patient, draft("a"), draft("b", sms_body='Line with "quotes" and ü'))

    sending.send_due_messages(now=MORNING)

    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "to": "+254712345678",
            "body": "Riverside General: reminder. Ref AB12CD34.",
            "reference": "test:a:sms",
        },
        {"to": "+254712345678", "body": 'Line with "quotes" and ü', "reference": "test:b:sms"},
    ]


def test_an_sms_provider_failure_is_retried(patient, settings, monkeypatch):
    patient.consent_email = False
    patient.save(update_fields=["consent_email"])
    queue(patient, draft())

    def refuse(self, message):
        raise sms.SmsError("provider answered 503")

    monkeypatch.setattr(sms.LocmemBackend, "send", refuse)
    result = sending.send_due_messages(now=MORNING)

    assert result.retried == 1
    message = OutboundMessage.objects.get(channel="sms")
    assert (message.status, message.last_error) == (
        Status.QUEUED,
        "SMS not accepted: provider answered 503",
    )
