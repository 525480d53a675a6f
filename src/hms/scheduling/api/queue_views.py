"""REST endpoints of the outpatient queue: check in, walk in, call the next patient,
end the visit, and today's tickets of a department."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.permissions import Perm
from hms.core.api.fields import PlainTextField, StrictBooleanField, StrictSerializer
from hms.core.errors import InvalidInput, NotFound
from hms.core.models import Department
from hms.patients import lookups
from hms.scheduling import queue
from hms.scheduling.api.lookups import appointment_of, facility_of, practitioner_of
from hms.scheduling.api.serializers import TicketSerializer
from hms.scheduling.models import QueueTicket
from hms.scheduling.times import zone_of
from hms.staff.models import Practitioner

_PRIORITIES = [(c.name.lower(), c.label) for c in QueueTicket.Priority]


def _priority(name: str) -> int:
    return QueueTicket.Priority[name.upper()]


def _department(request, code: str) -> Department:
    department = Department.objects.filter(facility=facility_of(request), code=code).first()
    if department is None:
        raise NotFound("No such department.", field="department")
    return department


def _practitioner(request, external_id) -> Practitioner:
    """The practitioner named, or the caller's own."""
    if external_id is not None:
        return practitioner_of(request, external_id)
    own = Practitioner.objects.filter(user=request.user, facility=facility_of(request)).first()
    if own is None:
        raise InvalidInput("Say which practitioner is calling.", field="practitioner")
    return own


def _ticket(request, ticket_id: int) -> QueueTicket:
    found = (
        QueueTicket.objects.select_related("encounter__patient__facility", "department")
        .filter(pk=ticket_id, facility=facility_of(request))
        .first()
    )
    if found is None:
        raise NotFound("No such ticket.")
    return found


class CheckInApi(APIView):
    required_permission = Perm.CHECK_IN

    class InputSerializer(StrictSerializer):
        priority = serializers.ChoiceField(choices=_PRIORITIES, default="normal")
        attach_to_open_visit = StrictBooleanField(
            default=False,
            help_text="When the patient already has a visit open today, join it (and its "
            "ticket) instead of answering 409.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: TicketSerializer,
            409: OpenApiResponse(
                description="OPEN_VISIT: the patient has a visit open today, named in "
                "`open_visit`; send `attach_to_open_visit` to join it. CANNOT_CHECK_IN: "
                "the appointment is not booked for today."
            ),
        },
    )
    def post(self, request, external_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = queue.check_in(
            actor=request.user,
            appointment=appointment_of(request, external_id),
            priority=_priority(body.validated_data["priority"]),
            attach_to_open_visit=body.validated_data["attach_to_open_visit"],
        )
        return Response(TicketSerializer(ticket).data, status=201)


class WalkInApi(APIView):
    required_permission = Perm.CHECK_IN

    class InputSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        department = PlainTextField(max_length=20)
        practitioner = serializers.UUIDField(required=False)
        priority = serializers.ChoiceField(choices=_PRIORITIES, default="normal")

    @extend_schema(request=InputSerializer, responses={201: TicketSerializer})
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        practitioner = None
        if "practitioner" in values:
            practitioner = _practitioner(request, values["practitioner"])
        ticket = queue.walk_in(
            actor=request.user,
            patient=lookups.patient_row(
                viewer=request.user, facility=facility_of(request), external_id=values["patient"]
            ),
            department=_department(request, values["department"]),
            practitioner=practitioner,
            priority=_priority(values["priority"]),
        )
        return Response(TicketSerializer(ticket).data, status=201)


class CallNextApi(APIView):
    required_permission = Perm.RUN_CLINIC

    class InputSerializer(StrictSerializer):
        department = PlainTextField(max_length=20)
        practitioner = serializers.UUIDField(required=False)
        called_to = PlainTextField(required=False, allow_blank=True, max_length=120, default="")

    @extend_schema(
        request=InputSerializer,
        responses={200: TicketSerializer, 204: OpenApiResponse(description="Nobody waits.")},
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        ticket = queue.call_next(
            actor=request.user,
            practitioner=_practitioner(request, values.get("practitioner")),
            department=_department(request, values["department"]),
            called_to=values["called_to"],
        )
        if ticket is None:
            return Response(status=204)
        return Response(TicketSerializer(ticket).data)


class FinishApi(APIView):
    # Front-desk staff record a patient who left; the service asks more to end a visit.
    required_permission = Perm.CHECK_IN

    class InputSerializer(StrictSerializer):
        left = StrictBooleanField(default=False)

    @extend_schema(request=InputSerializer, responses=TicketSerializer)
    def post(self, request, ticket_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = queue.finish(
            actor=request.user,
            ticket=_ticket(request, ticket_id),
            left=body.validated_data["left"],
        )
        return Response(TicketSerializer(ticket).data)


class TicketListApi(APIView):
    required_permission = Perm.VIEW_SCHEDULE

    class FilterSerializer(StrictSerializer):
        department = PlainTextField(max_length=20)

    @extend_schema(parameters=[FilterSerializer], responses=TicketSerializer(many=True))
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        department = _department(request, query.validated_data["department"])
        today = timezone.localdate(timezone=zone_of(department.facility))
        tickets = (
            QueueTicket.objects.filter(department=department, day=today)
            .select_related("department", "encounter__patient", "appointment")
            .order_by("-priority", "issued_at")
        )
        return Response(TicketSerializer(tickets, many=True).data)
