"""Domain events: the outbox a service publishes to and the subscribers run after commit.

A service calls `publish("visit.started", encounter=...)` inside its transaction; that
writes one `Event` row in the same transaction (nothing is lost if the process dies
after the commit) and, once the transaction commits, runs the subscribers registered
for the name. Apps register subscribers with `@subscribe(name)` in a module their
AppConfig.ready() imports, so a lower layer publishes without importing the app that
listens (billing charges a consultation without scheduling knowing billing exists).
There are no Django signals: the registry is explicit and the delivery is recorded.

Subscribers take the payload as keyword arguments, must be idempotent (an event may be
delivered twice: the retry task and a slow first delivery can overlap) and do their own
writes in their own transaction. A subscriber that raises leaves the event undelivered,
with the error kept; `deliver_pending_events`, a periodic task, tries it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hms.core.models import Event
from hms.core.tasks import task

logger = logging.getLogger(__name__)

Subscriber = Callable[..., None]
_subscribers: dict[str, list[Subscriber]] = {}

# The retry task leaves fresh events to the delivery their own commit started.
RETRY_AFTER = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 20
_BATCH = 200


def subscribe(name: str) -> Callable[[Subscriber], Subscriber]:
    """Register the decorated function for events called `name`."""

    def register(func: Subscriber) -> Subscriber:
        handlers = _subscribers.setdefault(name, [])
        if func not in handlers:  # a module imported twice registers once
            handlers.append(func)
        return func

    return register


def subscribers(name: str) -> tuple[Subscriber, ...]:
    return tuple(_subscribers.get(name, ()))


def publish(name: str, **payload: Any) -> Event:
    """Record the event `name` with a JSON `payload` and deliver it after commit.

    Call inside the publishing service's transaction: the row is part of it, and the
    subscribers run only if it commits. One INSERT; an event nobody subscribes to is
    stored as delivered.
    """
    now = timezone.now()
    handlers = subscribers(name)
    event = Event.objects.create(
        name=name, payload=payload, created_at=now, delivered_at=None if handlers else now
    )
    if handlers:
        transaction.on_commit(lambda: deliver(event), robust=True)
    return event


def deliver(event: Event) -> bool:
    """Run the subscribers of `event`; mark it delivered when all succeed, else count
    the attempt and keep the error. Never raises: the publisher has committed."""
    errors = []
    for handler in subscribers(event.name):
        try:
            handler(**event.payload)
        except Exception as exc:
            logger.exception("subscriber %s failed on event %s", handler.__qualname__, event.pk)
            errors.append(f"{handler.__module__}.{handler.__qualname__}: {exc!r}"[:1000])
    done = not errors
    Event.objects.filter(pk=event.pk).update(
        attempts=F("attempts") + 1,
        delivered_at=timezone.now() if done else None,
        last_error="\n".join(errors),
    )
    return done


def _pending(now: dt.datetime):
    return Event.objects.filter(
        delivered_at__isnull=True, created_at__lt=now - RETRY_AFTER, attempts__lt=MAX_ATTEMPTS
    )


def has_pending_events() -> bool:
    """Whether any event waits for another delivery (the periodic task's check)."""
    return _pending(timezone.now()).exists()


@task()
def deliver_pending_events() -> int:
    """Deliver again the events whose subscribers failed (or whose process died before
    delivering), oldest first; returns how many are now delivered."""
    pending = list(_pending(timezone.now()).order_by("created_at")[:_BATCH])
    return sum(deliver(event) for event in pending)
