"""Reading a half-typed registration form into a duplicate probe, and the search text
into the new record's first fields (UX.md habits 1 and 2)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from hms.core.errors import DomainError
from hms.core.models import Facility
from hms.core.phones import normalise_phone
from hms.core.text import clean_text
from hms.patients import services
from hms.patients.matching import Probe
from hms.patients.models import Patient
from hms.patients.names import split_name
from hms.patients.web.birth import parse_birth


def _plain(value: object) -> str:
    try:
        return clean_text(value) if isinstance(value, str) else ""
    except ValidationError:
        return ""


def _birth_date(text: str, today: dt.date) -> dt.date | None:
    try:
        birth_date, age = parse_birth(text)
    except ValidationError:
        return None
    if age is None:
        return birth_date
    # The date registration will store for an estimated age (patients.inputs), so the
    # panel shows the same matches that saving would stop on.
    if age > today.year - 1880:
        return None
    return dt.date(today.year - age, 7, 1) if age else today


def probe_from(data, facility: Facility) -> Probe | None:
    """What the clerk has typed so far, or None while it is too little to match on."""
    given, family = _plain(data.get("given_name")), _plain(data.get("family_name"))
    if "name" in data:  # the walk-in form's one name box
        given, family = split_name(_plain(data.get("name")))
    try:
        phone = normalise_phone(_plain(data.get("phone")), facility.country)
    except DomainError:
        phone = ""
    birth_date = _birth_date(_plain(data.get("birth")), timezone.localdate())
    if not (family or phone or (given and birth_date)):
        return None
    sex = data.get("sex", "")
    return Probe(
        given_name=given,
        family_name=family,
        sex=sex if sex in Patient.Sex.values else "",
        birth_date=birth_date,
        phone_index=services.phone_index(phone),
    )


def _is_phone(text: str, region: str) -> bool:
    try:
        return bool(normalise_phone(text, region))
    except DomainError:
        return False


def initial_from_query(query: str, region: str) -> dict[str, str]:
    """The search text as the new record's first fields: a phone number, or the name
    (split by `names.split_name` where the form asks for its parts)."""
    query = _plain(query)
    if _is_phone(query, region):
        return {"phone": query}
    if not query or any(c.isdigit() for c in query):
        return {}  # an MRN or an ID number: nothing of it belongs on a new record
    given, family = split_name(query)
    # The walk-in form takes the name in one box; the full form in its parts.
    return {"name": f"{given} {family}".strip(), "given_name": given, "family_name": family}
