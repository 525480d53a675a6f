"""REST endpoints of the till: payments, deposits, refunds, cashier shifts, and the
invoice and receipt PDFs. Each validates the shape and calls one service or selector."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.billing import payment_selectors, selectors, services
from hms.billing.api import payment_serializers as shapes
from hms.billing.api.lookups import facility_of, patient_in
from hms.billing.api.serializers import AmountField
from hms.billing.models import Invoice, PaymentMethod
from hms.core.api.fields import PlainTextField, StrictSerializer
from hms.core.api.serializers import validated, validated_each
from hms.core.errors import InvalidInput, NotFound

_REFERENCE = {"required": False, "default": "", "allow_blank": True, "max_length": 64}
# Online payments are posted by their gateway, never typed in at the till.
_AT_THE_TILL = [(v, label) for v, label in PaymentMethod.choices if v != PaymentMethod.ONLINE]
_NOTE = {"required": False, "default": "", "allow_blank": True, "max_length": 500}


def _invoice_in(request, external_id, field: str = "invoice") -> Invoice:
    """An invoice named in a body: 400 naming the field when not at this facility."""
    try:
        return selectors.invoice_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
    except NotFound:
        raise InvalidInput("No such invoice in this facility.", field=field) from None


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


class _ByInvoiceOrPatient(StrictSerializer):
    invoice = serializers.UUIDField(required=False)
    patient = serializers.UUIDField(required=False)
    format = serializers.CharField(required=False)

    def validate(self, attrs):
        if ("invoice" in attrs) == ("patient" in attrs):
            raise serializers.ValidationError({"invoice": ["Give an invoice or a patient."]})
        return attrs


def _filters(request) -> dict:
    params = validated(_ByInvoiceOrPatient, request.query_params.dict())
    if "invoice" in params:
        return {"invoice": _invoice_in(request, params["invoice"])}
    return {"patient": patient_in(request, params["patient"])}


class PaymentListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.TAKE_PAYMENT}

    class InputSerializer(StrictSerializer):
        invoice = serializers.UUIDField()
        amount = AmountField()
        method = serializers.ChoiceField(choices=_AT_THE_TILL)
        reference = PlainTextField(**_REFERENCE)
        surplus_to_deposit = serializers.BooleanField(required=False, default=False)
        note = PlainTextField(**_NOTE)

    @extend_schema(parameters=[_ByInvoiceOrPatient], responses=shapes.PaymentSerializer(many=True))
    def get(self, request):
        found = payment_selectors.payments_of(
            viewer=request.user, facility=facility_of(request), **_filters(request)
        )
        return Response(shapes.PaymentSerializer(found[:500], many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: shapes.PaymentSerializer},
        summary="Take a payment on a final invoice (one part of a split payment)",
    )
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        invoice = _invoice_in(request, body.pop("invoice"))
        payment = services.take_payment(actor=request.user, invoice=invoice, **body)
        return Response(shapes.PaymentSerializer(payment).data, status=201)


class SplitPaymentApi(APIView):
    required_permission = Perm.TAKE_PAYMENT

    class PartSerializer(StrictSerializer):
        method = serializers.ChoiceField(choices=_AT_THE_TILL)
        amount = AmountField()
        reference = PlainTextField(**_REFERENCE)

    class InputSerializer(StrictSerializer):
        invoice = serializers.UUIDField()
        parts = serializers.ListField(min_length=1, max_length=services.payments.MAX_PARTS)

    @extend_schema(
        request=InputSerializer,
        responses={201: shapes.PaymentSerializer(many=True)},
        summary="Take a payment split over several methods, all parts or none",
    )
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        parts = [
            services.PaymentPart(**part)
            for part in validated_each(self.PartSerializer, body["parts"], "parts")
        ]
        taken = services.take_split_payment(
            actor=request.user, invoice=_invoice_in(request, body["invoice"]), parts=parts
        )
        return Response(shapes.PaymentSerializer(taken, many=True).data, status=201)


class PaymentDetailApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses=shapes.PaymentSerializer)
    def get(self, request, external_id):
        payment = payment_selectors.payment_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
        return Response(shapes.PaymentSerializer(payment).data)


class PaymentReceiptApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, external_id):
        payment = payment_selectors.payment_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
        # ReportLab loads only when a document is printed, not with every server.
        from hms.billing import printing

        content = printing.print_receipt(actor=request.user, payment=payment)
        return _pdf(content, payment.receipt_number)


class InvoicePdfApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, external_id):
        invoice = selectors.invoice_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
        # ReportLab loads only when a document is printed, not with every server.
        from hms.billing import printing

        content = printing.print_invoice(actor=request.user, invoice=invoice)
        return _pdf(content, invoice.number or f"draft-{invoice.external_id}")


class InvoiceApplyDepositApi(APIView):
    required_permission = Perm.TAKE_PAYMENT

    class InputSerializer(StrictSerializer):
        amount = AmountField(required=False)

    @extend_schema(request=InputSerializer, responses=shapes.BalanceSerializer)
    def post(self, request, external_id):
        invoice = selectors.invoice_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
        body = validated(self.InputSerializer, request.data)
        invoice = services.apply_deposit(actor=request.user, invoice=invoice, **body)
        return Response(shapes.BalanceSerializer(invoice).data)


class DepositListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.TAKE_PAYMENT}

    class FilterSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        format = serializers.CharField(required=False)

    class InputSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        amount = AmountField()
        method = serializers.ChoiceField(choices=_AT_THE_TILL)
        reference = PlainTextField(**_REFERENCE)
        note = PlainTextField(**_NOTE)

    class DepositSerializer(serializers.Serializer):
        patient = serializers.UUIDField()
        balance = AmountField()
        payments = shapes.PaymentSerializer(many=True)

    @extend_schema(
        parameters=[FilterSerializer], responses=DepositSerializer, summary="The patient's deposit"
    )
    def get(self, request):
        params = validated(self.FilterSerializer, request.query_params.dict())
        patient = patient_in(request, params["patient"])
        held = payment_selectors.payments_of(
            viewer=request.user, facility=facility_of(request), patient=patient
        ).filter(unallocated__gt=0)
        return Response(
            {
                "patient": str(patient.external_id),
                "balance": str(payment_selectors.deposit_balance(patient=patient)),
                "payments": shapes.PaymentSerializer(held, many=True).data,
            }
        )

    @extend_schema(request=InputSerializer, responses={201: shapes.PaymentSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        patient = patient_in(request, body.pop("patient"))
        payment = services.take_deposit(actor=request.user, patient=patient, **body)
        return Response(shapes.PaymentSerializer(payment).data, status=201)


class RefundListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.TAKE_PAYMENT}

    class InputSerializer(StrictSerializer):
        invoice = serializers.UUIDField(required=False)
        patient = serializers.UUIDField(required=False)
        amount = AmountField()
        method = serializers.ChoiceField(choices=_AT_THE_TILL)
        reference = PlainTextField(**_REFERENCE)
        reason = PlainTextField(max_length=500)

        def validate(self, attrs):
            if ("invoice" in attrs) == ("patient" in attrs):
                raise serializers.ValidationError(
                    {"invoice": ["Refund on an invoice, or a patient's deposit."]}
                )
            return attrs

    @extend_schema(parameters=[_ByInvoiceOrPatient], responses=shapes.RefundSerializer(many=True))
    def get(self, request):
        found = payment_selectors.refunds_of(
            viewer=request.user, facility=facility_of(request), **_filters(request)
        )
        return Response(shapes.RefundSerializer(found[:500], many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: shapes.RefundSerializer},
        summary="Refund on an invoice or from a deposit (needs a supervisor's permission)",
    )
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        if "invoice" in body:
            invoice = _invoice_in(request, body.pop("invoice"))
            refund = services.refund_invoice(actor=request.user, invoice=invoice, **body)
        else:
            patient = patient_in(request, body.pop("patient"))
            refund = services.refund_deposit(actor=request.user, patient=patient, **body)
        return Response(shapes.RefundSerializer(refund).data, status=201)
