"""How the front desk sees a patient at a glance: age, birth date and a masked phone."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django import template
from django.utils import timezone
from django.utils.translation import gettext

register = template.Library()


def age_parts(birth: dt.date, today: dt.date) -> tuple[int, int, int]:
    """Whole years, months and days from `birth` to `today`."""
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    months = (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)
    return years, months, (today - birth).days


@register.filter
def age(patient) -> str:
    """ "34 y", "7 mo" under two years, "12 d" under a month; "~" when estimated."""
    if patient.birth_date is None:
        return "age unknown"
    # The age at death for the deceased: what a clinician reading the record needs.
    deceased_at = getattr(patient, "deceased_at", None)
    until = timezone.localdate(deceased_at) if deceased_at else timezone.localdate()
    years, months, days = age_parts(patient.birth_date, until)
    if years >= 2:
        text = f"{years} y"
    elif months >= 1:
        text = f"{months} mo"
    else:
        text = f"{max(days, 0)} d"
    return f"~{text}" if patient.birth_date_estimated else text


@register.filter
def birth(patient) -> str:
    """The birth date, or only its year ("~1992") when it was estimated from an age:
    the date alone, for a label or a sentence ("born ...") to introduce."""
    if patient.birth_date is None:
        return gettext("unknown")
    if patient.birth_date_estimated:
        return f"~{patient.birth_date.year}"
    return f"{patient.birth_date.day} {patient.birth_date:%b %Y}"


@register.filter
def masked_phone(phone: str) -> str:
    """ "+254 ••••678": the country code and the last three digits tell two patients
    apart without putting the whole number on a screen others can see."""
    if not phone:
        return ""
    try:
        code = f"+{phonenumbers.parse(phone).country_code} "
    except phonenumbers.NumberParseException:
        code = ""
    return f"{code}••••{phone[-3:]}"


@register.filter
def phone(number: str) -> str:
    """+254 712 345678: the stored E.164 number, grouped the way it is read out."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
