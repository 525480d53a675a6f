from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hms.accounts.permissions import ROLE_CHOICES
from hms.core.text import clean_text


class PlainCharField(forms.CharField):
    """A CharField that refuses control characters and normalises unicode."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value) if value else value


class LoginForm(forms.Form):
    username = PlainCharField(
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
            }
        ),
    )
    password = forms.CharField(
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OtpForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app, or a recovery code."
        },
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "placeholder": "123456",
            }
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.replace("-", "").isalnum():
            raise ValidationError("Codes are digits (or a recovery code like ab12cd-34ef56).")
        return code


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autofocus": True, "autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label="New password again",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The two new passwords differ.")
        return data


class TokenForm(forms.Form):
    name = PlainCharField(
        max_length=100, initial="api", widget=forms.TextInput(attrs={"autofocus": True})
    )
    expires_days = forms.IntegerField(
        min_value=1, max_value=366, initial=90, label="Expires after (days)"
    )


class UserCreateForm(forms.Form):
    username = PlainCharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    first_name = PlainCharField(max_length=150, required=False)
    last_name = PlainCharField(max_length=150, required=False)
    email = forms.EmailField(required=False, max_length=254)
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role."},
    )
    password = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password.",
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role."},
    )


class ReasonForm(forms.Form):
    reason = PlainCharField(max_length=300, required=False)


class DefaultFacilityForm(forms.Form):
    """Where a user lands at sign-in until they switch to one of their facilities."""

    default_facility = forms.ModelChoiceField(
        queryset=None,
        required=False,
        to_field_name="external_id",
        label=_("Default facility"),
        empty_label=_("(none: the first by name)"),
        help_text=_("Where the user lands at sign-in, unless they last switched elsewhere."),
        error_messages={"invalid_choice": _("The user holds no role in that facility.")},
    )

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_facility"].queryset = facilities
