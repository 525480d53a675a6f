"""The admin holds hms's reference data only. django-tasks-db registers its task rows
there with Django's model permissions, which no hms role carries; the queue is looked
after through `hms worker`'s log and the database, so its page is left out."""

from __future__ import annotations

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
