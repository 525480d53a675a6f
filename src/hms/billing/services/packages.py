"""Packages: a bundle priced as one (a normal delivery, a cataract operation). Put on
a draft invoice, the package's own charge comes in at its tariff price and absorbs the
invoice's charges it covers: their lines stay, for the record, at a total of 0.

A package is defined on a billable item of kind "package", whose prices live in the
price lists like any other item's; its components say which items it covers and how
many of each (none: any number). Lines are absorbed whole, oldest first, while they
fit in what the component allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import BillableItem, Charge, Invoice, InvoiceLine, Package, PackageComponent
from hms.billing.services import charges as charge_service
from hms.billing.services.invoices import locked_draft, recompute_line, save_totals
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Facility, author
from hms.core.money import parse_amount

ZERO = Decimal("0.00")


def define_package(
    *, actor: Any, facility: Facility, item_code: str, components: Iterable[tuple[str, object]]
) -> Package:
    """Make the package item `item_code` cover `components`, pairs of an item code and
    a quantity (None: any number), replacing what it covered before. Requires
    MANAGE_TARIFFS. InvalidInput naming the field for an unknown code, an item that is
    not a package, a package inside a package, a quantity not above 0, a repeat."""
    policies.check_manage_tariffs(actor, facility)
    item = _item(facility, item_code, "item_code")
    if item.kind != BillableItem.Kind.PACKAGE:
        raise InvalidInput(
            f"{item.code} is not a package item.",
            code=BillingErrorCode.NOT_A_PACKAGE,
            field="item_code",
        )
    parts = _components(facility, components)
    with transaction.atomic():
        package, _ = Package.objects.get_or_create(
            item=item,
            defaults={
                "facility": facility,
                "created_by": author(actor),
                "updated_by": author(actor),
            },
        )
        package.components.all().delete()
        PackageComponent.objects.bulk_create(
            PackageComponent(package=package, item=part, quantity=quantity)
            for part, quantity in parts
        )
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=package,
            reason=f"{item.code} covers " + ", ".join(f"{p.code} x {q or 'any'}" for p, q in parts),
        )
    return package


def _components(facility: Facility, components) -> list[tuple[BillableItem, Decimal | None]]:
    parts, seen = [], set()
    for position, entry in enumerate(components):
        field = f"components[{position}]"
        try:
            code, quantity = entry
        except (TypeError, ValueError):
            raise InvalidInput(
                "Give each part as an item code and a quantity.", field=field
            ) from None
        item = _item(facility, code, field)
        if item.kind == BillableItem.Kind.PACKAGE:
            raise InvalidInput("A package cannot contain a package.", field=field)
        if item.pk in seen:
            raise InvalidInput(f"{item.code} is listed twice.", field=field)
        seen.add(item.pk)
        parts.append((item, _quantity(quantity, field)))
    if not parts:
        raise InvalidInput("A package covers at least one item.", field="components")
    return parts


def _quantity(value: object, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        quantity = parse_amount(value)
    except ValueError:
        raise InvalidInput("Give the quantity as a number.", field=field) from None
    if not 0 < quantity <= charge_service.MAX_QUANTITY or quantity != round(quantity, 3):
        raise InvalidInput(
            f"The quantity must be above 0 and at most {charge_service.MAX_QUANTITY}, "
            "in at most 3 decimals.",
            field=field,
        )
    return quantity


def _item(facility: Facility, code: object, field: str) -> BillableItem:
    item = (
        BillableItem.objects.filter(facility=facility, code=str(code)[:20], is_active=True).first()
        if isinstance(code, str)
        else None
    )
    if item is None:
        raise InvalidInput(
            f"No billable item {str(code)[:40]!r}.", code=BillingErrorCode.UNKNOWN_ITEM, field=field
        )
    return item


def apply_package(*, actor: Any, invoice: Invoice, item_code: str) -> InvoiceLine:
    """Put the package `item_code` on a draft invoice: capture its charge (priced from
    the tariff on the day of the invoice's first charge) and absorb the lines it
    covers. Requires MANAGE_INVOICES and CAPTURE_CHARGE. Conflict (PACKAGE_APPLIED)
    when it is on the invoice already, (INVOICE_NOT_DRAFT) once final."""
    policies.check_manage_invoices(actor, invoice.facility)
    package = Package.objects.filter(
        facility=invoice.facility, item__code=item_code, is_active=True
    ).first()
    if package is None:
        raise InvalidInput(
            f"No package {str(item_code)[:40]!r}.",
            code=BillingErrorCode.NOT_A_PACKAGE,
            field="item_code",
        )
    with transaction.atomic():
        locked = locked_draft(invoice)
        lines = list(locked.lines.select_related("charge").order_by("position"))
        if any(line.charge.item_id == package.item_id for line in lines):
            raise Conflict(
                f"{package.item.code} is on this invoice already.",
                code=BillingErrorCode.PACKAGE_APPLIED,
                field="item_code",
            )
        charge = charge_service.capture_charge(
            actor=actor,
            patient=locked.patient,
            item_code=package.item.code,
            source=f"invoice:{locked.external_id}:package:{package.item.code}",
            service_date=min(line.charge.service_date for line in lines),
            encounter=locked.encounter,
            price_list=lines[0].charge.price_list,
        )
        package_line = InvoiceLine(invoice=locked, charge=charge, position=lines[-1].position + 1)
        recompute_line(package_line, charge, locked.currency)
        package_line.save()
        Charge.objects.filter(pk=charge.pk).update(invoice=locked)
        absorbed = _absorb(package, lines, package_line, locked.currency)
        save_totals(locked, [*lines, package_line], locked.updated_by)
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Package {package.item.code} absorbs {absorbed} lines, "
            f"total {locked.total} {locked.currency}",
        )
    return package_line


def _absorb(package: Package, lines: list[InvoiceLine], package_line, currency: str) -> int:
    allowance = {c.item_id: c.quantity for c in package.components.all()}
    absorbed = []
    for line in lines:
        item_id = line.charge.item_id
        if item_id not in allowance or line.absorbed_by_id is not None:
            continue
        left = allowance[item_id]
        if left is not None and line.quantity > left:
            continue
        if left is not None:
            allowance[item_id] = left - line.quantity
        line.absorbed_by = package_line
        line.discount = line.gross
        recompute_line(line, None, currency)
        absorbed.append(line)
    InvoiceLine.objects.bulk_update(absorbed, ["absorbed_by", "discount", "tax", "line_total"])
    return len(absorbed)


def remove_package(*, actor: Any, invoice: Invoice, item_code: str, reason: str) -> Invoice:
    """Take a package off a draft invoice by voiding its charge: the lines it absorbed
    are charged in full again. Requires MANAGE_INVOICES and VOID_CHARGE."""
    policies.check_manage_invoices(actor, invoice.facility)
    with transaction.atomic():
        locked = locked_draft(invoice)
        package_line = locked.lines.filter(
            charge__item__code=item_code, charge__item__kind=BillableItem.Kind.PACKAGE
        ).first()
        if package_line is None:
            raise InvalidInput(
                f"Package {str(item_code)[:40]!r} is not on this invoice.", field="item_code"
            )
        charge_service.void_charge(actor=actor, charge=package_line.charge, reason=reason)
    locked.refresh_from_db()
    return locked
