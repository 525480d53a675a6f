"""hms patients find-duplicates [--facility CODE]: fill the duplicates worklist."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from hms.core import context
from hms.core.models import Facility
from hms.patients.merging import scan_for_duplicates


class Command(BaseCommand):
    help = "Patient registry tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        find = sub.add_parser(
            "find-duplicates",
            help="Put likely duplicate records on the records officer's worklist.",
        )
        find.add_argument("--facility", help="Facility code (default: every active facility)")

    def handle(self, *args, **options):
        facilities = Facility.objects.filter(is_active=True).order_by("code")
        if options["facility"]:
            facilities = facilities.filter(code=options["facility"])
            if not facilities:
                raise CommandError(f"No active facility with code {options['facility']!r}.")
        with context.bound(context.RequestContext(channel="cli")):
            for facility in facilities:
                added = scan_for_duplicates(facility=facility)
                self.stdout.write(
                    f"{facility.code}: {added} new likely duplicate pair{'s' * (added != 1)} "
                    "on the worklist"
                )
