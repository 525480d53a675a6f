from django.urls import path

from hms.audit.web import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("export.csv", views.export, name="export"),
    path("verify/", views.verify, name="verify"),
]
