# ruff: noqa: N999 - Django names a command after its module: `hms import`.
"""hms import patients FILE.csv|FILE.xlsx --mapping MAP.yaml [--dry-run] [--facility CODE]
                                                       [--accept-good-rows]
hms import fhir PATH... [--dry-run] [--facility CODE] [--accept-good-rows]

Both go through hms.patients.importing: every row checked with the registration rules,
nothing written when a row is bad (unless --accept-good-rows), re-runs skip what was
imported, likely duplicates reported and put on the worklist.
"""

from __future__ import annotations

import csv
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from hms.accounts.management.commands.createuser import facility_for_cli
from hms.core import context
from hms.interop.fhir.importer import FhirSource
from hms.interop.tabular import MappingError, TableSource, load_mapping
from hms.patients.importing import ERROR, ImportReport, Problem, import_patients

SHOWN = 20  # report lines printed; the CSV report has them all


class Command(BaseCommand):
    help = "Import patients from a CSV/XLSX file (with a mapping) or from FHIR R4 Bundles."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="source", required=True)
        table = sub.add_parser("patients", help="From a CSV or XLSX file.")
        table.add_argument("file", type=Path)
        table.add_argument("--mapping", type=Path, required=True, help="The YAML mapping.")
        fhir = sub.add_parser("fhir", help="Patient resources from FHIR R4 Bundles.")
        fhir.add_argument("paths", type=Path, nargs="+", help="Bundle files or folders.")
        for each in (table, fhir):
            each.add_argument("--facility", help="Facility code (default: the only one).")
            each.add_argument("--dry-run", action="store_true", help="Check; write nothing.")
            each.add_argument(
                "--accept-good-rows",
                action="store_true",
                help="Import the good rows even when some are bad.",
            )
            each.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options):
        with context.bound(context.RequestContext(channel="cli")), _fewer_collections():
            facility = facility_for_cli(options["facility"])
            context.update(facility_code=facility.code)
            if options["source"] == "patients":
                self._patients(facility, options)
            else:
                self._fhir(facility, options)

    def _patients(self, facility, options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            source = TableSource(path, load_mapping(options["mapping"]))
            report_path = path.with_name(f"{path.stem}.report.csv")
            with _ReportFile(report_path) as sink:
                report = self._run(facility, options, source, path.name, sink)
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Report: {report_path} ({sink.lines} line(s))")
        self._finish(report, options)

    def _fhir(self, facility, options) -> None:
        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        source = FhirSource(options["paths"], region=facility.country)
        printed = _Printer(self.stdout, where=source.where)
        report = self._run(facility, options, source, "FHIR bundles", printed)
        self.stdout.write(f"Read {source.files} file(s).")
        if source.skipped:
            skipped = ", ".join(f"{n} {kind}" for kind, n in source.skipped.most_common())
            self.stdout.write(f"Skipped resources that are not patients: {skipped}.")
        self._finish(report, options)

    def _run(self, facility, options, source, name: str, sink) -> ImportReport:
        printer = sink if isinstance(sink, _Printer) else _Printer(self.stdout)
        bars: dict[str, tqdm] = {}

        def progress(phase: str, done: int) -> None:
            if phase not in bars:
                for bar in bars.values():
                    bar.close()
                label = "checking" if phase == "check" else "importing"
                bars[phase] = tqdm(
                    desc=label, unit=" rows", disable=not sys.stderr.isatty(), file=sys.stderr
                )
            bars[phase].update(done)

        def problem(item: Problem) -> None:
            if sink is not printer:
                sink(item)
            printer(item)

        try:
            return import_patients(
                actor=None,
                facility=facility,
                rows=source,
                source=name,
                accept_good_rows=options["accept_good_rows"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                on_problem=problem,
                on_progress=progress,
                skip_permission_checks=True,
            )
        finally:
            for bar in bars.values():
                bar.close()
            printer.more()

    def _finish(self, report: ImportReport, options) -> None:
        out = self.stdout.write
        out(f"{report.rows} row(s) read.")
        if report.stopped:
            raise CommandError(
                f"{report.invalid} bad row(s): nothing was imported. Fix them and run again, "
                "or pass --accept-good-rows to import the good rows."
            )
        verb = "would be imported (dry run: nothing was written)" if report.dry_run else "imported"
        out(f"{report.created} patient(s) {verb}.")
        if report.already_imported:
            out(f"{report.already_imported} row(s) were imported before: skipped.")
        if report.invalid:
            out(f"{report.invalid} bad row(s) skipped.")
        if report.warnings:
            out(f"{report.warnings} value(s) dropped (listed above).")
        if report.duplicates:
            where = "" if report.dry_run else " and put on the duplicates worklist"
            out(f"{report.duplicates} possible duplicate(s) reported{where}.")


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector, as configured by default, walks every object the
    import holds (Django's, the name caches, the batches in flight) again and again: a
    third of a large import's time. What exists before the import is set aside
    (frozen), and the collector runs less often while the command runs."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class _Printer:
    """Prints the first report lines, then counts the rest."""

    def __init__(self, stdout, where: dict[int, str] | None = None):
        self.stdout, self.shown, self.hidden = stdout, 0, 0
        self.where = where if where is not None else {}

    def __call__(self, item: Problem) -> None:
        if self.shown >= SHOWN:
            self.hidden += 1
            return
        self.shown += 1
        place = self.where.get(item.row, f"row {item.row}")
        kind = "" if item.severity == ERROR else f" ({item.severity})"
        self.stdout.write(f"{place}, {item.field}: {item.message}{kind}")

    def more(self) -> None:
        if self.hidden:
            self.stdout.write(f"... and {self.hidden} more.")
            self.hidden = 0


class _ReportFile:
    """The validation report as CSV next to the source: row, field, problem, severity."""

    def __init__(self, path: Path):
        self.path, self.lines = path, 0

    def __enter__(self):
        try:
            self.handle = self.path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise CommandError(f"Cannot write the report {self.path}: {exc}") from exc
        self.writer = csv.writer(self.handle)
        self.writer.writerow(["row", "field", "problem", "severity"])
        return self

    def __call__(self, item: Problem) -> None:
        self.lines += 1
        self.writer.writerow([item.row, item.field, _safe(item.message), item.severity])

    def __exit__(self, *exc_info):
        self.handle.close()


def _safe(text: str) -> str:
    # A cell starting with = + - @ runs as a formula when the report is opened in a
    # spreadsheet; the message may quote what the source file held.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
