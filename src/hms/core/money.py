"""Money: Decimal amounts rounded to the currency's minor unit, never float.

Amounts are stored in DecimalField(max_digits=12, decimal_places=2) columns, so a
currency is rounded to at most two places: currencies without a minor unit in use
(ISO 4217 exponent 0: UGX, RWF, JPY, ...) to whole units, all others to cents. The
three-decimal currencies (KWD, BHD, ...) are held to two places as well; a facility
that bills in fils would need wider columns first.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

# ISO 4217 currencies whose exponent is 0.
_WHOLE_UNITS = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
_STEPS = {0: Decimal(1), 2: Decimal("0.01")}

# The largest amount a money column holds (12 digits, 2 of them decimals).
MAX_AMOUNT = Decimal("9999999999.99")


def minor_units(currency: str) -> int:
    """Decimal places of `currency` as billed here: 0 or 2."""
    return 0 if currency.upper() in _WHOLE_UNITS else 2


def round_money(amount: Decimal | int, currency: str) -> Decimal:
    """`amount` rounded half up (commercial rounding) to the currency's minor unit.

    Rounding happens on every line, and totals are sums of rounded lines, so what an
    invoice shows always adds up. Refuses float: binary fractions are not money.
    """
    if isinstance(amount, float):
        raise TypeError("money is Decimal, never float")
    step = _STEPS[minor_units(currency)]
    return Decimal(amount).quantize(step, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


# How an amount is written: ASCII digits, a point and more digits, a leading minus. Not
# what Decimal also reads: exponents (1e3), spaces, NaN, Infinity, other scripts' digits.
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


def parse_amount(value: object) -> Decimal:
    """A Decimal from an int, a Decimal or a string of plain digits ("12.50"); ValueError
    otherwise (floats included, NaN, infinity, exponents and padded text)."""
    if isinstance(value, bool | float) or not isinstance(value, int | str | Decimal):
        raise ValueError(_("Not an amount."))
    if isinstance(value, str) and not _PLAIN.fullmatch(value):
        raise ValueError(_("Write the amount in digits, such as 1250 or 12.50."))
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(_("Not an amount."))
    return amount


def parse_money(value: object, *, currency: str = "", allow_negative: bool = False) -> Decimal:
    """An amount of money as a page or an API client gives it, or ValueError saying what
    is wrong: plain digits (`parse_amount`), at most the currency's decimals (two, the
    most any currency is billed in here, when the door does not know the currency;
    the service then rounds to it), within what a money column holds, and not below
    zero unless `allow_negative`. The one rule of the forms' and serializers' money
    fields."""
    amount = parse_amount(value)
    if amount < 0 and not allow_negative:
        raise ValueError(_("The amount cannot be below zero."))
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(_("The amount is above %(max)s.") % {"max": MAX_AMOUNT})
    places = minor_units(currency) if currency else 2
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        if places == 0:
            raise ValueError(_("%(currency)s amounts have no decimals.") % {"currency": currency})
        raise ValueError(_("Use at most %(places)d decimal places.") % {"places": places})
    return amount


def format_money(amount: Decimal | int | str | None, currency: str) -> str:
    """`amount` as people read it: the currency's decimals and thousands separators
    ("1,302.40"; "1,302" in a whole-unit currency). The one format of every amount on
    screen and on paper, so a receipt and its PDF read alike. Empty for no amount."""
    if amount is None or amount == "":
        return ""
    return f"{round_money(Decimal(amount), currency):,.{minor_units(currency)}f}"
