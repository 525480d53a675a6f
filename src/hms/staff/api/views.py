"""REST endpoints of the staff directory: search and add practitioners, read and edit
one, list the specialties. Each handler validates, calls one service or selector, and
serializes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.api.fields import PlainTextField, StrictSerializer
from hms.staff import selectors, services
from hms.staff.api import serializers as shapes

_ACTIVE = {"true": True, "false": False, "all": None}


def _facility(request):
    return request._request.facility


class PractitionerListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "POST": Perm.MANAGE_STAFF_DIRECTORY}

    @extend_schema_serializer(component_name="PractitionerSearchFilter")
    class FilterSerializer(StrictSerializer):
        q = PlainTextField(required=False, allow_blank=True, default="", max_length=100)
        specialty = PlainTextField(required=False, allow_blank=True, default="", max_length=20)
        department = PlainTextField(required=False, allow_blank=True, default="", max_length=20)
        language = PlainTextField(required=False, allow_blank=True, default="", max_length=35)
        active = serializers.ChoiceField(choices=list(_ACTIVE), required=False, default="true")
        limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=100)
        format = serializers.CharField(required=False)  # DRF's renderer switch

    @extend_schema(
        parameters=[FilterSerializer],
        responses=shapes.PractitionerSerializer(many=True),
        summary="Search the staff directory (name words, specialty, department, language)",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        found = selectors.search_practitioners(
            viewer=request.user,
            facility=_facility(request),
            q=params["q"],
            specialty=params["specialty"],
            department=params["department"],
            language=params["language"],
            active=_ACTIVE[params["active"]],
            limit=params["limit"],
        )
        return Response(shapes.PractitionerSerializer(found, many=True).data)

    @extend_schema(
        request=shapes.PractitionerInputSerializer,
        responses={201: shapes.PractitionerSerializer},
        summary="Add a practitioner to the directory",
    )
    def post(self, request):
        body = shapes.PractitionerInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        practitioner = services.add_practitioner(
            actor=request.user,
            facility=_facility(request),
            data=shapes.to_input(body.validated_data),
        )
        response = Response(shapes.PractitionerSerializer(practitioner).data, status=201)
        response["Location"] = f"{request.path}{practitioner.external_id}/"
        return response


class PractitionerDetailApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "PATCH": Perm.MANAGE_STAFF_DIRECTORY}

    def _practitioner(self, request, external_id):
        return selectors.practitioner_detail(
            viewer=request.user, facility=_facility(request), external_id=external_id
        )

    @extend_schema(responses=shapes.PractitionerSerializer, summary="Read a practitioner")
    def get(self, request, external_id):
        practitioner = self._practitioner(request, external_id)
        return Response(shapes.PractitionerSerializer(practitioner).data)

    @extend_schema(
        request=shapes.PractitionerInputSerializer(partial=True),
        responses=shapes.PractitionerSerializer,
        summary="Change some of a practitioner's details",
    )
    def patch(self, request, external_id):
        practitioner = self._practitioner(request, external_id)
        body = shapes.PractitionerInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        practitioner = services.update_practitioner(
            actor=request.user,
            practitioner=practitioner,
            data=shapes.patched(practitioner, body.validated_data),
        )
        return Response(shapes.PractitionerSerializer(practitioner).data)


class SpecialtyListApi(APIView):
    required_permission = Perm.VIEW_SCHEDULE

    @extend_schema(
        responses=shapes.SpecialtySerializer(many=True), summary="The specialties, by name"
    )
    def get(self, request):
        return Response(shapes.SpecialtySerializer(selectors.specialty_catalogue(), many=True).data)
