"""Shapes of the scheduling API: slots offered, appointments booked."""

from __future__ import annotations

from rest_framework import serializers

from hms.core.api.serializers import Serializer


class PractitionerRefSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    name = serializers.CharField(source="display_name")


class SlotSerializer(Serializer):
    id = serializers.IntegerField()
    practitioner = PractitionerRefSerializer()
    room = serializers.CharField(source="room.name", default="")
    start = serializers.DateTimeField(source="starts_at")
    end = serializers.DateTimeField(source="ends_at")
    capacity = serializers.IntegerField()
    booked = serializers.IntegerField()
    is_emergency = serializers.BooleanField()


class AppointmentSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    patient = serializers.UUIDField(source="patient.external_id")
    practitioner = PractitionerRefSerializer()
    room = serializers.CharField(source="room.name", default="")
    slot = serializers.IntegerField(source="slot_id")
    start = serializers.DateTimeField(source="starts_at")
    end = serializers.DateTimeField(source="ends_at")
    kind = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    rescheduled_from = serializers.UUIDField(
        source="rescheduled_from.external_id", default=None, allow_null=True
    )


class TicketSerializer(Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    number = serializers.IntegerField()
    department = serializers.CharField(source="department.code")
    day = serializers.DateField()
    priority = serializers.CharField(source="get_priority_display")
    status = serializers.CharField()
    issued_at = serializers.DateTimeField()
    called_at = serializers.DateTimeField()
    called_to = serializers.CharField()
    patient = serializers.UUIDField(source="encounter.patient.external_id")
    encounter = serializers.UUIDField(source="encounter.external_id")
    encounter_status = serializers.CharField(source="encounter.status")
    appointment = serializers.UUIDField(
        source="appointment.external_id", default=None, allow_null=True
    )


class NoShowRateSerializer(Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    appointments = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    rate = serializers.FloatField()
