"""`hms worker`: run background tasks from the database queue (django-tasks-db's
db_worker) and enqueue the periodic ones (settings.HMS_PERIODIC_TASKS) when due.

Run as many as the load needs, on any machines sharing the database: tasks are claimed
one worker at a time and the periodic ones are enqueued once per period. `hms serve`
starts one beside the web server unless told `--no-worker`.
"""

from __future__ import annotations

import os
import signal

from django.core.management import call_command
from django.core.management.base import BaseCommand

from hms.core.worker import Beat


class Command(BaseCommand):
    help = "Run background tasks (messages to patients, no-shows) and enqueue periodic ones."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between looks at the queue when it is empty (default 1)",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="only run tasks; leave enqueuing the periodic ones to other workers",
        )
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="stop when the process that started this one ends (used by hms serve)",
        )

    def handle(self, *args, interval: float, no_periodic: bool, exit_with_parent: bool, **options):
        beat = None
        if not no_periodic:
            stop = (lambda: os.kill(os.getpid(), signal.SIGTERM)) if exit_with_parent else None
            beat = Beat(interval=interval, on_orphaned=stop)
            beat.start()
        try:
            call_command(
                "db_worker",
                interval=interval,
                reload=False,
                startup_delay=False,
                verbosity=options["verbosity"],
            )
        finally:
            if beat is not None:
                beat.stop()
