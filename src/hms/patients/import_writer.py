"""Writing the prepared batches of a bulk import (see hms.patients.importing).

Each batch is one transaction: a block of MRNs from the facility's sequence, then the
patients, identifiers, contacts, name search keys, timeline entries and duplicate pairs,
then one audit row naming them all. On PostgreSQL, outside a caller's transaction, a thread with its
own connection writes while the next batch is read, checked and encrypted: the
database's work and Python's overlap instead of taking turns.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import queue
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from hms.audit.services import Action, record_event
from hms.core.bulk import reserve_ids
from hms.core.sequences import next_numbers
from hms.patients import mrn
from hms.patients.import_duplicates import Pair
from hms.patients.models import DuplicateCandidate, Patient
from hms.patients.writing import PATIENT_COLUMNS, ReadyRow, insert, insert_registered

_EXTERNAL_ID = PATIENT_COLUMNS.index("external_id")


@dataclass
class Batch:
    rows: list[ReadyRow]
    pairs: list[Pair]
    reason: str  # "import <source> rows a-b"
    now: dt.datetime  # when the batch was read: the rows' created_at
    ids: list[int] | None = None  # reserved ahead on PostgreSQL


def write_batch(batch: Batch, *, facility, actor, user_id) -> None:
    """One transaction. Takes the facility's MRN sequence lock, then the audit chain's,
    both held until commit."""
    with transaction.atomic():
        count = len(batch.rows)
        ids = batch.ids or reserve_ids(Patient, count)
        # Taken just before the inserts: clerks registering at the front desk wait
        # on this lock until the batch commits.
        serials = next_numbers(f"mrn:{facility.code}", count)
        mrns = [mrn.format_mrn(facility.mrn_prefix, serial) for serial in serials]
        rows = list(zip(ids, mrns, batch.rows, strict=True))
        insert(rows)
        where = batch.reason.removeprefix("import ")
        detail = f'{{"import": {json.dumps(where)}, "row": '
        insert_registered(
            (
                (pk, f"Imported with MRN {number} ({where})", f"{detail}{r.number}}}")
                for pk, number, r in rows
            ),
            at=batch.now,
            user_id=user_id,
        )
        if batch.pairs:
            pk_of_row = {r.number: pk for pk, _, r in rows}
            DuplicateCandidate.objects.bulk_create(
                [pair.as_candidate(pk_of_row) for pair in batch.pairs], ignore_conflicts=True
            )
        # One event naming every patient the batch created, so the auditor finds each
        # record's import by the patient.
        record_event(
            action=Action.CREATE,
            actor=actor,
            username="" if user_id else "import",
            object_type=Patient._meta.label,
            object_id=f"{mrns[0]}..{mrns[-1]}",
            patient_ids=[str(uuid.UUID(str(r.patient[_EXTERNAL_ID]))) for r in batch.rows],
            reason=batch.reason,
        )


class Writer:
    """Writes batches in order: in a thread where that helps, else at once."""

    def __init__(self, **context: Any):
        self.context = context
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.error: BaseException | None = None
        self.submitted = self.written = 0
        if self.threaded:
            self.queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
            # The thread runs in a copy of this context: the audit trail reads the
            # channel and facility from it.
            ctx = contextvars.copy_context()
            self.thread = threading.Thread(target=ctx.run, args=(self._loop,), daemon=True)
            self.thread.start()

    def submit(self, batch: Batch) -> int:
        """Write `batch` (now, or in the thread); returns its number in the order of
        submission, which `written` passes once the batch is committed."""
        self.submitted += 1
        if not self.threaded:
            write_batch(batch, **self.context)
            self.written += 1
            return self.submitted - 1
        if batch.ids is None:
            batch.ids = reserve_ids(Patient, len(batch.rows))
        self._raise()
        self.queue.put(batch)
        return self.submitted - 1

    def close(self) -> None:
        """Wait for every batch to be written; raise what failed."""
        if self.threaded:
            self.queue.put(None)
            self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _loop(self) -> None:
        try:
            # This connection writes only the import's batches: each is acknowledged
            # without waiting for its WAL to reach the disk. A crash can lose the last
            # batches committed; their rows carry source ids that an import run again
            # does not find, so it writes them again.
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
            while (batch := self.queue.get()) is not None:
                if self.error is None:
                    write_batch(batch, **self.context)
                    self.written += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
            while self.queue.get() is not None:
                pass  # let the main thread's put() calls return
        finally:
            connection.close()
