"""Money: Decimal amounts rounded to the currency's minor unit, never float.

Amounts are stored in DecimalField(max_digits=12, decimal_places=2) columns, so a
currency is rounded to at most two places: currencies without a minor unit in use
(ISO 4217 exponent 0: UGX, RWF, JPY, ...) to whole units, all others to cents. The
three-decimal currencies (KWD, BHD, ...) are held to two places as well; a facility
that bills in fils would need wider columns first.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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


def parse_amount(value: object) -> Decimal:
    """A Decimal from an int, a Decimal or a numeric string; ValueError otherwise
    (floats included, and NaN or infinity)."""
    if isinstance(value, bool | float) or not isinstance(value, int | str | Decimal):
        raise ValueError("not an amount")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError("not an amount") from exc
    if not amount.is_finite():
        raise ValueError("not an amount")
    return amount


def format_money(amount: Decimal | int | str | None, currency: str) -> str:
    """`amount` as people read it: the currency's decimals and thousands separators
    ("1,302.40"; "1,302" in a whole-unit currency). The one format of every amount on
    screen and on paper, so a receipt and its PDF read alike. Empty for no amount."""
    if amount is None or amount == "":
        return ""
    return f"{round_money(Decimal(amount), currency):,.{minor_units(currency)}f}"
