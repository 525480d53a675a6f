"""Shapes of billing's REST API: amounts are strings ("1500.00"), never floats, both
ways; public ids are UUIDs; items and price lists are named by their codes."""

from __future__ import annotations

from rest_framework import serializers

from hms.core.api.fields import MoneyField, StrictSerializer
from hms.core.api.serializers import Serializer


class AmountField(MoneyField):
    """A decimal amount given as a string ("12.50") or an integer, by the rule of every
    money input (hms.core.money.parse_money); the services check it against the
    invoice's currency."""


class ItemSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    department = serializers.CharField(source="department.code", default=None)
    specialty = serializers.CharField(source="specialty.code", default=None)
    is_active = serializers.BooleanField()


class PriceListSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    currency = serializers.CharField()
    is_active = serializers.BooleanField()


class PriceSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    item = serializers.CharField(source="item.code")
    amount = AmountField()
    tax_rate = AmountField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)


class ChargeSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    patient = serializers.UUIDField(source="patient.external_id")
    encounter = serializers.UUIDField(source="encounter.external_id", default=None)
    item = serializers.CharField(source="item.code")
    description = serializers.CharField()
    quantity = AmountField()
    unit_price = AmountField()
    tax_rate = AmountField()
    amount = AmountField()
    currency = serializers.CharField()
    price_list = serializers.CharField(source="price_list.code")
    price_overridden = serializers.BooleanField()
    # Who rendered it and where (revenue is reported by them).
    practitioner = serializers.UUIDField(source="practitioner.external_id", default=None)
    department = serializers.CharField(source="department.code", default=None)
    service_date = serializers.DateField()
    source = serializers.CharField()
    note = serializers.CharField()
    status = serializers.CharField()
    invoice = serializers.UUIDField(source="invoice.external_id", default=None)
    void_reason = serializers.CharField()


class InvoiceLineSerializer(Serializer):
    position = serializers.IntegerField()
    charge = serializers.UUIDField(source="charge.external_id")
    description = serializers.CharField()
    quantity = AmountField()
    unit_price = AmountField()
    gross = AmountField()
    discount = AmountField()
    tax_rate = AmountField()
    tax = AmountField()
    line_total = AmountField()
    # The position of the package line whose price covers this one (else null).
    absorbed_by = serializers.IntegerField(source="absorbed_by.position", default=None)


class CreditNoteSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    number = serializers.CharField()
    invoice = serializers.UUIDField(source="invoice.external_id")
    amount = AmountField()
    currency = serializers.CharField()
    reason = serializers.CharField()
    issued_at = serializers.DateTimeField()


class InvoiceSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    number = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    patient = serializers.UUIDField(source="patient.external_id")
    encounter = serializers.UUIDField(source="encounter.external_id", default=None)
    currency = serializers.CharField()
    subtotal = AmountField()
    discount_total = AmountField()
    tax_total = AmountField()
    total = AmountField()
    amount_paid = AmountField()
    amount_refunded = AmountField()
    amount_credited = AmountField()
    balance = AmountField()
    void_reason = serializers.CharField()
    voided_at = serializers.DateTimeField(allow_null=True)
    # The insurance split, set at finalisation when a coverage was in force (else null).
    payer_amount = AmountField(allow_null=True)
    patient_amount = AmountField(allow_null=True)
    discount_reason = serializers.CharField()
    finalised_at = serializers.DateTimeField(allow_null=True)
    lines = InvoiceLineSerializer(many=True)


class PatientFilter(StrictSerializer):
    patient = serializers.UUIDField()
    format = serializers.CharField(required=False)  # DRF's renderer switch


class PackageSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    item = serializers.CharField(source="item.code")
    name = serializers.CharField(source="item.name")
    is_active = serializers.BooleanField()
    components = serializers.SerializerMethodField()

    def get_components(self, package) -> list[dict]:
        return [
            {
                "item": part.item.code,
                "quantity": None if part.quantity is None else str(part.quantity),
            }
            for part in package.components.all()
        ]
