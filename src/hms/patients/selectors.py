"""Reads of the registry: the front desk's search, a patient's record and timeline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from hms.core import crypto
from hms.core.errors import InvalidInput
from hms.core.models import Facility
from hms.core.phones import normalise_phone
from hms.core.rows import Columns, fetch
from hms.patients import mrn, name_index, search
from hms.patients.inputs import identifier_key
from hms.patients.models import Patient, PatientIdentifier, TimelineEntry
from hms.patients.policies import scope_patients

MAX_LIMIT = 100
NUMBER_MATCHES = 200  # one phone is shared by a family, not by hundreds
BORN_SAME_DAY = 500  # patients born on one day looked at when no name matched
CLOSE = 0.8  # Jaro-Winkler similarity of a name that comes close
MISTYPED_MRN = (
    "{mrn} looks like a medical record number, but its check digit is wrong: "
    "a digit was probably mistyped."
)
ALIKE = "No name matches exactly; these sound or look alike."


@dataclass(frozen=True)
class SearchPage:
    results: list[Patient]
    has_more: bool
    # Said to the clerk above the results: a mistyped MRN, a date that does not exist,
    # sound-alike results.
    notice: str = ""
    # The query was shaped like an MRN but failed its check digit, and nothing matched.
    mistyped_mrn: bool = False


def search_patients(
    *,
    viewer: Any,
    facility: Facility | None,
    query: str = "",
    birth_date: dt.date | None = None,
    sex: str = "",
    include_inactive: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Find patients by MRN (check digit verified), phone in any format, ID number,
    birth date, or name words (any order, prefixes, one typo per word, accents and
    case ignored), and combinations such as "smith 1980-05-01"; best matches first.

    Ranking: an MRN, then an ID number, then a phone; names by how well each word
    matches (the word itself, then a word it starts, then one typo away), then by name.
    Scoped to the viewer's facility and permission. Merged and entered-in-error records
    are left out unless `include_inactive`. A handful of queries whatever the size of
    the registry.
    """
    scoped = scope_patients(viewer, facility, Patient.objects.all())
    if facility is None or scoped.query.is_empty():
        return SearchPage([], False)
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    typed = search.read_query(query, country=facility.country)
    if birth_date and typed.birth_date and birth_date != typed.birth_date:
        return SearchPage([], False, "The birth dates given differ.")
    scope = name_index.Scope(
        facility_id=facility.pk,
        active_only=not include_inactive,
        sex=sex,
        birth_date=birth_date or typed.birth_date,
    )
    if typed.number:
        page = _by_number(typed, facility, scope, limit, offset)
    elif typed.words:
        page = _by_name(typed, scope, limit, offset)
    else:
        page = _by_date_or_recent(scope, limit, offset)
    notice = " ".join([*typed.problems, page.notice])
    return SearchPage(page.results, page.has_more, notice.strip(), page.mistyped_mrn)


def _page(rows: list[Patient], limit: int, notice: str = "") -> SearchPage:
    return SearchPage(rows[:limit], len(rows) > limit, notice)


# A result shows the phone (masked) but never the email or address: leaving them out
# spares two decryptions per patient listed.
_LISTED = Columns(
    Patient, [f.name for f in Patient._meta.concrete_fields if f.name not in ("email", "address")]
)


def _load(scope: name_index.Scope, ids: list[int]) -> list[Patient]:
    """The records of `ids` within `scope`, in that order: one plain statement, as a
    page of results is read on every key the clerk types."""
    if not ids:
        return []
    where, params = scope.sql("p")
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT {_LISTED.select('p')} FROM {Patient._meta.db_table} p "  # noqa: S608
        f"WHERE p.id IN ({marks}) AND {where}"
    )
    found = {patient.pk: patient for (patient,) in fetch(sql, [*ids, *params], _LISTED)}
    return [found[pk] for pk in ids if pk in found]


def _by_date_or_recent(scope: name_index.Scope, limit: int, offset: int) -> SearchPage:
    if scope.birth_date:
        ids = name_index.by_birth_date([], scope, limit + 1, offset)
        return _page(_load(scope, ids), limit)
    return _page(_load(scope, name_index.recent(scope, limit + 1, offset)), limit)


# --- names ---------------------------------------------------------------------------


def _by_name(
    typed: search.Query,
    scope: name_index.Scope,
    limit: int,
    offset: int,
) -> SearchPage:
    many = len(typed.words) > 1
    words = name_index.resolve(typed.words, counts=many and not scope.birth_date)
    if scope.birth_date:
        ids = name_index.by_birth_date(words, scope, limit + 1, offset)
    elif many:
        ids = _many_words(words, scope, limit, offset)
    else:
        ids = _one_word(words[0], scope, offset + limit + 1)[offset:]
    if ids or offset:
        return _page(_load(scope, ids), limit)
    return _alike(typed, scope, limit)


def _many_words(
    words: list[name_index.Word], scope: name_index.Scope, limit: int, offset: int
) -> list[int]:
    # Cheapest first, each step only when the one before cannot fill the page: the
    # block of exact matches led by a first name, then the words as typed (exact and
    # prefix), then with typo spellings too. A word that starts no name at all skips
    # straight to the typos.
    ids: list[int] = []
    wanted = offset + limit + 1
    if all(w.count for w in words):
        ids = _read_on(lambda rows: name_index.leading(words, scope, rows), wanted)
        if len(ids) < wanted:
            ids = _read_on(
                lambda rows: name_index.many_words(words, scope, rows, typos=False), wanted
            )
    if len(ids) < wanted and any(w.typos for w in words):
        if not all(w.count for w in words):
            # Words that start no name: their typos with the other words exact make the
            # best block, read name by name; all that matches when every word is so.
            ids = _read_on(lambda rows: name_index.best_typos(words, scope, rows), wanted)
            if len(ids) >= wanted or not any(w.count for w in words):
                return ids[offset:]
        ids = _read_on(lambda rows: name_index.many_words(words, scope, rows, typos=True), wanted)
    return ids[offset:]


def _one_word(word: name_index.Word, scope: name_index.Scope, wanted: int) -> list[int]:
    return _read_on(lambda rows: name_index.one_word(word, scope, rows), wanted)


def _read_on(read: Callable[[int], tuple[list[int], bool]], wanted: int) -> list[int]:
    # A patient with two words matching ("john johnson" for "joh") fills two rows, and
    # rows of other facilities or merged records are dropped after the read, so read
    # on until enough patients are found or the rows run out.
    rows = wanted
    while True:
        ids, complete = read(rows)
        if len(ids) >= wanted or complete:
            return ids
        rows *= 2


def _alike(typed: search.Query, scope: name_index.Scope, limit: int) -> SearchPage:
    """When no name matches by spelling: names that sound alike (both databases) or
    share most trigrams (PostgreSQL), closest first; one page only. With a birth date,
    the few patients born that day whose names come close."""
    if scope.birth_date:
        born = _load(scope, name_index.by_birth_date([], scope, BORN_SAME_DAY, 0))
        rows = [p for p in born if search.similarity(typed.words, p.search_name) >= CLOSE]
    else:
        rows = _load(scope, name_index.alike(typed.words, scope))
    rows.sort(key=lambda p: (-search.similarity(typed.words, p.search_name), p.search_name, p.pk))
    if not rows:
        return SearchPage([], False)
    return SearchPage(rows[:limit], False, ALIKE)


# --- numbers -------------------------------------------------------------------------


@dataclass
class _Keys:
    mrns: set[str]
    phones: set[str]
    identifiers: set[tuple[str, str]]


def _phone_indexes(text: str, region: str) -> set[str]:
    digits = re.sub(r"\D", "", text)
    spellings = {text}
    if digits and not text.lstrip().startswith("+"):
        # 254712345678 or 00254712345678: an international number without the plus.
        spellings |= {f"+{digits}", f"+{digits[2:]}" if digits.startswith("00") else ""}
    found = set()
    for spelling in spellings - {""}:
        try:
            phone = normalise_phone(spelling, region)
        except InvalidInput:
            continue
        found.add(crypto.blind_index(phone, kind="phone"))
    return found


def _number_keys(text: str, facility: Facility, *, phone: bool = True) -> _Keys:
    compact = mrn.normalise(text)
    mrns = {compact}
    if facility.mrn_prefix and not compact.startswith(facility.mrn_prefix):
        mrns.add(facility.mrn_prefix + compact)
    identifiers = {
        (system, crypto.blind_index(identifier_key(system, text), kind="identifier"))
        for system in PatientIdentifier.System.values
    }
    phones = _phone_indexes(text, facility.country) if phone else set()
    return _Keys(mrns, phones, identifiers)


def _identifier_holders(pairs: set[tuple[str, str]]) -> dict[int, set[str]]:
    # The blind index is keyed by system and value, so the index alone names the pair.
    held: dict[int, set[str]] = {}
    if not pairs:
        return held
    rows = _rows(
        f"SELECT patient_id, value_index FROM {PatientIdentifier._meta.db_table} "  # noqa: S608
        f"WHERE value_index IN ({_marks(pairs)}) LIMIT {NUMBER_MATCHES}",
        [index for _, index in pairs],
    )
    for patient_id, index in rows:
        held.setdefault(patient_id, set()).add(index)
    return held


def _number_ids(facility: Facility, mrns: set[str], phones: set[str]) -> list[int]:
    """Records with one of these MRNs (in the facility) or phones, each through its own
    index; the scope is checked when they are loaded."""
    table = Patient._meta.db_table
    branches, params = [], []
    if mrns:
        branches.append(
            f"SELECT id FROM {table} WHERE facility_id = %s AND mrn IN ({_marks(mrns)})"  # noqa: S608
        )
        params += [facility.pk, *mrns]
    if phones:
        branches.append(f"SELECT id FROM {table} WHERE phone_index IN ({_marks(phones)})")  # noqa: S608
        params += list(phones)
    if not branches:
        return []
    union = f"{' UNION '.join(branches)} LIMIT {NUMBER_MATCHES}"
    return [pk for (pk,) in _rows(union, params)]


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def _rows(sql: str, params: list) -> list[tuple]:
    # Every number typed at the front desk runs these: plain statements, with values
    # only ever passed as parameters.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _mistyped_mrn(typed: search.Query, facility: Facility, keys: _Keys) -> str:
    """The typed number when it has this facility's MRN shape (its prefix, when it has
    one, and the digits) but fails the check digit. Ten digits that make a valid phone
    number of the facility's country are taken for a phone number."""
    if keys.phones:
        return ""
    for text in (typed.text, typed.number):
        compact = mrn.normalise(text)
        if not compact.startswith(facility.mrn_prefix):
            continue
        if mrn.looks_like_mrn(compact) and not mrn.is_valid(compact):
            return compact
    return ""


def _by_number(
    typed: search.Query,
    facility: Facility,
    scope: name_index.Scope,
    limit: int,
    offset: int,
) -> SearchPage:
    """An MRN, phone or ID number, exact. With name words beside it ("smith 0712...")
    the number narrows to those names; the whole text is also tried as one ID number
    (passports such as "AB 123456")."""
    # The phone parser skips letters, so "mary 0712..." would pass as a phone whole.
    whole = _number_keys(typed.text, facility, phone=not typed.words)
    number = _number_keys(typed.number, facility) if typed.words else whole
    held = _identifier_holders(whole.identifiers | number.identifiers)
    ids = _number_ids(facility, whole.mrns | number.mrns, whole.phones | number.phones)
    found = _load(scope, list(dict.fromkeys([*ids, *held])))
    ranked = []
    for patient in found:
        rank = _number_rank(patient, whole, held) or _number_rank(patient, number, held)
        if rank and _names_fit(typed.words, patient, rank, whole, held):
            ranked.append((rank, patient))
    ranked.sort(key=lambda r: (-r[0], r[1].search_name, r[1].pk))
    rows = [p for _, p in ranked][offset : offset + limit + 1]
    mistyped = "" if ranked else _mistyped_mrn(typed, facility, whole)
    if mistyped:
        return SearchPage([], False, MISTYPED_MRN.format(mrn=mistyped), mistyped_mrn=True)
    return _page(rows, limit)


def _number_rank(patient: Patient, keys: _Keys, held: dict[int, set[str]]) -> int:
    if patient.mrn in keys.mrns:
        return 3
    if held.get(patient.pk, set()) & {index for _, index in keys.identifiers}:
        return 2
    return 1 if patient.phone_index and patient.phone_index in keys.phones else 0


def _names_fit(
    words: tuple[str, ...], patient: Patient, rank: int, whole: _Keys, held: dict[int, set[str]]
) -> bool:
    if not words or _number_rank(patient, whole, held) == rank:
        return True
    names = patient.search_name.split()
    return all(search.word_quality(w, names, search.typo_variants(w)) for w in words)


# --- a patient's record ----------------------------------------------------------------


def patient_timeline(*, patient: Patient, limit: int = 200) -> list[TimelineEntry]:
    """The patient's interactions, newest first, including those of records merged into
    it, and of records merged into those (a merge of a merge)."""
    ids, newest = {patient.pk}, {patient.pk}
    while newest:
        newest = (
            set(Patient.objects.filter(merged_into__in=newest).values_list("pk", flat=True)) - ids
        )
        ids |= newest
    return list(
        TimelineEntry.objects.filter(patient_id__in=ids)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
