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

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

import jellyfish

from hms.patients import matching
from hms.patients.models import DuplicateCandidate, Patient, PatientIdentifier
from hms.patients.names import tokens

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
    stored: bool = False  # read from the database, identifiers not yet loaded


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
    """Candidates by blocking key. Records read from the database stay plain rows
    until a probe meets them: at a million patients a batch reads some thirty thousand
    records born on its rows' birth dates, and few share a name's sound."""

    def __init__(self) -> None:
        self.by_birth: dict[tuple, list] = defaultdict(list)
        self.by_phone: dict[str, list] = defaultdict(list)
        self.by_identifier: dict[str, list] = defaultdict(list)
        self.made: dict[int, Candidate] = {}

    def add_record(self, row: tuple, identifier_indexes=()) -> None:
        born, phone, name = row[6], row[8], row[9]
        if born:
            for code in {_sound(t) for t in name.split()}:
                self.by_birth[(born, code)].append(row)
        if phone:
            self.by_phone[phone].append(row)
        for index in identifier_indexes:
            self.by_identifier[index].append(row)

    def _each(self, items) -> Iterator[Candidate]:
        for item in items:
            yield item if isinstance(item, Candidate) else self._make(item)

    def _make(self, row: tuple) -> Candidate:
        pk = row[0]
        if pk not in self.made:
            pk, number, given, middle, family, sex, born, estimated, phone, name = row
            self.made[pk] = Candidate(
                ("patient", pk),
                f"MRN {number}",
                given,
                middle,
                family,
                sex,
                born,
                estimated,
                phone,
                sounds(name.split()),
                stored=True,
            )
        return self.made[pk]

    def add(self, item: Candidate, identifier_indexes=()) -> None:
        if item.birth_date:
            for code in item.sounds:
                self.by_birth[(item.birth_date, code)].append(item)
        if item.phone_index:
            self.by_phone[item.phone_index].append(item)
        for index in identifier_indexes:
            self.by_identifier[index].append(item)

    def candidates(self, probe: Candidate) -> dict[tuple, Candidate]:
        found: dict[tuple, Candidate] = {}
        if probe.birth_date and not probe.birth_date_estimated:
            for code in probe.sounds:
                bucket = self.by_birth.get((probe.birth_date, code), ())
                found.update((c.key, c) for c in self._each(bucket))
        if probe.phone_index:
            bucket = self.by_phone.get(probe.phone_index, ())
            found.update((c.key, c) for c in self._each(bucket))
        for _, index in probe.identifiers:
            bucket = self.by_identifier.get(index, ())
            found.update((c.key, c) for c in self._each(bucket))
        return found


def _records(probes: list[Candidate], facility_id: int) -> _Index:
    """The facility's active records sharing a blocking key with any probe."""
    index = _Index()
    dates = {p.birth_date for p in probes if p.birth_date and not p.birth_date_estimated}
    phones = {p.phone_index for p in probes if p.phone_index}
    wanted = {i for p in probes for _, i in p.identifiers}
    holders: dict[int, list[str]] = defaultdict(list)
    if wanted:
        rows = PatientIdentifier.objects.filter(value_index__in=wanted).values_list(
            "patient_id", "value_index"
        )
        for patient_id, value_index in rows:
            holders[patient_id].append(value_index)
    # One query per blocking key, each on its own index: OR-ed together, PostgreSQL
    # reads the whole table once it holds a few hundred thousand records.
    active = Patient.objects.filter(facility_id=facility_id, status=Patient.Status.ACTIVE)
    blocks = []
    if dates:
        blocks.append(active.filter(birth_date__in=dates))
    if phones:
        blocks.append(active.filter(phone_index__in=phones))
    if holders:
        blocks.append(active.filter(pk__in=list(holders)))
    seen: set[int] = set()
    for block in blocks:
        for row in block.order_by().values_list(*_COLUMNS).iterator(chunk_size=5000):
            if row[0] not in seen:
                seen.add(row[0])
                index.add_record(row, holders.get(row[0], ()))
    return index


_COLUMNS = (
    "pk",
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


def _with_identifiers(found: dict[tuple, Candidate]) -> dict[tuple, Candidate]:
    """The candidates' identifiers, which `matching.score` weighs (one query)."""
    ids = [c.key[1] for c in found.values() if c.stored]
    held: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = PatientIdentifier.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "system", "value_index"
    )
    for patient_id, system, value_index in rows:
        held[patient_id].append((system, value_index))
    return {
        key: (replace(c, identifiers=tuple(held[key[1]]), stored=False) if c.stored else c)
        for key, c in found.items()
    }


def find(
    probes: list[Candidate], *, facility_id: int, in_flight: list[Candidate] = ()
) -> list[Pair]:
    """Likely duplicates of each probe among the facility's active records, the rows
    of earlier batches not yet committed (`in_flight`, keyed by their reserved pk), and
    the probes before it; best first per probe."""
    index = _records(probes, facility_id)
    for item in in_flight:
        index.add(item, [i for _, i in item.identifiers])
    found_per_probe = []
    everyone: dict[tuple, Candidate] = {}
    for probe in probes:
        found = index.candidates(probe)
        found_per_probe.append(found)
        everyone.update(found)
        index.add(probe, [i for _, i in probe.identifiers])
    if not everyone:
        return []
    if any(p.identifiers for p in probes):
        everyone = _with_identifiers(everyone)
    pairs: list[Pair] = []
    for probe, found in zip(probes, found_per_probe, strict=True):
        query = matching.Probe(
            # As the matcher describes a stored record (matching.probe_for).
            given_name=" ".join(n for n in (probe.given_name, probe.middle_name) if n),
            family_name=probe.family_name,
            sex=probe.sex,
            birth_date=probe.birth_date,
            birth_date_estimated=probe.birth_date_estimated,
            phone_index=probe.phone_index,
            identifier_indexes=tuple(i for _, i in probe.identifiers),
            identifier_systems=tuple(s for s, _ in probe.identifiers),
        )
        matches = [matching.score(query, everyone[key], everyone[key].identifiers) for key in found]
        matches = sorted((m for m in matches if m.score >= matching.LIKELY), key=lambda m: -m.score)
        pairs.extend(
            Pair(probe.key[1], m.patient.key, m.patient.label, m.score, m.reasons)
            for m in matches[:PER_ROW]
        )
    return pairs
