"""`hms mark_no_shows`: mark appointments not checked in by the grace period (run it
every few minutes from cron or a task worker)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from hms.core import context
from hms.scheduling import services


class Command(BaseCommand):
    help = "Mark booked appointments not checked in by the grace period as no-shows."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=int(services.NO_SHOW_GRACE.total_seconds() // 60),
            help="minutes after the start before a booking counts as missed",
        )

    def handle(self, *args, grace_minutes: int, **options):
        with context.bound(context.RequestContext(channel="cli")):
            marked = services.mark_no_shows(grace=dt.timedelta(minutes=grace_minutes))
        self.stdout.write(f"{marked} appointment(s) marked as no-shows.")
