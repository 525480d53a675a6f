"""Likely duplicates (the master patient index's matcher).

Candidates come from blocking keys: the same birth date, phone or identifier, or name
keys shared with both the given and the family name (in either order, so swapped names
and one-letter typos still meet). Each candidate is then scored field by field in the
manner of Fellegi and Sunter: agreement adds weight (in bits), disagreement subtracts,
a missing value counts nothing. The sum becomes a score between 0 and 1 that reaches
LIKELY at THRESHOLD_BITS. The weights were tuned on bench/duplicate_detection.py, which
prints the precision and recall they give.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

import jellyfish
from django.db import connection

from hms.core import context
from hms.core.names import tokens
from hms.patients import blocking
from hms.patients.models import Patient, PatientIdentifier

LIKELY = 0.75  # shown before saving and put on the worklist
THRESHOLD_BITS = 9.5  # the weight sum that scores LIKELY
_MIDPOINT = THRESHOLD_BITS - math.log2(LIKELY / (1 - LIKELY))


class Level(Enum):
    EXACT = "exact"
    TYPO = "typo"  # one or two slips of the keyboard, or a whole name token shared
    SOUNDS_ALIKE = "sounds alike"
    WEAK = "weak"
    DIFFERENT = "different"
    MISSING = "missing"


# Given names differ between siblings and twins, who often share everything else, so a
# different given name weighs more than a different family name (which marriage changes).
GIVEN = {
    Level.EXACT: 4.0,
    Level.TYPO: 2.5,
    Level.SOUNDS_ALIKE: 1.5,
    Level.WEAK: -2.0,
    Level.DIFFERENT: -6.0,
    Level.MISSING: 0.0,
}
FAMILY = {
    Level.EXACT: 4.0,
    Level.TYPO: 2.5,
    Level.SOUNDS_ALIKE: 1.5,
    Level.WEAK: -1.0,
    Level.DIFFERENT: -3.0,
    Level.MISSING: 0.0,
}
SWAPPED = -0.5  # given and family entered the other way round: common, but not the norm
# A name many records share says less: with n other records of exactly this name the
# name's weight drops by log2(1 + n), up to NAMESAKES_MAX (term-frequency adjustment).
NAMESAKES_MAX = 2.0
BIRTH_SAME = 7.0
BIRTH_NEAR = 2.0  # one digit wrong, two digits transposed, day and month swapped
BIRTH_ABOUT = 0.5  # an estimated birth date within two years
BIRTH_FAR_ESTIMATED = -3.0
BIRTH_DIFFERENT = -7.0
SEX_SAME, SEX_DIFFERENT = 0.5, -3.0
PHONE_SAME, PHONE_DIFFERENT = 3.0, -1.0  # households share phones; people change numbers
# Identifier systems that name one person, and what agreeing or differing weighs. An
# insurance member number is shared by a policy's dependants, so it counts less.
IDENTIFIER_SAME = {
    PatientIdentifier.System.NATIONAL_ID: 10.0,
    PatientIdentifier.System.PASSPORT: 10.0,
    PatientIdentifier.System.BIRTH_CERTIFICATE: 10.0,
    PatientIdentifier.System.DRIVER_LICENSE: 10.0,
    PatientIdentifier.System.OTHER_MRN: 8.0,
    PatientIdentifier.System.INSURANCE: 3.0,
}
IDENTIFIER_SAME_OTHER = 6.0
IDENTIFIER_DIFFERENT = {
    PatientIdentifier.System.NATIONAL_ID: -8.0,
    PatientIdentifier.System.PASSPORT: -4.0,  # a renewed passport gets a new number
    PatientIdentifier.System.BIRTH_CERTIFICATE: -8.0,
}


@dataclass(frozen=True)
class Probe:
    """The person being looked for: what a registration form, an import row or an
    existing record says about them."""

    given_name: str
    family_name: str
    sex: str = ""
    birth_date: dt.date | None = None
    phone_index: str = ""
    identifier_indexes: tuple[str, ...] = field(default_factory=tuple)
    birth_date_estimated: bool = False
    # The system of each entry of identifier_indexes, when known: lets a different
    # national ID count against a match, not only the same one for it.
    identifier_systems: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Match:
    patient: Patient
    score: float
    reasons: tuple[str, ...]


def probe_for(patient: Patient, identifiers: Iterable[tuple[str, str]] = ()) -> Probe:
    """A probe describing an existing record (or an import's row, which has the same
    name, sex, birth and phone attributes); `identifiers` are its (system, value_index)."""
    pairs = list(identifiers)
    return Probe(
        given_name=" ".join(p for p in (patient.given_name, patient.middle_name) if p),
        family_name=patient.family_name,
        sex=patient.sex,
        birth_date=patient.birth_date,
        birth_date_estimated=patient.birth_date_estimated,
        phone_index=patient.phone_index,
        identifier_indexes=tuple(index for _, index in pairs),
        identifier_systems=tuple(system for system, _ in pairs),
    )


# --- comparing one field ------------------------------------------------------------


def _phonetic(token: str) -> str:
    return jellyfish.metaphone(token) if token.isascii() and token.isalpha() else ""


def name_level(a: Sequence[str], b: Sequence[str]) -> Level:
    """How alike two names are, each given as its folded tokens."""
    if not a or not b:
        return Level.MISSING
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b:
        return Level.EXACT
    if set(a) & set(b):
        return Level.TYPO  # "mary jane" and "mary"; a double-barrelled name half kept
    shortest = min(len(joined_a), len(joined_b))
    distance = jellyfish.damerau_levenshtein_distance(joined_a, joined_b)
    if shortest >= 4 and distance <= (1 if shortest < 8 else 2):
        return Level.TYPO
    if _phonetic(joined_a) and _phonetic(joined_a) == _phonetic(joined_b):
        return Level.SOUNDS_ALIKE
    if jellyfish.jaro_winkler_similarity(joined_a, joined_b) >= 0.88:
        return Level.WEAK
    return Level.DIFFERENT


def _digits(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _birth_weight(probe: Probe, patient: Patient) -> tuple[float, str]:
    a, b = probe.birth_date, patient.birth_date
    if not a or not b:
        return 0.0, ""
    if probe.birth_date_estimated or patient.birth_date_estimated:
        if abs(a.year - b.year) <= 2:
            return BIRTH_ABOUT, "birth year about the same"
        return BIRTH_FAR_ESTIMATED, "different age"
    if a == b:
        return BIRTH_SAME, "same birth date"
    da, db = _digits(a), _digits(b)
    wrong = [i for i in range(8) if da[i] != db[i]]
    transposed = len(wrong) == 2 and wrong[1] == wrong[0] + 1 and da[wrong[0]] == db[wrong[1]]
    if len(wrong) == 1 or transposed or (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return BIRTH_NEAR, "birth date nearly the same"
    return BIRTH_DIFFERENT, "different birth date"


def _identifier_weight(probe: Probe, theirs: Sequence[tuple[str, str]]) -> tuple[float, list[str]]:
    if not probe.identifier_indexes or not theirs:
        return 0.0, []
    mine = set(probe.identifier_indexes)
    same = {system for system, index in theirs if index in mine}
    if same:
        best = max(IDENTIFIER_SAME.get(s, IDENTIFIER_SAME_OTHER) for s in same)
        return best, [f"same {_system_label(s)}" for s in sorted(same)]
    # Differing counts only when the probe says which system its numbers belong to.
    my_systems = set(probe.identifier_systems)
    differ = {system for system, _ in theirs if system in my_systems} & IDENTIFIER_DIFFERENT.keys()
    if differ:
        worst = min(IDENTIFIER_DIFFERENT[s] for s in differ)
        return worst, [f"different {_system_label(s)}" for s in sorted(differ)]
    return 0.0, []


def _system_label(system: str) -> str:
    try:
        return str(PatientIdentifier.System(system).label)
    except ValueError:
        return system


def _given_tokens(patient: Patient) -> list[str]:
    return tokens(" ".join(p for p in (patient.given_name, patient.middle_name) if p))


def _name_weight(probe: Probe, patient: Patient, namesakes: int) -> tuple[float, list[str]]:
    given_a, family_a = tokens(probe.given_name), tokens(probe.family_name)
    given_b, family_b = _given_tokens(patient), tokens(patient.family_name)
    straight = (name_level(given_a, given_b), name_level(family_a, family_b))
    swapped = (name_level(given_a, family_b), name_level(family_a, given_b))
    straight_weight = GIVEN[straight[0]] + FAMILY[straight[1]]
    swapped_weight = GIVEN[swapped[0]] + FAMILY[swapped[1]] + SWAPPED
    levels, weight = straight, straight_weight
    reasons = _name_reasons(straight)
    # A swap explains a record only if both names then agree; otherwise "Atieno Otieno"
    # would half-match her twin "Akinyi Otieno" by reading her given name as a family name.
    alike = {Level.EXACT, Level.TYPO, Level.SOUNDS_ALIKE}
    if set(swapped) <= alike and swapped_weight > straight_weight:
        levels, weight = swapped, swapped_weight
        reasons = ["given and family names swapped", *_name_reasons(swapped)]
    if namesakes and levels == (Level.EXACT, Level.EXACT):
        weight -= min(math.log2(1 + namesakes), NAMESAKES_MAX)
        reasons.append(f"{namesakes} other record{'s' if namesakes > 1 else ''} of this name")
    return weight, reasons


def _name_reasons(levels: tuple[Level, Level]) -> list[str]:
    given, family = levels
    if given == family == Level.EXACT:
        return ["same name"]
    reasons = []
    for part, level in (("given name", given), ("family name", family)):
        if level == Level.EXACT:
            reasons.append(f"same {part}")
        elif level in (Level.TYPO, Level.SOUNDS_ALIKE):
            reasons.append(f"{part} spelt alike")
        elif level in (Level.WEAK, Level.DIFFERENT):
            reasons.append(f"different {part}")
    return reasons


def score(
    probe: Probe,
    patient: Patient,
    identifiers: Sequence[tuple[str, str]] = (),
    *,
    namesakes: int = 0,
) -> Match:
    """How likely `patient` (whose identifiers are `identifiers`, as (system,
    value_index) pairs) is the person `probe` describes, and why. `namesakes` is how many
    other records bear exactly the probe's name."""
    bits, reasons = _name_weight(probe, patient, namesakes)
    weight, reason = _birth_weight(probe, patient)
    bits += weight
    reasons += [reason] if reason else []
    known = {Patient.Sex.MALE, Patient.Sex.FEMALE}
    if probe.sex in known and patient.sex in known:
        if probe.sex == patient.sex:
            bits += SEX_SAME
        else:
            bits += SEX_DIFFERENT
            reasons.append("different sex")
    if probe.phone_index and patient.phone_index:
        if probe.phone_index == patient.phone_index:
            bits += PHONE_SAME
            reasons.append("same phone")
        else:
            bits += PHONE_DIFFERENT
            reasons.append("different phone")
    weight, found = _identifier_weight(probe, identifiers)
    bits += weight
    reasons += found
    return Match(patient=patient, score=round(_squash(bits), 3), reasons=tuple(reasons))


def _squash(bits: float) -> float:
    return 1 / (1 + 2 ** (-(bits - _MIDPOINT)))


# --- finding candidates ---------------------------------------------------------------


def _name_key(given: list[str], family: list[str]) -> frozenset[str]:
    # The same tokens in either order: "Mwangi John" is John Mwangi's namesake.
    return frozenset((" ".join(given), " ".join(family)))


def _identifiers_of(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    table = PatientIdentifier._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT patient_id, system, value_index FROM {table} "  # noqa: S608
            f"WHERE patient_id IN ({marks})",
            ids,
        )
        for patient_id, system, index in cursor.fetchall():
            found.setdefault(patient_id, []).append((system, index))
    return found


def find_likely_duplicates(
    probe: Probe,
    *,
    facility_id: int,
    exclude_id: int | None = None,
    threshold: float = LIKELY,
    limit: int = 5,
) -> list[Match]:
    """Active patients of the facility that may be the person described by `probe`,
    best first."""
    with context.reading_patients_not_shown():
        candidates = [
            p for p in blocking.candidates(probe, facility_id=facility_id) if p.pk != exclude_id
        ]
    if not candidates:
        return []
    identifiers: dict[int, list[tuple[str, str]]] = {}
    if probe.identifier_indexes:
        identifiers = _identifiers_of([p.pk for p in candidates])
    name = _name_key(tokens(probe.given_name), tokens(probe.family_name))
    same_name = sum(
        1 for p in candidates if _name_key(_given_tokens(p), tokens(p.family_name)) == name
    )
    matches = [
        score(
            probe,
            patient,
            identifiers.get(patient.pk, ()),
            namesakes=max(0, same_name - 1),
        )
        for patient in candidates
    ]
    matches = sorted(
        (m for m in matches if m.score >= threshold), key=lambda m: (-m.score, m.patient.pk)
    )[:limit]
    full = Patient.objects.in_bulk([m.patient.pk for m in matches])
    return [replace(m, patient=full[m.patient.pk]) for m in matches]
