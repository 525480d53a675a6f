"""REST endpoints of cashier shifts: open, the current one, close with a count, hand
over; a shift's detail carries its takings by method."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.models import User
from hms.accounts.permissions import Perm
from hms.billing import payment_selectors, services
from hms.billing.api import payment_serializers as shapes
from hms.billing.api.lookups import facility_of
from hms.billing.api.serializers import AmountField
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Shift
from hms.core.api.fields import PlainTextField, StrictSerializer
from hms.core.api.serializers import validated
from hms.core.errors import InvalidInput, NotFound


def _shift_data(shift: Shift) -> dict:
    data = shapes.ShiftSerializer(shift).data
    takings = payment_selectors.shift_takings(shift=shift)
    data["takings"] = shapes.TakingSerializer(takings, many=True).data
    return data


def _shift(request, external_id) -> Shift:
    return payment_selectors.shift_of(
        viewer=request.user, facility=facility_of(request), external_id=external_id
    )


class ShiftListOpenApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.TAKE_PAYMENT}

    class InputSerializer(StrictSerializer):
        opening_float = AmountField()

    @extend_schema(responses=shapes.ShiftSerializer(many=True), summary="Recent shifts")
    def get(self, request):
        found = payment_selectors.shifts_at(viewer=request.user, facility=facility_of(request))
        return Response(shapes.ShiftSerializer(found[:100], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.ShiftSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        shift = services.open_shift(actor=request.user, facility=facility_of(request), **body)
        return Response(_shift_data(shift), status=201)


class ShiftCurrentApi(APIView):
    required_permission = Perm.TAKE_PAYMENT

    @extend_schema(responses=shapes.ShiftSerializer, summary="The caller's open shift")
    def get(self, request):
        shift = payment_selectors.current_shift(viewer=request.user, facility=facility_of(request))
        if shift is None:
            raise NotFound("You have no open shift.", code=BillingErrorCode.NO_OPEN_SHIFT)
        return Response(_shift_data(shift))


class ShiftDetailApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses=shapes.ShiftSerializer)
    def get(self, request, external_id):
        return Response(_shift_data(_shift(request, external_id)))


class ShiftCloseApi(APIView):
    required_permission = Perm.TAKE_PAYMENT

    class InputSerializer(StrictSerializer):
        counts = serializers.DictField(child=AmountField())
        note = PlainTextField(required=False, default="", allow_blank=True, max_length=500)

    @extend_schema(request=InputSerializer, responses=shapes.ShiftSerializer)
    def post(self, request, external_id):
        shift = _shift(request, external_id)
        body = validated(self.InputSerializer, request.data)
        shift = services.close_shift(actor=request.user, shift=shift, **body)
        return Response(_shift_data(shift))


class ShiftHandoverApi(APIView):
    required_permission = Perm.TAKE_PAYMENT

    class InputSerializer(StrictSerializer):
        to = serializers.UUIDField(help_text="The receiving user's id")

    @extend_schema(request=InputSerializer, responses=shapes.ShiftSerializer)
    def post(self, request, external_id):
        shift = _shift(request, external_id)
        body = validated(self.InputSerializer, request.data)
        to = User.objects.filter(external_id=body["to"]).first()
        if to is None:
            raise InvalidInput("No such user.", field="to")
        shift = services.hand_over_shift(actor=request.user, shift=shift, to=to)
        return Response(_shift_data(shift))
