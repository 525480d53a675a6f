"""Shapes of the patient API: what a registration or edit carries, and what a search
result, a record, a timeline entry and a merge look like."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from django.utils import timezone
from rest_framework import serializers

from hms.core.api.fields import (
    PlainTextField,
    StrictBooleanField,
    StrictDateField,
    StrictIntegerField,
    StrictSerializer,
)
from hms.core.api.serializers import Serializer
from hms.patients import lookups
from hms.patients.inputs import KNOWN_SYSTEMS, ContactInput, IdentifierInput, PatientInput
from hms.patients.models import Patient

# BCP 47 in the shape FHIR and browsers use: "sw", "en-KE", "zh-Hant-TW".
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _optional_text(**kwargs) -> PlainTextField:
    return PlainTextField(required=False, allow_blank=True, default="", **kwargs)


class AddressSerializer(StrictSerializer):
    line = _optional_text()
    city = _optional_text()
    district = _optional_text()
    state = _optional_text()
    postal_code = _optional_text()
    country = _optional_text()


class IdentifierSerializer(StrictSerializer):
    system = PlainTextField(
        help_text=f"One of {', '.join(sorted(KNOWN_SYSTEMS))}, or a URI (urn:..., https://...)."
    )
    value = PlainTextField()
    assigner = _optional_text()

    def validate_system(self, value: str) -> str:
        if value not in KNOWN_SYSTEMS and not re.match(r"^(urn|https?):\S+$", value):
            raise serializers.ValidationError(
                f"Use one of {', '.join(sorted(KNOWN_SYSTEMS))}, or a URI."
            )
        return value


class ContactSerializer(StrictSerializer):
    name = PlainTextField()
    relationship = _optional_text()
    phone = _optional_text()
    is_emergency = StrictBooleanField(required=False, default=True)


class PatientInputSerializer(StrictSerializer):
    """A registration or a full edit. Types and shapes are checked here; the rules
    (lengths, phone and email formats, birth-date range) in `patients.inputs.validate`."""

    given_name = PlainTextField(allow_blank=True)
    family_name = _optional_text(help_text="Required unless is_unknown.")
    middle_name = _optional_text()
    preferred_name = _optional_text()
    sex = serializers.ChoiceField(choices=Patient.Sex.choices)
    gender_identity = _optional_text()
    birth_date = StrictDateField(required=False, allow_null=True, default=None)
    birth_date_estimated = StrictBooleanField(required=False, default=False)
    age_years = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Estimated age when the birth date is not known.",
    )
    marital_status = serializers.ChoiceField(
        choices=Patient.MaritalStatus.choices, required=False, allow_blank=True, default=""
    )
    language = _optional_text(help_text="BCP 47, e.g. sw or en-KE.")
    phone = _optional_text(help_text="National format or +country code.")
    email = _optional_text()
    address = AddressSerializer(required=False, allow_null=True, default=None)
    consent_sms = StrictBooleanField(required=False, default=False)
    consent_email = StrictBooleanField(required=False, default=False)
    consent_research = StrictBooleanField(required=False, default=False)
    is_unknown = StrictBooleanField(required=False, default=False)
    is_deceased = StrictBooleanField(required=False, default=False)
    deceased_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    identifiers = IdentifierSerializer(many=True, required=False, default=list, max_length=20)
    contacts = ContactSerializer(many=True, required=False, default=list, max_length=10)

    def validate_language(self, value: str) -> str:
        if value and not _LANGUAGE.match(value):
            raise serializers.ValidationError("Use a BCP 47 language tag such as sw or en-KE.")
        return value

    def validate_deceased_at(self, value: dt.datetime | None) -> dt.datetime | None:
        if value and value > timezone.now():
            raise serializers.ValidationError("The date of death is in the future.")
        return value


def to_input(values: dict) -> PatientInput:
    """The validated body as the command every door hands to the services."""
    return PatientInput(**to_input_fields(values))


def patched(patient: Patient, changes: dict) -> PatientInput:
    """The record with the fields a PATCH names replaced. A new birth date clears the
    estimate unless the patch says it is one; a new age replaces the birth date."""
    base = lookups.patient_as_input(patient)
    update = to_input_fields(changes)
    if "birth_date" in changes and "birth_date_estimated" not in changes:
        update["birth_date_estimated"] = False
    if "age_years" in changes and "birth_date" not in changes:
        update.update(birth_date=None, birth_date_estimated=False)
    return replace(base, **update)


def to_input_fields(changes: dict) -> dict:
    fields = dict(changes)
    if "identifiers" in fields:
        fields["identifiers"] = tuple(IdentifierInput(**i) for i in fields["identifiers"])
    if "contacts" in fields:
        fields["contacts"] = tuple(ContactInput(**c) for c in fields["contacts"])
    if fields.get("address") is not None:
        fields["address"] = dict(fields["address"])
    if fields.get("deceased_at"):
        # A date of death says the patient died, whatever is_deceased said.
        fields["is_deceased"] = True
    return fields


# --- output ---------------------------------------------------------------------------


def age_of(patient: Patient, today: dt.date | None = None) -> tuple[int | None, str]:
    """Whole years, and how the front desk says it: "34 y", "8 mo", "12 d" ("~" when
    estimated), so two Mary Achiengs born decades apart are told apart at a glance."""
    born = patient.birth_date
    if born is None:
        return None, ""
    today = today or timezone.localdate()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    if years >= 2:
        text = f"{years} y"
    elif months >= 1:
        text = f"{months} mo"
    else:
        text = f"{max((today - born).days, 0)} d"
    return max(years, 0), ("~" if patient.birth_date_estimated else "") + text


def mask_phone(phone: str) -> str:
    """ "+254712345678" -> "+254•••••678": enough to confirm with the caller, not to dial."""
    if len(phone) < 8:
        return "•" * len(phone)
    return phone[:4] + "•" * (len(phone) - 7) + phone[-3:]


class PatientSummarySerializer(Serializer):
    """A search result: enough to tell two patients apart, little else."""

    id = serializers.UUIDField(source="external_id")
    mrn = serializers.CharField()
    status = serializers.CharField()
    given_name = serializers.CharField()
    middle_name = serializers.CharField()
    family_name = serializers.CharField()
    preferred_name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField()
    birth_date_estimated = serializers.BooleanField()
    age_years = serializers.SerializerMethodField()
    age = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()
    is_deceased = serializers.BooleanField()

    def get_age_years(self, patient: Patient) -> int | None:
        return age_of(patient)[0]

    def get_age(self, patient: Patient) -> str:
        return age_of(patient)[1]

    def get_phone_masked(self, patient: Patient) -> str:
        return mask_phone(patient.phone or "")


class IdentifierOutputSerializer(Serializer):
    system = serializers.CharField()
    value = serializers.CharField()
    assigner = serializers.CharField()


class ContactOutputSerializer(Serializer):
    name = serializers.CharField()
    relationship = serializers.CharField()
    phone = serializers.CharField()
    is_emergency = serializers.BooleanField()


class PatientDetailSerializer(PatientSummarySerializer):
    """The whole record, for someone who opened it (an audited read)."""

    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.JSONField()
    gender_identity = serializers.CharField()
    marital_status = serializers.CharField()
    language = serializers.CharField()
    consent_sms = serializers.BooleanField()
    consent_email = serializers.BooleanField()
    consent_research = serializers.BooleanField()
    is_unknown = serializers.BooleanField()
    deceased_at = serializers.DateTimeField()
    merged_into = serializers.UUIDField(source="merged_into.external_id", default=None)
    identifiers = IdentifierOutputSerializer(many=True)
    contacts = ContactOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MatchSerializer(Serializer):
    patient = PatientSummarySerializer()
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class TimelineEntrySerializer(Serializer):
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", default=None)
    summary = serializers.CharField()
    detail = serializers.JSONField()


class MergeSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    survivor = serializers.UUIDField(source="survivor.external_id")
    merged = serializers.UUIDField(source="merged.external_id")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    undone_at = serializers.DateTimeField()
