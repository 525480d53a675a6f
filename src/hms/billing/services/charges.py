"""Charge capture: the one door every module bills through, and voiding a charge.

`capture_charge` is idempotent on `source`: the (facility, source) pair is unique in
the database, so a retry, a double click or a redelivered event gets the charge
captured the first time, never a second one, also when two arrive at once.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import BillableItem, Charge, Invoice, Price, PriceList
from hms.billing.services import invoices
from hms.billing.services._common import a_date, amount_in
from hms.billing.totals import gross_of
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Facility, author
from hms.core.money import parse_amount
from hms.core.text import reason_text
from hms.encounters.models import Encounter
from hms.patients.models import Patient

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
    """
    facility = facility or patient.facility
    if not skip_permission_checks:
        policies.check_capture_charge(actor, facility, overriding_price=unit_price is not None)
    source = reason_text(source, "source", required=True, limit=200)
    _check_patient(patient, facility)
    existing = _by_source(facility, source)
    if existing is not None:
        return _same(existing, patient, item_code)
    quantity = _quantity(quantity)
    note = reason_text(note, "note", limit=500)
    _check_links(patient, encounter, price_list)
    day = _service_date(service_date, facility)
    item = _item(facility, item_code)
    price, used = _price(item, price_list, day, facility)
    if unit_price is not None:
        unit_price = amount_in(unit_price, field="unit_price")
    elif price is None:
        raise InvalidInput(
            f"{item.code} has no price in force on {day:%d %b %Y}.",
            code=BillingErrorCode.NO_PRICE,
            field="item_code",
        )
    charge = Charge(
        facility=facility,
        patient=patient,
        encounter=encounter,
        item=item,
        price_list=used,
        description=item.name,
        quantity=quantity,
        unit_price=price.amount if unit_price is None else unit_price,
        tax_rate=price.tax_rate if price else Decimal(0),
        currency=used.currency,
        price_overridden=unit_price is not None,
        service_date=day,
        source=source,
        note=note,
        created_by=author(actor),
        updated_by=author(actor),
    )
    charge.amount = gross_of(charge.quantity, charge.unit_price, charge.currency)
    return _insert(actor, charge, item_code)


def _insert(actor: Any, charge: Charge, item_code: str) -> Charge:
    # No savepoint of its own around the insert: a failed insert rolls the block
    # back whole, and the lookup below runs after that.
    try:
        with transaction.atomic():
            charge.save(force_insert=True)
            record_event(
                action=Action.CREATE,
                actor=actor,
                obj=charge,
                patient_id=str(charge.patient.external_id),
                reason=f"{charge.item.code} x {charge.quantity} at {charge.unit_price}"
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


def _check_patient(patient: Patient, facility: Facility) -> None:
    if patient.facility_id != facility.pk:
        raise InvalidInput(
            "That patient is registered at another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="patient",
        )
    if not patient.is_active:
        raise InvalidInput(
            "This record was merged or entered in error; charge the surviving record.",
            code=BillingErrorCode.PATIENT_NOT_BILLABLE,
            field="patient",
        )


def _check_links(patient: Patient, encounter: Encounter | None, price_list: PriceList | None):
    if encounter is not None and encounter.patient_id != patient.pk:
        raise InvalidInput("That visit is another patient's.", field="encounter")
    if price_list is not None and price_list.facility_id != patient.facility_id:
        raise InvalidInput(
            "That price list belongs to another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="price_list",
        )


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


def _item(facility: Facility, code: object) -> BillableItem:
    item = None
    if isinstance(code, str):
        item = BillableItem.objects.filter(facility=facility, code=code, is_active=True).first()
    if item is None:
        raise InvalidInput(
            f"No billable item has the code {str(code)[:20]!r}.",
            code=BillingErrorCode.UNKNOWN_ITEM,
            field="item_code",
        )
    return item


def self_pay_list(facility: Facility) -> PriceList | None:
    return PriceList.objects.filter(facility=facility, kind=PriceList.Kind.SELF_PAY).first()


def _price(
    item: BillableItem, price_list: PriceList | None, day: dt.date, facility: Facility
) -> tuple[Price | None, PriceList]:
    """The price in force on `day` and the list it came from: `price_list`'s, else the
    self-pay list's. InvalidInput when there is no list to charge from."""
    found = _prices_in_force(item, price_list, day, facility)
    price = found.get(price_list.pk) if price_list is not None else None
    price = price or next(iter(found.values()), None)  # else the self-pay list's
    if price is not None:
        return price, price.price_list
    # No price in force: the list is needed for the refusal or for an override.
    used = price_list or self_pay_list(facility)
    if used is None:
        raise InvalidInput(
            "The facility has no self-pay price list.",
            code=BillingErrorCode.NO_PRICE,
            field="price_list",
        )
    return None, used


def _prices_in_force(
    item: BillableItem, price_list: PriceList | None, day: dt.date, facility: Facility
) -> dict[int, Price]:
    """The prices in force on `day` on `price_list` and on the self-pay list, by list
    id, in one query: the common case needs no more."""
    lists = Q(price_list__facility=facility, price_list__kind=PriceList.Kind.SELF_PAY)
    if price_list is not None:
        lists |= Q(price_list=price_list)
    found: dict[int, Price] = {}
    for price in (
        Price.objects.filter(lists, item=item, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=day))
        .select_related("price_list")
    ):
        found.setdefault(price.price_list_id, price)
    return found


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
