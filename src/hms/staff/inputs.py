"""What adding or editing a practitioner carries, validated once for every door (REST,
admin, import). Each check raises InvalidInput naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from hms.core.errors import InvalidInput
from hms.core.models import code_validator
from hms.core.phones import normalise_phone
from hms.core.text import reason_text
from hms.staff.models import Practitioner

NAME_MAX = 100
MAX_LANGUAGES = 10
MAX_SPECIALTIES = 20
# The largest fee the column holds: 12 digits, 2 of them after the point.
MAX_FEE = Decimal("9999999999.99")
KINDS = frozenset(Practitioner.Kind.values)
# BCP 47 in the shape FHIR and browsers use: "sw", "en-KE", "zh-Hant-TW". Only letters,
# digits and hyphens, which the language search relies on (selectors.speaks).
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class PractitionerInput:
    given_name: str
    family_name: str
    kind: str = Practitioner.Kind.DOCTOR
    title: str = ""
    qualifications: str = ""
    registration_number: str = ""
    languages: tuple[str, ...] = ()
    phone: str = ""
    email: str = ""
    consultation_fee: Decimal | None = None
    department: str = ""  # the department's code in the practitioner's facility
    specialties: tuple[str, ...] = ()  # specialty codes
    is_active: bool = True


def validate(data: PractitionerInput, *, region: str) -> PractitionerInput:
    """The input cleaned: text normalised, codes upper-cased, the phone in E.164."""
    return replace(
        data,
        given_name=_required(data.given_name, "given_name"),
        family_name=_required(data.family_name, "family_name"),
        kind=_kind(data.kind),
        title=reason_text(data.title, "title", limit=20),
        qualifications=reason_text(data.qualifications, "qualifications", limit=300),
        registration_number=reason_text(data.registration_number, "registration_number", limit=60),
        languages=_languages(data.languages),
        phone=normalise_phone(reason_text(data.phone, "phone", limit=40), region),
        email=_email(data.email),
        consultation_fee=_fee(data.consultation_fee),
        department=clean_code(data.department, "department") if data.department else "",
        specialties=_specialties(data.specialties),
        is_active=_flag(data.is_active, "is_active"),
    )


def practitioner_as_input(practitioner: Practitioner) -> PractitionerInput:
    """The record as it stands, for an edit that changes only some fields."""
    department = practitioner.department
    return PractitionerInput(
        given_name=practitioner.given_name,
        family_name=practitioner.family_name,
        kind=practitioner.kind,
        title=practitioner.title,
        qualifications=practitioner.qualifications,
        registration_number=practitioner.registration_number,
        languages=tuple(practitioner.languages),
        phone=practitioner.phone,
        email=practitioner.email,
        consultation_fee=practitioner.consultation_fee,
        department=department.code if department else "",
        specialties=tuple(s.code for s in practitioner.specialties.all()),
        is_active=practitioner.is_active,
    )


def language_tag(value: object, field: str = "languages") -> str:
    """A BCP 47 tag in its conventional case: language lower, script title, region upper
    ("EN-ke" -> "en-KE"), so one language is stored and searched one way."""
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise InvalidInput("Use BCP 47 language tags such as sw or en-KE.", field=field)
    first, *rest = value.split("-")
    return "-".join([first.lower(), *(_subtag(part) for part in rest)])


def _subtag(part: str) -> str:
    if len(part) == 4 and part.isalpha():
        return part.title()
    if len(part) == 2 and part.isalpha():
        return part.upper()
    return part.lower()


def clean_code(value: object, field: str) -> str:
    """A department or specialty code, upper-cased ("opd" -> "OPD")."""
    if not isinstance(value, str):
        raise InvalidInput("Must be text.", field=field)
    value = value.strip().upper()
    try:
        code_validator(value)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from exc
    return value


def _required(value: object, field: str) -> str:
    value = reason_text(value, field, limit=NAME_MAX)
    if not value:
        raise InvalidInput("This is required.", field=field)
    return value


def _kind(value: object) -> str:
    if not isinstance(value, str) or value not in KINDS:
        raise InvalidInput(f"Choose one of {', '.join(sorted(KINDS))}.", field="kind")
    return str(value)


def _languages(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidInput("Must be a list of language tags.", field="languages")
    tags = tuple(dict.fromkeys(language_tag(item) for item in value))
    if len(tags) > MAX_LANGUAGES:
        raise InvalidInput(f"At most {MAX_LANGUAGES} languages.", field="languages")
    return tags


def _specialties(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidInput("Must be a list of specialty codes.", field="specialties")
    codes = tuple(dict.fromkeys(clean_code(item, "specialties") for item in value))
    if len(codes) > MAX_SPECIALTIES:
        raise InvalidInput(f"At most {MAX_SPECIALTIES} specialties.", field="specialties")
    return codes


def _email(value: object) -> str:
    email = reason_text(value, "email", limit=254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput("Not an email address.", field="email") from exc
    return email


def _fee(value: object) -> Decimal | None:
    if value is None:
        return None
    # Floats are refused rather than converted: 0.1 is not a tenth in binary.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidInput("Must be a decimal amount.", field="consultation_fee")
    fee = Decimal(value)
    if not fee.is_finite() or fee < 0 or fee > MAX_FEE:
        raise InvalidInput(f"Must be between 0 and {MAX_FEE}.", field="consultation_fee")
    if fee != fee.quantize(Decimal("0.01")):
        raise InvalidInput("At most 2 decimal places.", field="consultation_fee")
    return fee.quantize(Decimal("0.01"))


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("Must be true or false.", field=field)
    return value
