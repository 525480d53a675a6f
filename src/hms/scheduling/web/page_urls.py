from django.urls import path

from hms.scheduling.web import actions, booking, calendar, directory, sessions, waitlist

app_name = "appointments"

urlpatterns = [
    path("", calendar.calendar, name="calendar"),
    path("book/<uuid:external_id>/", booking.book, name="book"),
    path("book/<uuid:external_id>/options/", booking.options, name="book-options"),
    path("book/<uuid:external_id>/slots/", booking.slot_choices, name="book-slots"),
    path("book/<uuid:external_id>/wait/", waitlist.add, name="waitlist-add"),
    path("sessions/", sessions.sessions, name="sessions"),
    path("doctors/", directory.directory, name="directory"),
    path("doctors/<uuid:external_id>/photo/", directory.photo, name="doctor-photo"),
    path(
        "doctors/<uuid:external_id>/photo/upload/",
        directory.upload_photo,
        name="doctor-photo-upload",
    ),
    path("waitlist/", waitlist.waitlist_page, name="waitlist"),
    path("waitlist/<uuid:external_id>/accept/", waitlist.accept, name="waitlist-accept"),
    path("waitlist/<uuid:external_id>/decline/", waitlist.decline, name="waitlist-decline"),
    path("waitlist/<uuid:external_id>/remove/", waitlist.remove, name="waitlist-remove"),
    path("<uuid:external_id>/check-in/", actions.check_in, name="check-in"),
    path("<uuid:external_id>/cancel/", actions.cancel, name="cancel"),
    path("<uuid:external_id>/reschedule/", actions.reschedule, name="reschedule"),
]
