"""One box for "birth date or age": the front desk types whichever the patient knows."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError

_AGE = re.compile(r"^(\d{1,3})\s*(y|yr|yrs|year|years)?$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# Day first, as most of the world writes dates and as ID cards print them.
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$")

HELP = "dd/mm/yyyy, or the age in years if the date is not known"


def parse_birth(text: str) -> tuple[dt.date | None, int | None]:
    """(birth date, None), (None, age in years) or (None, None) for an empty box.

    Raises ValidationError for anything else, and for dates that do not exist (31/02).
    """
    text = text.strip()
    if not text:
        return None, None
    if match := _AGE.match(text):
        return None, int(match.group(1))
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DAY_FIRST.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValidationError(f"Type a date as {HELP}.", code="invalid_birth")
    try:
        return dt.date(year, month, day), None
    except ValueError as exc:
        raise ValidationError(
            f"There is no such date ({text}). Check the day and the month.",
            code="impossible_date",
        ) from exc


def birth_text(birth_date: dt.date | None, estimated: bool, today: dt.date) -> str:
    """What the box shows for a stored record: the date, or the age it was estimated from."""
    if birth_date is None:
        return ""
    if estimated:
        return str(max(today.year - birth_date.year, 0))
    return birth_date.strftime("%d/%m/%Y")
