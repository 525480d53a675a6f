"""FHIR R4 Claim, ClaimResponse, PaymentReconciliation, CoverageEligibilityRequest and
CoverageEligibilityResponse: read and search for whoever the REST API shows billing
to (VIEW_BILLING), each row shown audited as a read of its patient's data; and a
CoverageEligibilityResponse created to record a check (MANAGE_INVOICES, as the REST
eligibility endpoint), through `hms.billing.services.insurance.record_eligibility`."""

from __future__ import annotations

from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from rest_framework.response import Response

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_events
from hms.billing.fhir_claims import claim_resource
from hms.billing.services import insurance
from hms.core.errors import DomainError
from hms.interop.fhir.base import ResourceRegistration, register
from hms.interop.fhir.resources import claim, eligibility
from hms.interop.fhir.resources import payment_reconciliation as remittance
from hms.interop.fhir.resources.generic_views import ReadApi, ResourceApi, SearchApi
from hms.interop.fhir.validation import parse_resource
from hms.scheduling.times import zone_of


class _BillingApi(ResourceApi):
    required_permission = Perm.VIEW_BILLING

    def zone(self, request):
        return zone_of(self.facility(request))


class _ClaimApi(_BillingApi):
    resource_type = "Claim"
    search_params = claim.CLAIM_PARAMS

    def visible(self, request):
        return claim.claims(request.user, self.facility(request))

    def narrow(self, request, qs):
        return claim.search_claims(qs, request.query_params, self.zone(request))

    def to_fhir(self, request, row):
        return claim_resource(row)

    def patient_of(self, row):
        return row.invoice.patient


@register(
    ResourceRegistration(
        type="Claim", interactions=("read", "search-type"), search_params=claim.CLAIM_PARAMS
    )
)
class ClaimSearchApi(_ClaimApi, SearchApi):
    pass


class ClaimReadApi(_ClaimApi, ReadApi):
    pass


class _ClaimResponseApi(_BillingApi):
    resource_type = "ClaimResponse"
    search_params = claim.RESPONSE_PARAMS

    def visible(self, request):
        return claim.claim_responses(request.user, self.facility(request))

    def narrow(self, request, qs):
        return claim.search_responses(qs, request.query_params)

    def to_fhir(self, request, row):
        return claim.response_to_fhir(row, self.zone(request))

    def patient_of(self, row):
        return row.invoice.patient


@register(
    ResourceRegistration(
        type="ClaimResponse",
        interactions=("read", "search-type"),
        search_params=claim.RESPONSE_PARAMS,
    )
)
class ClaimResponseSearchApi(_ClaimResponseApi, SearchApi):
    pass


class ClaimResponseReadApi(_ClaimResponseApi, ReadApi):
    pass


class _PaymentReconciliationApi(_BillingApi):
    resource_type = "PaymentReconciliation"
    search_params = remittance.SEARCH_PARAMS

    def visible(self, request):
        return remittance.remittances(request.user, self.facility(request))

    def narrow(self, request, qs):
        return remittance.search(qs, request.query_params, self.zone(request))

    def to_fhir(self, request, row):
        return remittance.to_fhir(row, self.zone(request))

    def audit(self, request, rows, what):
        # A remittance is no one patient's: reading it reads the claims of each
        # patient it pays, so each of them gets the event.
        pairs = [(row, patient) for row in rows for patient in remittance.patients_of(row)]
        if pairs:
            record_events(
                action=Action.READ,
                actor=request.user,
                objs=[row for row, _ in pairs],
                patient_ids=[str(patient.external_id) for _, patient in pairs],
                reason=f"{what} {self.resource_type}",
            )


@register(
    ResourceRegistration(
        type="PaymentReconciliation",
        interactions=("read", "search-type"),
        search_params=remittance.SEARCH_PARAMS,
    )
)
class PaymentReconciliationSearchApi(_PaymentReconciliationApi, SearchApi):
    pass


class PaymentReconciliationReadApi(_PaymentReconciliationApi, ReadApi):
    def get(self, request, resource_id):
        found = self.row(request, resource_id)
        self.audit(request, [found], "FHIR read")
        return Response(self.body(request, found))


class _EligibilityApi(_BillingApi):
    search_params = eligibility.SEARCH_PARAMS

    def visible(self, request):
        return eligibility.checks(request.user, self.facility(request))

    def narrow(self, request, qs):
        return eligibility.search(qs, request.query_params, self.resource_type, self.zone(request))

    def patient_of(self, row):
        return row.coverage.patient


class _EligibilityRequestApi(_EligibilityApi):
    resource_type = "CoverageEligibilityRequest"

    def to_fhir(self, request, row):
        return eligibility.request_to_fhir(row, self.zone(request))


@register(
    ResourceRegistration(
        type="CoverageEligibilityRequest",
        interactions=("read", "search-type"),
        search_params=eligibility.SEARCH_PARAMS,
    )
)
class EligibilityRequestSearchApi(_EligibilityRequestApi, SearchApi):
    pass


class EligibilityRequestReadApi(_EligibilityRequestApi, ReadApi):
    pass


class _EligibilityResponseApi(_EligibilityApi):
    resource_type = "CoverageEligibilityResponse"

    def to_fhir(self, request, row):
        return eligibility.response_to_fhir(row, self.zone(request))


@register(
    ResourceRegistration(
        type="CoverageEligibilityResponse",
        interactions=("read", "search-type", "create"),
        search_params=eligibility.SEARCH_PARAMS,
    )
)
class EligibilityResponseTypeApi(PermissionByMethod, _EligibilityResponseApi, SearchApi):
    permissions = {"GET": Perm.VIEW_BILLING, "POST": Perm.MANAGE_INVOICES}

    def post(self, request):
        resource = parse_resource(request.data, CoverageEligibilityResponse)
        answer = eligibility.from_fhir(resource)
        coverage = eligibility.coverage_for(answer, self.facility(request))
        try:
            check = insurance.record_eligibility(
                actor=request.user,
                coverage=coverage,
                outcome=answer.outcome,
                note=answer.note,
                checked_at=answer.checked_at,
            )
        except DomainError as exc:
            exc.issues = [(answer.path_of(exc.field), exc.message)]
            raise
        found = self.row(request, str(check.external_id))
        response = Response(self.body(request, found), status=201)
        response["Location"] = request.build_absolute_uri(
            f"/fhir/R4/{self.resource_type}/{check.external_id}"
        )
        return response


class EligibilityResponseReadApi(_EligibilityResponseApi, ReadApi):
    pass
