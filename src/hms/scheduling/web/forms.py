"""The scheduling pages' forms: they give input its shape; the services judge it."""

from __future__ import annotations

import re
import uuid

from django import forms

from hms.accounts.web.forms import PlainCharField
from hms.core.forms import DayField
from hms.scheduling.models import AppointmentKind, QueueTicket

REASON_MAX = 300
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")


def parse_choice(value: str) -> tuple[str, str]:
    """ "p:<uuid>" (a doctor), "s:<code>" (a specialty) or "" (any doctor) -> (kind,
    key). Raises forms.ValidationError for anything else."""
    kind, _, key = (value or "").partition(":")
    if not value:
        return "", ""
    if kind == "p":
        try:
            return "p", str(uuid.UUID(key))
        except ValueError:
            pass
    elif kind == "s" and _CODE.match(key):
        return "s", key
    raise forms.ValidationError("Choose a doctor or a specialty from the list.")


class ChoiceField(PlainCharField):
    def clean(self, value):
        value = super().clean(value)
        parse_choice(value)
        return value


class SlotsForm(forms.Form):
    """Which free slots to offer: of whom, from which day."""

    choice = ChoiceField(required=False, max_length=60)
    from_date = DayField(label="From", required=False)


class BookingForm(SlotsForm):
    slot = forms.IntegerField(
        min_value=1,
        max_value=2**62,
        error_messages={"required": "Choose a slot."},
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label="Type", choices=AppointmentKind.choices)
    reason = PlainCharField(label="Reason (optional)", max_length=REASON_MAX, required=False)


class CalendarForm(forms.Form):
    show = PlainCharField(max_length=60, required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    span = forms.ChoiceField(choices=[("day", "Day"), ("week", "Week")], required=False)

    def clean_show(self) -> tuple[str, str]:
        kind, _, key = (self.cleaned_data.get("show") or "").partition(":")
        if not kind:
            return "", ""
        if kind == "doctor":
            try:
                return kind, str(uuid.UUID(key))
            except ValueError:
                pass
        elif kind in ("department", "room") and _CODE.match(key):
            return kind, key
        raise forms.ValidationError("Choose a department, a doctor or a room from the list.")


class CancelForm(forms.Form):
    reason = PlainCharField(label="Why is it cancelled?", max_length=REASON_MAX)


class RescheduleForm(forms.Form):
    slot = forms.IntegerField(
        min_value=1,
        max_value=2**62,
        error_messages={"required": "Choose a slot."},
        widget=forms.RadioSelect,
    )
    reason = PlainCharField(label="Reason (optional)", max_length=REASON_MAX, required=False)


PRIORITIES = [(p.value, p.label) for p in QueueTicket.Priority]


class WalkInForm(forms.Form):
    department = PlainCharField(max_length=20, required=False)
    priority = forms.TypedChoiceField(
        choices=PRIORITIES, coerce=int, required=False, empty_value=QueueTicket.Priority.NORMAL
    )


class CheckInForm(forms.Form):
    priority = forms.TypedChoiceField(
        choices=PRIORITIES, coerce=int, required=False, empty_value=QueueTicket.Priority.NORMAL
    )
    back = PlainCharField(max_length=500, required=False)
    attach_to_open_visit = forms.BooleanField(required=False)


class CallNextForm(forms.Form):
    called_to = PlainCharField(label="Call to", max_length=120, required=False)


class WaitlistForm(SlotsForm):
    """Wait for an earlier slot of the doctor or specialty chosen on the booking page."""

    latest = DayField(label="Until", required=False)
    reason = PlainCharField(label="Note (optional)", max_length=REASON_MAX, required=False)


class ReasonForm(forms.Form):
    reason = PlainCharField(label="Reason", max_length=REASON_MAX)
