from django.urls import path

from hms.scheduling.api import queue_views, views

urlpatterns = [
    path("slots/", views.SlotListApi.as_view(), name="slot-list"),
    path("appointments/", views.AppointmentListCreateApi.as_view(), name="appointment-list"),
    path("appointments/no-shows/", views.NoShowRatesApi.as_view(), name="appointment-no-shows"),
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
    path(
        "appointments/<uuid:external_id>/check-in/",
        queue_views.CheckInApi.as_view(),
        name="appointment-check-in",
    ),
    path("queue/", queue_views.TicketListApi.as_view(), name="queue-ticket-list"),
    path("queue/walk-ins/", queue_views.WalkInApi.as_view(), name="queue-walk-in"),
    path("queue/call-next/", queue_views.CallNextApi.as_view(), name="queue-call-next"),
    path(
        "queue/tickets/<int:ticket_id>/finish/",
        queue_views.FinishApi.as_view(),
        name="queue-ticket-finish",
    ),
]
