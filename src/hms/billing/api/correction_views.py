"""REST doors onto invoice corrections and packages: credit notes, voids, discarded
drafts, and packages defined on the tariff and put on draft invoices."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.billing import selectors, services
from hms.billing.api import serializers as shapes
from hms.billing.api.lookups import facility_of
from hms.billing.api.views import _created, _invoice, _invoice_data
from hms.core.api.fields import PlainTextField, StrictSerializer
from hms.core.api.serializers import validated, validated_each

_CODE = {"max_length": 20}


class CreditNoteListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}

    class InputSerializer(StrictSerializer):
        amount = shapes.AmountField()
        reason = PlainTextField(max_length=500)

    @extend_schema(responses=shapes.CreditNoteSerializer(many=True))
    def get(self, request, external_id):
        notes = selectors.credit_notes_of(invoice=_invoice(request, external_id))
        return Response(shapes.CreditNoteSerializer(notes, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.CreditNoteSerializer})
    def post(self, request, external_id):
        invoice = _invoice(request, external_id)
        body = validated(self.InputSerializer, request.data)
        note = services.issue_credit_note(actor=request.user, invoice=invoice, **body)
        return _created(shapes.CreditNoteSerializer(note).data)


class InvoiceVoidApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        reason = PlainTextField(max_length=500)

    @extend_schema(request=InputSerializer, responses=shapes.InvoiceSerializer)
    def post(self, request, external_id):
        invoice = _invoice(request, external_id)
        body = validated(self.InputSerializer, request.data)
        invoice = services.void_invoice(actor=request.user, invoice=invoice, reason=body["reason"])
        return Response(_invoice_data(request, invoice))


class InvoiceDiscardApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request, external_id):
        invoice = _invoice(request, external_id)
        validated(self.InputSerializer, request.data)
        services.discard_draft(actor=request.user, invoice=invoice)
        return Response(status=204)


class InvoicePackageApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        item = serializers.CharField(**_CODE)

    @extend_schema(request=InputSerializer, responses=shapes.InvoiceSerializer)
    def post(self, request, external_id):
        invoice = _invoice(request, external_id)
        body = validated(self.InputSerializer, request.data)
        services.apply_package(actor=request.user, invoice=invoice, item_code=body["item"])
        return Response(_invoice_data(request, invoice))


class InvoicePackageRemoveApi(APIView):
    required_permission = Perm.VOID_CHARGE

    class InputSerializer(StrictSerializer):
        reason = PlainTextField(max_length=500)

    @extend_schema(request=InputSerializer, responses=shapes.InvoiceSerializer)
    def post(self, request, external_id, item):
        invoice = _invoice(request, external_id)
        body = validated(self.InputSerializer, request.data)
        services.remove_package(
            actor=request.user, invoice=invoice, item_code=item, reason=body["reason"]
        )
        return Response(_invoice_data(request, invoice))


class PackageListDefineApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_TARIFFS}

    class ComponentSerializer(StrictSerializer):
        item = serializers.CharField(**_CODE)
        quantity = shapes.AmountField(required=False, allow_null=True, default=None)

    class InputSerializer(StrictSerializer):
        item = serializers.CharField(**_CODE)
        components = serializers.ListField(max_length=200)

    @extend_schema(responses=shapes.PackageSerializer(many=True))
    def get(self, request):
        found = selectors.packages(viewer=request.user, facility=facility_of(request))
        return Response(shapes.PackageSerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.PackageSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        parts = [
            (part["item"], part["quantity"])
            for part in validated_each(self.ComponentSerializer, body["components"], "components")
        ]
        package = services.define_package(
            actor=request.user,
            facility=facility_of(request),
            item_code=body["item"],
            components=parts,
        )
        return _created(shapes.PackageSerializer(package).data)
