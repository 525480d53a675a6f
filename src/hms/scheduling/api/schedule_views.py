"""REST endpoints of availability: rooms, weekly sessions and blocks of time taken
away. Each handler validates, calls one service or selector, and serializes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.api.fields import (
    LocalTimeField,
    PlainTextField,
    StrictBooleanField,
    StrictDateField,
    StrictIntegerField,
    StrictSerializer,
)
from hms.core.errors import NotFound
from hms.core.models import Department
from hms.scheduling import selectors, services
from hms.scheduling.api.lookups import facility_of, practitioner_of, room_of
from hms.scheduling.api.serializers import (
    AppointmentSerializer,
    BlockSerializer,
    RoomSerializer,
    ScheduleSerializer,
)
from hms.scheduling.models import AppointmentKind, ScheduleBlock


class RoomListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "POST": Perm.MANAGE_SCHEDULES}

    class InputSerializer(StrictSerializer):
        code = PlainTextField(max_length=20)
        name = PlainTextField(max_length=120)
        department = PlainTextField(required=False, allow_blank=True, max_length=20, default="")

    @extend_schema(responses=RoomSerializer(many=True), summary="The facility's rooms")
    def get(self, request):
        found = selectors.rooms(viewer=request.user, facility=facility_of(request))
        return Response(RoomSerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: RoomSerializer}, summary="Add a room")
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        facility = facility_of(request)
        department = None
        if values["department"]:
            department = Department.objects.filter(
                facility=facility, code=values["department"]
            ).first()
            if department is None:
                raise NotFound("No such department.", field="department")
        room = services.add_room(
            actor=request.user,
            facility=facility,
            code=values["code"],
            name=values["name"],
            department=department,
        )
        return Response(RoomSerializer(room).data, status=201)


class ScheduleListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "POST": Perm.MANAGE_SCHEDULES}

    class InputSerializer(StrictSerializer):
        practitioner = serializers.UUIDField()
        room = PlainTextField(required=False, allow_blank=True, max_length=20, default="")
        kind = serializers.ChoiceField(choices=AppointmentKind.choices, default="new")
        weekday = StrictIntegerField(min_value=0, max_value=6)
        starts_at = LocalTimeField()
        ends_at = LocalTimeField()
        slot_minutes = StrictIntegerField(min_value=1, max_value=480)
        capacity = StrictIntegerField(min_value=1, max_value=services.MAX_CAPACITY, default=1)
        emergency_slots = StrictIntegerField(min_value=0, default=0)
        breaks = serializers.ListField(
            child=serializers.ListField(child=LocalTimeField(), min_length=2, max_length=2),
            required=False,
            default=list,
            max_length=20,
        )
        double_book_no_shows = StrictBooleanField(required=False, default=False)
        valid_from = StrictDateField()
        valid_until = StrictDateField(required=False, allow_null=True, default=None)

    class FilterSerializer(StrictSerializer):
        practitioner = serializers.UUIDField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses=ScheduleSerializer(many=True))
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = selectors.schedules(
            viewer=request.user, facility=facility_of(request), **query.validated_data
        )
        return Response(ScheduleSerializer(found, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: ScheduleSerializer},
        summary="Add a weekly session (its slots are created up to the horizon)",
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        practitioner = practitioner_of(request, values.pop("practitioner"))
        schedule = services.add_schedule(
            actor=request.user,
            practitioner=practitioner,
            room=room_of(request, values.pop("room")),
            breaks=[tuple(pair) for pair in values.pop("breaks")],
            **values,
        )
        return Response(ScheduleSerializer(schedule).data, status=201)


class BlockCreateApi(APIView):
    required_permission = Perm.MANAGE_SCHEDULES

    class InputSerializer(StrictSerializer):
        kind = serializers.ChoiceField(choices=ScheduleBlock.Kind.choices)
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        reason = PlainTextField(max_length=300)
        practitioner = serializers.UUIDField(required=False, allow_null=True, default=None)
        room = PlainTextField(required=False, allow_blank=True, max_length=20, default="")

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer(
                "BlockCreated",
                {"block": BlockSerializer(), "to_move": AppointmentSerializer(many=True)},
            )
        },
        summary="Take time away (leave, holiday, theatre day); answers the bookings to move",
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        facility = facility_of(request)
        block, affected = services.add_block(
            actor=request.user,
            facility=facility,
            kind=values["kind"],
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
            reason=values["reason"],
            practitioner=practitioner_of(request, values["practitioner"]),
            room=room_of(request, values["room"]),
        )
        body = {
            "block": BlockSerializer(block).data,
            "to_move": AppointmentSerializer(affected, many=True).data,
        }
        return Response(body, status=201)
