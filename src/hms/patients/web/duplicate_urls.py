"""The records officer's pages, under /patients/duplicates/."""

from django.urls import path

from hms.patients.web import duplicates

app_name = "duplicates"

urlpatterns = [
    path("", duplicates.worklist_page, name="worklist"),
    path("compare/", duplicates.compare, name="compare"),
    path("merge/", duplicates.merge, name="merge"),
    path("<int:pk>/dismiss/", duplicates.dismiss, name="dismiss"),
    path("merges/", duplicates.merge_list, name="merges"),
    path("merges/<uuid:external_id>/", duplicates.merge_detail, name="merge-detail"),
    path("merges/<uuid:external_id>/undo/", duplicates.unmerge, name="unmerge"),
]
