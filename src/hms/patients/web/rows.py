"""The rows of the full form: identifiers (national ID, passport, insurance number) and
next of kin. An empty row is skipped; clearing a row's number or name removes it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from hms.accounts.web.forms import PlainCharField
from hms.core.errors import DomainError
from hms.core.phones import normalise_phone
from hms.patients.inputs import ContactInput, IdentifierInput
from hms.patients.models import PatientIdentifier


class IdentifierForm(forms.Form):
    system = forms.ChoiceField(label="Kind", required=False)
    value = PlainCharField(label="Number", max_length=100, required=False)
    assigner = PlainCharField(label="Issued by", max_length=200, required=False)

    def __init__(self, *args, extra_systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Records from other systems (FHIR, imports) may carry systems of their own.
        known = dict(PatientIdentifier.System.choices)
        extra = [(s, s) for s in extra_systems if s not in known]
        self.fields["system"].choices = [("", "—"), *known.items(), *extra]

    def clean(self):
        data = super().clean()
        if data.get("value") and not data.get("system"):
            self.add_error("system", "Choose what kind of number this is.")
        return data

    def to_input(self) -> IdentifierInput | None:
        data = self.cleaned_data
        if not data.get("value"):
            return None  # an empty row, or a number cleared to remove it
        return IdentifierInput(
            system=data["system"], value=data["value"], assigner=data["assigner"]
        )


class ContactForm(forms.Form):
    name = PlainCharField(max_length=200, required=False)
    relationship = PlainCharField(max_length=50, required=False)
    phone = PlainCharField(
        max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    is_emergency = forms.BooleanField(label="Emergency contact", required=False, initial=True)

    def __init__(self, *args, region: str = "KE", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region

    def clean_phone(self):
        # Checked here as well as in the service so the error lands on its row.
        try:
            return normalise_phone(self.cleaned_data["phone"], self.region)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def clean(self):
        data = super().clean()
        if not data.get("name") and (data.get("phone") or data.get("relationship")):
            self.add_error("name", "Give the contact's name.")
        return data

    def to_input(self) -> ContactInput | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return ContactInput(
            name=data["name"],
            relationship=data["relationship"],
            phone=data["phone"],
            is_emergency=data["is_emergency"],
        )


IdentifierFormSet = forms.formset_factory(
    IdentifierForm, extra=2, max_num=20, absolute_max=40, validate_max=True
)
ContactFormSet = forms.formset_factory(
    ContactForm, extra=1, max_num=10, absolute_max=20, validate_max=True
)
