"""hms audit verify: recompute the hash chain and hold it against the anchors; exit 1
and name the first bad row. hms audit anchor: write the last sealed row outside the
database (docs/operations/audit.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from hms.audit.anchors import anchor_chain, verify_with_anchors


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify", help="Verify the hash chain of the audit trail against its anchors."
        )
        verify.add_argument(
            "--anchors",
            type=Path,
            help="A file of anchors (default: HMS_AUDIT_ANCHOR_FILE), such as a copy of "
            "the syslog server's log.",
        )
        sub.add_parser(
            "anchor", help="Append the chain's last sealed row to the anchor file (and syslog)."
        )

    def handle(self, *args, **options):
        if options["subcommand"] == "anchor":
            self._anchor()
        else:
            self._verify(options.get("anchors"))

    def _anchor(self) -> None:
        anchor = anchor_chain()
        if anchor is None:
            self.stdout.write("audit trail empty: nothing to anchor")
        else:
            self.stdout.write(f"anchored row {anchor.id}; hash {anchor.hash}")

    def _verify(self, path: Path | None) -> None:
        report, anchors = verify_with_anchors(path)
        if not report.ok:
            self.stderr.write(f"audit chain BROKEN at row {report.bad_row}: {report.problem}")
            raise SystemExit(1)
        self.stdout.write(f"audit chain intact: {report.checked} events; head {report.last_hash}")
        if anchors:
            newest = max(anchors, key=lambda a: a.id)
            self.stdout.write(
                f"matches its {len(anchors)} anchors; the newest, row {newest.id}, "
                f"at {newest.at.isoformat()}"
            )
