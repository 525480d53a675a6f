from django.urls import path

from hms.staff.api import profile, views

urlpatterns = [
    path("practitioners/", views.PractitionerListCreateApi.as_view(), name="practitioner-list"),
    path(
        "practitioners/<uuid:external_id>/",
        views.PractitionerDetailApi.as_view(),
        name="practitioner-detail",
    ),
    path(
        "practitioners/<uuid:external_id>/photo/",
        profile.PractitionerPhotoApi.as_view(),
        name="practitioner-photo",
    ),
    path(
        "practitioners/<uuid:external_id>/user/",
        profile.PractitionerUserApi.as_view(),
        name="practitioner-user",
    ),
    path("specialties/", views.SpecialtyListApi.as_view(), name="specialty-list"),
]
