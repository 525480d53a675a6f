"""hms audit verify: recompute the hash chain; exit 1 and name the first bad row."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from hms.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Verify the hash chain of the audit trail.")

    def handle(self, *args, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(
                f"audit chain intact: {report.checked} events; head {report.last_hash}"
            )
            return
        self.stderr.write(f"audit chain BROKEN at row {report.bad_row}: {report.problem}")
        raise SystemExit(1)
