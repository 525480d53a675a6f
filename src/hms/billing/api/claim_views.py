"""REST endpoints of claims and remittances: list, read, build, check, acknowledge,
correct and export claims; list, read and upload 835 remittances. Each handler
validates the shape, calls one service or selector, and serializes; the rules live in
hms.billing.services.claims and hms.billing.services.remittances."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.billing import claim_selectors, selectors
from hms.billing.api import claim_serializers as shapes
from hms.billing.api.lookups import facility_of
from hms.billing.models import Claim, Payer
from hms.billing.services import claims as services
from hms.billing.services.remittances import MAX_FILE_BYTES, import_remittance
from hms.core.api.fields import (
    PlainTextField,
    StrictBooleanField,
    StrictDateField,
    StrictSerializer,
)
from hms.core.api.parsers import JSONParser
from hms.core.api.serializers import validated
from hms.core.errors import InvalidInput, NotFound

_CODE = {"max_length": 20}


def _claim(request, external_id) -> Claim:
    return claim_selectors.claim_of(
        viewer=request.user, facility=facility_of(request), external_id=external_id
    )


def _payer(request, code: str | None) -> Payer | None:
    if not code:
        return None
    found = Payer.objects.filter(facility=facility_of(request), code=code).first()
    if found is None:
        raise InvalidInput("No such payer.", field="payer")
    return found


class ClaimListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}

    class FilterSerializer(StrictSerializer):
        status = serializers.ChoiceField(choices=Claim.Status.choices, required=False)
        payer = PlainTextField(required=False, **_CODE)
        created_from = StrictDateField(required=False)
        created_to = StrictDateField(required=False)
        format = serializers.CharField(required=False)

    class InputSerializer(StrictSerializer):
        invoice = serializers.UUIDField()
        diagnosis_codes = serializers.ListField(
            child=PlainTextField(max_length=10), required=False, default=list, max_length=12
        )

    @extend_schema(parameters=[FilterSerializer], responses=shapes.ClaimSerializer(many=True))
    def get(self, request):
        params = validated(self.FilterSerializer, request.query_params.dict())
        params.pop("format", None)
        found = claim_selectors.claims(viewer=request.user, facility=facility_of(request), **params)
        return Response(shapes.ClaimSerializer(found[:200], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.ClaimSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        try:
            invoice = selectors.invoice_of(
                viewer=request.user, facility=facility_of(request), external_id=body["invoice"]
            )
        except NotFound:
            raise InvalidInput("No such invoice in this facility.", field="invoice") from None
        claim = services.build_claim(
            actor=request.user, invoice=invoice, diagnosis_codes=body["diagnosis_codes"]
        )
        return Response(shapes.ClaimSerializer(claim).data, status=201)


class ClaimDetailApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses=shapes.ClaimDetailSerializer)
    def get(self, request, external_id):
        return Response(shapes.ClaimDetailSerializer(_claim(request, external_id)).data)


class ClaimProblemsApi(APIView):
    """Every reason the payer would refuse the claim; an empty list when it is ready."""

    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses=shapes.ProblemSerializer(many=True))
    def get(self, request, external_id):
        problems = services.validate_claim(_claim(request, external_id))
        return Response(
            {"problems": shapes.ProblemSerializer([p.as_dict() for p in problems], many=True).data}
        )


class ClaimAcknowledgeApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        accepted = StrictBooleanField()
        reason = PlainTextField(required=False, default="", allow_blank=True, max_length=500)
        payer_claim_number = PlainTextField(
            required=False, default="", allow_blank=True, max_length=50
        )

    @extend_schema(request=InputSerializer, responses=shapes.ClaimSerializer)
    def post(self, request, external_id):
        claim = _claim(request, external_id)
        body = validated(self.InputSerializer, request.data)
        claim = services.acknowledge_claim(actor=request.user, claim=claim, **body)
        return Response(shapes.ClaimSerializer(claim).data)


class ClaimCorrectApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        diagnosis_codes = serializers.ListField(
            child=PlainTextField(max_length=10), required=False, max_length=12
        )

    @extend_schema(request=InputSerializer, responses=shapes.ClaimSerializer)
    def post(self, request, external_id):
        claim = _claim(request, external_id)
        body = validated(self.InputSerializer, request.data)
        claim = services.correct_claim(
            actor=request.user, claim=claim, diagnosis_codes=body.get("diagnosis_codes")
        )
        return Response(shapes.ClaimSerializer(claim).data)


class ClaimExportApi(APIView):
    """Submit a payer's ready draft claims and download them as one file."""

    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        payer = PlainTextField(**_CODE)
        format = serializers.ChoiceField(choices=["x12", "fhir"])

    @extend_schema(
        request=InputSerializer,
        responses={(200, "application/edi-x12"): OpenApiTypes.BINARY},
    )
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        payer = _payer(request, body["payer"])
        export = services.export_claims(actor=request.user, payer=payer, file_format=body["format"])
        x12 = body["format"] == "x12"
        response = HttpResponse(
            export.text, content_type="application/edi-x12" if x12 else "application/fhir+json"
        )
        name = f"claims-{payer.code}-{export.claims[0].submitted_at:%Y%m%d%H%M%S}"
        response["Content-Disposition"] = (
            f'attachment; filename="{name}.{"837" if x12 else "json"}"'
        )
        response["X-Claims-Submitted"] = str(len(export.claims))
        response["X-Claims-Left-Out"] = str(len(export.left_out))
        return response


class RawParser(BaseParser):
    """An 835 sent as the request body itself."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_FILE_BYTES + 1) if stream is not None else b""


class RemittanceListCreateApi(PermissionByMethod, APIView):
    """GET lists the remittances; POST imports an 835, as a multipart upload (`file`,
    and `payer` when the file does not name it) or as the raw body (`?payer=`). A
    file imported before answers 200 with its remittance, a new one 201."""

    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}
    parser_classes = [MultiPartParser, JSONParser, RawParser]

    @extend_schema(responses=shapes.RemittanceSerializer(many=True))
    def get(self, request):
        found = claim_selectors.remittances(viewer=request.user, facility=facility_of(request))
        return Response(shapes.RemittanceSerializer(found[:200], many=True).data)

    @extend_schema(
        request={"multipart/form-data": OpenApiTypes.OBJECT, "*/*": OpenApiTypes.BINARY},
        responses={201: shapes.RemittanceImportSerializer},
    )
    def post(self, request):
        content, name, payer_code = self._upload(request)
        result = import_remittance(
            actor=request.user,
            payer=_payer(request, payer_code),
            facility=facility_of(request),
            content=content,
            file_name=name,
        )
        again = len(result.already_imported) == len(result.remittances)
        return Response(
            shapes.RemittanceImportSerializer(result).data, status=200 if again else 201
        )

    def _upload(self, request) -> tuple[bytes, str, str]:
        if isinstance(request.data, bytes):
            return request.data, "", request.query_params.get("payer", "")
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None or not hasattr(upload, "read"):
            raise InvalidInput("Send the 835 as the body or as the file field.", field="file")
        payer = request.data.get("payer") or request.query_params.get("payer", "")
        return upload.read(MAX_FILE_BYTES + 1), upload.name[:255], str(payer)


class RemittanceDetailApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses=shapes.RemittanceDetailSerializer)
    def get(self, request, external_id):
        remittance = claim_selectors.remittance_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
        return Response(shapes.RemittanceDetailSerializer(remittance).data)
