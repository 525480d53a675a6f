"""Background tasks: Django's Tasks API (`django.tasks` from Django 6, the `django-tasks`
backport before it), queued in the database (django-tasks-db) and run by `hms worker`.

Apps define their tasks in their own `tasks.py` with `@task()` from here; a task only
calls services. Periodic ones are listed in settings.HMS_PERIODIC_TASKS.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

try:  # Django 6
    from django.tasks import task  # type: ignore[import-not-found]
except ImportError:
    from django_tasks import task

__all__ = ["prune_task_results", "task"]

# Finished task rows are kept this long for looking into failures.
KEEP_RESULTS = dt.timedelta(days=7)


@task()
def prune_task_results() -> int:
    """Delete the rows of tasks that finished more than KEEP_RESULTS ago; the worker
    enqueues a periodic task every few seconds, and they would pile up."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - KEEP_RESULTS
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
