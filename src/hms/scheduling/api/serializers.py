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
    adds_place = serializers.BooleanField()
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


class WaitlistEntrySerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    patient = serializers.UUIDField(source="patient.external_id")
    practitioner = PractitionerRefSerializer(default=None, allow_null=True)
    specialty = serializers.CharField(source="specialty.code", default="")
    kind = serializers.CharField()
    earliest = serializers.DateField()
    latest = serializers.DateField()
    note = serializers.CharField()
    status = serializers.CharField()
    offered_slot = SlotSerializer(default=None, allow_null=True)
    offer_expires_at = serializers.DateTimeField()
    appointment = serializers.UUIDField(
        source="appointment.external_id", default=None, allow_null=True
    )
    added_at = serializers.DateTimeField(source="created_at")


class NoShowHistorySerializer(Serializer):
    appointments = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    last_no_show = serializers.DateTimeField(allow_null=True)
    chronic = serializers.BooleanField()


class RoomSerializer(Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField(source="department.code", default="")


class ScheduleSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    practitioner = PractitionerRefSerializer()
    room = serializers.CharField(source="room.code", default="")
    kind = serializers.CharField()
    weekday = serializers.IntegerField()
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()
    slot_minutes = serializers.IntegerField()
    capacity = serializers.IntegerField()
    emergency_slots = serializers.IntegerField()
    breaks = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    double_book_no_shows = serializers.BooleanField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)


class BlockSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    kind = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
    practitioner = PractitionerRefSerializer(default=None, allow_null=True)
    room = serializers.CharField(source="room.code", default="")
