from django.urls import path, re_path

from hms.interop.fhir import views
from hms.interop.fhir.resources import organization

urlpatterns = [
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
    re_path(r"^(?P<path>.*)$", views.not_found, name="fhir-not-found"),
]
