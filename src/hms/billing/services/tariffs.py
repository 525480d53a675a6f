"""The tariff: billable items, price lists, and prices set over time.

Prices are never edited in place: setting a new price closes the one in force the day
before the new one starts, so the rows of an item on a list are its price history, and
each change is also in the audit trail with the old and new amounts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import BillableItem, Price, PriceList
from hms.billing.services._common import a_date, amount_in, full_clean
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Department, Facility, author
from hms.staff.models import Specialty


def add_billable_item(
    *,
    actor: Any,
    facility: Facility,
    code: str,
    name: str,
    kind: str,
    department: Department | None = None,
    specialty: Specialty | None = None,
) -> BillableItem:
    """Add an item to the facility's catalogue. Requires MANAGE_TARIFFS. InvalidInput
    naming the field for a bad code, name or kind, a department of another facility, or
    a specialty on anything but a consultation; Conflict (DUPLICATE_CODE) for a code
    the facility already uses."""
    policies.check_manage_tariffs(actor, facility)
    if department is not None and department.facility_id != facility.pk:
        raise InvalidInput(
            "That department belongs to another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="department",
        )
    if specialty is not None and kind != BillableItem.Kind.CONSULTATION:
        raise InvalidInput("Only a consultation has a specialty.", field="specialty")
    user = author(actor)
    item = BillableItem(
        facility=facility,
        code=code,
        name=name,
        kind=kind,
        department=department,
        specialty=specialty,
        created_by=user,
        updated_by=user,
    )
    full_clean(item, exclude=["facility", "department", "specialty"])
    with transaction.atomic():
        _insert(item, "code", f"The code {code} is already in use.")
        record_event(action=Action.CREATE, actor=actor, obj=item, reason=f"Item {code}: {kind}")
    return item


def add_price_list(*, actor: Any, facility: Facility, code: str, name: str, kind: str) -> PriceList:
    """Add a price list in the facility's currency. Requires MANAGE_TARIFFS. Conflict
    (DUPLICATE_CODE) for a code in use, or for a second self-pay list."""
    policies.check_manage_tariffs(actor, facility)
    user = author(actor)
    price_list = PriceList(
        facility=facility,
        code=code,
        name=name,
        kind=kind,
        currency=facility.currency,
        created_by=user,
        updated_by=user,
    )
    full_clean(price_list, exclude=["facility"])
    with transaction.atomic():
        _insert(
            price_list, "code", f"The code {code} is in use, or the facility has a self-pay list."
        )
        record_event(
            action=Action.CREATE, actor=actor, obj=price_list, reason=f"Price list {code}: {kind}"
        )
    return price_list


def _insert(row, field: str, message: str) -> None:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(message, code=BillingErrorCode.DUPLICATE_CODE, field=field) from exc


def set_price(
    *,
    actor: Any,
    item: BillableItem,
    price_list: PriceList,
    amount: Decimal,
    valid_from: dt.date,
    tax_rate: Decimal = Decimal(0),
) -> Price:
    """Charge `amount` (plus `tax_rate` per cent) for `item` on `price_list` from
    `valid_from` on. The price in force before is closed the day `valid_from` starts.

    Requires MANAGE_TARIFFS. Locks the item's row, so two changes to one item queue.
    Conflict (PRICE_OVERLAP) when a price already starts on or after `valid_from`: the
    history is not rewritten, a later price is set after it. Audits the old and new
    amounts.
    """
    policies.check_manage_tariffs(actor, item.facility)
    if price_list.facility_id != item.facility_id:
        raise InvalidInput(
            "That price list belongs to another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="price_list",
        )
    amount = amount_in(amount, field="amount")
    tax_rate = amount_in(tax_rate, field="tax_rate", maximum=Decimal(100))
    valid_from = a_date(valid_from, field="valid_from")
    user = author(actor)
    with transaction.atomic():
        BillableItem.objects.select_for_update().filter(pk=item.pk).first()
        prices = Price.objects.filter(item=item, price_list=price_list)
        if prices.filter(valid_from__gte=valid_from).exists():
            raise Conflict(
                f"A price already starts on or after {valid_from:%d %b %Y}.",
                code=BillingErrorCode.PRICE_OVERLAP,
                field="valid_from",
            )
        before = (
            prices.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=valid_from))
            .order_by("-valid_from")
            .first()
        )
        if before is not None:
            before.valid_until, before.updated_by = valid_from, user
            before.save(update_fields=["valid_until", "updated_by", "updated_at"])
        price = Price.objects.create(
            item=item,
            price_list=price_list,
            amount=amount,
            tax_rate=tax_rate,
            valid_from=valid_from,
            created_by=user,
            updated_by=user,
        )
        old = f"{before.amount} (tax {before.tax_rate}%)" if before else "none"
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=price,
            reason=(
                f"Price of {item.code} on {price_list.code} from {valid_from}: "
                f"{old} -> {amount} (tax {tax_rate}%)"
            ),
        )
    return price
