"""The front desk's forms. They give input its shape; the rules (names, dates, phone
formats) are checked once, in `patients.inputs`, by the service the view calls."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hms.accounts.web.forms import PlainCharField
from hms.core.errors import DomainError
from hms.core.phones import normalise_phone
from hms.patients.inputs import NAME_MAX, PatientInput
from hms.patients.models import Patient
from hms.patients.names import split_name
from hms.patients.walk_in import NO_PHONE_REASONS
from hms.patients.web.birth import HELP as BIRTH_HELP
from hms.patients.web.birth import parse_birth

REASON_MAX = 300
# The fields the duplicate check listens to while the clerk types.
PROBES = ("name", "given_name", "family_name", "sex", "birth", "phone")


def _name(label: str, *, required: bool = True) -> PlainCharField:
    return PlainCharField(label=label, max_length=NAME_MAX, required=required)


def _phone(*, required: bool) -> PlainCharField:
    return PlainCharField(
        label="Phone",
        max_length=40,
        required=required,
        help_text="National format, or + and the country code",
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )


def _sex(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=Patient.Sex.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one."},
        **kwargs,
    )


def _birth(*, required: bool) -> PlainCharField:
    return PlainCharField(
        label="Birth date or age",
        max_length=20,
        required=required,
        help_text=BIRTH_HELP,
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy or 34", "autocomplete": "off"}),
    )


def _reason(label: str) -> PlainCharField:
    return PlainCharField(label=label, max_length=REASON_MAX, required=False)


class FrontDeskForm(forms.Form):
    """Puts the cursor in the first field that needs typing (the first with an error,
    else the first empty one; the first field on an edit), and wires the likely-duplicate
    check to the name, sex, birth and phone fields."""

    focus_empty = True

    def __init__(self, *args, duplicate_check_url: str = "", region: str = "KE", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region
        if duplicate_check_url:
            for name in PROBES:
                if name in self.fields:
                    self._wire_probe(self.fields[name], duplicate_check_url)

    @staticmethod
    def _wire_probe(field: forms.Field, url: str) -> None:
        # A POST keeps names and phone numbers out of URLs and server logs; htmx sends
        # the whole form with it. "changed" skips keys that move the cursor only.
        is_choice = isinstance(field.widget, forms.RadioSelect)
        field.widget.attrs.update(
            {
                "hx-post": url,
                "hx-trigger": "change" if is_choice else "input changed delay:300ms",
                "hx-target": "#duplicates",
                "hx-sync": "closest form:replace",
            }
        )

    def focus_first(self) -> None:
        names = [n for n in self.fields if not isinstance(self.fields[n].widget, forms.HiddenInput)]
        if self.is_bound:
            target = next((n for n in names if n in self.errors), None)
        elif self.focus_empty:
            target = next((n for n in names if not self[n].value()), None)
        else:
            target = names[0]
        if target:
            self.fields[target].widget.attrs["autofocus"] = True

    def birth_parts(self):
        return self.cleaned_data.get("birth") or (None, None)

    def clean_birth(self):
        return parse_birth(self.cleaned_data.get("birth") or "")

    # Phone and email are checked here as well as in the service, so a form with several
    # mistakes shows them all at once rather than one per attempt.
    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data.get("phone", ""), self.region)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc

    def clean_email(self):
        email = self.cleaned_data.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise ValidationError("Not an email address.") from exc
        return email


class QuickRegistrationForm(FrontDeskForm):
    """A walk-in: the four things every record needs (the name in one box, split by
    `names.split_name`; the parts are on the full form), the rest completed later."""

    name = PlainCharField(
        label=gettext_lazy("Name"),
        max_length=2 * NAME_MAX,
        help_text=gettext_lazy("Given names, then the family name"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    sex = _sex()
    birth = _birth(required=True)
    phone = _phone(required=False)
    no_phone_reason = forms.ChoiceField(
        label=gettext_lazy("If there is none, why"),
        choices=[("", "—"), *NO_PHONE_REASONS.items()],
        required=False,
    )
    duplicate_override_reason = _reason("Why this is a different person")

    # The service names the parts; this form shows their errors on the one box.
    error_fields = {"given_name": "name", "family_name": "name"}

    def clean_name(self):
        if not split_name(self.cleaned_data["name"])[1]:
            raise ValidationError(_("Type the given names and then the family name."))
        return self.cleaned_data["name"]

    def clean(self):
        data = super().clean()
        if "phone" in data and not data["phone"] and not data.get("no_phone_reason"):
            self.add_error("phone", _("Give a phone number, or say why there is none."))
        return data

    def to_input(self) -> PatientInput:
        birth_date, age = self.birth_parts()
        data = self.cleaned_data
        given_name, family_name = split_name(data["name"])
        return PatientInput(
            given_name=given_name,
            family_name=family_name,
            sex=data["sex"],
            birth_date=birth_date,
            age_years=age,
            phone=data["phone"],
        )


class UnknownPatientForm(FrontDeskForm):
    """An emergency patient nobody can name yet: sex and an estimated age at most."""

    sex = _sex(initial=Patient.Sex.UNKNOWN)
    age = forms.IntegerField(
        label="Estimated age (years)",
        min_value=0,
        max_value=140,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def to_input(self) -> PatientInput:
        return PatientInput(
            given_name="Unknown",
            sex=self.cleaned_data["sex"],
            age_years=self.cleaned_data["age"],
            is_unknown=True,
        )


ADDRESS_FIELDS = {
    "address_line": "line",
    "city": "city",
    "district": "district",
    "state": "state",
    "postal_code": "postal_code",
    "country": "country",
}


class PatientForm(FrontDeskForm):
    """Full registration and edit: every demographic the registry keeps."""

    given_name = _name("Given name")
    middle_name = _name("Middle name", required=False)
    family_name = _name("Family name", required=False)
    preferred_name = _name("Preferred name", required=False)
    sex = _sex()
    gender_identity = PlainCharField(max_length=NAME_MAX, required=False)
    birth = _birth(required=False)
    marital_status = forms.ChoiceField(
        choices=[("", "—"), *Patient.MaritalStatus.choices], required=False
    )
    language = PlainCharField(max_length=35, required=False, help_text="e.g. sw, en, fr")
    phone = _phone(required=False)
    email = PlainCharField(
        max_length=254, required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    address_line = PlainCharField(label="Address", max_length=200, required=False)
    city = PlainCharField(label="Town or city", max_length=200, required=False)
    district = PlainCharField(max_length=200, required=False)
    state = PlainCharField(label="County or state", max_length=200, required=False)
    postal_code = PlainCharField(max_length=200, required=False)
    country = PlainCharField(max_length=200, required=False)
    consent_sms = forms.BooleanField(label="Agrees to SMS reminders", required=False)
    consent_email = forms.BooleanField(label="Agrees to email", required=False)
    consent_research = forms.BooleanField(label="Agrees to be asked about research", required=False)
    is_unknown = forms.BooleanField(label="Identity not known yet", required=False)
    is_deceased = forms.BooleanField(label="Deceased", required=False)
    deceased_at = forms.DateTimeField(
        label="Date and time of death",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    GROUPS = (
        ("Name", ("given_name", "middle_name", "family_name", "preferred_name")),
        ("Sex and birth", ("sex", "gender_identity", "birth", "marital_status", "language")),
        ("Contact", ("phone", "email")),
        ("Address", tuple(ADDRESS_FIELDS)),
        ("Consent", ("consent_sms", "consent_email", "consent_research")),
        ("Status", ("is_unknown", "is_deceased", "deceased_at")),
    )

    def groups(self):
        return [(title, [self[n] for n in names]) for title, names in self.GROUPS]

    def clean(self):
        data = super().clean()
        if data.get("deceased_at"):
            data["is_deceased"] = True  # a time of death says so without the tick
            if data["deceased_at"] > timezone.now():
                self.add_error("deceased_at", "The time of death is in the future.")
        return data

    def to_input(self, identifiers, contacts) -> PatientInput:
        birth_date, age = self.birth_parts()
        data = self.cleaned_data
        address = {key: data[name] for name, key in ADDRESS_FIELDS.items() if data.get(name)}
        return PatientInput(
            **{n: data[n] for n in ("given_name", "middle_name", "family_name", "preferred_name")},
            sex=data["sex"],
            gender_identity=data["gender_identity"],
            birth_date=birth_date,
            age_years=age,
            marital_status=data["marital_status"],
            language=data["language"],
            phone=data["phone"],
            email=data["email"],
            address=address or None,
            consent_sms=data["consent_sms"],
            consent_email=data["consent_email"],
            consent_research=data["consent_research"],
            is_unknown=data["is_unknown"],
            is_deceased=data["is_deceased"],
            deceased_at=data["deceased_at"],
            identifiers=tuple(identifiers),
            contacts=tuple(contacts),
        )


class RegistrationForm(PatientForm):
    duplicate_override_reason = _reason("Why this is a different person")


class EditForm(PatientForm):
    focus_empty = False
    reason = _reason("Reason for the change (optional)")


class PhotoForm(forms.Form):
    """A picture from the computer, or taken there and then: `capture` opens a phone's
    front camera (or a webcam, where the browser supports it) instead of the files."""

    photo = forms.FileField(
        label="Photo",
        help_text="JPEG, PNG or WebP, at most 5 MB.",
        widget=forms.FileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "user"}
        ),
    )


class ContactLogForm(forms.Form):
    """A call to or from the patient, or a note, for the CRM timeline."""

    OUTCOMES = (
        ("reached", "Reached"),
        ("no_answer", "No answer"),
        ("wrong_number", "Wrong number"),
        ("left_message", "Left a message"),
    )

    kind = forms.ChoiceField(
        choices=(("call", "Phone call"), ("note", "Note")),
        initial="call",
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(choices=(("", "—"), *OUTCOMES), required=False)
    summary = PlainCharField(label="What happened", max_length=REASON_MAX)

    def clean(self):
        data = super().clean()
        if data.get("kind") == "call" and not data.get("outcome"):
            self.add_error("outcome", "Say how the call went.")
        if data.get("kind") == "note":
            data["outcome"] = ""
        return data


class SearchForm(forms.Form):
    q = PlainCharField(label="Search", max_length=100, required=False)
    born = forms.DateField(label="Born", required=False)
    # The API's offset allows 10,000; a page number keeps the web within it.
    page = forms.IntegerField(label="Page", required=False, min_value=1, max_value=500)


def duplicate_check_url(patient: Patient | None = None) -> str:
    url = reverse("patients:duplicate-check")
    return f"{url}?patient={patient.external_id}" if patient else url


# Where a service's InvalidInput.field shows on the forms above.
ERROR_FIELDS = {
    "birth_date": "birth",
    "age_years": "birth",
    **{f"address.{key}": name for name, key in ADDRESS_FIELDS.items()},
}


def place_error(form: forms.Form, exc: DomainError, formsets: dict | None = None) -> None:
    """Show a service's refusal against the field it names, else above the form."""
    fields = {**ERROR_FIELDS, **getattr(form, "error_fields", {})}
    name = fields.get(exc.field or "", exc.field)
    if name and name in form.fields:
        form.add_error(name, exc.message)
        return
    group = (exc.field or "").split(".")[0]
    if formsets and group in formsets:
        formsets[group].non_form_errors().append(exc.message)
        return
    form.add_error(None, exc.message)
