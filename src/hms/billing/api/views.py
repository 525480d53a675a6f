"""REST endpoints of billing: the tariff, charges and invoices. Each handler validates
the shape, calls one service or selector, and serializes; the rules live in services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.billing import selectors, services
from hms.billing.api import serializers as shapes
from hms.billing.api.lookups import (
    charge_in,
    department_in,
    encounter_in,
    facility_of,
    patient_in,
    practitioner_in,
    price_list_in,
)
from hms.billing.models import BillableItem, Invoice, PriceList
from hms.core.api.fields import PlainTextField, StrictDateField, StrictSerializer
from hms.core.api.serializers import validated
from hms.core.errors import InvalidInput
from hms.core.models import Department
from hms.staff.models import Specialty

_CODE = {"max_length": 20}


def _created(data) -> Response:
    return Response(data, status=201)


class ItemListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_TARIFFS}

    class FilterSerializer(StrictSerializer):
        kind = serializers.ChoiceField(choices=BillableItem.Kind.choices, required=False)
        format = serializers.CharField(required=False)

    class InputSerializer(StrictSerializer):
        code = PlainTextField(**_CODE)
        name = PlainTextField(max_length=200)
        kind = serializers.ChoiceField(choices=BillableItem.Kind.choices)
        department = PlainTextField(required=False, **_CODE)
        specialty = PlainTextField(required=False, **_CODE)

    @extend_schema(parameters=[FilterSerializer], responses=shapes.ItemSerializer(many=True))
    def get(self, request):
        params = validated(self.FilterSerializer, request.query_params.dict())
        items = selectors.billable_items(
            viewer=request.user, facility=facility_of(request), kind=params.get("kind", "")
        )
        return Response(shapes.ItemSerializer(items.select_related("department"), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.ItemSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        facility = facility_of(request)
        item = services.add_billable_item(
            actor=request.user,
            facility=facility,
            code=body["code"],
            name=body["name"],
            kind=body["kind"],
            department=_department(facility, body.get("department")),
            specialty=_specialty(body.get("specialty")),
        )
        return _created(shapes.ItemSerializer(item).data)


def _department(facility, code: str | None) -> Department | None:
    if not code:
        return None
    found = Department.objects.filter(facility=facility, code=code).first()
    if found is None:
        raise InvalidInput("No such department.", field="department")
    return found


def _specialty(code: str | None) -> Specialty | None:
    if not code:
        return None
    found = Specialty.objects.filter(code=code).first()
    if found is None:
        raise InvalidInput("No such specialty.", field="specialty")
    return found


class PriceListListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_TARIFFS}

    class InputSerializer(StrictSerializer):
        code = PlainTextField(**_CODE)
        name = PlainTextField(max_length=200)
        kind = serializers.ChoiceField(choices=PriceList.Kind.choices)

    @extend_schema(responses=shapes.PriceListSerializer(many=True))
    def get(self, request):
        found = selectors.price_lists(viewer=request.user, facility=facility_of(request))
        return Response(shapes.PriceListSerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.PriceListSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        price_list = services.add_price_list(
            actor=request.user, facility=facility_of(request), **body
        )
        return _created(shapes.PriceListSerializer(price_list).data)


class PriceListPricesApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_TARIFFS}

    class InputSerializer(StrictSerializer):
        item = PlainTextField(**_CODE)
        amount = shapes.AmountField()
        tax_rate = shapes.AmountField(required=False, default="0")
        valid_from = StrictDateField()

    def _price_list(self, request, external_id) -> PriceList:
        return selectors.price_list_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )

    @extend_schema(responses=shapes.PriceSerializer(many=True), summary="Prices and their history")
    def get(self, request, external_id):
        price_list = self._price_list(request, external_id)
        return Response(
            shapes.PriceSerializer(selectors.prices_on(price_list=price_list), many=True).data
        )

    @extend_schema(request=InputSerializer, responses={201: shapes.PriceSerializer})
    def post(self, request, external_id):
        price_list = self._price_list(request, external_id)
        body = validated(self.InputSerializer, request.data)
        item = BillableItem.objects.filter(facility=price_list.facility, code=body["item"]).first()
        if item is None:
            raise InvalidInput("No billable item has that code.", field="item")
        price = services.set_price(
            actor=request.user,
            item=item,
            price_list=price_list,
            amount=body["amount"],
            tax_rate=body["tax_rate"],
            valid_from=body["valid_from"],
        )
        return _created(shapes.PriceSerializer(price).data)


class ChargeListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.CAPTURE_CHARGE}

    class InputSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        item_code = PlainTextField(**_CODE)
        source = PlainTextField(max_length=200)
        quantity = shapes.AmountField(required=False, default="1")
        service_date = StrictDateField(required=False)
        encounter = serializers.UUIDField(required=False)
        price_list = PlainTextField(required=False, **_CODE)
        unit_price = shapes.AmountField(required=False)
        note = PlainTextField(required=False, default="", allow_blank=True, max_length=500)
        # Who rendered it and where (default: the visit's), for revenue reporting.
        practitioner = serializers.UUIDField(required=False)
        department = PlainTextField(required=False, **_CODE)

    @extend_schema(parameters=[shapes.PatientFilter], responses=shapes.ChargeSerializer(many=True))
    def get(self, request):
        params = validated(shapes.PatientFilter, request.query_params.dict())
        found = selectors.charges_of(
            viewer=request.user,
            facility=facility_of(request),
            patient=patient_in(request, params["patient"]),
        )
        return Response(shapes.ChargeSerializer(found, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: shapes.ChargeSerializer},
        summary="Capture a charge; idempotent on `source` (a retry answers the same charge)",
    )
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        charge = services.capture_charge(
            actor=request.user,
            facility=facility_of(request),
            patient=patient_in(request, body["patient"]),
            item_code=body["item_code"],
            source=body["source"],
            quantity=body["quantity"],
            service_date=body.get("service_date"),
            encounter=encounter_in(request, body.get("encounter")),
            price_list=price_list_in(request, body.get("price_list")),
            unit_price=body.get("unit_price"),
            note=body["note"],
            practitioner=practitioner_in(request, body.get("practitioner")),
            department=department_in(request, body.get("department")),
        )
        return _created(shapes.ChargeSerializer(charge).data)


class ChargeVoidApi(APIView):
    required_permission = Perm.VOID_CHARGE

    class InputSerializer(StrictSerializer):
        reason = PlainTextField(max_length=500)

    @extend_schema(request=InputSerializer, responses=shapes.ChargeSerializer)
    def post(self, request, external_id):
        body = validated(self.InputSerializer, request.data)
        charge = services.void_charge(
            actor=request.user, charge=charge_in(request, external_id), reason=body["reason"]
        )
        return Response(shapes.ChargeSerializer(charge).data)


class InvoiceListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}

    class FilterSerializer(StrictSerializer):
        patient = serializers.UUIDField(required=False)
        status = serializers.ChoiceField(choices=Invoice.Status.choices, required=False)
        format = serializers.CharField(required=False)

    class InputSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        encounter = serializers.UUIDField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses=shapes.InvoiceSerializer(many=True))
    def get(self, request):
        params = validated(self.FilterSerializer, request.query_params.dict())
        patient = patient_in(request, params["patient"]) if "patient" in params else None
        found = selectors.invoices_of(
            viewer=request.user,
            facility=facility_of(request),
            patient=patient,
            status=params.get("status", ""),
        )
        return Response(shapes.InvoiceSerializer(found[:200], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.InvoiceSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        invoice = services.draft_invoice(
            actor=request.user,
            patient=patient_in(request, body["patient"]),
            encounter=encounter_in(request, body.get("encounter")),
        )
        return _created(_invoice_data(request, invoice))


def _invoice_data(request, invoice: Invoice) -> dict:
    fresh = selectors.invoice_of(
        viewer=request.user, facility=facility_of(request), external_id=invoice.external_id
    )
    return shapes.InvoiceSerializer(fresh).data


def _invoice(request, external_id) -> Invoice:
    return selectors.invoice_of(
        viewer=request.user, facility=facility_of(request), external_id=external_id
    )


class InvoiceDetailApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses=shapes.InvoiceSerializer)
    def get(self, request, external_id):
        return Response(shapes.InvoiceSerializer(_invoice(request, external_id)).data)


class InvoiceDiscountApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        percent = shapes.AmountField(required=False)
        amount = shapes.AmountField(required=False)
        reason = PlainTextField(max_length=500)

    @extend_schema(request=InputSerializer, responses=shapes.InvoiceSerializer)
    def post(self, request, external_id):
        invoice = _invoice(request, external_id)
        body = validated(self.InputSerializer, request.data)
        invoice = services.apply_discount(actor=request.user, invoice=invoice, **body)
        return Response(_invoice_data(request, invoice))


class InvoiceFinaliseApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(request=InputSerializer, responses=shapes.InvoiceSerializer)
    def post(self, request, external_id):
        invoice = _invoice(request, external_id)
        validated(self.InputSerializer, request.data)
        invoice = services.finalise_invoice(actor=request.user, invoice=invoice)
        return Response(_invoice_data(request, invoice))
