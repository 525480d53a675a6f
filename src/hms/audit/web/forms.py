from django import forms
from django.utils.translation import gettext_lazy as _

from hms.audit.models import AuditEvent
from hms.core.forms import DayField
from hms.core.text import clean_text


class AuditSearchForm(forms.Form):
    username = forms.CharField(
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )
    patient_id = forms.CharField(required=False, max_length=64, label=_("Patient: MRN, name or id"))
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *AuditEvent.Action.choices]
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditEvent.Outcome.choices]
    )
    date_from = DayField(required=False, label="From")
    date_to = DayField(required=False, label="To")

    def clean_username(self) -> str:
        return clean_text(self.cleaned_data["username"])

    def clean_patient_id(self) -> str:
        return clean_text(self.cleaned_data["patient_id"])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data
