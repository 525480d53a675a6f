from django.urls import path

from hms.scheduling.web import views

app_name = "queue"

urlpatterns = [
    path(
        "<str:facility_code>/<str:department_code>/screen/",
        views.waiting_room,
        name="waiting-room",
    ),
]
