"""REST endpoint of a patient's photo: GET the JPEG, PUT a new picture (multipart,
field "photo"), DELETE it. The same services as the patient page."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.api.fields import StrictSerializer
from hms.core.views import private_file
from hms.patients import lookups, photos
from hms.patients.models import PatientPhoto

REFUSED = OpenApiResponse(
    description="Not a JPEG, PNG or WebP picture, over 5 MB, damaged, or too many pixels: "
    '`{"code": "INVALID_PHOTO", "field": "photo", "detail": ...}`.'
)


@extend_schema_serializer(component_name="PatientPhoto")
class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where the JPEG is served.")
    content_type = serializers.SerializerMethodField()

    class Meta:
        model = PatientPhoto
        fields = ["url", "content_type", "width", "height", "size", "updated_at"]

    def get_url(self, photo: PatientPhoto) -> str:
        return reverse("patient-photo", kwargs={"external_id": photo.patient.external_id})

    def get_content_type(self, photo: PatientPhoto) -> str:
        return "image/jpeg"


class PatientPhotoApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_PATIENT, "PUT": Perm.EDIT_PATIENT, "DELETE": Perm.EDIT_PATIENT}
    parser_classes = [MultiPartParser]

    @extend_schema_serializer(component_name="PatientPhotoUpload")
    class InputSerializer(StrictSerializer):
        photo = serializers.FileField(
            help_text="JPEG, PNG or WebP, at most 5 MB. Stored re-encoded as a JPEG of at "
            "most 480 px on its long side, without EXIF or other metadata."
        )

    def perform_content_negotiation(self, request, force=False):
        # The photo goes out as image/jpeg whatever renderer is picked; a client that
        # accepts only images still gets its errors, as JSON, rather than a 406.
        return super().perform_content_negotiation(request, force=True)

    def _patient(self, request, external_id):
        return lookups.patient_record(
            viewer=request.user, facility=request._request.facility, external_id=external_id
        )

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such patient, or no photo."),
        },
        summary="A patient's photo (JPEG)",
    )
    def get(self, request, external_id):
        patient = self._patient(request, external_id)
        photo = photos.read_patient_photo(actor=request.user, patient=patient)
        return private_file(photo.image, "image/jpeg")

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={200: PhotoSerializer, 400: REFUSED},
        summary="Add or replace a patient's photo",
    )
    def put(self, request, external_id):
        patient = self._patient(request, external_id)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        photo = photos.upload_patient_photo(
            actor=request.user, patient=patient, upload=body.validated_data["photo"]
        )
        return Response(PhotoSerializer(photo).data)

    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No photo to remove.")},
        summary="Remove a patient's photo",
    )
    def delete(self, request, external_id):
        patient = self._patient(request, external_id)
        photos.remove_patient_photo(actor=request.user, patient=patient)
        return Response(status=204)
