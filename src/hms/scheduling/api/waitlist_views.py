"""REST endpoints of the waitlist and of a patient's no-show history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.api.fields import PlainTextField, StrictDateField, StrictSerializer
from hms.patients import lookups
from hms.scheduling import selectors, waitlist
from hms.scheduling.api.lookups import (
    facility_of,
    practitioner_of,
    specialty_of,
    waitlist_entry_of,
)
from hms.scheduling.api.serializers import (
    AppointmentSerializer,
    NoShowHistorySerializer,
    WaitlistEntrySerializer,
)
from hms.scheduling.api.views import taken
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import AppointmentKind, WaitlistEntry


class WaitlistApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "POST": Perm.BOOK_APPOINTMENT}

    class InputSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        practitioner = serializers.UUIDField(required=False)
        specialty = PlainTextField(required=False, max_length=20)
        kind = serializers.ChoiceField(choices=AppointmentKind.choices, required=False)
        earliest = StrictDateField(required=False)
        latest = StrictDateField(required=False)
        note = PlainTextField(required=False, allow_blank=True, max_length=300, default="")

    class FilterSerializer(StrictSerializer):
        status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices, required=False)
        patient = serializers.UUIDField(required=False)
        practitioner = serializers.UUIDField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses=WaitlistEntrySerializer(many=True))
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = selectors.waitlist(
            viewer=request.user, facility=facility_of(request), **query.validated_data
        )
        return Response(WaitlistEntrySerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: WaitlistEntrySerializer})
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        facility = facility_of(request)
        patient = lookups.patient_row(
            viewer=request.user, facility=facility, external_id=values["patient"]
        )
        entry = waitlist.add_to_waitlist(
            actor=request.user,
            patient=patient,
            practitioner=practitioner_of(request, values.get("practitioner")),
            specialty=specialty_of(values.get("specialty")),
            kind=values.get("kind", ""),
            earliest=values.get("earliest"),
            latest=values.get("latest"),
            note=values["note"],
        )
        return Response(WaitlistEntrySerializer(entry).data, status=201)


class WaitlistAcceptApi(APIView):
    required_permission = Perm.BOOK_APPOINTMENT

    @extend_schema(request=None, responses={201: AppointmentSerializer})
    def post(self, request, external_id):
        try:
            appointment = waitlist.accept_offer(
                actor=request.user, entry=waitlist_entry_of(request, external_id)
            )
        except SlotTaken as exc:
            return taken(exc)
        return Response(AppointmentSerializer(appointment).data, status=201)


class WaitlistDeclineApi(APIView):
    required_permission = Perm.BOOK_APPOINTMENT

    @extend_schema(request=None, responses=WaitlistEntrySerializer)
    def post(self, request, external_id):
        entry = waitlist_entry_of(request, external_id)
        waitlist.decline_offer(actor=request.user, entry=entry)
        entry.refresh_from_db()
        return Response(WaitlistEntrySerializer(entry).data)


class WaitlistRemoveApi(APIView):
    required_permission = Perm.BOOK_APPOINTMENT

    class InputSerializer(StrictSerializer):
        reason = PlainTextField(max_length=300)

    @extend_schema(request=InputSerializer, responses=WaitlistEntrySerializer)
    def post(self, request, external_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        removed = waitlist.remove_from_waitlist(
            actor=request.user,
            entry=waitlist_entry_of(request, external_id),
            reason=body.validated_data["reason"],
        )
        return Response(WaitlistEntrySerializer(removed).data)


class NoShowHistoryApi(APIView):
    """A patient's record of coming to appointments, for the booking clerk."""

    required_permission = Perm.VIEW_SCHEDULE

    @extend_schema(responses=NoShowHistorySerializer)
    def get(self, request, patient_id):
        patient = lookups.patient_row(
            viewer=request.user, facility=facility_of(request), external_id=patient_id
        )
        return Response(NoShowHistorySerializer(selectors.no_show_history(patient)).data)
