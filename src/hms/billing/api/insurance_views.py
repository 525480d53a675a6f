"""REST endpoints of insurance: payers, plans, coverages, eligibility checks and
pre-authorisations. Each handler validates the shape, calls one service or selector,
and serializes; the rules live in hms.billing.services.insurance."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.billing import insurance_selectors as selectors
from hms.billing.api import insurance_serializers as shapes
from hms.billing.api.lookups import facility_of, patient_in, price_list_in
from hms.billing.api.serializers import AmountField
from hms.billing.models import BillableItem, Coverage, EligibilityCheck, Payer, Plan
from hms.billing.services import insurance as services
from hms.core.api.fields import (
    PlainTextField,
    StrictBooleanField,
    StrictDateField,
    StrictIntegerField,
    StrictSerializer,
)
from hms.core.api.serializers import validated
from hms.core.errors import InvalidInput

_CODE = {"max_length": 20}


def _item(facility, code: str, field: str) -> BillableItem:
    found = BillableItem.objects.filter(facility=facility, code=code).first()
    if found is None:
        raise InvalidInput(f"No billable item has the code {code}.", field=field)
    return found


class PayerListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_TARIFFS}

    class InputSerializer(StrictSerializer):
        code = PlainTextField(**_CODE)
        name = PlainTextField(max_length=200)
        kind = serializers.ChoiceField(choices=Payer.Kind.choices)
        x12_payer_id = PlainTextField(required=False, default="", allow_blank=True, max_length=80)

    @extend_schema(responses=shapes.PayerSerializer(many=True))
    def get(self, request):
        found = selectors.payers(viewer=request.user, facility=facility_of(request))
        return Response(shapes.PayerSerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.PayerSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        payer = services.add_payer(actor=request.user, facility=facility_of(request), **body)
        return Response(shapes.PayerSerializer(payer).data, status=201)


class PlanListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_TARIFFS}

    class InputSerializer(StrictSerializer):
        payer = PlainTextField(**_CODE)
        code = PlainTextField(**_CODE)
        name = PlainTextField(max_length=200)
        copay = AmountField(required=False, default="0")
        coinsurance_percent = AmountField(required=False, default="0")
        deductible = AmountField(required=False, default="0")
        price_list = PlainTextField(required=False, **_CODE)
        preauth_items = serializers.ListField(
            child=PlainTextField(**_CODE), required=False, default=list, max_length=500
        )

    @extend_schema(responses=shapes.PlanSerializer(many=True))
    def get(self, request):
        found = selectors.plans(viewer=request.user, facility=facility_of(request))
        return Response(shapes.PlanSerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.PlanSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        facility = facility_of(request)
        payer = Payer.objects.filter(facility=facility, code=body.pop("payer")).first()
        if payer is None:
            raise InvalidInput("No such payer.", field="payer")
        body["price_list"] = price_list_in(request, body.get("price_list"))
        body["preauth_items"] = [
            _item(facility, code, "preauth_items") for code in body["preauth_items"]
        ]
        plan = services.add_plan(actor=request.user, payer=payer, **body)
        return Response(shapes.PlanSerializer(plan).data, status=201)


def _plan(request, payer_code: str, plan_code: str) -> Plan:
    found = Plan.objects.filter(
        payer__facility=facility_of(request), payer__code=payer_code, code=plan_code
    ).first()
    if found is None:
        raise InvalidInput("No such plan of that payer.", field="plan")
    return found


class SubscriberSerializer(StrictSerializer):
    family_name = PlainTextField(max_length=100)
    given_name = PlainTextField(max_length=100)
    birth_date = StrictDateField(required=False, allow_null=True, default=None)


class CoverageListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}

    class FilterSerializer(StrictSerializer):
        patient = serializers.UUIDField(required=False)
        member_id = PlainTextField(required=False, max_length=64)
        format = serializers.CharField(required=False)

        def validate(self, attrs):
            if not attrs.get("patient") and not attrs.get("member_id"):
                raise serializers.ValidationError({"patient": "Name a patient or a member ID."})
            return attrs

    class InputSerializer(StrictSerializer):
        patient = serializers.UUIDField()
        payer = PlainTextField(**_CODE)
        plan = PlainTextField(**_CODE)
        member_id = PlainTextField(max_length=64)
        relationship = serializers.ChoiceField(
            choices=Coverage.Relationship.choices, required=False, default="self"
        )
        valid_from = StrictDateField()
        valid_until = StrictDateField(required=False, allow_null=True, default=None)
        priority = StrictIntegerField(required=False, default=1, min_value=1, max_value=9)
        subscriber = SubscriberSerializer(required=False, allow_null=True, default=None)

    @extend_schema(parameters=[FilterSerializer], responses=shapes.CoverageSerializer(many=True))
    def get(self, request):
        params = validated(self.FilterSerializer, request.query_params.dict())
        patient = patient_in(request, params["patient"]) if params.get("patient") else None
        found = selectors.coverages(
            viewer=request.user,
            facility=facility_of(request),
            patient=patient,
            member_id=params.get("member_id", ""),
        )
        return Response(shapes.CoverageSerializer(found[:200], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.CoverageSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        subscriber = body.pop("subscriber")
        coverage = services.add_coverage(
            actor=request.user,
            patient=patient_in(request, body.pop("patient")),
            plan=_plan(request, body.pop("payer"), body.pop("plan")),
            subscriber=services.Subscriber(**subscriber) if subscriber else None,
            **body,
        )
        return Response(shapes.CoverageSerializer(coverage).data, status=201)


def _coverage(request, external_id) -> Coverage:
    return selectors.coverage_of(
        viewer=request.user, facility=facility_of(request), external_id=external_id
    )


class CoverageDetailApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(responses=shapes.CoverageSerializer)
    def get(self, request, external_id):
        return Response(shapes.CoverageSerializer(_coverage(request, external_id)).data)


class CoverageCancelApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        reason = PlainTextField(max_length=500)

    @extend_schema(request=InputSerializer, responses=shapes.CoverageSerializer)
    def post(self, request, external_id):
        coverage = _coverage(request, external_id)
        body = validated(self.InputSerializer, request.data)
        coverage = services.cancel_coverage(actor=request.user, coverage=coverage, **body)
        return Response(shapes.CoverageSerializer(coverage).data)


class CoverageEligibilityApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}

    class InputSerializer(StrictSerializer):
        outcome = serializers.ChoiceField(choices=EligibilityCheck.Outcome.choices)
        note = PlainTextField(required=False, default="", allow_blank=True, max_length=500)
        checked_at = serializers.DateTimeField(required=False)

    @extend_schema(responses=shapes.EligibilitySerializer(many=True))
    def get(self, request, external_id):
        coverage = _coverage(request, external_id)
        found = selectors.eligibility_checks(coverage=coverage)
        return Response(shapes.EligibilitySerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.EligibilitySerializer})
    def post(self, request, external_id):
        coverage = _coverage(request, external_id)
        body = validated(self.InputSerializer, request.data)
        check = services.record_eligibility(
            actor=request.user,
            coverage=coverage,
            outcome=body["outcome"],
            note=body["note"],
            checked_at=body.get("checked_at") or timezone.now(),
        )
        return Response(shapes.EligibilitySerializer(check).data, status=201)


class PreAuthorisationListCreateApi(PermissionByMethod, APIView):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}

    class FilterSerializer(StrictSerializer):
        coverage = serializers.UUIDField()
        format = serializers.CharField(required=False)

    class InputSerializer(StrictSerializer):
        coverage = serializers.UUIDField()
        item = PlainTextField(**_CODE)
        requested_amount = AmountField()
        note = PlainTextField(required=False, default="", allow_blank=True, max_length=500)

    @extend_schema(
        parameters=[FilterSerializer], responses=shapes.PreAuthorisationSerializer(many=True)
    )
    def get(self, request):
        params = validated(self.FilterSerializer, request.query_params.dict())
        found = selectors.preauthorisations(
            viewer=request.user, facility=facility_of(request)
        ).filter(coverage__external_id=params["coverage"])
        return Response(shapes.PreAuthorisationSerializer(found, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: shapes.PreAuthorisationSerializer})
    def post(self, request):
        body = validated(self.InputSerializer, request.data)
        facility = facility_of(request)
        coverage = Coverage.objects.filter(facility=facility, external_id=body["coverage"]).first()
        if coverage is None:
            raise InvalidInput("No such coverage in this facility.", field="coverage")
        preauth = services.request_preauthorisation(
            actor=request.user,
            coverage=coverage,
            item=_item(facility, body["item"], "item"),
            requested_amount=body["requested_amount"],
            note=body["note"],
        )
        return Response(shapes.PreAuthorisationSerializer(preauth).data, status=201)


class PreAuthorisationDecideApi(APIView):
    required_permission = Perm.MANAGE_INVOICES

    class InputSerializer(StrictSerializer):
        approved = StrictBooleanField()
        approved_amount = AmountField(required=False)
        expires_on = StrictDateField(required=False)
        reference = PlainTextField(required=False, default="", allow_blank=True, max_length=64)
        note = PlainTextField(required=False, default="", allow_blank=True, max_length=500)

    @extend_schema(request=InputSerializer, responses=shapes.PreAuthorisationSerializer)
    def post(self, request, external_id):
        preauth = selectors.preauthorisation_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
        body = validated(self.InputSerializer, request.data)
        preauth = services.decide_preauthorisation(
            actor=request.user, preauthorisation=preauth, **body
        )
        return Response(shapes.PreAuthorisationSerializer(preauth).data)
