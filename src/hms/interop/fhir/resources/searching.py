"""FHIR search for the directory and scheduling resources: reading the parameters and
answering with a searchset Bundle (https://hl7.org/fhir/R4/search.html).

- A repeated parameter ANDs; a comma inside one value ORs.
- An unknown parameter is refused rather than ignored: ignoring it would answer a typo
  with every row of the facility. So is a value that cannot be what the parameter
  takes (a control character, an id of the wrong shape, an impossible date): a 400
  naming the parameter, never a 500 from the database.
- Dates take the prefixes eq, ne, gt, lt, ge, le, sa and eb, and a year, month, day,
  minute, second or fraction; a value without a zone is read in the facility's zone
  (https://hl7.org/fhir/R4/search.html#date). The value is the range its precision
  covers, compared with the element's instant or period as the spec's table says.
- Paging is `_count` (at most 100) and `_offset`. The searchset says `total` when the
  page tells it (the last page) or when `_count=0` or `_summary=count` asks for it
  alone (https://hl7.org/fhir/R4/search.html#summary): counting every match of a large
  table on each page would cost more than the page itself.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from fhir.resources.R4B.bundle import Bundle
from rest_framework.utils.urls import remove_query_param, replace_query_param

from hms.interop.fhir.validation import InvalidResource

# Result parameters: paging, and the format switches clients send out of habit.
RESULT_PARAMS = frozenset({"_count", "_offset", "_format", "_pretty", "_summary"})
DEFAULT_COUNT, MAX_COUNT, MAX_OFFSET = 20, 100, 10_000
MAX_VALUE = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(
    r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb|ap)?"
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>Z|[+\- ]\d{2}:\d{2})?)?)?)?$"
)
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def bad(param: str, message: str) -> InvalidResource:
    # A parameter is not an element, so it is named in the text, not as an expression.
    return InvalidResource([("", f"Search parameter {param!r}: {message}")])


@dataclass(frozen=True)
class Page:
    count: int
    offset: int


def check_params(params, resource_type: str, names: Iterable[str]) -> Page:
    """Refuse parameters `resource_type` does not take and values no parameter can
    hold; return the page asked for."""
    known = set(names) | RESULT_PARAMS
    for key, values in params.lists():
        if key not in known:
            raise bad(key, f"Unknown or unsupported search parameter for {resource_type}.")
        for value in values:
            if len(value) > MAX_VALUE:
                raise bad(key, f"At most {MAX_VALUE} characters.")
            if _CONTROL.search(value):
                raise bad(key, "Control characters are not allowed.")
    count = min(_number(params, "_count", DEFAULT_COUNT, None), MAX_COUNT)
    return Page(
        count=0 if _only_total(params) else count,
        offset=_number(params, "_offset", 0, MAX_OFFSET),
    )


def _only_total(params) -> bool:
    # Of the summaries only "count" changes what a searchset holds here: "false" is the
    # whole resource, as without it; the others would leave out elements per resource.
    values = params.getlist("_summary")
    if not values:
        return False
    if len(values) > 1 or values[0] not in ("count", "false"):
        raise bad("_summary", "Use count or false.")
    return values[0] == "count"


def _number(params, name: str, default: int, high: int | None) -> int:
    values = params.getlist(name)
    if not values:
        return default
    if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
        raise bad(name, "Must be one whole number.")
    number = int(values[0][:9])
    if high is not None and number > high:
        raise bad(name, f"Must be between 0 and {high}.")
    return number


def groups(params, name: str) -> list[list[str]]:
    """Each occurrence of `name` as the list of its comma-separated values (to OR);
    the occurrences AND. An occurrence with no value is refused."""
    found = []
    for value in params.getlist(name):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts:
            raise bad(name, "Give a value.")
        found.append(parts)
    return found


def any_of(conditions: Iterable[Q]) -> Q:
    result = Q(pk__in=[])
    for condition in conditions:
        result |= condition
    return result


def filter_groups(qs: QuerySet, params, name: str, condition: Callable[[str], Q]) -> QuerySet:
    """`qs` narrowed by every occurrence of `name`, each the OR of its values."""
    for values in groups(params, name):
        qs = qs.filter(any_of(condition(v) for v in values))
    return qs


def token(value: str) -> tuple[str | None, str]:
    """(system, code) of a token value: `code` (any system: None), `system|code`,
    `|code` (no system: ""), `system|` (any code: "")."""
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    return system, code


def boolean(value: str, param: str) -> bool:
    if value not in ("true", "false"):
        raise bad(param, "Use true or false.")
    return value == "true"


def reference_id(value: str, resource_type: str, param: str) -> str:
    """The id a reference parameter names: `id`, `Type/id` or this server's URL of it."""
    text = value.rstrip("/")
    if "://" in text:
        _, found, text = text.partition("/fhir/R4/")
        if not found:
            raise bad(param, f"Refer to a {resource_type} of this server.")
    if "/" in text:
        kind, _, text = text.partition("/")
        if kind != resource_type:
            raise bad(param, f"Refer to a {resource_type} ({resource_type}/id).")
    if not _FHIR_ID.match(text):
        raise bad(param, f"{value!r} is not a {resource_type} id.")
    return text


def uuid_id(value: str, resource_type: str, param: str) -> uuid.UUID:
    try:
        return uuid.UUID(reference_id(value, resource_type, param))
    except ValueError as exc:
        raise bad(param, f"{value!r} is not a {resource_type} id.") from exc


def integer_id(value: str, resource_type: str, param: str) -> int:
    text = reference_id(value, resource_type, param)
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise bad(param, f"{value!r} is not a {resource_type} id.")
    return int(text)


# --- dates -------------------------------------------------------------------------------


def date_range(
    value: str, param: str, zone: zoneinfo.ZoneInfo
) -> tuple[str, dt.datetime, dt.datetime]:
    """(prefix, low, high) of a date value: the half-open range [low, high) of instants
    its precision covers."""
    match = _DATE.match(value)
    if not match:
        raise bad(param, "Use [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]], e.g. ge2025-03-04.")
    parts = match.groupdict()
    prefix = parts["prefix"] or "eq"
    if prefix == "ap":
        raise bad(param, "The prefix 'ap' is not supported; use eq, ne, gt, lt, ge, le, sa, eb.")
    try:
        low, high = _bounds(parts, zone)
    except (ValueError, OverflowError) as exc:
        raise bad(param, f"{value!r} is not a date that exists.") from exc
    return prefix, low, high


def _bounds(parts: dict, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    year = int(parts["year"])
    if parts["month"] is None:
        return _local(dt.date(year, 1, 1), zone), _local(dt.date(year + 1, 1, 1), zone)
    month = int(parts["month"])
    if parts["day"] is None:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return _local(dt.date(year, month, 1), zone), _local(following, zone)
    day = dt.date(year, month, int(parts["day"]))
    if parts["hour"] is None:
        return _local(day, zone), _local(day + dt.timedelta(days=1), zone)
    tz = _zone(parts["zone"]) or zone
    fraction = (parts["fraction"] or "")[:6]
    start = dt.datetime(
        year,
        month,
        day.day,
        int(parts["hour"]),
        int(parts["minute"]),
        int(parts["second"] or 0),
        int(fraction.ljust(6, "0")) if fraction else 0,
        tzinfo=tz,
    )
    if parts["second"] is None:
        step = dt.timedelta(minutes=1)
    elif not fraction:
        step = dt.timedelta(seconds=1)
    else:
        step = dt.timedelta(microseconds=10 ** (6 - len(fraction)))
    return start.astimezone(dt.UTC), (start + step).astimezone(dt.UTC)


def _local(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _zone(text: str | None) -> dt.tzinfo | None:
    if text is None:
        return None
    if text == "Z":
        return dt.UTC
    # A "+" in a query string arrives as a space unless the client escaped it.
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError("no such offset")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def instant_condition(prefix: str, low: dt.datetime, high: dt.datetime, field: str) -> Q:
    """The date prefixes on an element that is one instant (Slot.start, Appointment.start)."""
    within = Q(**{f"{field}__gte": low, f"{field}__lt": high})
    return {
        "eq": within,
        "ne": ~within,
        "gt": Q(**{f"{field}__gte": high}),
        "sa": Q(**{f"{field}__gte": high}),
        "ge": Q(**{f"{field}__gte": low}),
        "lt": Q(**{f"{field}__lt": low}),
        "eb": Q(**{f"{field}__lt": low}),
        "le": Q(**{f"{field}__lt": high}),
    }[prefix]


def period_condition(prefix: str, low: dt.datetime, high: dt.datetime, start: str, end: str) -> Q:
    """The date prefixes on a period whose `end` is empty while it goes on
    (Encounter.period): eq means the search range holds the whole period; gt and lt
    that the time after or before the search range overlaps it; ge and le either."""
    held = Q(**{f"{start}__gte": low, f"{end}__lt": high})
    after = Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": high})
    before = Q(**{f"{start}__lt": low})
    return {
        "eq": held,
        "ne": ~held,
        "gt": after,
        "ge": after | held,
        "lt": before,
        "le": before | held,
        "sa": Q(**{f"{start}__gte": high}),
        "eb": Q(**{f"{end}__lt": low}),
    }[prefix]


def filter_dates(
    qs: QuerySet, params, name: str, zone: zoneinfo.ZoneInfo, condition: Callable[..., Q]
) -> QuerySet:
    """`qs` narrowed by every `name` value; `condition(prefix, low, high)` gives the Q."""
    for values in groups(params, name):
        qs = qs.filter(any_of(condition(*date_range(v, name, zone)) for v in values))
    return qs


# --- answering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    rows: list
    more: bool
    total: int | None


def page_of(qs: QuerySet, page: Page) -> Found:
    """One page of `qs` (ordered), reading one row past it to know whether more follow."""
    if page.count == 0:
        return Found(rows=[], more=False, total=qs.count())
    rows = list(qs[page.offset : page.offset + page.count + 1])
    more = len(rows) > page.count
    rows = rows[: page.count]
    total = None if more or (not rows and page.offset) else page.offset + len(rows)
    return Found(rows=rows, more=more, total=total)


def searchset(
    request,
    resource_type: str,
    resources: Sequence[Any],
    *,
    page: Page,
    found: Found,
) -> dict[str, Any]:
    """The searchset Bundle of one page, with self, next and previous links."""
    url = request.build_absolute_uri()
    links = [{"relation": "self", "url": url}]
    if found.more:
        following = replace_query_param(url, "_offset", page.offset + page.count)
        links.append({"relation": "next", "url": following})
    if page.offset and page.count:
        earlier = max(page.offset - page.count, 0)
        previous = (
            replace_query_param(url, "_offset", earlier)
            if earlier
            else remove_query_param(url, "_offset")
        )
        links.append({"relation": "previous", "url": previous})
    bundle = Bundle(
        type="searchset",
        total=found.total,
        link=links,
        entry=[
            {
                "fullUrl": request.build_absolute_uri(f"/fhir/R4/{resource_type}/{r.id}"),
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ]
        or None,
    )
    return bundle.model_dump(mode="json", exclude_none=True)
