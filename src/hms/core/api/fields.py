"""Serializer fields shared by every API. Those named Strict take JSON as typed: DRF's
own coerce "1" to True and "12" to 12, which lets a client's type bug store something
it never meant."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hms.core.api.serializers import Serializer
from hms.core.money import parse_money
from hms.core.text import clean_text


class PlainTextField(serializers.CharField):
    """A CharField that normalises unicode and refuses control characters."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        try:
            return clean_text(value, multiline=self.multiline)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """YYYY-MM-DD only, and a day that exists: 2023-02-30 is refused as not a date
    rather than as a wrong format."""

    default_error_messages = {
        "invalid": "Use a date written YYYY-MM-DD.",
        "impossible": "{value} is not a date that exists.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _ISO_DATE.match(data):
            self.fail("invalid")
        try:
            return dt.date.fromisoformat(data)
        except ValueError:
            self.fail("impossible", value=data)


# OpenAPI has no money type: a decimal string, plain digits as the field takes them.
@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$", "example": "1500.00"}
)
class MoneyField(serializers.Field):
    """An amount of money: a string of plain digits ("12.50") or an integer, at most the
    currency's decimals (`hms.core.money.parse_money`, the pages' rule too). Floats are
    refused: 0.1 + 0.2 is not 0.3 in binary, and money must be exact."""

    def __init__(self, *, currency: str = "", allow_negative: bool = False, **kwargs):
        self.currency, self.allow_negative = currency, allow_negative
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return parse_money(data, currency=self.currency, allow_negative=self.allow_negative)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None

    def to_representation(self, value):
        return str(value)


_WALL_CLOCK = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"
WALL_CLOCK_SCHEMA = {"type": "string", "pattern": _WALL_CLOCK, "example": "08:30"}


class LocalTimeField(serializers.TimeField):
    """A time of day on the facility's clock, HH:MM or HH:MM:SS. DRF's own takes
    "08:00Z" or "08:00+03:00" and drops the offset, so a client that meant UTC would
    get a session three hours off; an offset is refused instead."""

    default_error_messages = {"invalid": "Use a time of day written HH:MM, with no zone."}

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(_WALL_CLOCK, value):
            self.fail("invalid")
        return super().to_internal_value(value)


class StrictSerializer(Serializer):
    """Refuses keys it does not know, so a misspelt field is an error, not ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(dict.fromkeys(unknown, ["Unknown field."]))
        return super().to_internal_value(data)
