from django.urls import path

from hms.scheduling.api import queue_views, schedule_views, views, waitlist_views

urlpatterns = [
    path("rooms/", schedule_views.RoomListCreateApi.as_view(), name="room-list"),
    path("schedules/", schedule_views.ScheduleListCreateApi.as_view(), name="schedule-list"),
    path("schedule-blocks/", schedule_views.BlockCreateApi.as_view(), name="schedule-block-create"),
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
    path(
        "appointments/no-shows/<uuid:patient_id>/",
        waitlist_views.NoShowHistoryApi.as_view(),
        name="appointment-no-show-history",
    ),
    path("waitlist/", waitlist_views.WaitlistApi.as_view(), name="waitlist"),
    path(
        "waitlist/<uuid:external_id>/accept/",
        waitlist_views.WaitlistAcceptApi.as_view(),
        name="waitlist-accept",
    ),
    path(
        "waitlist/<uuid:external_id>/decline/",
        waitlist_views.WaitlistDeclineApi.as_view(),
        name="waitlist-decline",
    ),
    path(
        "waitlist/<uuid:external_id>/remove/",
        waitlist_views.WaitlistRemoveApi.as_view(),
        name="waitlist-remove",
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
