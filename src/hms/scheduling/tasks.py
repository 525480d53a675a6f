"""Background tasks of the clinics, run by `hms worker` and enqueued by its periodic
beat (settings.HMS_PERIODIC_TASKS). Each only calls services."""

from __future__ import annotations

from dataclasses import asdict

from hms.core import context
from hms.core.tasks import task
from hms.patients import sending
from hms.scheduling import services, waitlist

# One run sends for at most this long, then returns so the worker can stop cleanly; the
# beat enqueues the next run while anything is still due.
SEND_BUDGET_SECONDS = 20.0


def _as_task():
    return context.bound(context.RequestContext(channel="task"))


@task()
def send_due_messages() -> dict:
    """Send the patients' messages that are due (reminders, confirmations, notices)."""
    with _as_task():
        return asdict(sending.send_due_messages(budget_seconds=SEND_BUDGET_SECONDS))


@task()
def mark_no_shows() -> int:
    """Booked appointments not checked in by the grace period become no-shows."""
    with _as_task():
        return services.mark_no_shows()


@task()
def lapse_waitlist_offers() -> int:
    """Offers of freed slots not taken in time go to the next patient waiting."""
    with _as_task():
        return waitlist.lapse_offers()


@task()
def extend_horizons() -> int:
    """Carry every active session's slots forward to the booking horizon."""
    with _as_task():
        return services.extend_horizons()
