from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.views import APIView

from hms.accounts.permissions import Perm
from hms.audit import selectors
from hms.audit.models import AuditEvent
from hms.core.api.fields import PlainTextField
from hms.core.api.serializers import Serializer


class AuditedPatientSerializer(serializers.Serializer):
    """A patient an event names: name and MRN are null when the id names no record."""

    id = serializers.CharField()
    name = serializers.CharField(source="label.name", allow_null=True, default=None)
    mrn = serializers.CharField(source="label.mrn", allow_null=True, default=None)


class AuditEventListApi(APIView):
    """Search the audit trail (auditors)."""

    required_permission = Perm.VIEW_AUDIT
    # Named here so that the schema documents the page (count, next, previous, results).
    pagination_class = LimitOffsetPagination

    class FilterSerializer(Serializer):
        username = PlainTextField(max_length=150, required=False, default="")
        patient_id = PlainTextField(
            max_length=64,
            required=False,
            default="",
            help_text="A patient's id, MRN or the words of their name.",
        )
        action = serializers.ChoiceField(
            choices=AuditEvent.Action.choices, required=False, default=""
        )
        outcome = serializers.ChoiceField(
            choices=AuditEvent.Outcome.choices, required=False, default=""
        )
        date_from = serializers.DateField(required=False, default=None)
        date_to = serializers.DateField(required=False, default=None)

        def validate(self, data):
            date_from, date_to = data.get("date_from"), data.get("date_to")
            if date_from and date_to and date_from > date_to:
                raise serializers.ValidationError(
                    {"date_to": "The end date is before the start date."}
                )
            return data

    class OutputSerializer(serializers.ModelSerializer):
        # Every patient the event names, with their name and MRN (null when the id names
        # no record here).
        patients = AuditedPatientSerializer(many=True, read_only=True, source="shown")

        class Meta:
            model = AuditEvent
            fields = [
                "id",
                "at",
                "username",
                "roles",
                "facility_code",
                "action",
                "object_type",
                "object_id",
                "patient_id",
                "patients",
                "source_ip",
                "user_agent",
                "channel",
                "outcome",
                "reason",
                "prev_hash",
                "hash",
            ]

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = selectors.search_events(**filters.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(events, request, view=self)
        shown = selectors.patients_of(page, listed=None)
        for event in page:
            event.shown, _ = shown[event.id]
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)
