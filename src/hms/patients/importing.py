"""Bulk import of patients (data migration, FHIR bundles, the demo hospital).

Rows stream through in batches; nothing holds the whole source. Every row is checked
by `inputs.validate`, the rules every door applies. Each batch is one transaction: it
takes a block of MRNs from the facility's sequence, writes patients, identifiers,
contacts and name search keys with fast inserts (`hms.core.bulk`), one timeline entry
per patient, and one audit row for the batch.

A row carries the source's stable id, stored as the identifier ("external", id): a
re-run finds it and skips the row, so an import can be repeated or resumed. Likely
duplicates of existing records (or of earlier rows) go on the duplicates worklist and
are reported; they do not stop the import.

When any row is bad, nothing is written unless the caller accepts the good rows: every
row is checked first, the checked rows kept on disk (encrypted) until the last one is
known good, then written.
"""

from __future__ import annotations

import datetime as dt
import pickle
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from cryptography.fernet import Fernet
from django.db import connection
from django.utils import timezone

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.core import crypto
from hms.core.bulk import any_of, refresh_statistics
from hms.core.errors import InvalidInput
from hms.core.models import Facility
from hms.patients import import_duplicates, search
from hms.patients.import_writer import Batch, Writer
from hms.patients.inputs import IdentifierInput, PatientInput, identifier_key, validate
from hms.patients.models import (
    UNIQUE_IDENTIFIER_SYSTEMS,
    Patient,
    PatientIdentifier,
    PatientNameKey,
)
from hms.patients.services import _apply
from hms.patients.writing import (
    CONTACTS,
    IDENTIFIERS,
    PATIENT_COLUMNS,
    PATIENTS,
    ReadyRow,
    stamp,
)

EXTERNAL = PatientIdentifier.System.EXTERNAL
PATIENT_TABLE, IDENTIFIER_TABLE = Patient._meta.db_table, PatientIdentifier._meta.db_table
BATCH_SIZE = 1000
KEPT_PROBLEMS = 100  # problems kept on the report; all of them go to `on_problem`

# Severities: a bad row (not imported), a value the reader dropped, a likely duplicate.
ERROR, WARNING, DUPLICATE = "error", "warning", "duplicate"


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    message: str
    severity: str = ERROR


@dataclass(frozen=True)
class SourceRow:
    """One record of the source. `external_id` is the source's own stable id for it;
    `problems` are what the reader could not map (the row is then bad); `warnings` are
    what it dropped and says so (a phone it could not read)."""

    number: int
    external_id: str
    data: PatientInput | None = None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    already_imported: int = 0
    invalid: int = 0  # bad rows
    duplicates: int = 0  # pairs put on the worklist
    warnings: int = 0  # values the reader dropped
    problems: list[Problem] = field(default_factory=list)
    stopped: bool = False  # bad rows stopped the import before anything was written


# (first source row, last source row, [(row number, source id, validate()'s result)])
Checked = tuple[int, int, list[tuple[int, str, tuple]]]
ProblemSink = Callable[[Problem], None]
ProgressSink = Callable[[str, int], None]  # (phase, rows done in this batch)


def external_index(external_id: str) -> str:
    """The blind index of a source id, as stored on its "external" identifier."""
    return crypto.blind_index(identifier_key(EXTERNAL, external_id), kind="identifier")


class _Run:
    """One import, with what every batch needs."""

    def __init__(
        self,
        *,
        actor,
        facility: Facility,
        report: ImportReport,
        on_problem,
        dry_run: bool,
    ):
        self.actor = actor
        self.user = actor if getattr(actor, "is_authenticated", False) else None
        self.user_id = self.user.pk if self.user else None
        self.facility = facility
        self.report = report
        self.on_problem = on_problem
        self.dry_run = dry_run
        self.today = timezone.localdate()
        self.now = timezone.now()
        # One record to fill from each row: building a model instance per row costs
        # more than the rest of what the row needs.
        self.scratch = Patient(facility=facility, created_by=self.user, updated_by=self.user)
        self.scratch.created_at = self.scratch.updated_at = self.now
        # Batches handed to the writer thread and not known to be committed: their
        # number in the writer's order, their source ids, and their rows as duplicate
        # candidates.
        self.in_flight: deque[tuple[int, set[str], list[import_duplicates.Candidate]]] = deque()
        # Each identifier that names one person, read so far: the source id it is on.
        self.unique_seen: dict[tuple[str, str, str], str] = {}

    def problem(self, item: Problem, *, count: bool = True) -> None:
        if count and item.severity == ERROR:
            self.report.invalid += 1
        elif count and item.severity == WARNING:
            self.report.warnings += 1
        if len(self.report.problems) < KEPT_PROBLEMS:
            self.report.problems.append(item)
        if self.on_problem:
            self.on_problem(item)

    def check(self, row: SourceRow) -> tuple[PatientInput, dt.date | None, bool] | None:
        """The cleaned row, or None after reporting why it is bad."""
        for item in row.warnings:
            self.problem(item)
        if row.problems:
            # One report line per field, but the row counts once.
            for position, item in enumerate(row.problems):
                self.problem(item, count=position == 0)
            return None
        if not row.external_id:
            self.problem(Problem(row.number, "external_id", "The source's id is missing."))
            return None
        data = replace(
            row.data,
            identifiers=(*row.data.identifiers, IdentifierInput(EXTERNAL, row.external_id)),
        )
        try:
            return validate(data, region=self.facility.country, today=self.today)
        except InvalidInput as exc:
            self.problem(Problem(row.number, exc.field or "row", exc.message))
            return None

    def prepare(
        self, number: int, checked, external: tuple[str, str]
    ) -> tuple[ReadyRow, import_duplicates.Candidate]:
        """A row's database values, and the row as a duplicate probe. `external` is
        its source id and that id's blind index, already computed."""
        data, birth_date, estimated = checked
        patient = self.scratch
        _apply(patient, data, birth_date, estimated)
        patient.external_id = uuid.uuid4()
        values = PATIENTS.convert([getattr(patient, name) for name in PATIENT_COLUMNS])
        identifiers, indexes = [], []
        for item in data.identifiers:
            if (item.system, item.value) == (EXTERNAL, external[0]):
                index = external[1]
            else:
                index = crypto.blind_index(
                    identifier_key(item.system, item.value), kind="identifier"
                )
            columns = (item.system, item.value, index, item.assigner, self.facility.pk, True)
            identifiers.append(
                IDENTIFIERS.convert((None, *stamp(self.user_id, self.now), *columns))
            )
            if item.system != EXTERNAL:
                indexes.append((item.system, index))
        contacts = [
            CONTACTS.convert(
                (
                    None,
                    *stamp(self.user_id, self.now),
                    c.name,
                    c.relationship,
                    c.phone,
                    c.is_emergency,
                )
            )
            for c in data.contacts
        ]
        ready = ReadyRow(
            number=number,
            patient=values,
            identifiers=identifiers,
            contacts=contacts,
            name_keys=search.name_keys(patient.search_name),
        )
        return ready, import_duplicates.row_candidate(number, patient, tuple(indexes))

    def already_imported(self, indexes: dict[str, str]) -> set[str]:
        """Source ids (with their blind indexes) already on a patient of this facility,
        or in a batch being written."""
        where, params = any_of("i.value_index", indexes.values())
        sql = (
            f"SELECT i.value FROM {IDENTIFIER_TABLE} i JOIN {PATIENT_TABLE} p "  # noqa: S608
            f"ON p.id = i.patient_id WHERE i.system = %s AND p.facility_id = %s AND {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [EXTERNAL, self.facility.pk, *params])
            found = {crypto.decrypt(value) for (value,) in cursor.fetchall()}
        # The index folds case and punctuation ("A-1" = "a1"); compare the exact ids.
        done = found & indexes.keys()
        for _, written, _ in self.in_flight:
            done |= written & indexes.keys()
        return done

    def forget_written(self, writer: Writer) -> None:
        """Drop the in-flight batches the writer has committed: the database has them."""
        while self.in_flight and self.in_flight[0][0] < writer.written:
            self.in_flight.popleft()

    def batch(self, rows: list[SourceRow]) -> Checked:
        """Check a batch of rows: the good ones, with the source rows it spans."""
        good = []
        for row in rows:
            result = self.check(row)
            if result is not None:
                good.append((row.number, row.external_id, result))
        return rows[0].number, rows[-1].number, self.free_identifiers(good)

    def free_identifiers(self, good: list) -> list:
        """The rows whose identifiers that name one person no other record holds (in
        the database or earlier in this source); the others are reported as bad rows.
        A record already imported from the same source id is the row itself."""
        keys = {number: _unique_keys(result[0]) for number, _, result in good}
        held = _holders({key for row_keys in keys.values() for key in row_keys}, self.facility)
        kept = []
        for number, external, result in good:
            taken = next(
                (
                    key
                    for key in keys[number]
                    if held.get(key, external) != external
                    or self.unique_seen.setdefault(key, external) != external
                ),
                None,
            )
            if taken is None:
                kept.append((number, external, result))
            else:
                label = PatientIdentifier.System(taken[0]).label
                self.problem(Problem(number, "identifiers", f"Another record holds this {label}."))
        return kept

    def write(self, checked: Checked, source: str, writer: Writer | None) -> None:
        """Import a checked batch: skip what is already imported, find duplicates,
        hand the rest to the writer (or only count it on a dry run)."""
        first, last, good = checked
        if not good:
            return
        self.now = self.scratch.created_at = self.scratch.updated_at = timezone.now()
        if writer is not None and writer.threaded:
            self.forget_written(writer)
        indexes = {external: external_index(external) for _, external, _ in good}
        done = self.already_imported(indexes)
        ready, probes, external_ids = [], [], set()
        for number, external, result in good:
            if external in done:
                self.report.already_imported += 1
                continue
            done.add(external)  # a repeat later in the source is the same record
            external_ids.add(external)
            item, probe = self.prepare(number, result, (external, indexes[external]))
            ready.append(item)
            probes.append(probe)
        if not ready:
            return
        pairs = import_duplicates.find(
            probes,
            facility_id=self.facility.pk,
            in_flight=[c for _, _, candidates in self.in_flight for c in candidates],
        )
        for pair in pairs:
            self.problem(Problem(pair.row, "duplicate", pair.describe(), DUPLICATE))
        self.report.created += len(ready)
        self.report.duplicates += len(pairs)
        if writer is None:
            return
        batch = Batch(ready, pairs, f"import {source} rows {first}-{last}", self.now)
        number = writer.submit(batch)
        if writer.threaded:
            pending = [
                replace(p, key=("patient", pk)) for p, pk in zip(probes, batch.ids, strict=True)
            ]
            self.in_flight.append((number, external_ids, pending))


def _unique_keys(data: PatientInput) -> list[tuple[str, str, str]]:
    return [
        (
            i.system,
            i.assigner,
            crypto.blind_index(identifier_key(i.system, i.value), kind="identifier"),
        )
        for i in data.identifiers
        if i.system in UNIQUE_IDENTIFIER_SYSTEMS
    ]


def _holders(keys: set[tuple[str, str, str]], facility: Facility) -> dict[tuple, str]:
    """Which source id each of `keys` is held under by a current record of `facility`
    ("" for a record not imported)."""
    if not keys:
        return {}
    found = PatientIdentifier.objects.filter(
        facility=facility,
        is_current=True,
        system__in=UNIQUE_IDENTIFIER_SYSTEMS,
        value_index__in={index for _, _, index in keys},
    ).values_list("system", "assigner", "value_index", "patient_id")
    holders = {(s, a, i): p for s, a, i, p in found if (s, a, i) in keys}
    sources = dict(
        PatientIdentifier.objects.filter(
            patient_id__in=holders.values(), system=EXTERNAL
        ).values_list("patient_id", "value")
    )
    return {key: sources.get(patient_id, "") for key, patient_id in holders.items()}


def _batches(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def import_patients(
    *,
    actor: Any,
    facility: Facility,
    rows: Iterable[SourceRow],
    source: str,
    accept_good_rows: bool = False,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    on_problem: ProblemSink | None = None,
    on_progress: ProgressSink | None = None,
    skip_permission_checks: bool = False,
) -> ImportReport:
    """Import patients into `facility` from `rows`, in batches of `batch_size`.

    Requires IMPORT_PATIENTS. `rows` is read once, as it streams. Unless
    `accept_good_rows`, every row is checked before any is written, and if one is bad
    nothing is written and the report says why (`stopped`). With `dry_run` nothing is
    written at all; the report says what would be. Rows whose source id is already
    imported are skipped and counted. Each batch takes the facility's MRN sequence lock
    and the audit chain lock until it commits.
    """
    if not skip_permission_checks:
        account_policies.check_permission(actor, Perm.IMPORT_PATIENTS, facility)
    report = ImportReport(source=source, dry_run=dry_run)
    run = _Run(
        actor=actor, facility=facility, report=report, on_problem=on_problem, dry_run=dry_run
    )
    if dry_run or accept_good_rows:
        checked = (run.batch(batch) for batch in _counted(_batches(rows, batch_size), report))
        _write_all(run, checked, source, None if dry_run else _writer(run), on_progress)
        return report
    with _Spool() as spool:
        for batch in _counted(_batches(rows, batch_size), report):
            spool.put(run.batch(batch))
            if on_progress:
                on_progress("check", len(batch))
        if report.invalid:
            report.stopped = True
            return report
        _write_all(run, spool, source, _writer(run), on_progress)
    return report


def _counted(batches: Iterator[list[SourceRow]], report: ImportReport):
    for batch in batches:
        report.rows += len(batch)
        yield batch


def _writer(run: _Run) -> Writer:
    return Writer(facility=run.facility, actor=run.actor, user_id=run.user_id)


def _write_all(run: _Run, batches: Iterable[Checked], source: str, writer, on_progress) -> None:
    # Statistics are refreshed when the import has written as many patients as the
    # table held when it started, then twice as many, and so on (after 1, 2, 4...
    # batches into an empty table): a table already large needs no refresh at first.
    analysed_at = max(1, Patient.objects.count() // BATCH_SIZE) if writer else 1
    try:
        for checked in batches:
            run.write(checked, source, writer)
            if writer and run.report.created >= analysed_at * BATCH_SIZE:
                refresh_statistics(Patient, PatientIdentifier, PatientNameKey)
                analysed_at *= 2
            if on_progress:
                on_progress("import", checked[1] - checked[0] + 1)
    finally:
        if writer:
            writer.close()


class _Spool:
    """Checked batches kept on disk between the check and the write, so the source
    is read once and its rows are not validated twice. Encrypted with a key that only
    this process holds: patient details never rest on disk in clear text."""

    def __enter__(self) -> _Spool:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        self.fernet = Fernet(Fernet.generate_key())
        return self

    def put(self, item: Checked) -> None:
        blob = self.fernet.encrypt(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        self.file.write(len(blob).to_bytes(8, "big"))
        self.file.write(blob)

    def __iter__(self) -> Iterator[Checked]:
        self.file.seek(0)
        while header := self.file.read(8):
            blob = self.fernet.decrypt(self.file.read(int.from_bytes(header, "big")))
            # Written by this process a moment ago and authenticated by Fernet.
            yield pickle.loads(blob)  # noqa: S301

    def __exit__(self, *exc_info) -> None:
        self.file.close()
