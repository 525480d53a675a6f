"""Phone numbers as every module stores them: E.164, read in the facility's country."""

from __future__ import annotations

import phonenumbers

from hms.core.errors import InvalidInput

INVALID_PHONE = "INVALID_PHONE"


def normalise_phone(raw: str, region: str, *, name: str = "phone") -> str:
    """E.164 (+254712345678); national numbers are read in the facility's country.

    Raises InvalidInput naming `name` for text that is not a number valid in its country.
    """
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            "Not a phone number. Use the national format or +country code.",
            field=name,
            code=INVALID_PHONE,
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            f"{raw!r} is not a valid phone number for its country.",
            field=name,
            code=INVALID_PHONE,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
