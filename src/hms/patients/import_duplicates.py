"""The duplicate check of a bulk import: the master patient index's scoring
(`matching.score`), with candidates fetched once per batch instead of once per row.

Candidates share with the row its phone, one of its identifiers, or its birth date and
the sound of one of its names (the metaphone code of a name token, either field, so
swapped names and a typo in one name still meet). Registration blocks on the birth
date alone; a batch cannot afford to score every record born the same day (thirty a
day in a million), and pairs whose names share no sound do not reach `matching.LIKELY`
without a shared phone or identifier, which are blocks of their own.

Rows of the batch are candidates for the rows after them, so duplicates inside one
source are found too (earlier batches are already in the database).
"""

# The SQL below is put together from table and column names and %s placeholders only;
# every value travels as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from django.db import connection

from hms.core.bulk import any_of
from hms.core.names import tokens
from hms.patients import matching
from hms.patients.models import DuplicateCandidate, Patient, PatientIdentifier

PER_ROW = 5  # as many matches per row as registration shows


@dataclass(frozen=True)
class Candidate:
    """A row of the import (key ("row", number)) or a record (key ("patient", pk)),
    with what `matching.score` reads."""

    key: tuple[str, int]
    label: str  # "MRN ..." or "row ...", for the report
    given_name: str
    middle_name: str
    family_name: str
    sex: str
    birth_date: dt.date | None
    birth_date_estimated: bool
    phone_index: str
    sounds: frozenset[str]  # metaphone codes of the name tokens
    identifiers: tuple[tuple[str, str], ...] = ()  # (system, value_index)
    # Read from the database: `identifiers` are only those it shares with the batch.
    stored: bool = False


@dataclass(frozen=True)
class Pair:
    row: int
    other: tuple[str, int]
    other_label: str
    score: float
    reasons: tuple[str, ...]

    def describe(self) -> str:
        why = ", ".join(self.reasons) or "similar details"
        return f"Possible duplicate of {self.other_label} (score {self.score:.2f}: {why})."

    def as_candidate(self, pk_of_row: dict[int, int]) -> DuplicateCandidate:
        mine = pk_of_row[self.row]
        theirs = self.other[1] if self.other[0] == "patient" else pk_of_row[self.other[1]]
        low, high = sorted((mine, theirs))
        return DuplicateCandidate(
            patient_id=low, other_id=high, score=self.score, reasons=list(self.reasons)
        )


@lru_cache(maxsize=100_000)
def _sound(token: str) -> str:
    # Names repeat a great deal in any population: each is coded once per process.
    return jellyfish.metaphone(token) if token.isascii() and token.isalpha() else token[:3]


def sounds(folded_tokens: list[str]) -> frozenset[str]:
    return frozenset(_sound(t) for t in folded_tokens)


def row_candidate(
    number: int, patient: Patient, identifiers: tuple[tuple[str, str], ...]
) -> Candidate:
    """A row about to be imported, as a probe and as a candidate for later rows."""
    return Candidate(
        key=("row", number),
        label=f"row {number}",
        given_name=patient.given_name,
        middle_name=patient.middle_name,
        family_name=patient.family_name,
        sex=patient.sex,
        birth_date=patient.birth_date,
        birth_date_estimated=patient.birth_date_estimated,
        phone_index=patient.phone_index,
        sounds=sounds(
            tokens(" ".join((patient.given_name, patient.middle_name, patient.family_name)))
        ),
        identifiers=identifiers,
    )


class _Index:
    """Candidates by blocking key."""

    def __init__(self) -> None:
        self.by_birth: dict[tuple, list[Candidate]] = defaultdict(list)
        self.by_phone: dict[str, list[Candidate]] = defaultdict(list)
        self.by_identifier: dict[str, list[Candidate]] = defaultdict(list)

    def add(self, item: Candidate) -> None:
        if item.birth_date:
            for code in item.sounds:
                self.by_birth[(item.birth_date, code)].append(item)
        if item.phone_index:
            self.by_phone[item.phone_index].append(item)
        for _, index in item.identifiers:
            self.by_identifier[index].append(item)

    def candidates(self, probe: Candidate) -> list[Candidate]:
        found: dict[tuple, Candidate] = {}
        if probe.birth_date and not probe.birth_date_estimated:
            for code in probe.sounds:
                found.update((c.key, c) for c in self.by_birth.get((probe.birth_date, code), ()))
        if probe.phone_index:
            found.update((c.key, c) for c in self.by_phone.get(probe.phone_index, ()))
        for _, index in probe.identifiers:
            found.update((c.key, c) for c in self.by_identifier.get(index, ()))
        return list(found.values())


def _records(probes: list[Candidate], facility_id: int) -> _Index:
    """The facility's active records sharing a blocking key with any probe."""
    births: dict[dt.date, set[str]] = defaultdict(set)
    for p in probes:
        if p.birth_date and not p.birth_date_estimated:
            births[p.birth_date] |= p.sounds
    phones = {p.phone_index for p in probes if p.phone_index}
    holders: dict[int, list[tuple[str, str]]] = defaultdict(list)
    wanted = {i for p in probes for _, i in p.identifiers}
    if wanted:
        where, params = any_of("value_index", wanted)
        sql = f"SELECT patient_id, system, value_index FROM {IDS} WHERE {where}"
        for patient_id, system, value_index in _fetch(sql, params):
            holders[patient_id].append((system, value_index))
    ids = set(holders) | _born_alike(births, facility_id)
    if phones:
        where, params = any_of("phone_index", phones)
        ids |= {pk for (pk,) in _fetch(f"SELECT id FROM {PATIENTS} WHERE {where}", params)}
    index = _Index()
    if ids:
        where, params = any_of("id", ids)
        rows = _fetch(
            f"SELECT {', '.join(_COLUMNS)} FROM {PATIENTS} "
            f"WHERE facility_id = %s AND status = %s AND {where}",
            [facility_id, Patient.Status.ACTIVE, *params],
        )
        for row in rows:
            pk, number, given, middle, family, sex, born, estimated, phone, name = row
            index.add(
                Candidate(
                    ("patient", pk),
                    f"MRN {number}",
                    given,
                    middle,
                    family,
                    sex,
                    born,
                    estimated,
                    phone,
                    _name_sounds(name),
                    tuple(holders.get(pk, ())),
                    stored=True,
                )
            )
    return index


def _born_alike(births: dict[dt.date, set[str]], facility_id: int) -> set[int]:
    """Records born on a probe's birth date with a name of the same sound. At a
    million patients some thirty share each birth date: only their names are read
    (from the birth date index, on PostgreSQL), and only the few that sound alike are
    read whole."""
    if not births:
        return set()
    where, params = any_of("birth_date", births)
    rows = _fetch(
        f"SELECT id, birth_date, search_name FROM {PATIENTS} "
        f"WHERE facility_id = %s AND status = %s AND {where}",
        [facility_id, Patient.Status.ACTIVE, *params],
    )
    return {pk for pk, born, name in rows if not births[born].isdisjoint(_name_sounds(name))}


@lru_cache(maxsize=100_000)
def _name_sounds(search_name: str) -> frozenset[str]:
    return sounds(search_name.split())


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


PATIENTS = Patient._meta.db_table
IDS = PatientIdentifier._meta.db_table
_COLUMNS = (
    "id",
    "mrn",
    "given_name",
    "middle_name",
    "family_name",
    "sex",
    "birth_date",
    "birth_date_estimated",
    "phone_index",
    "search_name",
)


def find(
    probes: list[Candidate], *, facility_id: int, in_flight: list[Candidate] = ()
) -> list[Pair]:
    """Likely duplicates of each probe among the facility's active records, the rows
    of earlier batches not yet committed (`in_flight`, keyed by their reserved pk), and
    the probes before it; best first per probe."""
    index = _records(probes, facility_id)
    for item in in_flight:
        index.add(item)
    found_per_probe = []
    for probe in probes:
        found_per_probe.append(index.candidates(probe))
        index.add(probe)
    queries = [matching.probe_for(probe, probe.identifiers) for probe in probes]
    scored = [
        [matching.score(query, c, c.identifiers) for c in found]
        for query, found in zip(queries, found_per_probe, strict=True)
    ]
    if any(p.identifiers for p in probes):
        scored = _with_identifiers(queries, scored)
    pairs: list[Pair] = []
    for probe, matches in zip(probes, scored, strict=True):
        likely = sorted((m for m in matches if m.score >= matching.LIKELY), key=lambda m: -m.score)
        pairs.extend(
            Pair(probe.key[1], m.patient.key, m.patient.label, m.score, m.reasons)
            for m in likely[:PER_ROW]
        )
    return pairs


def _with_identifiers(
    queries: list[matching.Probe], scored: list[list[matching.Match]]
) -> list[list[matching.Match]]:
    """The likely matches among stored records scored again with all their
    identifiers (one query). Scored first with only the identifiers they share with
    the batch: any other can only lower a score (a different national ID counts
    against), so a record not likely without them is not likely with them."""
    ids = {m.patient.key[1] for matches in scored for m in matches if _unsure(m)}
    if not ids:
        return scored
    held: dict[int, list[tuple[str, str]]] = defaultdict(list)
    where, params = any_of("patient_id", ids)
    rows = _fetch(f"SELECT patient_id, system, value_index FROM {IDS} WHERE {where}", params)
    for patient_id, system, value_index in rows:
        held[patient_id].append((system, value_index))
    return [
        [
            matching.score(query, m.patient, held[m.patient.key[1]]) if _unsure(m) else m
            for m in matches
        ]
        for query, matches in zip(queries, scored, strict=True)
    ]


def _unsure(match: matching.Match) -> bool:
    return match.patient.stored and match.score >= matching.LIKELY
