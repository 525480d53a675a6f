"""FHIR search parameters for Patient, read into the registry's lookup criteria.

Follows https://hl7.org/fhir/R4/search.html: a repeated parameter ANDs, a comma inside
one value ORs; string parameters match the start of any word of the name, accents and
case ignored; token parameters take `system|value`, `value`, `system|` or `|value`;
dates take the prefixes eq, ne, gt, lt, ge and le and a year, year-month or full date.
An unknown parameter is refused rather than ignored: ignoring it would answer a typo
with every patient of the facility.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace

from hms.interop.fhir.resources.patient import OUR_IDENTIFIER
from hms.interop.fhir.resources.searching import check_params
from hms.interop.fhir.validation import InvalidResource
from hms.patients.lookups import IdentifierCriterion, PatientCriteria
from hms.patients.models import Patient

SEARCH_PARAMS = (
    ("_id", "token"),
    ("name", "string"),
    ("family", "string"),
    ("given", "string"),
    ("birthdate", "date"),
    ("gender", "token"),
    ("identifier", "token"),
    ("telecom", "token"),
)
_DATE = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class SearchRequest:
    criteria: PatientCriteria
    count: int
    offset: int


def parse_search(params) -> SearchRequest:
    """The criteria and page of a Patient search (`params` is a QueryDict); raises
    InvalidResource naming the parameter it cannot use."""
    page = check_params(params, "Patient", (name for name, _ in SEARCH_PARAMS))
    criteria = PatientCriteria(
        ids=tuple(v for value in params.getlist("_id") for v in _split(value)),
        names=_strings(params, "name"),
        families=_strings(params, "family"),
        givens=_strings(params, "given"),
        sexes=_genders(params),
        identifiers=tuple(
            tuple(_identifier(v) for v in _split(value)) for value in params.getlist("identifier")
        ),
        telecoms=tuple(
            tuple(_telecom(v) for v in _split(value)) for value in params.getlist("telecom")
        ),
    )
    for value in params.getlist("birthdate"):
        criteria = _narrow_birth(criteria, value)
    return SearchRequest(criteria=criteria, count=page.count, offset=page.offset)


def _bad(param: str, message: str) -> InvalidResource:
    # A parameter is not an element, so it is named in the text, not as an expression.
    return InvalidResource([("", f"Search parameter {param!r}: {message}")])


def _split(value: str) -> list[str]:
    return [part for part in value.split(",") if part != ""]


def _strings(params, name: str) -> tuple[tuple[str, ...], ...]:
    found = []
    for value in params.getlist(name):
        parts = tuple(p.strip() for p in _split(value) if p.strip())
        if not parts:
            raise _bad(name, "Give a name to search for.")
        if any(len(p) > 100 for p in parts):
            raise _bad(name, "At most 100 characters.")
        found.append(parts)
    return tuple(found)


def _genders(params) -> tuple[str, ...]:
    wanted: set[str] | None = None
    for value in params.getlist("gender"):
        codes = set(_split(value))
        unknown = codes - set(Patient.Sex.values)
        if unknown or not codes:
            raise _bad("gender", f"Use one of {', '.join(Patient.Sex.values)}.")
        wanted = codes if wanted is None else wanted & codes
    if wanted is None:
        return ()
    return tuple(sorted(wanted)) or ("-",)  # contradictory genders match nobody


def _identifier(value: str) -> IdentifierCriterion:
    if "|" not in value:
        return IdentifierCriterion(system=None, value=value)
    system, _, code = value.partition("|")
    if system.startswith(OUR_IDENTIFIER):
        system = system[len(OUR_IDENTIFIER) :]  # stored under our own kind's name
    return IdentifierCriterion(system=system, value=code or None)


def _telecom(value: str) -> tuple[str, str]:
    system, sep, code = value.partition("|")
    return (system, code) if sep else ("", value)


def _narrow_birth(criteria: PatientCriteria, value: str) -> PatientCriteria:
    match = _DATE.match(value)
    if not match:
        raise _bad("birthdate", "Use [prefix]YYYY, YYYY-MM or YYYY-MM-DD (one value).")
    prefix, year, month, day = match.group(1) or "eq", *match.groups()[1:]
    if prefix in ("sa", "eb", "ap"):
        raise _bad(
            "birthdate", f"The prefix {prefix!r} is not supported; use eq, ne, gt, lt, ge, le."
        )
    try:
        low, high = _date_range(int(year), month, day)
    except ValueError as exc:
        raise _bad("birthdate", f"{value!r} is not a date that exists.") from exc
    start, end = criteria.birth_from, criteria.birth_to
    if prefix in ("eq", "ge"):
        start = max(start or low, low)
    if prefix in ("eq", "le"):
        end = min(end or high, high)
    if prefix == "gt":
        start = max(start or high, high + dt.timedelta(days=1))
    if prefix == "lt":
        end = min(end or low, low - dt.timedelta(days=1))
    if prefix == "ne":
        return replace(criteria, birth_not=(*criteria.birth_not, (low, high)))
    return replace(criteria, birth_from=start, birth_to=end)


def _date_range(year: int, month: str | None, day: str | None) -> tuple[dt.date, dt.date]:
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if day is None:
        last = calendar.monthrange(year, int(month))[1]
        return dt.date(year, int(month), 1), dt.date(year, int(month), last)
    exact = dt.date(year, int(month), int(day))
    return exact, exact
