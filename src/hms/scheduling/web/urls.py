from django.urls import path

from hms.scheduling.web import desk, views, worklist

app_name = "queue"

urlpatterns = [
    path("desk/", desk.desk, name="desk"),
    path("walk-in/<uuid:external_id>/", desk.walk_in, name="walk-in"),
    path("walk-in/new/", desk.register_walk_in, name="register-walk-in"),
    path("tickets/<int:ticket_id>/slip/", desk.slip, name="ticket-slip"),
    path("tickets/<int:ticket_id>/finish/", worklist.finish, name="ticket-finish"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("worklist/call-next/", worklist.call_next, name="call-next"),
    path(
        "<str:facility_code>/<str:department_code>/screen/",
        views.waiting_room,
        name="waiting-room",
    ),
]
