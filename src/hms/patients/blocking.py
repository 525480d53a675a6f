"""The blocking query of the duplicate matcher (hms.patients.matching): which records
are worth scoring against a probe."""

# The SQL below is put together from table names, constants and %s placeholders only;
# every value travels as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.db import connection

from hms.core.names import tokens
from hms.core.rows import Columns, fetch
from hms.patients import search
from hms.patients.models import Patient, PatientIdentifier, PatientNameKey

if TYPE_CHECKING:
    from hms.patients.matching import Probe

CANDIDATE_CAP = 1000  # per probe; blocks this large only come from very common names


def _name_keys(text: str) -> set[str]:
    return {key for token in tokens(text)[:3] for key in search.query_keys(token)}


# What the matcher scores; the rest of a record (its encrypted contact details among
# it) is left deferred, and only the few matches are read whole.
SCORED = Columns(
    Patient,
    [
        "id",
        "given_name",
        "middle_name",
        "family_name",
        "sex",
        "birth_date",
        "birth_date_estimated",
        "phone_index",
    ],
)


def candidates(probe: Probe, *, facility_id: int) -> list[Patient]:
    """Active records of the facility sharing a blocking key with the probe, with the
    fields the matcher scores.

    One statement, run before every registration: each blocking key reads its own
    index (birth date, phone, identifier, name keys), the union is then joined to the
    patient rows by id. Both names must meet one of the record's name keys; keys are
    per token and not per field, so a record with the names swapped is found the same
    way. SQLite takes CROSS JOIN as that order.
    """
    sql, params = _union(probe, facility_id)
    if not sql:
        return []
    return [patient for (patient,) in fetch(sql.format(columns=SCORED.select("p")), params, SCORED)]


def _union(probe: Probe, facility_id: int) -> tuple[str, list]:
    patients, keys = Patient._meta.db_table, PatientNameKey._meta.db_table
    branches: list[str] = []
    params: list = []
    if probe.birth_date and not probe.birth_date_estimated:
        branches.append(
            f"SELECT * FROM (SELECT id FROM {patients} WHERE facility_id = %s "
            "AND status = %s AND birth_date = %s LIMIT 500) b"
        )
        params += [facility_id, Patient.Status.ACTIVE, probe.birth_date]
    if probe.phone_index:
        branches.append(
            f"SELECT * FROM (SELECT id FROM {patients} WHERE phone_index = %s LIMIT 500) t"
        )
        params.append(probe.phone_index)
    if probe.identifier_indexes:
        marks = ", ".join(["%s"] * len(probe.identifier_indexes))
        branches.append(
            f"SELECT patient_id AS id FROM {PatientIdentifier._meta.db_table} "
            f"WHERE value_index IN ({marks})"
        )
        params += list(probe.identifier_indexes)
    given, family = sorted(_name_keys(probe.given_name)), sorted(_name_keys(probe.family_name))
    if given and family:
        branches.append(
            f"SELECT patient_id AS id FROM (SELECT patient_id FROM {keys} WHERE key IN "
            f"({', '.join(['%s'] * len(given))}) INTERSECT SELECT patient_id FROM {keys} "
            f"WHERE key IN ({', '.join(['%s'] * len(family))}) LIMIT {CANDIDATE_CAP}) n"
        )
        params += [*given, *family]
    if not branches:
        return "", []
    sql = (
        f"SELECT {{columns}} FROM ({' UNION '.join(branches)}) u CROSS JOIN {patients} p "
        "WHERE p.id = u.id AND p.facility_id = %s AND p.status = %s"
    )
    return sql, [*params, facility_id, Patient.Status.ACTIVE]


def serialise(probe: Probe, *, facility_id: int) -> None:
    """Hold, until the caller's transaction ends, a lock on each of the probe's blocking
    keys, so two registrations of one person check for each other in turn.

    The exact keys a likely match shares (birth date, phone, each identifier, the folded
    name) each become a PostgreSQL advisory lock, taken in a fixed order so two
    registrations never wait on each other in a cycle. Registrations of other people
    take other locks and go on at once. SQLite needs none: its IMMEDIATE transactions
    already hold the one write lock from their first statement.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_id(facility_id, key) for key in _exact_keys(probe)})
    calls = ", ".join(["pg_advisory_xact_lock(%s)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", keys)


def _exact_keys(probe: Probe) -> list[str]:
    keys = [f"name|{' '.join(sorted(tokens(probe.given_name + ' ' + probe.family_name)))}"]
    if probe.birth_date:
        keys.append(f"birth|{probe.birth_date.isoformat()}")
    if probe.phone_index:
        keys.append(f"phone|{probe.phone_index}")
    keys += [f"identifier|{index}" for index in probe.identifier_indexes]
    return keys


def _lock_id(facility_id: int, key: str) -> int:
    digest = hashlib.blake2b(f"patients|{facility_id}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
