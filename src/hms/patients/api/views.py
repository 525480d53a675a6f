"""REST endpoints of the patient registry: search, register, read, edit, timeline,
likely duplicates, merge and unmerge. Each handler validates, calls one service or
selector, and serializes; every patient whose details go out gets an audit row."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.api.fields import PlainTextField, StrictDateField, StrictSerializer
from hms.core.api.serializers import Serializer
from hms.core.errors import InvalidInput
from hms.patients import lookups, matching, merging, selectors, services
from hms.patients.api import serializers as shapes
from hms.patients.errors import PatientErrorCode, PossibleDuplicates
from hms.patients.models import Patient, TimelineEntry


def _facility(request):
    return request._request.facility


def _record(request, external_id) -> Patient:
    return lookups.patient_record(
        viewer=request.user, facility=_facility(request), external_id=external_id
    )


class PatientListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_PATIENT, "POST": Perm.REGISTER_PATIENT}

    @extend_schema_serializer(component_name="PatientSearchFilter")
    class FilterSerializer(StrictSerializer):
        q = PlainTextField(required=False, allow_blank=True, default="", max_length=100)
        birth_date = StrictDateField(required=False, default=None)
        sex = serializers.ChoiceField(
            choices=Patient.Sex.choices, required=False, allow_blank=True, default=""
        )
        limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)
        offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=10_000)
        format = serializers.CharField(required=False)  # DRF's renderer switch

    @extend_schema_serializer(component_name="PatientSearchPage")
    class PageSerializer(Serializer):
        results = shapes.PatientSummarySerializer(many=True)
        limit = serializers.IntegerField()
        offset = serializers.IntegerField()
        has_more = serializers.BooleanField()
        notice = serializers.CharField(help_text="A hint for the clerk, e.g. a date that is wrong.")
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)

    @extend_schema_serializer(component_name="PatientRegistration")
    class InputSerializer(shapes.PatientInputSerializer):
        duplicate_override_reason = PlainTextField(
            required=False,
            allow_blank=True,
            default="",
            help_text="Why this is a different person from the possible duplicates shown.",
        )

    @extend_schema(
        parameters=[FilterSerializer],
        responses=PageSerializer,
        summary="Search patients (MRN, phone, ID number or name words)",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        page = selectors.search_patients(
            viewer=request.user,
            facility=_facility(request),
            query=params["q"],
            birth_date=params["birth_date"],
            sex=params["sex"],
            limit=params["limit"],
            offset=params["offset"],
        )
        if page.mistyped_mrn:
            raise InvalidInput(page.notice, field="q", code=PatientErrorCode.INVALID_MRN)
        services.record_patient_reads(actor=request.user, patients=page.results, what="search")
        return Response(
            {
                "results": shapes.PatientSummarySerializer(page.results, many=True).data,
                "limit": params["limit"],
                "offset": params["offset"],
                "has_more": page.has_more,
                "notice": page.notice,
                **_page_links(request, params, page.has_more),
            }
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: shapes.PatientDetailSerializer,
            409: OpenApiResponse(description="Possible duplicates, ranked, in `matches`."),
        },
        summary="Register a patient",
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        reason = values.pop("duplicate_override_reason")
        try:
            patient = services.register_patient(
                actor=request.user,
                facility=_facility(request),
                data=shapes.to_input(values),
                duplicate_override_reason=reason,
            )
        except PossibleDuplicates as exc:
            return _possible_duplicates(request, exc)
        # The service's own instance holds what was stored; no need to read it back.
        response = Response(shapes.PatientDetailSerializer(patient).data, status=201)
        response["Location"] = f"{request.path}{patient.external_id}/"
        return response


def _page_links(request, params: dict, has_more: bool) -> dict:
    url = request.build_absolute_uri()
    limit, offset = params["limit"], params["offset"]
    following = replace_query_param(url, "offset", offset + limit) if has_more else None
    previous = None
    if offset:
        earlier = max(offset - limit, 0)
        previous = (
            replace_query_param(url, "offset", earlier)
            if earlier
            else remove_query_param(url, "offset")
        )
    return {"next": following, "previous": previous}


def _possible_duplicates(request, exc: PossibleDuplicates) -> Response:
    """409 with the ranked matches, so the clerk can open one or register anyway."""
    shown = [m.patient for m in exc.matches]
    services.record_patient_reads(
        actor=request.user, patients=shown, what="shown as a possible duplicate"
    )
    body = exc.as_dict()
    body["matches"] = shapes.MatchSerializer(exc.matches, many=True).data
    return Response(body, status=status.HTTP_409_CONFLICT)


class PatientDetailApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_PATIENT, "PUT": Perm.EDIT_PATIENT, "PATCH": Perm.EDIT_PATIENT}

    @extend_schema_serializer(component_name="PatientEdit")
    class InputSerializer(shapes.PatientInputSerializer):
        reason = PlainTextField(
            required=False, allow_blank=True, default="", help_text="Why it changed."
        )

    @extend_schema(responses=shapes.PatientDetailSerializer, summary="Open a patient's record")
    def get(self, request, external_id):
        patient = _record(request, external_id)
        services.record_patient_read(actor=request.user, patient=patient, what="record")
        return Response(shapes.PatientDetailSerializer(patient).data)

    @extend_schema(
        request=InputSerializer,
        responses=shapes.PatientDetailSerializer,
        summary="Replace a patient's details (absent optional fields are cleared)",
    )
    def put(self, request, external_id):
        patient = _record(request, external_id)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        reason = values.pop("reason")
        return self._update(request, patient, shapes.to_input(values), reason)

    @extend_schema(
        request=InputSerializer,
        responses=shapes.PatientDetailSerializer,
        summary="Change some of a patient's details",
    )
    def patch(self, request, external_id):
        patient = _record(request, external_id)
        body = self.InputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        reason = values.pop("reason", "")
        return self._update(request, patient, shapes.patched(patient, values), reason)

    def _update(self, request, patient, data, reason: str) -> Response:
        services.update_patient(actor=request.user, patient=patient, data=data, reason=reason)
        patient = _record(request, patient.external_id)
        return Response(shapes.PatientDetailSerializer(patient).data)


class PatientTimelineApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_PATIENT, "POST": Perm.LOG_PATIENT_CONTACT}

    @extend_schema_serializer(component_name="PatientContactLog")
    class InputSerializer(StrictSerializer):
        kind = serializers.ChoiceField(choices=[TimelineEntry.Kind.CALL, TimelineEntry.Kind.NOTE])
        summary = PlainTextField(max_length=300)
        outcome = PlainTextField(required=False, allow_blank=True, default="", max_length=50)
        occurred_at = serializers.DateTimeField(required=False, default=None)

        def validate_occurred_at(self, value):
            # A few minutes of clock skew between a phone and the server are fine.
            if value and value > timezone.now() + timezone.timedelta(minutes=5):
                raise serializers.ValidationError("This is in the future.")
            return value

    @extend_schema(
        responses=shapes.TimelineEntrySerializer(many=True),
        summary="A patient's interactions, newest first",
    )
    def get(self, request, external_id):
        patient = _record(request, external_id)
        entries = selectors.patient_timeline(patient=patient)
        services.record_patient_read(actor=request.user, patient=patient, what="timeline")
        return Response(shapes.TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: shapes.TimelineEntrySerializer},
        summary="Log a call or a note",
    )
    def post(self, request, external_id):
        patient = _record(request, external_id)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.log_contact(actor=request.user, patient=patient, **body.validated_data)
        return Response(shapes.TimelineEntrySerializer(entry).data, status=201)


class PatientDuplicatesApi(APIView):
    required_permission = Perm.VIEW_PATIENT

    @extend_schema(
        responses=shapes.MatchSerializer(many=True),
        summary="Records that may be the same person, best match first",
    )
    def get(self, request, external_id):
        patient = _record(request, external_id)
        probe = matching.probe_for(
            patient, [(i.system, i.value_index) for i in patient.identifiers.all()]
        )
        matches = matching.find_likely_duplicates(
            probe, facility_id=patient.facility_id, exclude_id=patient.pk
        )
        services.record_patient_read(actor=request.user, patient=patient, what="duplicates")
        services.record_patient_reads(
            actor=request.user,
            patients=[m.patient for m in matches],
            what="shown as a possible duplicate",
        )
        return Response(shapes.MatchSerializer(matches, many=True).data)


class PatientMergeApi(APIView):
    required_permission = Perm.MERGE_PATIENTS

    @extend_schema_serializer(component_name="PatientMergeRequest")
    class InputSerializer(StrictSerializer):
        survivor = serializers.UUIDField(help_text="The record that stays.")
        merged = serializers.UUIDField(help_text="The record merged into it.")
        reason = PlainTextField(max_length=300)

        def validate(self, data):
            if data["survivor"] == data["merged"]:
                raise serializers.ValidationError({"merged": "A record cannot merge into itself."})
            return data

    @extend_schema(
        request=InputSerializer,
        responses={201: shapes.MergeSerializer},
        summary="Merge a duplicate record into the surviving one",
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        merge = merging.merge_patients(
            actor=request.user,
            survivor=_record(request, data["survivor"]),
            merged=_record(request, data["merged"]),
            reason=data["reason"],
        )
        return Response(shapes.MergeSerializer(merge).data, status=201)


class PatientUnmergeApi(APIView):
    required_permission = Perm.MERGE_PATIENTS

    @extend_schema_serializer(component_name="PatientUnmergeRequest")
    class InputSerializer(StrictSerializer):
        reason = PlainTextField(max_length=300)

    @extend_schema(
        request=InputSerializer,
        responses=shapes.MergeSerializer,
        summary="Undo a merge: the merged record is active again",
    )
    def post(self, request, external_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        merge = lookups.patient_merge_record(
            viewer=request.user, facility=_facility(request), external_id=external_id
        )
        merge = merging.unmerge_patients(
            actor=request.user, merge=merge, reason=body.validated_data["reason"]
        )
        return Response(shapes.MergeSerializer(merge).data)
