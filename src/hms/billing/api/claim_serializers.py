"""Shapes of the claims and remittances endpoints."""

from __future__ import annotations

from rest_framework import serializers

from hms.billing.api.serializers import AmountField
from hms.core.api.serializers import Serializer


class ProblemSerializer(Serializer):
    code = serializers.CharField()
    field = serializers.CharField()
    detail = serializers.CharField()


class PostingSerializer(Serializer):
    """One claim payment of a remittance (an 835 CLP)."""

    remittance = serializers.UUIDField(source="remittance.external_id")
    trace_number = serializers.CharField(source="remittance.trace_number")
    claim = serializers.UUIDField(source="claim.external_id", default=None)
    control_number = serializers.CharField()
    status_code = serializers.CharField()
    charged = AmountField()
    paid = AmountField()
    patient_responsibility = AmountField()
    payer_claim_number = serializers.CharField()
    adjustments = serializers.JSONField()


class ClaimSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    control_number = serializers.CharField()
    invoice = serializers.UUIDField(source="invoice.external_id")
    patient = serializers.UUIDField(source="invoice.patient.external_id")
    payer = serializers.CharField(source="payer.code")
    amount = AmountField()
    currency = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    attempt = serializers.IntegerField()
    payer_claim_number = serializers.CharField()
    paid_amount = AmountField()
    adjusted_amount = AmountField()
    patient_responsibility = AmountField()
    denial_reason_codes = serializers.ListField(child=serializers.CharField())
    submitted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ClaimDetailSerializer(ClaimSerializer):
    remittances = PostingSerializer(many=True)


class RemittanceSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    payer = serializers.CharField(source="payer.code")
    trace_number = serializers.CharField()
    payment_method = serializers.CharField()
    payment_date = serializers.DateField(allow_null=True)
    total_paid = AmountField()
    currency = serializers.CharField()
    file_name = serializers.CharField()
    received_at = serializers.DateTimeField()


class RemittanceLineSerializer(Serializer):
    claim = serializers.UUIDField(source="claim.external_id", default=None)
    control_number = serializers.CharField()
    status_code = serializers.CharField()
    charged = AmountField()
    paid = AmountField()
    patient_responsibility = AmountField()
    payer_claim_number = serializers.CharField()
    adjustments = serializers.JSONField()


class RemittanceDetailSerializer(RemittanceSerializer):
    claims = RemittanceLineSerializer(many=True)


class RemittanceImportSerializer(Serializer):
    """What an upload did: the file's payments, whether each was imported before, and
    what became of each claim payment."""

    remittances = RemittanceSerializer(many=True)
    already_imported = serializers.SerializerMethodField()
    postings = serializers.SerializerMethodField()
    warnings = serializers.ListField(child=serializers.CharField())

    def get_already_imported(self, result) -> bool:
        return len(result.already_imported) == len(result.remittances)

    def get_postings(self, result) -> list[dict]:
        return [
            {
                "trace_number": posting.line.remittance.trace_number,
                "control_number": posting.line.control_number,
                "outcome": posting.outcome,
                "note": posting.note,
                "paid": f"{posting.line.paid:.2f}",
            }
            for posting in result.postings
        ]
