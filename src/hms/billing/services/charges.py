"""Charge capture: the one door every module bills through, and voiding a charge.

`capture_charge` is idempotent on `source`: the (facility, source) pair is unique in
the database, so a retry, a double click or a redelivered event gets the charge
captured the first time, never a second one, also when two arrive at once.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Charge, Invoice, PriceList
from hms.billing.services import invoices
from hms.billing.services._common import a_date, amount_in, check_account
from hms.billing.services.insurance import COVERAGE_ON_SQL
from hms.billing.totals import gross_of
from hms.core.bulk import fetch_prepared, insert_one
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Department, Facility, author
from hms.core.money import parse_amount
from hms.core.text import reason_text
from hms.encounters.models import Encounter
from hms.patients.models import Patient
from hms.staff.models import Practitioner

# More of one thing than any ward or pharmacy bills in one line is a typing slip.
MAX_QUANTITY = Decimal(10_000)


def capture_charge(  # noqa: PLR0913 - the one door other modules call, all by keyword
    *,
    actor: Any,
    patient: Patient,
    item_code: str,
    source: str,
    quantity: Decimal | int | str = 1,
    service_date: dt.date | None = None,
    encounter: Encounter | None = None,
    price_list: PriceList | None = None,
    unit_price: Decimal | None = None,
    note: str = "",
    facility: Facility | None = None,
    department: Department | None = None,
    practitioner: Practitioner | None = None,
    skip_permission_checks: bool = False,
) -> Charge:
    """Charge `patient` for `quantity` of the item `item_code`, rendered on
    `service_date` (default: today in the facility), and return the charge.

    Priced from `price_list` (default: the facility's self-pay list; the self-pay list
    again when `price_list` has no price for the item that day); `unit_price` prices it
    by hand instead and needs OVERRIDE_PRICE. Requires CAPTURE_CHARGE in `facility`
    (default: the patient's) unless a subscriber captures it for the system.

    Idempotent on `source`: a charge with that source comes back as it is (Conflict
    SOURCE_REUSED if it is for another patient or item). Refuses, saving nothing:
    an unknown or inactive item code, no price in force, a quantity not above 0 or
    absurdly large, a merged-away or entered-in-error patient, a patient, encounter or
    price list of another facility (InvalidInput naming the field).

    The charge carries the department and practitioner of its source, for revenue by
    department and doctor: those given (a manual charge's), else the visit's, else
    the practitioner's department, else the item's (a walk-in pharmacy sale).
    """
    facility = facility or patient.facility
    if not skip_permission_checks:
        policies.check_capture_charge(actor, facility, overriding_price=unit_price is not None)
    source = reason_text(source, "source", required=True, limit=200)
    check_account(patient, facility, to="charge")
    quantity = _quantity(quantity)
    note = reason_text(note, "note", limit=500)
    _check_links(patient, encounter, price_list)
    _check_rendered_by(facility, department, practitioner)
    day = _service_date(service_date, facility)
    if not isinstance(item_code, str):
        raise InvalidInput(
            "Give the item's code.", code=BillingErrorCode.UNKNOWN_ITEM, field="item_code"
        )
    found = _tariff(facility, patient, source, item_code, price_list, day)
    if found.existing_id is not None:
        return _same(Charge.objects.get(pk=found.existing_id), patient, item_code)
    if found.item_id is None:
        raise InvalidInput(
            f"No billable item has the code {item_code[:20]!r}.",
            code=BillingErrorCode.UNKNOWN_ITEM,
            field="item_code",
        )
    price = found.price
    if unit_price is not None:
        unit_price = amount_in(unit_price, field="unit_price")
        price = price or found.fallback(facility)
    elif price is None:
        raise InvalidInput(
            f"{item_code} has no price in force on {day:%d %b %Y}.",
            code=BillingErrorCode.NO_PRICE,
            field="item_code",
        )
    user = author(actor)
    charge = Charge(
        facility=facility,
        patient=patient,
        encounter=encounter,
        item_id=found.item_id,
        price_list_id=price.list_id,
        department_id=_department_of(department, encounter, practitioner, found.item_department_id),
        practitioner=practitioner or (encounter.practitioner if encounter else None),
        description=found.item_name,
        quantity=quantity,
        unit_price=price.amount if unit_price is None else unit_price,
        tax_rate=price.tax_rate,
        currency=price.currency,
        price_overridden=unit_price is not None,
        service_date=day,
        source=source,
        note=note,
        created_by=user,
        updated_by=user,
    )
    charge.amount = gross_of(charge.quantity, charge.unit_price, charge.currency)
    return _insert(actor, charge, item_code)


def _insert(actor: Any, charge: Charge, item_code: str) -> Charge:
    # No savepoint of its own around the insert: a failed insert rolls the block
    # back whole, and the lookup below runs after that.
    try:
        with transaction.atomic():
            insert_one(charge)  # a plain INSERT: every service rendered writes one
            record_event(
                action=Action.CREATE,
                actor=actor,
                obj=charge,
                patient_id=str(charge.patient.external_id),
                reason=f"{item_code} x {charge.quantity} at {charge.unit_price}"
                + (" (price overridden)" if charge.price_overridden else ""),
            )
    except IntegrityError:
        # Captured at this moment by another request: the unique source decided.
        existing = _by_source(charge.facility, charge.source)
        if existing is None:
            raise
        return _same(existing, charge.patient, item_code)
    return charge


def _by_source(facility: Facility, source: str) -> Charge | None:
    return Charge.objects.filter(facility=facility, source=source).first()


def _same(existing: Charge, patient: Patient, item_code: str) -> Charge:
    if existing.patient_id != patient.pk or existing.item.code != item_code:
        raise Conflict(
            "That source already has a charge for another patient or item.",
            code=BillingErrorCode.SOURCE_REUSED,
            field="source",
        )
    return existing


def _check_links(patient: Patient, encounter: Encounter | None, price_list: PriceList | None):
    if encounter is not None and encounter.patient_id != patient.pk:
        raise InvalidInput("That visit is another patient's.", field="encounter")
    if price_list is not None and price_list.facility_id != patient.facility_id:
        raise InvalidInput(
            "That price list belongs to another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="price_list",
        )


def _check_rendered_by(
    facility: Facility, department: Department | None, practitioner: Practitioner | None
) -> None:
    if department is not None and department.facility_id != facility.pk:
        raise InvalidInput(
            "That department belongs to another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="department",
        )
    if practitioner is not None and practitioner.facility_id != facility.pk:
        raise InvalidInput(
            "That practitioner works at another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="practitioner",
        )


def _department_of(department, encounter, practitioner, item_department_id) -> int | None:
    if department is not None:
        return department.pk
    for source in (encounter, practitioner):
        if source is not None and source.department_id is not None:
            return source.department_id
    return item_department_id


def _quantity(value: object) -> Decimal:
    try:
        quantity = parse_amount(value)
    except ValueError:
        quantity = None
    if quantity is None or not 0 < quantity <= MAX_QUANTITY or quantity != round(quantity, 3):
        raise InvalidInput(
            f"The quantity must be above 0 and at most {MAX_QUANTITY}, in at most 3 decimals.",
            code=BillingErrorCode.INVALID_QUANTITY,
            field="quantity",
        )
    return quantity


def _service_date(value: dt.date | None, facility: Facility) -> dt.date:
    today = timezone.localdate(timezone=_zone(facility))
    if value is None:
        return today
    day = a_date(value, field="service_date")
    if day > today:
        raise InvalidInput(
            "A service cannot be charged before it is rendered.",
            code=BillingErrorCode.INVALID_DATE,
            field="service_date",
        )
    return day


def _zone(facility: Facility) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(facility.timezone)


@dataclass(frozen=True)
class _Price:
    list_id: int
    currency: str
    amount: Decimal | None = None
    tax_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class _Tariff:
    existing_id: int | None
    item_id: int | None
    item_name: str
    item_department_id: int | None
    price: _Price | None  # the price in force on the list that applies
    lists: dict[str, _Price]  # by role: "given", "plan", "self_pay"

    def fallback(self, facility: Facility) -> _Price:
        """The list a price typed by hand is charged on when no price is in force."""
        for role in _PREFERENCE:
            if role in self.lists:
                return self.lists[role]
        raise InvalidInput(
            "The facility has no self-pay price list.",
            code=BillingErrorCode.NO_PRICE,
            field="price_list",
        )


# One statement for what a charge needs to know: a charge already captured for the
# source, the item, and its prices in force that day on the lists that may apply
# (the one given, the patient's plan's that day, the self-pay list). The ORM would
# take four queries, and compiling them costs more than running them.
_TARIFF_SQL = f"""
WITH coverage AS ({COVERAGE_ON_SQL}
), plan_list AS (SELECT price_list_id AS id FROM coverage
), lists AS (
    SELECT l.id, l.currency,
           CASE WHEN l.id = %(given)s THEN 'given'
                WHEN l.id = (SELECT id FROM plan_list) THEN 'plan'
                ELSE 'self_pay' END AS role
    FROM billing_pricelist l
    WHERE l.facility_id = %(facility)s
      AND (l.id = %(given)s OR l.id = (SELECT id FROM plan_list) OR l.kind = 'self_pay')
)
SELECT (SELECT id FROM billing_charge WHERE facility_id = %(facility)s AND source = %(source)s),
       i.id, i.name, i.department_id, lists.role, lists.id, lists.currency, pr.amount, pr.tax_rate
FROM (SELECT 1 AS one) AS one
LEFT JOIN billing_billableitem i
       ON i.facility_id = %(facility)s AND i.code = %(code)s AND i.is_active
LEFT JOIN lists ON i.id IS NOT NULL
LEFT JOIN billing_price pr
       ON pr.item_id = i.id AND pr.price_list_id = lists.id AND pr.valid_from <= %(day)s
      AND (pr.valid_until IS NULL OR pr.valid_until > %(day)s)
"""  # noqa: S608 - made of constants; the values are parameters
_PREFERENCE = ("given", "plan", "self_pay")


def _tariff(facility, patient, source, code, price_list, day: dt.date) -> _Tariff:
    params = {
        "facility": facility.pk,
        "patient": patient.pk,
        "source": source,
        "code": code[:20],
        "given": price_list.pk if price_list is not None else None,
        "day": day,
    }
    rows = fetch_prepared(_TARIFF_SQL, params)
    existing, item_id, item_name, item_department_id = rows[0][:4]
    lists: dict[str, _Price] = {}
    for *_, role, list_id, currency, amount, tax_rate in rows:
        if role is None or (role in lists and lists[role].amount is not None):
            continue
        lists[role] = _Price(list_id, currency, _decimal(amount), _decimal(tax_rate) or Decimal(0))
    price = next(
        (lists[r] for r in _PREFERENCE if r in lists and lists[r].amount is not None), None
    )
    return _Tariff(existing, item_id, item_name or "", item_department_id, price, lists)


def _decimal(value) -> Decimal | None:
    # SQLite hands back decimal columns as floats; their shortest repr is the cents.
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def void_charge(*, actor: Any, charge: Charge, reason: str) -> Charge:
    """Void a charge entered in error, with a reason. Requires VOID_CHARGE (a
    supervisor's approval). A charge on a draft invoice leaves it (its totals are
    recomputed); Conflict (CHARGE_ON_FINAL_INVOICE) for one on a final invoice, which
    only a credit note corrects, and (CHARGE_ALREADY_VOID) for one voided already.
    Locks the invoice, then the charge: the order finalising takes them in."""
    policies.check_void_charge(actor, charge.facility)
    reason = reason_text(reason, "reason", required=True, limit=500)
    with transaction.atomic():
        invoice_id = Charge.objects.filter(pk=charge.pk).values_list("invoice", flat=True).get()
        invoice = None
        if invoice_id is not None:
            invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status == Charge.Status.VOID:
            raise Conflict(
                "That charge is void already.",
                code=BillingErrorCode.CHARGE_ALREADY_VOID,
                field="charge",
            )
        if locked.invoice_id != (invoice.pk if invoice else None):
            raise Conflict("The charge was just billed; try again.", field="charge")
        if invoice is not None and not invoice.is_editable:
            raise Conflict(
                f"That charge is on invoice {invoice.number}, which is final; "
                "correct it with a credit note.",
                code=BillingErrorCode.CHARGE_ON_FINAL_INVOICE,
                field="charge",
            )
        if invoice is not None:
            invoices.remove_charge(invoice, locked)
        locked.status, locked.invoice = Charge.Status.VOID, None
        locked.void_reason, locked.voided_at = reason, timezone.now()
        locked.updated_by = author(actor)
        locked.save(
            update_fields=[
                "status",
                "invoice",
                "void_reason",
                "voided_at",
                "updated_by",
                "updated_at",
            ]
        )
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Voided: {reason}",
        )
    return locked
