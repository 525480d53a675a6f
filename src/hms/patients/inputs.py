"""What a registration or an edit carries, validated once for every door (pages, REST,
FHIR, import). Each check raises InvalidInput naming the field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from hms.core.errors import InvalidInput
from hms.core.phones import normalise_phone
from hms.core.text import clean_text
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.models import UNIQUE_IDENTIFIER_SYSTEMS, Patient, PatientIdentifier

EARLIEST_BIRTH = dt.date(1880, 1, 1)
NAME_MAX = 100
# Once: Django builds a choices' list of values anew each time it is asked.
SEXES = frozenset(Patient.Sex.values)
MARITAL_STATUSES = frozenset(Patient.MaritalStatus.values)


@dataclass(frozen=True)
class IdentifierInput:
    system: str
    value: str
    assigner: str = ""


@dataclass(frozen=True)
class ContactInput:
    name: str
    relationship: str = ""
    phone: str = ""
    is_emergency: bool = True


@dataclass(frozen=True)
class PatientInput:
    given_name: str
    sex: str
    family_name: str = ""
    middle_name: str = ""
    preferred_name: str = ""
    gender_identity: str = ""
    birth_date: dt.date | None = None
    age_years: int | None = None  # estimated age when the birth date is not known
    marital_status: str = ""
    language: str = ""
    phone: str = ""
    email: str = ""
    address: dict | None = None
    consent_sms: bool = False
    consent_email: bool = False
    consent_research: bool = False
    is_unknown: bool = False
    is_deceased: bool = False
    deceased_at: dt.datetime | None = None
    identifiers: tuple[IdentifierInput, ...] = field(default_factory=tuple)
    contacts: tuple[ContactInput, ...] = field(default_factory=tuple)
    # A birth date someone estimated (FHIR's year-only date, an edit keeping an estimate).
    birth_date_estimated: bool = False


def _text(value: str, name: str, *, required: bool = False, max_length: int = NAME_MAX) -> str:
    if not isinstance(value, str):
        raise InvalidInput("Must be text.", field=name, code=Code.INVALID_FIELD)
    try:
        value = clean_text(value)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=name, code=Code.INVALID_FIELD) from exc
    if required and not value:
        raise InvalidInput("This is required.", field=name, code=Code.INVALID_NAME)
    if len(value) > max_length:
        raise InvalidInput(
            f"At most {max_length} characters (this has {len(value)}).",
            field=name,
            code=Code.INVALID_NAME,
        )
    return value


def _birth_date(data: PatientInput, today: dt.date) -> tuple[dt.date | None, bool]:
    if data.birth_date is not None:
        if not isinstance(data.birth_date, dt.date) or isinstance(data.birth_date, dt.datetime):
            raise InvalidInput("Not a date.", field="birth_date", code=Code.INVALID_BIRTH_DATE)
        if data.birth_date > today:
            raise InvalidInput(
                "The birth date is in the future.", field="birth_date", code=Code.INVALID_BIRTH_DATE
            )
        if data.birth_date < EARLIEST_BIRTH:
            raise InvalidInput(
                "The birth date is before 1880.", field="birth_date", code=Code.INVALID_BIRTH_DATE
            )
        return data.birth_date, data.birth_date_estimated is True
    if data.age_years is not None:
        if (
            isinstance(data.age_years, bool)
            or not isinstance(data.age_years, int)
            or not (0 <= data.age_years <= today.year - EARLIEST_BIRTH.year)
        ):
            raise InvalidInput(
                "Age must be a whole number of years, 0 to 140.",
                field="age_years",
                code=Code.INVALID_BIRTH_DATE,
            )
        # An estimated age becomes 1 July of the estimated year (WHO convention).
        return dt.date(today.year - data.age_years, 7, 1) if data.age_years else today, True
    return None, False


def validate(
    data: PatientInput, *, region: str, today: dt.date
) -> tuple[PatientInput, dt.date | None, bool]:
    """Return the cleaned input, the birth date and whether it is estimated."""
    cleaned = {}
    for name in ("given_name", "family_name", "middle_name", "preferred_name", "gender_identity"):
        cleaned[name] = _text(getattr(data, name), name, required=name == "given_name")
    if not data.is_unknown and not cleaned["family_name"]:
        raise InvalidInput("This is required.", field="family_name", code=Code.INVALID_NAME)
    if data.sex not in SEXES:
        raise InvalidInput(
            f"Choose one of {', '.join(Patient.Sex.values)}.", field="sex", code=Code.INVALID_FIELD
        )
    if data.marital_status and data.marital_status not in MARITAL_STATUSES:
        raise InvalidInput(
            "Unknown marital status.", field="marital_status", code=Code.INVALID_FIELD
        )
    cleaned["language"] = _text(data.language, "language", max_length=35)
    cleaned["phone"] = normalise_phone(_text(data.phone, "phone", max_length=40), region)
    email = _text(data.email, "email", max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput(
                "Not an email address.", field="email", code=Code.INVALID_EMAIL
            ) from exc
    cleaned["email"] = email
    if data.address is not None:
        if not isinstance(data.address, dict):
            raise InvalidInput("Must be an object.", field="address", code=Code.INVALID_FIELD)
        cleaned["address"] = {
            key: _text(str(value), f"address.{key}", max_length=200)
            for key, value in data.address.items()
            if key in {"line", "city", "district", "state", "postal_code", "country"} and value
        } or None
    cleaned["identifiers"] = _identifiers(data.identifiers)
    cleaned["contacts"] = tuple(_contact(c, region) for c in data.contacts)
    birth_date, estimated = _birth_date(data, today)
    _check_death(data.deceased_at, birth_date, estimated)
    return replace(data, **cleaned), birth_date, estimated


def _check_death(deceased_at, birth_date: dt.date | None, estimated: bool) -> None:
    if deceased_at is None or birth_date is None:
        return
    if not isinstance(deceased_at, dt.datetime):
        raise InvalidInput(_("Not a date and time."), field="deceased_at", code=Code.INVALID_FIELD)
    # An estimated birth date is only sure of its year.
    earliest = birth_date.replace(month=1, day=1) if estimated else birth_date
    died = timezone.localtime(deceased_at).date() if timezone.is_aware(deceased_at) else None
    if (died or deceased_at.date()) < earliest:
        raise InvalidInput(
            _("The date of death is before the birth date."),
            field="deceased_at",
            code=Code.INVALID_BIRTH_DATE,
        )


def _identifiers(items) -> tuple[IdentifierInput, ...]:
    cleaned = tuple(_identifier(i) for i in items)
    seen = set()
    for item in cleaned:
        if item.system not in UNIQUE_IDENTIFIER_SYSTEMS:
            continue
        key = (identifier_key(item.system, item.value), item.assigner)
        if key in seen:
            raise InvalidInput(
                _("The same identifier is listed twice."),
                field="identifiers",
                code=Code.INVALID_FIELD,
            )
        seen.add(key)
    return cleaned


def _identifier(item: IdentifierInput) -> IdentifierInput:
    system = _text(item.system, "identifiers.system", required=True, max_length=200)
    value = _text(item.value, "identifiers.value", required=True, max_length=100)
    assigner = _text(item.assigner, "identifiers.assigner", max_length=200)
    return IdentifierInput(system=system, value=value, assigner=assigner)


def _contact(item: ContactInput, region: str) -> ContactInput:
    return ContactInput(
        name=_text(item.name, "contacts.name", required=True, max_length=200),
        relationship=_text(item.relationship, "contacts.relationship", max_length=50),
        phone=normalise_phone(item.phone, region, name="contacts.phone"),
        is_emergency=bool(item.is_emergency),
    )


def identifier_key(system: str, value: str) -> str:
    """What the blind index of an identifier hashes: system plus the value without
    spaces and dashes, upper-cased (ID numbers are typed many ways)."""
    compact = "".join(c for c in value if c.isalnum()).upper()
    return f"{system}|{compact}"


INPUT_FIELDS = {f.name for f in fields(PatientInput)}
KNOWN_SYSTEMS = set(PatientIdentifier.System.values)
