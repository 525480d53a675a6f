from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from hms.core.views import api_not_found, healthz
from hms.interop.fhir.transaction import TransactionApi

handler400 = "hms.web.views.bad_request"
handler403 = "hms.web.views.permission_denied"
handler404 = "hms.web.views.not_found"
handler500 = "hms.web.views.server_error"

api_v1 = [
    path("", include("hms.accounts.api.urls")),
    path("", include("hms.audit.api.urls")),
    path("", include("hms.patients.api.urls")),
    path("", include("hms.scheduling.api.urls")),
    path("", include("hms.staff.api.urls")),
    path("", include("hms.billing.api.urls")),
    re_path(r"^(?P<path>.*)$", api_not_found, name="api-not-found"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("hms.accounts.web.urls")),
    path("audit/", include("hms.audit.web.urls")),
    path("patients/duplicates/", include("hms.patients.web.duplicate_urls")),
    path("patients/", include("hms.patients.web.urls")),
    path("queue/", include("hms.scheduling.web.urls")),
    path("appointments/", include("hms.scheduling.web.page_urls")),
    path("billing/reports/", include("hms.billing.reports.urls")),
    path("billing/", include("hms.billing.web.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI sets inline styles; only this page relaxes style-src (scripts stay 'self').
        csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    # FHIR clients POST transactions to the base address itself, with no final slash.
    path("fhir/R4", TransactionApi.as_view(), name="fhir-base"),
    path("fhir/R4/", include("hms.interop.fhir.urls")),
    path("", include("hms.web.urls")),
]
