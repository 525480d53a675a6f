"""Checks the billing services share: amounts, dates, text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from hms.billing.errors import BillingErrorCode
from hms.core.errors import InvalidInput
from hms.core.money import MAX_AMOUNT, parse_amount


def amount_in(value: object, *, field: str, places: int = 2, maximum: Decimal = MAX_AMOUNT):
    """A non-negative Decimal with at most `places` decimals and at most `maximum`."""
    try:
        amount = parse_amount(value)
    except ValueError:
        raise InvalidInput(
            "Give an amount as a number (a string or an integer, never a float).",
            code=BillingErrorCode.INVALID_AMOUNT,
            field=field,
        ) from None
    if amount < 0 or amount > maximum:
        raise InvalidInput(
            f"The amount must be between 0 and {maximum}.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field=field,
        )
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(
            f"Use at most {places} decimal places.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field=field,
        )
    return amount


def a_date(value: object, *, field: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidInput("Give a date.", code=BillingErrorCode.INVALID_DATE, field=field)
    return value


def full_clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Model validation as InvalidInput naming the first field at fault."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field) from exc


def check_account(patient, facility, *, to: str = "use") -> None:
    """The patient is billed at `facility` and is a live record: a merged-away or
    entered-in-error one is refused, naming what to do ("charge the surviving
    record")."""
    if patient.facility_id != facility.pk:
        raise InvalidInput(
            "That patient is registered at another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="patient",
        )
    if not patient.is_active:
        raise InvalidInput(
            f"This record was merged or entered in error; {to} the surviving record.",
            code=BillingErrorCode.PATIENT_NOT_BILLABLE,
            field="patient",
        )
