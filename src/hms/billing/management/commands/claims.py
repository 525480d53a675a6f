"""hms claims export --payer P --format x12|fhir --out FILE: submit a payer's ready draft
claims and write them as an X12 837P interchange (checked with pyx12) or a FHIR Bundle."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hms.billing.models import Payer
from hms.billing.services.claims import export_claims
from hms.core.errors import DomainError
from hms.core.models import Facility


class Command(BaseCommand):
    help = "Claims to payers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        export = sub.add_parser("export", help="Submit and write a payer's ready claims.")
        export.add_argument("--payer", required=True, help="the payer's code")
        export.add_argument("--format", required=True, choices=["x12", "fhir"])
        export.add_argument("--out", required=True, help="the file to write")
        export.add_argument("--facility", help="the facility's code (when there are several)")

    def handle(self, *args, **options):
        payer = _payer(options["payer"], options["facility"])
        out = Path(options["out"])
        try:
            # Opened before anything is submitted, so a path we cannot write to
            # fails with the claims still drafts.
            handle = out.open("w", encoding="ascii", newline="")
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}") from None
        with handle:
            try:
                export = export_claims(
                    actor=None,
                    payer=payer,
                    file_format=options["format"],
                    skip_permission_checks=True,
                )
            except DomainError as exc:
                handle.close()
                out.unlink(missing_ok=True)
                raise CommandError(exc.message) from None
            handle.write(export.text)
        for number, problems in export.left_out.items():
            for problem in problems:
                sys.stderr.write(f"left out {number}: {problem.code} {problem.detail}\n")
        total = sum((claim.amount for claim in export.claims), start=0)
        self.stdout.write(
            f"{len(export.claims)} claims for {payer.code} ({total} "
            f"{export.claims[0].currency}) written to {out}; "
            f"{len(export.left_out)} left out with problems"
        )


def _payer(code: str, facility_code: str | None) -> Payer:
    facilities = Facility.objects.all()
    if facility_code:
        facilities = facilities.filter(code=facility_code)
    payers = list(Payer.objects.filter(code=code, facility__in=facilities))
    if not payers:
        raise CommandError(f"No payer {code}.")
    if len(payers) > 1:
        raise CommandError(f"Payer {code} is in several facilities: give --facility.")
    return payers[0]
