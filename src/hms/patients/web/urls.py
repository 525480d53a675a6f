from django.urls import path

from hms.patients.web import registration, views

app_name = "patients"

urlpatterns = [
    path("", views.search, name="search"),
    path("new/", registration.register, name="patient-register"),
    path("new/full/", registration.register_full, name="patient-register-full"),
    path("new/unknown/", registration.register_unknown, name="patient-register-unknown"),
    path("new/check/", registration.duplicate_check, name="duplicate-check"),
    path("<uuid:external_id>/", views.detail, name="patient-detail"),
    path("<uuid:external_id>/edit/", registration.edit, name="patient-edit"),
    path("<uuid:external_id>/log/", views.log_contact, name="patient-log-contact"),
    path("<uuid:external_id>/photo.jpg", views.photo, name="patient-photo"),
    path("<uuid:external_id>/photo/", views.upload_photo, name="patient-photo-upload"),
    path("<uuid:external_id>/photo/remove/", views.remove_photo, name="patient-photo-remove"),
    path("<uuid:external_id>/card.pdf", views.print_card, name="patient-card"),
    path("<uuid:external_id>/wristband.pdf", views.print_wristband, name="patient-wristband"),
]
