"""The billing pages' forms: they give input its shape; the services judge it."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from hms.accounts.web.forms import PlainCharField
from hms.billing.models import PaymentMethod
from hms.core.forms import MoneyField
from hms.core.models import Department, Facility
from hms.staff.models import Practitioner

REFERENCE_MAX = 64
REASON_MAX = 500
# The methods a cashier takes at the desk, each with its reference field; online
# payments arrive from the payment gateway, not the till.
TILL_METHODS = [m for m in PaymentMethod if m != PaymentMethod.ONLINE]
REFERENCE_LABELS = {
    PaymentMethod.CARD: "Terminal slip no.",
    PaymentMethod.MOBILE_MONEY: "Transaction code",
    PaymentMethod.BANK_TRANSFER: "Bank reference",
}


def amount_field(label: str, *, required: bool = False, autofocus: bool = False, **attrs):
    widget_attrs = {"inputmode": "decimal", "autocomplete": "off", **attrs}
    if autofocus:
        widget_attrs["autofocus"] = True
    return MoneyField(label=label, required=required, widget=forms.TextInput(attrs=widget_attrs))


def reference_field(label: str = "Reference"):
    return PlainCharField(
        label=label,
        max_length=REFERENCE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def method_field():
    return forms.ChoiceField(
        label="Method", choices=[(m.value, m.label) for m in TILL_METHODS], initial="cash"
    )


class DeskSearchForm(forms.Form):
    q = PlainCharField(label="Find", max_length=100, required=False)


class SplitPaymentForm(forms.Form):
    """One payment in as many methods as the patient uses: each method with an amount
    is one part, taken together or not at all. `tendered` is the cash handed over, so
    the page can say the change."""

    cash = amount_field("Cash", autofocus=True)
    tendered = amount_field("Handed over")
    card = amount_field("Card")
    card_reference = reference_field(REFERENCE_LABELS[PaymentMethod.CARD])
    mobile_money = amount_field("Mobile money")
    mobile_money_reference = reference_field(REFERENCE_LABELS[PaymentMethod.MOBILE_MONEY])
    bank_transfer = amount_field("Bank transfer")
    bank_transfer_reference = reference_field(REFERENCE_LABELS[PaymentMethod.BANK_TRANSFER])

    def __init__(self, *args, balance: Decimal, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.balance, self.currency = balance, currency
        for field in self.fields.values():
            if isinstance(field, MoneyField):
                field.currency = currency

    def parts(self) -> list[tuple[str, Decimal, str]]:
        """(method, amount, reference) of each method given an amount."""
        data = self.cleaned_data
        return [
            (m.value, data[m.value], data.get(f"{m.value}_reference", ""))
            for m in TILL_METHODS
            if data.get(m.value)
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        parts = self.parts()
        if not parts:
            self.add_error("cash", "Enter the amount taken in at least one method.")
            return data
        together = sum((amount for _, amount, _ in parts), Decimal(0))
        if together > self.balance:
            last = parts[-1][0]
            self.add_error(
                last,
                f"The parts come to {together:,.2f} {self.currency}; the balance is "
                f"{self.balance:,.2f}.",
            )
        tendered, cash = data.get("tendered"), data.get("cash")
        if tendered is not None and tendered < (cash or 0):
            self.add_error("tendered", "The cash handed over is less than the cash taken.")
        return data


class DiscountForm(forms.Form):
    percent = forms.DecimalField(
        label="Percent",
        required=False,
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    amount = amount_field("or amount")
    reason = PlainCharField(label="Reason", max_length=REASON_MAX)


class RefundForm(forms.Form):
    amount = amount_field("Amount", required=True)
    method = method_field()
    reference = reference_field()
    reason = PlainCharField(label="Reason", max_length=REASON_MAX)


class DepositForm(forms.Form):
    amount = amount_field("Amount", required=True)
    method = method_field()
    reference = reference_field()


class ApplyDepositForm(forms.Form):
    amount = amount_field("Amount (blank: as much as it covers)")


class ChargeForm(forms.Form):
    item = PlainCharField(
        label="Item code",
        max_length=20,
        widget=forms.TextInput(attrs={"list": "item-options", "autocomplete": "off"}),
    )
    quantity = forms.DecimalField(
        label="Quantity",
        initial=1,
        max_digits=9,
        decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    note = PlainCharField(label="Note (optional)", max_length=REASON_MAX, required=False)
    # Who rendered it and where, for revenue by department and doctor.
    practitioner = forms.ModelChoiceField(
        label=_("Rendered by (optional)"), queryset=Practitioner.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department (optional)"), queryset=Department.objects.none(), required=False
    )
    # Generated with the form: a double submit captures the charge once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, facility: Facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = Practitioner.objects.filter(
            facility=facility, is_active=True
        )
        self.fields["department"].queryset = Department.objects.filter(facility=facility)


class OpenShiftForm(forms.Form):
    opening_float = amount_field("Opening float", required=True, autofocus=True)


class CloseShiftForm(forms.Form):
    """What was counted in the drawer, one field per method the till expects."""

    note = PlainCharField(label="Note (optional)", max_length=REASON_MAX, required=False)

    def __init__(self, *args, methods: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for position, method in enumerate(methods):
            label = f"{PaymentMethod(method).label} counted"
            self.fields[method] = amount_field(label, required=True, autofocus=position == 0)
        self.order_fields([*methods, "note"])

    def counts(self) -> dict[str, Decimal]:
        return {m: v for m, v in self.cleaned_data.items() if m != "note"}


class HandOverForm(forms.Form):
    to = forms.ModelChoiceField(label="Hand over to", queryset=None, empty_label=None)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = users


class CreditNoteForm(forms.Form):
    amount = amount_field("Amount", required=True)
    reason = PlainCharField(label="Reason", max_length=REASON_MAX)


class VoidForm(forms.Form):
    reason = PlainCharField(label="Reason", max_length=REASON_MAX)


# Claims and remittances.

STATUS_ANY = [("", "Every status")]


def diagnosis_field(*, required: bool):
    return PlainCharField(
        label="Diagnosis codes (ICD-10, comma separated)",
        max_length=200,
        required=required,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "J06.9, E11.9"}
        ),
    )


def split_codes(text: str) -> list[str]:
    """The codes typed, in order; the service judges each one."""
    return [code for code in text.replace(";", ",").replace(" ", ",").split(",") if code]


class ClaimFilterForm(forms.Form):
    # Changing a select shows its claims at once.
    payer = forms.ChoiceField(
        label="Payer", required=False, widget=forms.Select(attrs={"data-autosubmit": True})
    )
    status = forms.ChoiceField(
        label="Status", required=False, widget=forms.Select(attrs={"data-autosubmit": True})
    )

    def __init__(self, *args, payers, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].choices = [("", "Every payer")] + [
            (p.code, f"{p.code} · {p.name}") for p in payers
        ]
        self.fields["status"].choices = STATUS_ANY + list(statuses)


class BuildClaimForm(forms.Form):
    diagnosis_codes = diagnosis_field(required=True)

    def codes(self) -> list[str]:
        return split_codes(self.cleaned_data["diagnosis_codes"])


class AcknowledgeClaimForm(forms.Form):
    outcome = forms.ChoiceField(
        label="The payer",
        choices=[("accepted", "Accepted it"), ("rejected", "Rejected it")],
        widget=forms.RadioSelect,
        initial="accepted",
    )
    reason = PlainCharField(label="Reason (for a rejection)", max_length=REASON_MAX, required=False)
    payer_claim_number = PlainCharField(
        label="Payer's claim number (optional)", max_length=50, required=False
    )


class CorrectClaimForm(forms.Form):
    diagnosis_codes = diagnosis_field(required=False)

    def codes(self) -> list[str] | None:
        """None keeps the claim's codes."""
        return split_codes(self.cleaned_data["diagnosis_codes"]) or None


class ExportClaimsForm(forms.Form):
    payer = PlainCharField(widget=forms.HiddenInput, max_length=20)
    format = forms.ChoiceField(
        label="Format", choices=[("x12", "X12 837P"), ("fhir", "FHIR Bundle")], initial="x12"
    )


class RemittanceUploadForm(forms.Form):
    file = forms.FileField(label="835 file", allow_empty_file=True)
    payer = forms.ChoiceField(label="Payer (when the file does not name it)", required=False)

    def __init__(self, *args, payers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].choices = [("", "As the file says")] + [
            (p.code, f"{p.code} · {p.name}") for p in payers
        ]
