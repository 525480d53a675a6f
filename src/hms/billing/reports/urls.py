from django.urls import path

from hms.billing.reports import views
from hms.billing.reports.registry import REPORTS

app_name = "billing_reports"

urlpatterns = [
    path("", views.index, name="index"),
    *(path(f"{name}/", views.report_page(kind), name=name) for name, kind in REPORTS.items()),
]
