"""REST endpoints for the signed-in user, their tokens, facilities and user administration."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts import policies, services
from hms.accounts.api.permissions import SIGNED_IN
from hms.accounts.models import ApiToken, User
from hms.accounts.permissions import ROLE_CHOICES, Perm
from hms.core.api.fields import PlainTextField
from hms.core.api.serializers import Serializer
from hms.core.models import Department


class MeApi(APIView):
    required_permission = SIGNED_IN

    class OutputSerializer(Serializer):
        id = serializers.UUIDField(source="external_id")
        username = serializers.CharField()
        full_name = serializers.CharField(source="get_full_name")
        facility = serializers.SerializerMethodField()
        roles = serializers.SerializerMethodField()
        permissions = serializers.SerializerMethodField()

        def get_facility(self, user) -> str | None:
            facility = self.context["facility"]
            return facility.code if facility else None

        def get_roles(self, user) -> list[str]:
            return list(policies.roles_in(user, self.context["facility"]))

        def get_permissions(self, user) -> list[str]:
            return sorted(policies.permissions_in(user, self.context["facility"]))

    @extend_schema(responses=OutputSerializer, summary="The caller, their facility and roles")
    def get(self, request):
        context = {"facility": request._request.facility}
        return Response(self.OutputSerializer(request.user, context=context).data)


class TokenOutputSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenListCreateApi(APIView):
    required_permission = Perm.USE_API_TOKENS

    class InputSerializer(Serializer):
        name = PlainTextField(max_length=100)
        expires_days = serializers.IntegerField(min_value=1, max_value=services.MAX_TOKEN_DAYS)

    class CreatedSerializer(TokenOutputSerializer):
        token = serializers.CharField(help_text="Shown once; store it now.")

    @extend_schema(responses=TokenOutputSerializer(many=True), summary="Your API tokens")
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user)
        return Response(TokenOutputSerializer(tokens, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: CreatedSerializer},
        summary="Issue a token",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = services.issue_token(
            actor=request.user,
            user=request.user,
            facility=request._request.facility,
            name=data.validated_data["name"],
            days=data.validated_data["expires_days"],
        )
        token.token = raw
        return Response(self.CreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    required_permission = Perm.USE_API_TOKENS

    @extend_schema(
        request=None,
        responses=TokenOutputSerializer,
        summary="Revoke one of your tokens",
    )
    def post(self, request, external_id):
        token = get_object_or_404(ApiToken, external_id=external_id, user=request.user)
        token = services.revoke_token(actor=request.user, token=token)
        return Response(TokenOutputSerializer(token).data)


class DepartmentSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class FacilitySerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    code = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    currency = serializers.CharField()
    departments = serializers.SerializerMethodField()

    def get_departments(self, facility) -> list[dict]:
        rows = [d for d in facility.departments.all() if d.is_active]
        return DepartmentSerializer(rows, many=True).data


class FacilityListApi(APIView):
    required_permission = Perm.VIEW_FACILITY

    @extend_schema(
        responses=FacilitySerializer(many=True),
        summary="Facilities where you hold a role",
    )
    def get(self, request):
        facilities = policies.facilities_of(request.user)
        ids = [f.pk for f in facilities]
        departments = Department.objects.filter(facility_id__in=ids)
        by_facility: dict[int, list[Department]] = {}
        for dept in departments:
            by_facility.setdefault(dept.facility_id, []).append(dept)
        for facility in facilities:
            facility._prefetched_objects_cache = {"departments": by_facility.get(facility.pk, [])}
        return Response(FacilitySerializer(facilities, many=True).data)


class UserSerializer(Serializer):
    id = serializers.UUIDField(source="external_id")
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_active = serializers.BooleanField()


class UserListCreateApi(APIView):
    required_permission = Perm.MANAGE_USERS

    class InputSerializer(Serializer):
        username = PlainTextField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)
        roles = serializers.ListField(
            child=serializers.ChoiceField(choices=ROLE_CHOICES),
            min_length=1,
            max_length=len(ROLE_CHOICES),
        )
        first_name = PlainTextField(max_length=150, required=False, default="", allow_blank=True)
        last_name = PlainTextField(max_length=150, required=False, default="", allow_blank=True)
        email = serializers.EmailField(max_length=254, required=False, default="", allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={201: UserSerializer},
        summary="Create a user with roles in your current facility",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.create_user(
            actor=request.user,
            facility=request._request.facility,
            **data.validated_data,
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=UserSerializer(many=True),
        summary="Users holding a role in your facility",
    )
    def get(self, request):
        users = User.objects.filter(role_assignments__facility=request._request.facility).distinct()
        return Response(UserSerializer(users.order_by("username"), many=True).data)
