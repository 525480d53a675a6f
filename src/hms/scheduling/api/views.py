"""REST endpoints of scheduling: free slots, and booking, cancelling and moving
appointments. Each handler validates, calls one service or selector, and serializes."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.api.fields import (
    PlainTextField,
    StrictDateField,
    StrictIntegerField,
    StrictSerializer,
)
from hms.patients import lookups
from hms.scheduling import selectors, services
from hms.scheduling.api.lookups import appointment_of, facility_of, slot_of
from hms.scheduling.api.serializers import (
    AppointmentSerializer,
    NoShowRateSerializer,
    SlotSerializer,
)
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import Appointment, AppointmentKind


def taken(exc: SlotTaken) -> Response:
    body = {**exc.as_dict(), "next_free": SlotSerializer(exc.next_free, many=True).data}
    return Response(body, status=exc.status)


class SlotListApi(APIView):
    required_permission = Perm.VIEW_SCHEDULE

    class FilterSerializer(StrictSerializer):
        practitioner = serializers.UUIDField(required=False)
        specialty = PlainTextField(required=False, max_length=20)
        kind = serializers.ChoiceField(choices=AppointmentKind.choices, required=False)
        after = serializers.DateTimeField(required=False)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=10)

    @extend_schema(parameters=[FilterSerializer], responses=SlotSerializer(many=True))
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = selectors.next_free_slots(facility=facility_of(request), **query.validated_data)
        return Response(SlotSerializer(found, many=True).data)


class AppointmentListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "POST": Perm.BOOK_APPOINTMENT}

    class InputSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        slot = StrictIntegerField(min_value=1)
        kind = serializers.ChoiceField(choices=AppointmentKind.choices, required=False)
        reason = PlainTextField(required=False, allow_blank=True, max_length=300, default="")

    class FilterSerializer(StrictSerializer):
        patient = serializers.UUIDField(required=False)
        practitioner = serializers.UUIDField(required=False)
        date = serializers.DateField(required=False)
        status = serializers.ChoiceField(choices=Appointment.Status.choices, required=False)

    @extend_schema(parameters=[FilterSerializer], responses=AppointmentSerializer(many=True))
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = selectors.appointments(
            viewer=request.user, facility=facility_of(request), **query.validated_data
        )
        return Response(AppointmentSerializer(found, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: AppointmentSerializer,
            409: OpenApiResponse(description="The slot was taken; `next_free` offers others."),
        },
        summary="Book an appointment",
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        patient = lookups.patient_row(
            viewer=request.user, facility=facility_of(request), external_id=values["patient"]
        )
        slot = slot_of(request, values["slot"])
        try:
            appointment = services.book_appointment(
                actor=request.user,
                patient=patient,
                slot=slot,
                kind=values.get("kind"),
                reason=values["reason"],
            )
        except SlotTaken as exc:
            return taken(exc)
        return Response(AppointmentSerializer(appointment).data, status=201)


class AppointmentCancelApi(APIView):
    required_permission = Perm.BOOK_APPOINTMENT

    class InputSerializer(StrictSerializer):
        reason = PlainTextField(max_length=300)

    @extend_schema(request=InputSerializer, responses=AppointmentSerializer)
    def post(self, request, external_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cancelled = services.cancel_appointment(
            actor=request.user,
            appointment=appointment_of(request, external_id),
            reason=body.validated_data["reason"],
        )
        return Response(AppointmentSerializer(cancelled).data)


class AppointmentRescheduleApi(APIView):
    required_permission = Perm.BOOK_APPOINTMENT

    class InputSerializer(StrictSerializer):
        slot = StrictIntegerField(min_value=1)
        reason = PlainTextField(required=False, allow_blank=True, max_length=300, default="")

    @extend_schema(request=InputSerializer, responses={201: AppointmentSerializer})
    def post(self, request, external_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            moved = services.reschedule_appointment(
                actor=request.user,
                appointment=appointment_of(request, external_id),
                slot=slot_of(request, body.validated_data["slot"]),
                reason=body.validated_data["reason"],
            )
        except SlotTaken as exc:
            return taken(exc)
        return Response(AppointmentSerializer(moved).data, status=201)


class NoShowRatesApi(APIView):
    required_permission = Perm.VIEW_SCHEDULE

    class FilterSerializer(StrictSerializer):
        by = serializers.ChoiceField(choices=["practitioner", "department", "patient", "weekday"])
        since = StrictDateField(required=False)
        until = StrictDateField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses=NoShowRateSerializer(many=True))
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rates = selectors.no_show_rates(
            viewer=request.user, facility=facility_of(request), **query.validated_data
        )
        return Response(NoShowRateSerializer(rates, many=True).data)
