from django.urls import path

from hms.scheduling.web import actions, booking, calendar, sessions, waitlist

app_name = "appointments"

urlpatterns = [
    path("", calendar.calendar, name="calendar"),
    path("book/<uuid:external_id>/", booking.book, name="book"),
    path("book/<uuid:external_id>/options/", booking.options, name="book-options"),
    path("book/<uuid:external_id>/slots/", booking.slot_choices, name="book-slots"),
    path("book/<uuid:external_id>/wait/", waitlist.add, name="waitlist-add"),
    path("sessions/", sessions.sessions, name="sessions"),
    path("waitlist/", waitlist.waitlist_page, name="waitlist"),
    path("waitlist/<uuid:external_id>/accept/", waitlist.accept, name="waitlist-accept"),
    path("waitlist/<uuid:external_id>/decline/", waitlist.decline, name="waitlist-decline"),
    path("waitlist/<uuid:external_id>/remove/", waitlist.remove, name="waitlist-remove"),
    path("<uuid:external_id>/check-in/", actions.check_in, name="check-in"),
    path("<uuid:external_id>/cancel/", actions.cancel, name="cancel"),
    path("<uuid:external_id>/reschedule/", actions.reschedule, name="reschedule"),
]
