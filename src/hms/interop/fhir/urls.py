from django.urls import path, re_path

from hms.interop.fhir import transaction, views
from hms.interop.fhir.resources import organization, patient_views

urlpatterns = [
    # POST [base]: clients address the base with and without the final slash.
    path("", transaction.TransactionApi.as_view(), name="fhir-transaction"),
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
    re_path(r"^(?P<path>.*)$", views.not_found, name="fhir-not-found"),
]
