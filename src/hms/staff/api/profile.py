"""REST endpoints of a practitioner's portrait (GET the JPEG, PUT a picture, DELETE it)
and of the user account they sign in with."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.api.fields import PlainTextField, StrictSerializer
from hms.core.errors import NotFound
from hms.core.views import private_file
from hms.staff import profile, selectors
from hms.staff.api import serializers as shapes
from hms.staff.models import PractitionerPhoto


def _practitioner(request, external_id):
    return selectors.practitioner_detail(
        viewer=request.user, facility=request._request.facility, external_id=external_id
    )


class PractitionerPhotoApi(PermissionByMethod, APIView):
    permissions = {
        "GET": Perm.VIEW_SCHEDULE,
        "PUT": Perm.MANAGE_STAFF_DIRECTORY,
        "DELETE": Perm.MANAGE_STAFF_DIRECTORY,
    }
    parser_classes = [MultiPartParser]

    class InputSerializer(StrictSerializer):
        photo = serializers.FileField(help_text="JPEG, PNG or WebP, at most 5 MB.")

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY}, summary="Portrait")
    def get(self, request, external_id):
        practitioner = _practitioner(request, external_id)
        photo = PractitionerPhoto.objects.filter(practitioner=practitioner).first()
        if photo is None:
            raise NotFound("This practitioner has no photo.")
        return private_file(bytes(photo.image), "image/jpeg")

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={204: None})
    def put(self, request, external_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        profile.set_practitioner_photo(
            actor=request.user,
            practitioner=_practitioner(request, external_id),
            upload=body.validated_data["photo"],
        )
        return Response(status=204)

    @extend_schema(responses={204: None}, summary="Remove the portrait")
    def delete(self, request, external_id):
        profile.remove_practitioner_photo(
            actor=request.user, practitioner=_practitioner(request, external_id)
        )
        return Response(status=204)


class PractitionerUserApi(APIView):
    required_permission = Perm.MANAGE_STAFF_DIRECTORY
    parser_classes = [JSONParser]

    class InputSerializer(StrictSerializer):
        username = PlainTextField(max_length=150, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses=shapes.PractitionerSerializer,
        summary="Link the practitioner to a user account (blank username: unlink)",
    )
    def put(self, request, external_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["username"]
        user = None
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise NotFound("No such user.", field="username")
        practitioner = profile.link_user(
            actor=request.user, practitioner=_practitioner(request, external_id), user=user
        )
        return Response(shapes.PractitionerSerializer(practitioner).data)
