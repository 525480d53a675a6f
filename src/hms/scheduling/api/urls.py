from django.urls import path

from hms.scheduling.api import views

urlpatterns = [
    path("slots/", views.SlotListApi.as_view(), name="slot-list"),
    path("appointments/", views.AppointmentListCreateApi.as_view(), name="appointment-list"),
    path(
        "appointments/<uuid:external_id>/cancel/",
        views.AppointmentCancelApi.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<uuid:external_id>/reschedule/",
        views.AppointmentRescheduleApi.as_view(),
        name="appointment-reschedule",
    ),
]
