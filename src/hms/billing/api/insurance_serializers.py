"""Shapes of the insurance endpoints. A member ID goes out masked but for its last four
characters: the full number is on the card, and a list of them is what a leak is."""

from __future__ import annotations

from rest_framework import serializers

from hms.billing.api.serializers import AmountField
from hms.core.api.serializers import Serializer


def masked(member_id: str) -> str:
    return "*" * max(len(member_id) - 4, 0) + member_id[-4:]


class PayerSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    x12_payer_id = serializers.CharField()
    is_active = serializers.BooleanField()


class PlanSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    payer = serializers.CharField(source="payer.code")
    code = serializers.CharField()
    name = serializers.CharField()
    copay = AmountField()
    coinsurance_percent = AmountField()
    deductible = AmountField()
    price_list = serializers.CharField(source="price_list.code", default=None)
    preauth_items = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()

    def get_preauth_items(self, plan) -> list[str]:
        return sorted(item.code for item in plan.preauth_items.all())


class CoverageSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    patient = serializers.UUIDField(source="patient.external_id")
    payer = serializers.CharField(source="plan.payer.code")
    plan = serializers.CharField(source="plan.code")
    member_id = serializers.SerializerMethodField()
    relationship = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    priority = serializers.IntegerField()
    status = serializers.CharField()
    subscriber = serializers.SerializerMethodField()

    def get_subscriber(self, coverage) -> dict | None:
        if not coverage.subscriber_family_name:
            return None
        born = coverage.subscriber_birth_date
        return {
            "family_name": coverage.subscriber_family_name,
            "given_name": coverage.subscriber_given_name,
            "birth_date": born.isoformat() if born else None,
        }

    def get_member_id(self, coverage) -> str:
        return masked(coverage.member_id)


class EligibilitySerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    outcome = serializers.CharField()
    note = serializers.CharField()
    checked_at = serializers.DateTimeField()
    checked_by = serializers.CharField(source="created_by.username", default=None)


class PreAuthorisationSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    coverage = serializers.UUIDField(source="coverage.external_id")
    item = serializers.CharField(source="item.code")
    status = serializers.CharField()
    requested_amount = AmountField()
    approved_amount = AmountField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    reference = serializers.CharField()
    note = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
