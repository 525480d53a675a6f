"""Billing: the tariff (billable items, price lists, prices over time), the charges
captured as services are rendered, and the invoices they are billed on.

Money is Decimal in 12-digit, 2-place columns with the facility's currency beside it
(hms.core.money rounds it). Financial rows are never deleted: a charge is voided with a
reason, a price is closed by the next one, an invoice is final once numbered.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from hms.core.fields import EncryptedTextField
from hms.core.models import BaseModel, Department, Facility, code_validator
from hms.core.text import validate_single_line


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


def _adds_up(total: str, first: str, *terms: tuple[int, str]) -> Q:
    """`total` equals `first` plus or minus each of `terms`. To within half a cent:
    SQLite keeps decimals as binary floats, and its CHECK would find 2.91 - 0.01 + 0.46
    unequal to 3.36; amounts are whole cents, so any real difference is a cent or more."""
    expression = models.F(first)
    for sign, name in terms:
        expression = expression + models.F(name) if sign > 0 else expression - models.F(name)
    half_cent = models.Value(Decimal("0.005"), output_field=models.DecimalField())
    return Q(**{f"{total}__gte": expression - half_cent}) & Q(
        **{f"{total}__lte": expression + half_cent}
    )


# SQLite keeps decimals as binary floats; sums in its CHECKs are compared to within
# half a cent (amounts are whole cents, so any real excess is a cent or more).
_HALF_CENT = models.Value(Decimal("0.005"), output_field=models.DecimalField())


def _rate(**kwargs) -> models.DecimalField:
    # A percentage: 16.00 is 16 %.
    return models.DecimalField(max_digits=5, decimal_places=2, **kwargs)


class BillableItem(BaseModel):
    """Something the hospital charges for: a consultation (per specialty), a procedure,
    a bed-day class, a lab test, an imaging study, a drug, a consumable, a package."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        PROCEDURE = "procedure", "Procedure"
        BED_DAY = "bed_day", "Bed day"
        LAB = "lab", "Laboratory test"
        IMAGING = "imaging", "Imaging"
        DRUG = "drug", "Drug"
        CONSUMABLE = "consumable", "Consumable"
        PACKAGE = "package", "Package"
        OTHER = "other", "Other"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200, validators=[validate_single_line])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # For consultations: which specialty this fee is for (none: a general consultation).
    specialty = models.ForeignKey(
        "staff.Specialty", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="billable_item_code_unique"),
            models.CheckConstraint(
                condition=Q(specialty__isnull=True) | Q(kind="consultation"),
                name="billable_item_specialty_only_for_consultations",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PriceList(BaseModel):
    """A tariff: what the facility charges one group of payers (self-pay patients, an
    insurer's plan, staff, charity cases). Its currency is the facility's."""

    class Kind(models.TextChoices):
        SELF_PAY = "self_pay", "Self-pay"
        PAYER = "payer", "Payer or plan"
        STAFF = "staff", "Staff"
        CHARITY = "charity", "Charity"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200, validators=[validate_single_line])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="price_list_code_unique"),
            # The list every patient is charged from unless another applies.
            models.UniqueConstraint(
                fields=["facility"],
                condition=Q(kind="self_pay"),
                name="price_list_one_self_pay_per_facility",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Price(BaseModel):
    """What one item costs on one price list from `valid_from` until the day before
    `valid_until` (open-ended when none). The prices of an item on a list never overlap:
    a new price closes the one before it, which stays as history."""

    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="prices")
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="prices")
    amount = _money()
    tax_rate = _rate(default=0)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)  # exclusive

    class Meta:
        ordering = ["item_id", "price_list_id", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="price_tax_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="price_validity_forward",
            ),
            models.UniqueConstraint(
                fields=["item", "price_list", "valid_from"], name="price_starts_once"
            ),
            models.UniqueConstraint(
                fields=["item", "price_list"],
                condition=Q(valid_until__isnull=True),
                name="price_one_open_ended",
            ),
            # PostgreSQL also refuses any overlap with an exclusion constraint
            # (migration 0002); SQLite relies on the service's lock and checks.
        ]

    def __str__(self) -> str:
        return f"{self.amount} from {self.valid_from}"


class Package(BaseModel):
    """A bundle sold at one price (a delivery, a cataract operation): its own billable
    item carries the price in each price list, and the components say which charges it
    absorbs on an invoice, and how many of each (none: any number)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    item = models.OneToOneField(BillableItem, on_delete=models.PROTECT, related_name="package")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility_id", "item__code"]

    def __str__(self) -> str:
        return str(self.item)


class PackageComponent(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="components")
    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["package_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "item"], name="package_component_once"),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                name="package_component_quantity_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} x {self.quantity or 'any'}"


class Charge(BaseModel):
    """One service rendered to a patient, priced: the line an invoice is made from.

    `source` says what rendered it ("encounter:<uuid>:consultation", a client's key for
    a manual charge) and is unique per facility, so capturing the same service twice
    returns the first charge instead of billing it again."""

    class Status(models.TextChoices):
        # FHIR ChargeItem.status
        BILLABLE = "billable", "Billable"
        BILLED = "billed", "Billed"
        VOID = "entered-in-error", "Voided"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="charges"
    )
    encounter = models.ForeignKey(
        "encounters.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charges",
    )
    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="charges")
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="charges")
    # Who rendered it and where, taken from its source when captured (the visit's
    # department and doctor, or those chosen for a manual charge): revenue is reported
    # by them, and they do not change when the visit's do later.
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    practitioner = models.ForeignKey(
        "staff.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=9, decimal_places=3)
    unit_price = _money()
    tax_rate = _rate(default=0)
    amount = _money()  # quantity x unit price, rounded; before discount and tax
    currency = models.CharField(max_length=3)
    price_overridden = models.BooleanField(default=False)
    service_date = models.DateField()
    source = models.CharField(max_length=200)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BILLABLE)
    invoice = models.ForeignKey(
        "Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    void_reason = models.CharField(max_length=500, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-service_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "source"], name="charge_source_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="charge_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="charge_unit_price_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="charge_patient_status")]

    def __str__(self) -> str:
        return self.source


class Invoice(BaseModel):
    """A bill to a patient: lines made from charges, drafted, then finalised with a
    number gapless per facility and year, after which it does not change."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINAL = "final", "Final"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="invoices"
    )
    encounter = models.ForeignKey(
        "encounters.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    number = models.CharField(max_length=40, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3)
    subtotal = _money(default=0)
    discount_total = _money(default=0)
    tax_total = _money(default=0)
    total = _money(default=0)
    discount_reason = models.CharField(max_length=500, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    # Kept under the invoice's row lock by hms.billing.services.payments: money
    # allocated to it, and money given back on it. balance = total - paid + refunded.
    amount_paid = _money(default=0)
    amount_refunded = _money(default=0)
    # Set at finalisation when the patient has a coverage on that day: the payer's and
    # the patient's portions of the total (hms.billing.insurance.split), and how much
    # of the plan's yearly deductible this invoice used up.
    coverage = models.ForeignKey(
        "Coverage", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    payer_amount = _money(null=True, blank=True)
    patient_amount = _money(null=True, blank=True)
    deductible_applied = _money(default=0)
    # What credit notes took off the total (hms.billing.services.credit_notes).
    amount_credited = _money(default=0)
    void_reason = models.CharField(max_length=500, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "number"],
                condition=Q(number__isnull=False),
                name="invoice_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False),
                name="invoice_numbered_once_final",
            ),
            models.CheckConstraint(
                condition=_adds_up("total", "subtotal", (-1, "discount_total"), (1, "tax_total")),
                name="invoice_balanced",
            ),
            # Never overpaid, never refunded more than was paid, never credited more
            # than is owed: the last line of defence behind the services' locks.
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0)
                & Q(amount_refunded__lte=models.F("amount_paid"))
                & Q(
                    amount_paid__lte=models.F("total")
                    - models.F("amount_credited")
                    + models.F("amount_refunded")
                    + _HALF_CENT
                ),
                name="invoice_paid_range",
            ),
            models.CheckConstraint(
                condition=Q(amount_credited__gte=0)
                & Q(amount_credited__lte=models.F("total") + _HALF_CENT),
                name="invoice_credited_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="void") | (Q(voided_at__isnull=False) & ~Q(void_reason="")),
                name="invoice_void_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(payer_amount__isnull=True)
                | _adds_up("total", "payer_amount", (1, "patient_amount")),
                name="invoice_split_balanced",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"draft {self.external_id}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_credited - self.amount_paid + self.amount_refunded


class InvoiceLine(models.Model):
    """One charge on an invoice, each amount rounded on its own line: gross = quantity x
    unit price, less the line's discount, plus tax on what remains."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=9, decimal_places=3)
    unit_price = _money()
    gross = _money()
    discount = _money(default=0)
    tax_rate = _rate(default=0)
    tax = _money(default=0)
    line_total = _money()
    # The package line whose bundle price covers this one (its own total is then 0).
    absorbed_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed"
    )

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "charge"], name="invoice_line_charge_once"),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=models.F("gross")),
                name="invoice_line_discount_range",
            ),
            models.CheckConstraint(
                condition=_adds_up("line_total", "gross", (-1, "discount"), (1, "tax")),
                name="invoice_line_balanced",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class CreditNote(BaseModel):
    """A correction to a final invoice: it takes `amount` off what is owed, with a reason
    and its own number gapless per facility and year. Money already paid is given back
    by a refund first, so a credit note never exceeds the invoice's balance."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=40)
    amount = _money()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "number"], name="credit_note_number_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="credit_note_reason_required"),
        ]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    """The part of a credit note taken off one invoice line (for revenue by line)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="credit_lines"
    )
    amount = _money()

    class Meta:
        ordering = ["credit_note_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_line_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    MOBILE_MONEY = "mobile_money", "Mobile money"
    ONLINE = "online", "Online"


class Shift(BaseModel):
    """A cashier's turn at the till: opened with a float, closed with a count of what is
    in the drawer per method, and handed over. Cash is taken only in an open shift."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        HANDED_OVER = "handed_over", "Handed over"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="cashier_shifts"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3)
    opening_float = _money(default=0)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    expected_total = _money(null=True, blank=True)
    counted_total = _money(null=True, blank=True)
    variance = _money(null=True, blank=True)  # counted - expected; negative is short
    close_note = models.CharField(max_length=500, blank=True)
    handed_over_to = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "cashier"],
                condition=Q(status="open"),
                name="shift_one_open_per_cashier",
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=0), name="shift_opening_float_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"shift {self.external_id}"


class ShiftCount(models.Model):
    """What a closing cashier counted for one method, beside what the till expected."""

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="counts")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    expected = _money()
    counted = _money()
    variance = _money()

    class Meta:
        ordering = ["shift_id", "method"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "method"], name="shift_count_method_once"),
            models.CheckConstraint(condition=Q(counted__gte=0), name="shift_count_not_negative"),
            models.CheckConstraint(
                condition=_adds_up("variance", "counted", (-1, "expected")),
                name="shift_count_variance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method}: {self.counted}"


class Payment(BaseModel):
    """Money received from (or for) a patient, with its receipt number. It is allocated
    to invoices (PaymentAllocation); what is not allocated is the patient's deposit,
    applied to later invoices or refunded."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="payments"
    )
    receipt_number = models.CharField(max_length=40)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    # The card terminal's slip number, the bank's or mobile-money transaction code.
    reference = models.CharField(max_length=64, blank=True)
    amount = _money()
    unallocated = _money()  # the deposit left on this payment
    currency = models.CharField(max_length=3)
    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    received_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "receipt_number"], name="payment_receipt_unique"
            ),
            # One bank or mobile-money transaction is posted once.
            models.UniqueConstraint(
                fields=["facility", "method", "reference"],
                condition=~Q(reference=""),
                name="payment_reference_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0) & Q(unallocated__lte=models.F("amount")),
                name="payment_unallocated_range",
            ),
            models.CheckConstraint(
                condition=Q(method="cash") | Q(method="online") | ~Q(reference=""),
                name="payment_reference_required",
            ),
        ]
        indexes = [models.Index(fields=["patient", "unallocated"], name="payment_patient_deposit")]

    def __str__(self) -> str:
        return self.receipt_number


class PaymentAllocation(models.Model):
    """The part of a payment that settles one invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = _money()
    allocated_at = models.DateTimeField()

    class Meta:
        ordering = ["allocated_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount}"


class Refund(BaseModel):
    """Money given back: on an invoice (never more than was paid on it) or out of the
    patient's deposit (never more than is left), with a reason and its own number."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    number = models.CharField(max_length=40)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=64, blank=True)
    amount = _money()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500)
    shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    refunded_at = models.DateTimeField()

    class Meta:
        ordering = ["-refunded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "number"], name="refund_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_reason_required"),
        ]

    def __str__(self) -> str:
        return self.number


# Insurance: who pays part of a patient's bill, on what terms, and what they agreed to.


class Payer(BaseModel):
    """An organisation that pays for care on a patient's behalf: an insurer, a
    government scheme, an employer."""

    class Kind(models.TextChoices):
        INSURER = "insurer", "Insurer"
        GOVERNMENT = "government", "Government scheme"
        EMPLOYER = "employer", "Employer"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200, validators=[validate_single_line])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The payer's id in X12 837 claims (loop 2010BB NM109), when it takes them.
    x12_payer_id = models.CharField(max_length=80, blank=True, validators=[validate_single_line])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="payer_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class Plan(BaseModel):
    """A payer's product and its cost-sharing terms. The patient pays, per invoice, the
    co-pay first, then what is left of the yearly deductible, then the co-insurance
    percentage of the rest; the payer pays the remainder (hms.billing.insurance.split)."""

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="plans")
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=200, validators=[validate_single_line])
    copay = _money(default=0)
    coinsurance_percent = _rate(default=0)
    deductible = _money(default=0)  # per coverage and calendar year
    # The tariff this plan's members are charged from (none: the self-pay list).
    price_list = models.ForeignKey(
        PriceList, null=True, blank=True, on_delete=models.PROTECT, related_name="plans"
    )
    # Items the payer pays for only with its prior approval.
    preauth_items = models.ManyToManyField(BillableItem, blank=True, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["payer_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "code"], name="plan_code_unique"),
            models.CheckConstraint(
                condition=Q(copay__gte=0) & Q(deductible__gte=0), name="plan_amounts_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(coinsurance_percent__gte=0) & Q(coinsurance_percent__lte=100),
                name="plan_coinsurance_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Coverage(BaseModel):
    """A patient's membership of a plan from `valid_from` to `valid_until` (both days
    covered; open-ended when none). The member ID is encrypted like the patient's other
    identifiers, with a blind index for exact lookup. With several coverages, the
    lowest `priority` pays first (FHIR Coverage.order).

    One member number of one payer names one policyholder: of the active coverages
    through which a patient holds the number themselves (relationship self), one
    `holds_member_id`, and the database allows one such row per payer and number.
    The patient's renewals with the same number do not hold it; dependants share it.
    `payer` repeats `plan.payer` so the database can say so."""

    class Relationship(models.TextChoices):
        # FHIR subscriber-relationship codes
        SELF = "self", "Self"
        SPOUSE = "spouse", "Spouse"
        CHILD = "child", "Child"
        PARENT = "parent", "Parent"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        # FHIR Coverage.status
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="coverages"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")
    member_id = EncryptedTextField()
    member_id_index = models.CharField(max_length=40)
    holds_member_id = models.BooleanField(default=False)
    relationship = models.CharField(
        max_length=10, choices=Relationship.choices, default=Relationship.SELF
    )
    # The policyholder, when the patient is their dependant (X12 loop 2000B names the
    # subscriber and 2000C the patient; FHIR Coverage.subscriber).
    subscriber_family_name = models.CharField(max_length=100, blank=True)
    subscriber_given_name = models.CharField(max_length=100, blank=True)
    subscriber_birth_date = models.DateField(null=True, blank=True)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)  # inclusive
    priority = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["patient_id", "priority", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="coverage_validity_forward",
            ),
            models.CheckConstraint(condition=Q(priority__gte=1), name="coverage_priority_positive"),
            models.UniqueConstraint(
                fields=["payer", "member_id_index"],
                condition=Q(holds_member_id=True, relationship="self", status="active"),
                name="coverage_member_id_one_holder",
            ),
        ]
        indexes = [models.Index(fields=["member_id_index"], name="coverage_member_id")]

    def __str__(self) -> str:
        return f"coverage {self.external_id}"

    def covers(self, day) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


class EligibilityCheck(BaseModel):
    """What the payer said, when asked, about a coverage: kept as a row so a later
    dispute can be answered with who checked, when, and what they were told."""

    class Outcome(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"
        UNKNOWN = "unknown", "Could not be confirmed"

    coverage = models.ForeignKey(
        Coverage, on_delete=models.PROTECT, related_name="eligibility_checks"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return self.outcome


class PreAuthorisation(BaseModel):
    """A payer's prior approval of a service for a member: requested, then approved (in
    full or in part, until `expires_on`) or denied; an approval past its expiry is
    expired."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired"

    coverage = models.ForeignKey(
        Coverage, on_delete=models.PROTECT, related_name="preauthorisations"
    )
    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_amount = _money()
    approved_amount = _money(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)  # the last day it may be used
    # The payer's authorisation number, quoted on the claim.
    reference = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0), name="preauth_requested_positive"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (
                    Q(approved_amount__gt=0)
                    & Q(approved_amount__lte=models.F("requested_amount") + _HALF_CENT)
                ),
                name="preauth_approved_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(approved_amount__isnull=False) & Q(expires_on__isnull=False)),
                name="preauth_approval_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.status


# Claims: the payer's portion of a final invoice, asked of the payer.


class Claim(BaseModel):
    """A request to a payer for its portion of one final invoice. Built as a draft,
    checked (hms.billing.services.claims.validate_claim), submitted in a batch (an X12
    837P file or FHIR Claims), then answered: accepted or rejected on receipt, and
    paid, partially paid or denied (with the payer's reason codes) on remittance."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        PAID = "paid", "Paid"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        DENIED = "denied", "Denied"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="claim")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    amount = _money()  # the invoice's payer portion
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # ICD-10 codes, the principal first (X12 HI, FHIR Claim.diagnosis).
    diagnosis_codes = models.JSONField(default=list, blank=True)
    # The payer's claim adjustment reason codes (X12 CARC) when it denies or cuts.
    denial_reason_codes = models.JSONField(default=list, blank=True)
    # Our claim number, quoted back by the payer (X12 CLM01, FHIR Claim.identifier).
    control_number = models.CharField(max_length=38)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # 1 for the original; each corrected resubmission adds one (X12 CLM05-3 "7",
    # quoting the payer's own number for the claim in REF*F8).
    attempt = models.PositiveSmallIntegerField(default=1)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    # Posted from remittances (X12 835 CLP): what the payer paid, what it adjusted
    # away (contractual and other write-offs), and what it says the patient owes.
    paid_amount = _money(default=0)
    adjusted_amount = _money(default=0)
    patient_responsibility = _money(default=0)
    status_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "control_number"], name="claim_control_number_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="claim_submitted_at_once_sent",
            ),
        ]
        indexes = [models.Index(fields=["payer", "status"], name="claim_payer_status")]

    def __str__(self) -> str:
        return self.control_number


class Remittance(BaseModel):
    """A payer's payment advice (an X12 835 transaction): one payment, by its trace
    number, and what it says about each claim. The trace number is unique per payer,
    so importing the same file twice posts it once."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="remittances")
    trace_number = models.CharField(max_length=50)  # TRN02: the cheque or EFT number
    payment_method = models.CharField(max_length=3, blank=True)  # BPR04: ACH, CHK, NON
    payment_date = models.DateField(null=True, blank=True)  # BPR16
    total_paid = _money()  # BPR02
    currency = models.CharField(max_length=3)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "payer", "trace_number"], name="remittance_trace_once"
            ),
        ]

    def __str__(self) -> str:
        return self.trace_number


class RemittanceClaim(models.Model):
    """One claim payment in a remittance (an 835 CLP loop), posted to our claim when
    its control number matches one, kept unmatched otherwise for a person to look at."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claims")
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="remittances"
    )
    control_number = models.CharField(max_length=38)  # CLP01
    status_code = models.CharField(max_length=2)  # CLP02: 1, 2, 3 processed, 4 denied, 22 ...
    charged = _money()  # CLP03
    paid = _money()  # CLP04
    patient_responsibility = _money(default=0)  # CLP05
    payer_claim_number = models.CharField(max_length=50, blank=True)  # CLP07
    # [{"group": "CO", "reason": "45", "amount": "12.00"}, ...] from CAS segments.
    adjustments = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["remittance_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["remittance", "position"], name="remittance_claim_position_once"
            ),
        ]

    def __str__(self) -> str:
        return self.control_number
