"""Forms of the sessions page: a weekly session and a block of time. They give input
its shape; add_schedule and add_block judge it."""

from __future__ import annotations

from django import forms

from hms.accounts.web.forms import PlainCharField
from hms.core.forms import DayField
from hms.scheduling.models import AppointmentKind, Schedule, ScheduleBlock

_TIME = {"widget": forms.TimeInput(attrs={"type": "time"}), "input_formats": ["%H:%M"]}
_WHEN = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}),
    "input_formats": ["%Y-%m-%dT%H:%M"],
}


class SessionForm(forms.Form):
    weekday = forms.TypedChoiceField(label="Day", choices=Schedule.Weekday.choices, coerce=int)
    starts_at = forms.TimeField(label="From", **_TIME)
    ends_at = forms.TimeField(label="To", **_TIME)
    slot_minutes = forms.IntegerField(label="Slot (minutes)", min_value=1, max_value=480)
    room = forms.ChoiceField(label="Room", required=False)
    kind = forms.ChoiceField(label="Visits", choices=AppointmentKind.choices)
    capacity = forms.IntegerField(label="Patients per slot", min_value=1, max_value=50, initial=1)
    emergency_slots = forms.IntegerField(
        label="Slots held for emergencies", min_value=0, max_value=100, initial=0
    )
    break_from = forms.TimeField(label="Break from", required=False, **_TIME)
    break_to = forms.TimeField(label="Break to", required=False, **_TIME)
    double_book_no_shows = forms.BooleanField(
        label="Double-book the slots of chronic no-shows", required=False
    )
    valid_from = DayField(label="First day")
    valid_until = DayField(label="Last day (optional)", required=False)

    def __init__(self, *args, rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [("", "No room"), *((r.code, r.name) for r in rooms)]

    def clean(self):
        data = super().clean()
        if bool(data.get("break_from")) != bool(data.get("break_to")):
            self.add_error("break_to", "Give the break's start and end, or neither.")
        return data


class BlockForm(forms.Form):
    kind = forms.ChoiceField(label="Why", choices=ScheduleBlock.Kind.choices)
    starts_at = forms.DateTimeField(label="From", **_WHEN)
    ends_at = forms.DateTimeField(label="To", **_WHEN)
    reason = PlainCharField(label="Reason", max_length=300)
