"""Medical record numbers: prefix + 8-digit serial + Luhn check digit.

The Luhn digit catches every single mistyped digit and most swaps of neighbours, so a
clerk who types 00001243 for 00001234 is told the number is wrong instead of being shown
another patient.
"""

from __future__ import annotations

import re

SERIAL_DIGITS = 8
_MRN = re.compile(rf"^([A-Z0-9]*?)(\d{{{SERIAL_DIGITS}}})(\d)$")


def luhn_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def format_mrn(prefix: str, serial: int) -> str:
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    return f"{prefix}{digits}{luhn_digit(digits)}"


def normalise(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


def looks_like_mrn(text: str) -> bool:
    return bool(_MRN.match(normalise(text)))


def is_valid(text: str) -> bool:
    match = _MRN.match(normalise(text))
    return bool(match) and luhn_digit(match.group(2)) == match.group(3)
