from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

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
