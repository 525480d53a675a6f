"""Due messages in bulk, for the worker tests and bench/reminder_dispatch.py: `count`
email reminders (and as many SMS, with `sms=True`) to a few consenting patients, due a
minute ago, through the real queuing service."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from hms.core.models import Facility
from hms.patients import messaging
from hms.patients.testing import registered


def seed_due_messages(
    count: int, *, patients: int = 20, sms: bool = False, prefix: str = "bench"
) -> int:
    """Queue `count` reminders (references "<prefix>:<n>:email" and ":sms"); returns how
    many messages were queued in all."""
    facility, _ = Facility.objects.get_or_create(
        code="RGH", defaults={"name": "Riverside General", "timezone": "Africa/Nairobi"}
    )
    people = [
        registered(
            facility,
            given_name=f"Reminded{i}",
            family_name=prefix.capitalize(),
            email=f"{prefix}{i}@example.org",
            phone=f"+25471{i:07d}",
            consent_email=True,
            consent_sms=sms,
        )
        for i in range(patients)
    ]
    due = timezone.now() - dt.timedelta(minutes=1)
    # Queued for the small hours would be held to the morning: these ignore quiet hours.
    drafts = [
        messaging.Draft(
            reference=f"{prefix}:{n}",
            topic=f"{prefix}:{n}",
            purpose="reminder",
            subject=f"Appointment reminder {n}",
            body=f"A reminder of your appointment.\n\nReference: {n:08d}\n",
            sms_body=f"Reminder of your appointment. Ref {n:08d}.",
            due_at=due,
            ignores_quiet_hours=True,
        )
        for n in range(count)
    ]
    queued = 0
    with transaction.atomic():
        for i, patient in enumerate(people):
            rows = messaging.queue_messages(patient=patient, drafts=drafts[i::patients])
            queued += sum(row.status == "queued" for row in rows)
    return queued
