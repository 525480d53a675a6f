"""Shapes of payments, refunds, deposits and shifts over REST: amounts are strings."""

from __future__ import annotations

from rest_framework import serializers

from hms.billing.api.serializers import AmountField
from hms.core.api.serializers import Serializer


class AllocationSerializer(Serializer):
    invoice = serializers.UUIDField(source="invoice.external_id")
    invoice_number = serializers.CharField(source="invoice.number")
    amount = AmountField()


class PaymentSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    receipt_number = serializers.CharField()
    patient = serializers.UUIDField(source="patient.external_id")
    method = serializers.CharField()
    reference = serializers.CharField()
    amount = AmountField()
    unallocated = AmountField()
    currency = serializers.CharField()
    shift = serializers.UUIDField(source="shift.external_id", default=None)
    received_at = serializers.DateTimeField()
    note = serializers.CharField()
    allocations = AllocationSerializer(many=True)


class RefundSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    number = serializers.CharField()
    patient = serializers.UUIDField(source="patient.external_id")
    invoice = serializers.UUIDField(source="invoice.external_id", default=None)
    method = serializers.CharField()
    reference = serializers.CharField()
    amount = AmountField()
    currency = serializers.CharField()
    reason = serializers.CharField()
    refunded_at = serializers.DateTimeField()


class BalanceSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    number = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    total = AmountField()
    amount_paid = AmountField()
    amount_refunded = AmountField()
    balance = AmountField()


class ShiftCountSerializer(Serializer):
    method = serializers.CharField()
    expected = AmountField()
    counted = AmountField()
    variance = AmountField()


class TakingSerializer(Serializer):
    method = serializers.CharField()
    received = AmountField()
    refunded = AmountField()
    net = AmountField()


class ShiftSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    cashier = serializers.CharField(source="cashier.username")
    status = serializers.CharField()
    currency = serializers.CharField()
    opening_float = AmountField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    expected_total = AmountField(allow_null=True)
    counted_total = AmountField(allow_null=True)
    variance = AmountField(allow_null=True)
    close_note = serializers.CharField()
    handed_over_to = serializers.CharField(source="handed_over_to.username", default=None)
    handed_over_at = serializers.DateTimeField(allow_null=True)
    counts = ShiftCountSerializer(many=True)
