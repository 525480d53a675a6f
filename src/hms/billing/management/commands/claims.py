"""hms claims export --payer P --format x12|fhir --out FILE: submit a payer's ready draft
claims and write them as an X12 837P interchange (checked with pyx12) or a FHIR Bundle.
hms claims remit FILE [--payer P]: import a payer's 835 remittance and post it."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hms.billing.models import Payer
from hms.billing.services.claims import export_claims
from hms.billing.services.remittances import UNMATCHED, RemittanceImport, import_remittance
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
        remit = sub.add_parser("remit", help="Import an 835 remittance and post it to claims.")
        remit.add_argument("file", help="the 835 file")
        remit.add_argument("--payer", help="the payer's code (else the one the file names)")
        remit.add_argument("--facility", help="the facility's code (when there are several)")

    def handle(self, *args, **options):
        if options["subcommand"] == "remit":
            self._remit(options)
            return
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

    def _remit(self, options) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        payer = _payer(options["payer"], options["facility"]) if options["payer"] else None
        try:
            result = import_remittance(
                actor=None,
                payer=payer,
                facility=None if payer else _facility(options["facility"]),
                content=content,
                file_name=path.name,
                skip_permission_checks=True,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for line in _report(result):
            self.stdout.write(line)
        for warning in result.warnings:
            sys.stderr.write(f"warning: {warning}\n")


def _report(result: RemittanceImport) -> list[str]:
    lines = []
    for remittance in result.remittances:
        head = (
            f"{remittance.trace_number} from {remittance.payer.code}: "
            f"{remittance.total_paid} {remittance.currency}"
        )
        if remittance in result.already_imported:
            when = remittance.received_at.date().isoformat()
            lines.append(f"{head} already imported on {when}; nothing posted")
            continue
        postings = [p for p in result.postings if p.line.remittance_id == remittance.pk]
        counts = {}
        for posting in postings:
            counts[posting.outcome] = counts.get(posting.outcome, 0) + 1
        summary = ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in counts.items())
        paid = sum((p.line.paid for p in postings if p.outcome != UNMATCHED), start=0)
        lines.append(f"{head}; {len(postings)} claims: {summary}; {paid} posted to our claims")
        lines.extend(
            f"  unmatched {p.line.control_number}: {p.note} "
            f"(charged {p.line.charged}, paid {p.line.paid})"
            for p in postings
            if p.outcome == UNMATCHED
        )
    return lines


def _facility(code: str | None) -> Facility:
    facilities = list(Facility.objects.filter(code=code) if code else Facility.objects.all()[:2])
    if len(facilities) != 1:
        raise CommandError("Give --facility (or --payer).")
    return facilities[0]


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
