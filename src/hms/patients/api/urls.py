from django.urls import path

from hms.patients.api import photos, views

urlpatterns = [
    path("patients/", views.PatientListCreateApi.as_view(), name="patient-list"),
    path("patients/merge/", views.PatientMergeApi.as_view(), name="patient-merge"),
    path(
        "patients/<uuid:external_id>/",
        views.PatientDetailApi.as_view(),
        name="patient-detail",
    ),
    path(
        "patients/<uuid:external_id>/timeline/",
        views.PatientTimelineApi.as_view(),
        name="patient-timeline",
    ),
    path(
        "patients/<uuid:external_id>/photo/",
        photos.PatientPhotoApi.as_view(),
        name="patient-photo",
    ),
    path(
        "patients/<uuid:external_id>/duplicates/",
        views.PatientDuplicatesApi.as_view(),
        name="patient-duplicates",
    ),
    path(
        "patient-merges/<uuid:external_id>/undo/",
        views.PatientUnmergeApi.as_view(),
        name="patient-merge-undo",
    ),
]
