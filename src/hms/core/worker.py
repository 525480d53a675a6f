"""The periodic side of `hms worker`: enqueue the tasks of settings.HMS_PERIODIC_TASKS
when they are due, into the same database queue the workers take tasks from.

Every worker runs this, so any number of them may be up (on any number of machines).
The time each task was last enqueued is kept in a NumberSequence row
("periodic:<task path>", in epoch seconds), and a worker enqueues the task only if its
conditional update of that row, from a time a period ago, wins: once per period in
all. Each look is a few indexed reads; the write (and on SQLite the writer lock) comes
only when a task is due. The periodic tasks are safe to run twice at once regardless;
this keeps the queue from filling with copies.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from hms.core.models import NumberSequence

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    path: str  # the task, "hms.scheduling.tasks.mark_no_shows"
    every: dt.timedelta
    has_work: str | None = None  # a function answering whether to bother

    @property
    def scope(self) -> str:
        return f"periodic:{self.path}"[:100]


def periodic_tasks() -> list[Periodic]:
    return [
        Periodic(path, dt.timedelta(seconds=every), check)
        for path, every, check in settings.HMS_PERIODIC_TASKS
    ]


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue each periodic task that is due and not already waiting; returns their
    paths."""
    now = now or timezone.now()
    return [item.path for item in periodic_tasks() if _enqueue_if_due(item, now)]


def _enqueue_if_due(item: Periodic, now: dt.datetime) -> bool:
    from django_tasks_db.models import DBTaskResult

    stamp = int(now.timestamp())
    last = _last_enqueued(item)
    if last > stamp - item.every.total_seconds():
        return False
    if item.has_work and not import_string(item.has_work)():
        return False
    # Only waiting copies are in the partial index this reads; a long run still going
    # does not stop the next from being queued for another worker.
    if DBTaskResult.objects.filter(status="READY", task_path=item.path).exists():
        return False
    with transaction.atomic():
        won = NumberSequence.objects.filter(scope=item.scope, last_value=last).update(
            last_value=stamp
        )
        if won:
            import_string(item.path).enqueue()
    return bool(won)


def _last_enqueued(item: Periodic) -> int:
    last = (
        NumberSequence.objects.filter(scope=item.scope).values_list("last_value", flat=True).first()
    )
    if last is not None:
        return last
    try:
        with transaction.atomic():
            NumberSequence.objects.create(scope=item.scope, last_value=0)
    except IntegrityError:
        pass  # another worker made it
    return 0


class Beat(threading.Thread):
    """Calls `enqueue_due` every `interval` seconds until stopped; `on_orphaned` is
    called when the process that started this one has gone (a worker started by
    `hms serve` ends with it)."""

    def __init__(self, interval: float = 1.0, on_orphaned: Callable[[], None] | None = None):
        super().__init__(name="hms-beat", daemon=True)
        self.interval = interval
        self.on_orphaned = on_orphaned
        self.stopping = threading.Event()
        self._parent = os.getppid()

    def run(self) -> None:
        while not self.stopping.is_set():
            if self.on_orphaned is not None and self._orphaned():
                self.on_orphaned()
                return
            try:
                close_old_connections()
                for path in enqueue_due():
                    logger.debug("enqueued %s", path)
            except Exception:  # a database restart must not end the beat
                logger.exception("could not enqueue the periodic tasks")
            self.stopping.wait(self.interval)
        connection.close()

    def _orphaned(self) -> bool:
        # Re-parented (to init, or to a subreaper) once the parent has gone.
        return os.getppid() != self._parent or self._parent == 1

    def stop(self) -> None:
        self.stopping.set()
