"""Name search over the word keys (see hms.patients.search), in SQL that both SQLite
and PostgreSQL run from the same B-tree index on PatientNameKey.key.

Ranking: every typed word must match a word of the patient's names, exactly (3),
as its start (2) or one typo away. Patients matched only through a typo come after
all others; then the higher sum first; among equals, patients whose first name is
one of the words typed; then by name. A one-word query (search as you type) is read
straight off the index in key order, which is that ranking with ties in alphabetical
order of the matching word, so even "s" over a million patients reads only the page
it shows.
"""

# The SQL below is put together from constants and %s placeholders only; every value
# typed by a user travels as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection

from hms.patients import search

KEYS = "patients_patientnamekey"
PATIENTS = "patients_patient"
COUNT_CAP = 500  # enough to tell a rare word from a common one
TYPO_COUNT_CAP = 500  # typo spellings are read only when the words alone fall short
# The keys are read first and each patient row looked up by id: SQLite takes CROSS JOIN
# as that order, where without table statistics it would rather scan the facility's
# patients; PostgreSQL plans it as an inner join.
JOIN = f"CROSS JOIN {PATIENTS} p"


@dataclass(frozen=True)
class Scope:
    """The rows a search may return (already checked against the viewer's rights)."""

    facility_id: int
    active_only: bool = True
    sex: str = ""
    birth_date: dt.date | None = None

    def sql(self, alias: str = "p") -> tuple[str, list]:
        parts, params = [f"{alias}.facility_id = %s"], [self.facility_id]
        if self.active_only:
            parts.append(f"{alias}.status = 'active'")
        if self.sex:
            parts.append(f"{alias}.sex = %s")
            params.append(self.sex)
        if self.birth_date:
            parts.append(f"{alias}.birth_date = %s")
            params.append(self.birth_date)
        return " AND ".join(parts), params


@dataclass(frozen=True)
class Word:
    text: str
    typos: tuple[str, ...]  # spellings one edit away that some patient has
    count: int  # keys the word itself starts, up to COUNT_CAP
    typo_count: int  # keys of its typo spellings, up to TYPO_COUNT_CAP each

    def without_typos(self) -> Word:
        return Word(self.text, (), self.count, 0)


def _by_code_point() -> str:
    # Names sort by code point everywhere, as the keys do (PostgreSQL's default
    # collation may be a language's).
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


def _name_order() -> str:
    return f"p.search_name{_by_code_point()}"


def _at(text: str) -> str:
    """SQL for where the parameter first occurs in `text` (1-based; 0 when it does
    not): a plain substring search, with no wildcard to escape, which PostgreSQL plans
    without weighing a LIKE pattern against the column's statistics."""
    return f"strpos({text}, %s)" if connection.vendor == "postgresql" else f"instr({text}, %s)"


def _count(cap: int) -> str:
    return (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {KEYS} c WHERE c.key >= v.low "
        f"AND c.key < v.high LIMIT {cap}) n)"
    )


def _spellings() -> str:
    """A table v(i, variant, low, high) from a JSON list of rows."""
    if connection.vendor == "postgresql":
        return (
            '(SELECT (e->>0)::int AS i, e->>1 AS variant, (e->>2) COLLATE "C" AS low, '
            '(e->>3) COLLATE "C" AS high FROM jsonb_array_elements(%s::jsonb) e) v'
        )
    return (
        "(SELECT value->>0 AS i, value->>1 AS variant, value->>2 AS low, value->>3 AS high "
        "FROM json_each(%s)) v"
    )


def resolve(words: tuple[str, ...], *, counts: bool) -> list[Word]:
    """Which typo spellings of each word exist, and (when `counts`) roughly how many
    keys each word's matches span, in one query of index probes."""
    rows, params = [], []
    for i, word in enumerate(words):
        low, high = search.word_range(word)
        rows.append((i, "", low, high))
        for variant in sorted(search.typo_variants(word)):
            rows.append((i, variant, *search.exact_word_range(variant)))
    if not counts and all(row[1] == "" for row in rows):
        return [Word(w, (), 0, 0) for w in words]
    count = (
        f"CASE WHEN v.variant = '' THEN {_count(COUNT_CAP)} ELSE {_count(TYPO_COUNT_CAP)} END"
        if counts
        else "0"
    )
    sql = (
        f"SELECT v.i, v.variant, {count} FROM {_spellings()} "
        f"WHERE EXISTS (SELECT 1 FROM {KEYS} k WHERE k.key >= v.low AND k.key < v.high)"
    )
    # Hundreds of spellings travel as one JSON parameter: binding them one by one
    # costs more than the index probes.
    params = [json.dumps(rows, ensure_ascii=False)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    typos: dict[int, list[str]] = {i: [] for i in range(len(words))}
    own, typo_total = dict.fromkeys(range(len(words)), 0), dict.fromkeys(range(len(words)), 0)
    for i, variant, n in found:
        if variant:
            typos[i].append(variant)
            typo_total[i] += n
        else:
            own[i] = n
    return [Word(w, tuple(typos[i]), own[i], typo_total[i]) for i, w in enumerate(words)]


def _matches(word: Word, name: str) -> tuple[str, list]:
    """SQL true when the padded name `name` (" john smith ") has a word matching."""
    parts = [f"{_at(name)} > 0"]
    params = [f" {word.text}"]
    for typo in word.typos:
        parts.append(f"{_at(name)} > 0")
        params.append(f" {typo} ")
    return "(" + " OR ".join(parts) + ")", params


def _score(words: list[Word], name: str) -> tuple[str, list]:
    """Two SQL expressions: how many words matched only through a typo (fewest first:
    exact and prefix matches rank above typos), and the sum of 3 per word matched
    exactly and 2 per word starting a name."""
    typos, score, params = [], [], []
    for word in words:
        typos.append(f"CASE WHEN {_at(name)} > 0 THEN 0 ELSE 1 END")
        score.append(f"CASE WHEN {_at(name)} > 0 THEN 3 WHEN {_at(name)} > 0 THEN 2 ELSE 0 END")
        params.append(f" {word.text}")
    exact = [p for word in words for p in (f" {word.text} ", f" {word.text}")]
    return f"{' + '.join(typos)} AS typos, {' + '.join(score)} AS score", [*params, *exact]


def _lead(words: list[Word], name: str) -> tuple[str, list]:
    """SQL 1 when the patient's first name is one of the words typed: among equally
    good matches, "john smith" lists John Smith before Adam John Smith. `name` is the
    name followed by a space."""
    parts = " OR ".join(f"{_at(name)} = 1" for _ in words)
    return f"CASE WHEN {parts} THEN 1 ELSE 0 END AS lead", [f"{w.text} " for w in words]


def _ranges(word: Word) -> list[tuple[str, str]]:
    return [search.word_range(word.text)] + [search.exact_word_range(t) for t in word.typos]


def one_word(word: Word, scope: Scope, rows: int) -> tuple[list[int], bool]:
    """Patients matching one word, best first, from the first `rows` matching keys:
    the exact and prefix range in key order, then each typo spelling's range in key
    order. Also says whether those were all the matching keys."""
    where, where_params = scope.sql()
    base = f"FROM {KEYS} k {JOIN} WHERE p.id = k.patient_id AND {where}"
    tiers = [search.word_range(word.text)] + [search.exact_word_range(t) for t in word.typos]
    selects, params = [], []
    for tier, (low, high) in enumerate(tiers):
        selects.append(
            f"SELECT * FROM (SELECT {min(tier, 1)} AS tier, k.key AS key, k.patient_id AS pid "
            f"{base} AND k.key >= %s AND k.key < %s ORDER BY k.key, k.patient_id LIMIT %s) t{tier}"
        )
        params += [*where_params, low, high, rows]
    sql = " UNION ALL ".join(selects) + " ORDER BY 1, 2, 3 LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, rows])
        found = cursor.fetchall()
    return list(dict.fromkeys(pid for _, _, pid in found)), len(found) < rows


def leading(words: list[Word], scope: Scope, rows: int) -> tuple[list[int], bool]:
    """The best block of a many-word search, straight from the index: every word
    matched exactly, one of them as the first name, in name order. The word key of
    word A holds the whole name after it, so "tkamau mary " starts the keys of every
    Kamau whose first name is Mary, already sorted by name: one short range per
    ordered pair of words, each read only as far as `rows` keys, however common both
    words are. Also says whether those were all the block's keys."""
    branches, params = [], []
    for first in words:
        for other in words:
            if other is first:
                continue
            low = search.word_key(other.text, first.text)[:-1]
            rest = [w for w in words if w not in (first, other)]
            branches.append(
                f"SELECT * FROM (SELECT substr(k.key, %s) AS name, k.patient_id AS pid "
                f"FROM {KEYS} k WHERE k.key >= %s AND k.key < %s"
                + "".join(f" AND {_at('k.key')} > 0" for _ in rest)
                + f" ORDER BY k.key LIMIT %s) b{len(branches)}"
            )
            params += [len(low) - len(first.text) + 1, low + " ", low + "!"]
            params += [*(f" {w.text} " for w in rest), rows]
    where, where_params = scope.sql()
    sql = (
        f"SELECT c.pid, p.id FROM ({' UNION ALL '.join(branches)}) c LEFT JOIN {PATIENTS} p "
        f"ON p.id = c.pid AND {where} ORDER BY c.name, c.pid"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        found = cursor.fetchall()
    # Complete only when fewer keys than asked for were read, before the scope drops any.
    ids = [pid for pid, in_scope in found if in_scope is not None]
    return list(dict.fromkeys(ids)), len(found) < rows


def _key_name() -> str:
    """SQL for the folded name inside a word key k.key, with its trailing space."""
    at = "strpos(k.key, ' ')" if connection.vendor == "postgresql" else "instr(k.key, ' ')"
    return f"substr(k.key, {at} + 1)"


def many_words(
    words: list[Word], scope: Scope, rows: int, *, typos: bool
) -> tuple[list[int], bool]:
    """Patients matching every word, best first, from the first `rows` matching
    patients: read from the least common word's keys, one index range per spelling of
    that word, the other words checked on the name inside each key. Ranked on the keys
    alone, so only the patients shown are looked up (a common pair such as "jose
    garcia" matches thousands). Without `typos`, only the words as typed (the cheap
    first try: common short names have many real names one letter away). Also says
    whether those were all the matches."""
    if not typos:
        words = [w.without_typos() for w in words]
    driver = min(words, key=lambda w: (w.count + w.typo_count, -len(w.text)))
    conditions, condition_params = "", []
    for word in words:
        if word is not driver:
            sql, params = _matches(word, "k.key")
            conditions += f" AND {sql}"
            condition_params += params
    branches, branch_params = [], []
    for low, high in _ranges(driver):
        branches.append(
            f"SELECT k.key, k.patient_id FROM {KEYS} k WHERE k.key >= %s AND k.key < %s{conditions}"
        )
        branch_params += [low, high, *condition_params]
    name = _key_name()
    score, score_params = _score(words, "k.key")
    lead, lead_params = _lead(words, name)
    matches = (
        f"SELECT DISTINCT k.patient_id AS pid, {score}, {lead}, {name}{_by_code_point()} AS name "
        f"FROM ({' UNION ALL '.join(branches)}) k "
        "ORDER BY typos, score DESC, lead DESC, name, pid LIMIT %s"
    )
    where, where_params = scope.sql()
    sql = (
        f"SELECT c.pid, p.id FROM ({matches}) c LEFT JOIN {PATIENTS} p "
        f"ON p.id = c.pid AND {where} ORDER BY c.typos, c.score DESC, c.lead DESC, c.name, c.pid"
    )
    params = [*score_params, *lead_params, *branch_params, rows, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [pid for pid, in_scope in found if in_scope is not None], len(found) < rows


def best_typos(words: list[Word], scope: Scope, rows: int) -> tuple[list[int], bool]:
    """The best block of a search where some words start no name (so can only match
    through a typo): those words one typo away, every other word exactly. All its
    patients rank the same but for the first name, so each typo spelling's keys are
    read in key order, which is name order, only as far as `rows` matches ("jsoe
    gaacia" stops after a few dozen of the thousands of Garcias); the patients whose
    first name is a word typed are the start of those keys, read the same way. Also
    says whether those were all the block's patients."""
    typed = [w for w in words if w.count]
    driver = min((w for w in words if not w.count), key=lambda w: (w.typo_count, -len(w.text)))
    conditions, condition_params = "", []
    for word in words:
        if word is not driver:
            spellings = [word.text] if word.count else list(word.typos)
            ors = " OR ".join(f"{_at('k.key')} > 0" for _ in spellings) or "1 = 0"
            conditions += f" AND ({ors})"
            condition_params += [f" {spelling} " for spelling in spellings]
    branches, params = [], []
    for typo in driver.typos:
        low = search.exact_word_range(typo)[0]
        starts = [(low, low[:-1] + "!")]
        starts += [(f"{low}{w.text} ", f"{low}{w.text}!") for w in typed]
        for low, high in starts:
            branches.append(
                f"SELECT * FROM (SELECT k.key, k.patient_id FROM {KEYS} k "
                f"WHERE k.key >= %s AND k.key < %s{conditions} "
                f"ORDER BY k.key, k.patient_id LIMIT %s) b{len(branches)}"
            )
            params += [low, high, *condition_params, rows]
    if not branches:
        return [], True
    name = _key_name()
    lead, lead_params = _lead(typed, name) if typed else ("0 AS lead", [])
    matches = (
        f"SELECT DISTINCT k.patient_id AS pid, {lead}, {name}{_by_code_point()} AS name "
        f"FROM ({' UNION ALL '.join(branches)}) k ORDER BY lead DESC, name, pid LIMIT %s"
    )
    where, where_params = scope.sql()
    sql = (
        f"SELECT c.pid, p.id FROM ({matches}) c LEFT JOIN {PATIENTS} p "
        f"ON p.id = c.pid AND {where} ORDER BY c.lead DESC, c.name, c.pid"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*lead_params, *params, rows, *where_params])
        found = cursor.fetchall()
    return [pid for pid, in_scope in found if in_scope is not None], len(found) < rows


def recent(scope: Scope, limit: int, offset: int) -> list[int]:
    """The newest patients in scope. The unary plus keeps SQLite from picking the
    facility index (and sorting every patient) over reading ids backwards."""
    where, params = scope.sql()
    where = where.replace("p.facility_id", "+p.facility_id", 1)
    sql = f"SELECT p.id FROM {PATIENTS} p WHERE {where} ORDER BY p.id DESC LIMIT %s OFFSET %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [row[0] for row in cursor.fetchall()]


def by_birth_date(words: list[Word], scope: Scope, limit: int, offset: int) -> list[int]:
    """Patients born on the scope's birth date whose names match every word (the
    birth date index narrows to a few dozen rows, the names are checked on those)."""
    name = "(' ' || p.search_name || ' ')"
    where, where_params = scope.sql()
    conditions, condition_params = [], []
    for word in words:
        sql, params = _matches(word, name)
        conditions.append(sql)
        condition_params += params
    score, score_params = _score(words, name) if words else ("0 AS typos, 0 AS score", [])
    lead, lead_params = _lead(words, "p.search_name || ' '") if words else ("0 AS lead", [])
    sql = (
        f"SELECT p.id, {score}, {lead} FROM {PATIENTS} p "
        f"WHERE {where} {''.join(' AND ' + c for c in conditions)} "
        f"ORDER BY typos, score DESC, lead DESC, {_name_order()}, p.id LIMIT %s OFFSET %s"
    )
    params = [*score_params, *lead_params, *where_params, *condition_params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


PHONETIC_COUNT_CAP = 1_000  # enough to tell which sound is the rarer


def _rarest() -> str:
    """SQL for whichever of the phonetic keys in a JSON list parameter the fewest
    patients hold (counted up to PHONETIC_COUNT_CAP), the longer first among equals."""
    if connection.vendor == "postgresql":
        codes = '(SELECT (e->>0) COLLATE "C" AS code FROM jsonb_array_elements(%s::jsonb) e) v'
    else:
        codes = "(SELECT value->>0 AS code FROM json_each(%s)) v"
    count = (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {KEYS} c WHERE c.key = v.code "
        f"LIMIT {PHONETIC_COUNT_CAP}) n)"
    )
    return f"(SELECT v.code FROM {codes} ORDER BY {count}, length(v.code) DESC LIMIT 1)"


def _sounds_like(words: tuple[str, ...], scope: Scope, cap: int) -> tuple[str, list]:
    keys = [search.phonetic_key(w) for w in words if len(w) >= 3]
    if not keys or len(keys) < len(words) or not all(keys):
        return "", []
    # The rarest sound's keys are read and each of their patients probed for every
    # sound, one index lookup each. PostgreSQL, left to itself, would rather merge-join
    # the whole of a common sound ("mJN": 66,000 keys) with a handful; OFFSET 0 keeps
    # the probes.
    keys = sorted(set(keys))
    probe = " OFFSET 0" if connection.vendor == "postgresql" else ""
    exists = "".join(
        f" AND EXISTS (SELECT 1 FROM {KEYS} o WHERE o.key = %s "
        f"AND o.patient_id = k.patient_id{probe})"
        for _ in keys
    )
    where, where_params = scope.sql()
    sql = (
        f"SELECT DISTINCT k.patient_id FROM {KEYS} k {JOIN} "
        f"WHERE p.id = k.patient_id AND k.key = {_rarest()}{exists} AND {where} LIMIT %s"
    )
    return sql, [json.dumps([[k] for k in keys]), *keys, *where_params, cap]


def _similar_trigrams(text: str, scope: Scope, cap: int) -> tuple[str, list]:
    if connection.vendor != "postgresql" or len(text) < 4:
        return "", []
    where, where_params = scope.sql()
    sql = (
        f"SELECT p.id FROM {PATIENTS} p WHERE %s <%% p.search_name AND {where} "
        "ORDER BY word_similarity(%s, p.search_name) DESC, p.id LIMIT %s"
    )
    return sql, [text, *where_params, text, cap]


def alike(words: tuple[str, ...], scope: Scope, cap: int = 100) -> list[int]:
    """When nothing matched by spelling: patients whose names sound like every word
    (Metaphone keys) and, on PostgreSQL, whose names share most trigrams with the words
    (pg_trgm's word similarity, served by the GIN index on search_name), for
    misspellings beyond one letter per word. Unranked, up to `cap` of each."""
    parts = [_sounds_like(words, scope, cap), _similar_trigrams(" ".join(words), scope, cap)]
    parts = [(sql, params) for sql, params in parts if sql]
    if not parts:
        return []
    sql = " UNION ".join(f"SELECT * FROM ({sql}) a{i}" for i, (sql, _) in enumerate(parts))
    with connection.cursor() as cursor:
        cursor.execute(sql, [p for _, params in parts for p in params])
        return [row[0] for row in cursor.fetchall()]
