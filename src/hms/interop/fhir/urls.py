from django.urls import path, re_path

from hms.interop.fhir import transaction, views
from hms.interop.fhir.resources import (
    appointment_views,
    billing_views,
    claim_views,
    encounter_views,
    organization,
    patient_views,
    practitioner_views,
    scheduling_views,
)

urlpatterns = [
    # POST [base]: clients address the base with and without the final slash (the
    # schema documents it once, without).
    path("", transaction.TransactionApi.as_view(schema=None), name="fhir-transaction"),
    path("metadata", views.MetadataApi.as_view(), name="fhir-metadata"),
    path(
        "Organization",
        organization.OrganizationSearchApi.as_view(),
        name="fhir-organization-search",
    ),
    path(
        "Organization/<str:resource_id>",
        organization.OrganizationReadApi.as_view(),
        name="fhir-organization-read",
    ),
    path("Patient", patient_views.PatientTypeApi.as_view(), name="fhir-patient-type"),
    path(
        "Patient/<str:resource_id>",
        patient_views.PatientInstanceApi.as_view(),
        name="fhir-patient-instance",
    ),
    path(
        "Patient/<str:resource_id>/_history/<str:version_id>",
        patient_views.PatientVersionApi.as_view(),
        name="fhir-patient-version",
    ),
    path(
        "Practitioner",
        practitioner_views.PractitionerSearchApi.as_view(),
        name="fhir-practitioner-search",
    ),
    path(
        "Practitioner/<str:resource_id>",
        practitioner_views.PractitionerReadApi.as_view(),
        name="fhir-practitioner-read",
    ),
    path(
        "PractitionerRole",
        practitioner_views.PractitionerRoleSearchApi.as_view(),
        name="fhir-practitionerrole-search",
    ),
    path(
        "PractitionerRole/<str:resource_id>",
        practitioner_views.PractitionerRoleReadApi.as_view(),
        name="fhir-practitionerrole-read",
    ),
    path("Schedule", scheduling_views.ScheduleSearchApi.as_view(), name="fhir-schedule-search"),
    path(
        "Schedule/<str:resource_id>",
        scheduling_views.ScheduleReadApi.as_view(),
        name="fhir-schedule-read",
    ),
    path("Slot", scheduling_views.SlotSearchApi.as_view(), name="fhir-slot-search"),
    path("Slot/<str:resource_id>", scheduling_views.SlotReadApi.as_view(), name="fhir-slot-read"),
    path(
        "Appointment",
        appointment_views.AppointmentTypeApi.as_view(),
        name="fhir-appointment-type",
    ),
    path(
        "Appointment/<str:resource_id>",
        appointment_views.AppointmentInstanceApi.as_view(),
        name="fhir-appointment-instance",
    ),
    path("Encounter", encounter_views.EncounterSearchApi.as_view(), name="fhir-encounter-search"),
    path(
        "Encounter/<str:resource_id>",
        encounter_views.EncounterReadApi.as_view(),
        name="fhir-encounter-read",
    ),
    path("ChargeItem", billing_views.ChargeItemSearchApi.as_view(), name="fhir-chargeitem-search"),
    path(
        "ChargeItem/<str:resource_id>",
        billing_views.ChargeItemReadApi.as_view(),
        name="fhir-chargeitem-read",
    ),
    path("Invoice", billing_views.InvoiceSearchApi.as_view(), name="fhir-invoice-search"),
    path(
        "Invoice/<str:resource_id>",
        billing_views.InvoiceReadApi.as_view(),
        name="fhir-invoice-read",
    ),
    path("Coverage", billing_views.CoverageSearchApi.as_view(), name="fhir-coverage-search"),
    path(
        "Coverage/<str:resource_id>",
        billing_views.CoverageReadApi.as_view(),
        name="fhir-coverage-read",
    ),
    path("Claim", claim_views.ClaimSearchApi.as_view(), name="fhir-claim-search"),
    path(
        "Claim/<str:resource_id>",
        claim_views.ClaimReadApi.as_view(),
        name="fhir-claim-read",
    ),
    path(
        "ClaimResponse",
        claim_views.ClaimResponseSearchApi.as_view(),
        name="fhir-claimresponse-search",
    ),
    path(
        "ClaimResponse/<str:resource_id>",
        claim_views.ClaimResponseReadApi.as_view(),
        name="fhir-claimresponse-read",
    ),
    path(
        "PaymentReconciliation",
        claim_views.PaymentReconciliationSearchApi.as_view(),
        name="fhir-paymentreconciliation-search",
    ),
    path(
        "PaymentReconciliation/<str:resource_id>",
        claim_views.PaymentReconciliationReadApi.as_view(),
        name="fhir-paymentreconciliation-read",
    ),
    path(
        "CoverageEligibilityRequest",
        claim_views.EligibilityRequestSearchApi.as_view(),
        name="fhir-coverageeligibilityrequest-search",
    ),
    path(
        "CoverageEligibilityRequest/<str:resource_id>",
        claim_views.EligibilityRequestReadApi.as_view(),
        name="fhir-coverageeligibilityrequest-read",
    ),
    path(
        "CoverageEligibilityResponse",
        claim_views.EligibilityResponseTypeApi.as_view(),
        name="fhir-coverageeligibilityresponse-type",
    ),
    path(
        "CoverageEligibilityResponse/<str:resource_id>",
        claim_views.EligibilityResponseReadApi.as_view(),
        name="fhir-coverageeligibilityresponse-read",
    ),
    re_path(r"^(?P<path>.*)$", views.not_found, name="fhir-not-found"),
]
