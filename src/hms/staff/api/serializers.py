"""Shapes of the staff directory API: what adding or editing a practitioner carries,
and what a practitioner and a specialty look like."""

from __future__ import annotations

from dataclasses import replace

from rest_framework import serializers

from hms.core.api.fields import PlainTextField, StrictBooleanField, StrictSerializer
from hms.core.api.serializers import Serializer
from hms.staff.inputs import (
    MAX_LANGUAGES,
    MAX_SPECIALTIES,
    PractitionerInput,
    practitioner_as_input,
)
from hms.staff.models import Practitioner


def _optional_text(**kwargs) -> PlainTextField:
    return PlainTextField(required=False, allow_blank=True, default="", **kwargs)


class PractitionerInputSerializer(StrictSerializer):
    """Types and shapes are checked here; the rules (lengths, codes, tags, phone and
    email formats, the fee's range) in `staff.inputs.validate`."""

    given_name = PlainTextField(allow_blank=True)
    family_name = PlainTextField(allow_blank=True)
    kind = serializers.ChoiceField(
        choices=Practitioner.Kind.choices, required=False, default=Practitioner.Kind.DOCTOR
    )
    title = _optional_text(help_text='"Dr", "Prof".')
    qualifications = _optional_text(help_text='"MBChB, MMed (Paeds)".')
    registration_number = _optional_text(help_text="The licensing board's number.")
    languages = serializers.ListField(
        child=PlainTextField(),
        required=False,
        default=list,
        max_length=MAX_LANGUAGES,
        help_text="BCP 47 tags, e.g. sw or en-KE.",
    )
    phone = _optional_text(help_text="National format or +country code.")
    email = _optional_text()
    consultation_fee = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="In the facility's currency; null: the tariff's.",
    )
    department = _optional_text(help_text="A department code of the facility, e.g. OPD.")
    specialties = serializers.ListField(
        child=PlainTextField(),
        required=False,
        default=list,
        max_length=MAX_SPECIALTIES,
        help_text="Specialty codes.",
    )
    is_active = StrictBooleanField(required=False, default=True)


def to_input(values: dict) -> PractitionerInput:
    """The validated body as the command the services take."""
    return PractitionerInput(**_fields(values))


def patched(practitioner: Practitioner, changes: dict) -> PractitionerInput:
    """The entry with the fields a PATCH names replaced."""
    return replace(practitioner_as_input(practitioner), **_fields(changes))


def _fields(values: dict) -> dict:
    fields = dict(values)
    for name in ("languages", "specialties"):
        if name in fields:
            fields[name] = tuple(fields[name])
    return fields


class SpecialtySerializer(Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DepartmentRefSerializer(Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PractitionerSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    display_name = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    specialties = SpecialtySerializer(many=True)
    department = DepartmentRefSerializer(allow_null=True)
    qualifications = serializers.CharField()
    registration_number = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    phone = serializers.CharField()
    email = serializers.CharField()
    consultation_fee = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField(source="facility.currency")
    is_active = serializers.BooleanField()
    user = serializers.CharField(source="user.username", default="")
