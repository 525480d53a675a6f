from django.urls import path

from hms.staff.api import views

urlpatterns = [
    path("practitioners/", views.PractitionerListCreateApi.as_view(), name="practitioner-list"),
    path(
        "practitioners/<uuid:external_id>/",
        views.PractitionerDetailApi.as_view(),
        name="practitioner-detail",
    ),
    path("specialties/", views.SpecialtyListApi.as_view(), name="specialty-list"),
]
