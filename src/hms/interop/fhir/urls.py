from django.urls import path, re_path

from hms.interop.fhir import transaction, views
from hms.interop.fhir.resources import (
    appointment_views,
    encounter_views,
    organization,
    patient_views,
    practitioner_views,
    scheduling_views,
)

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
    re_path(r"^(?P<path>.*)$", views.not_found, name="fhir-not-found"),
]
