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
COUNT_CAP = 2_000  # enough to tell a rare word from a common one
TYPO_COUNT_CAP = 2_000  # typo spellings are read only when the words alone fall short
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


def _name_order() -> str:
    # Names sort by code point everywhere, as the keys do (PostgreSQL's default
    # collation may be a language's).
    return 'p.search_name COLLATE "C"' if connection.vendor == "postgresql" else "p.search_name"


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    parts = [f"{name} LIKE %s ESCAPE '\\'"]
    params = [f"% {_like(word.text)}%"]
    for typo in word.typos:
        parts.append(f"{name} LIKE %s ESCAPE '\\'")
        params.append(f"% {_like(typo)} %")
    return "(" + " OR ".join(parts) + ")", params


def _score(words: list[Word], name: str) -> tuple[str, list]:
    """Two SQL expressions: how many words matched only through a typo (fewest first:
    exact and prefix matches rank above typos), and the sum of 3 per word matched
    exactly and 2 per word starting a name."""
    typos, score, params = [], [], []
    for word in words:
        typos.append(f"CASE WHEN {name} LIKE %s ESCAPE '\\' THEN 0 ELSE 1 END")
        score.append(
            f"CASE WHEN {name} LIKE %s ESCAPE '\\' THEN 3 "
            f"WHEN {name} LIKE %s ESCAPE '\\' THEN 2 ELSE 0 END"
        )
        params.append(f"% {_like(word.text)}%")
    exact = [p for word in words for p in (f"% {_like(word.text)} %", f"% {_like(word.text)}%")]
    return f"{' + '.join(typos)} AS typos, {' + '.join(score)} AS score", [*params, *exact]


def _lead(words: list[Word]) -> tuple[str, list]:
    """SQL 1 when the patient's first name is one of the words typed: among equally
    good matches, "john smith" lists John Smith before Adam John Smith."""
    parts = " OR ".join("p.search_name || ' ' LIKE %s ESCAPE '\\'" for _ in words)
    return f"CASE WHEN {parts} THEN 1 ELSE 0 END AS lead", [f"{_like(w.text)} %" for w in words]


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
                + "".join(" AND k.key LIKE %s ESCAPE '\\'" for _ in rest)
                + f" ORDER BY k.key LIMIT %s) b{len(branches)}"
            )
            params += [len(low) - len(first.text) + 1, low + " ", low + "!"]
            params += [*(f"% {_like(w.text)} %" for w in rest), rows]
    where, where_params = scope.sql()
    sql = (
        f"SELECT c.pid FROM ({' UNION ALL '.join(branches)}) c {JOIN} "
        f"WHERE p.id = c.pid AND {where} ORDER BY c.name, c.pid"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        found = [row[0] for row in cursor.fetchall()]
    return list(dict.fromkeys(found)), len(found) < rows


def many_words(
    words: list[Word], scope: Scope, limit: int, offset: int, *, typos: bool
) -> list[int]:
    """Patients matching every word, best first: read from the least common word's
    keys, the other words checked on the name inside each key. One index range per
    spelling of that word, so PostgreSQL reads each from the index alone. Without
    `typos`, only the words as typed (the cheap first try: common short names have
    many real names one letter away)."""
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
    where, where_params = scope.sql()
    score, score_params = _score(words, "k.key")
    lead, lead_params = _lead(words)
    sql = (
        f"SELECT DISTINCT p.id, {score}, {lead}, {_name_order()} "
        f"FROM ({' UNION ALL '.join(branches)}) k {JOIN} "
        f"WHERE p.id = k.patient_id AND {where} "
        f"ORDER BY typos, score DESC, lead DESC, {_name_order()}, p.id LIMIT %s OFFSET %s"
    )
    params = [*score_params, *lead_params, *branch_params, *where_params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


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
    lead, lead_params = _lead(words) if words else ("0 AS lead", [])
    sql = (
        f"SELECT p.id, {score}, {lead} FROM {PATIENTS} p "
        f"WHERE {where} {''.join(' AND ' + c for c in conditions)} "
        f"ORDER BY typos, score DESC, lead DESC, {_name_order()}, p.id LIMIT %s OFFSET %s"
    )
    params = [*score_params, *lead_params, *where_params, *condition_params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _sounds_like(words: tuple[str, ...], scope: Scope, cap: int) -> tuple[str, list]:
    keys = [search.phonetic_key(w) for w in words if len(w) >= 3]
    if not keys or len(keys) < len(words) or not all(keys):
        return "", []
    # The longest code is usually the rarest: its keys are read, the others probed.
    keys.sort(key=len, reverse=True)
    where, where_params = scope.sql()
    exists = "".join(
        f" AND EXISTS (SELECT 1 FROM {KEYS} o WHERE o.key = %s AND o.patient_id = k.patient_id)"
        for _ in keys[1:]
    )
    sql = (
        f"SELECT DISTINCT k.patient_id FROM {KEYS} k {JOIN} "
        f"WHERE p.id = k.patient_id AND k.key = %s{exists} AND {where} LIMIT %s"
    )
    return sql, [keys[0], *keys[1:], *where_params, cap]


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
