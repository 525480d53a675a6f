"""hms static: collect the static files if their sources changed since the last time."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from hms.core.static import collect_if_changed


class Command(BaseCommand):
    help = "Collect the static files if their sources changed since they were last collected."

    def handle(self, *args, **options):
        collected = collect_if_changed()
        if options["verbosity"] > 0:
            self.stdout.write("Static files collected." if collected else "Static files unchanged.")
