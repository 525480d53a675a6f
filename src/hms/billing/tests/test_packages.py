"""Packages: a bundle price that absorbs the charges it covers on a draft invoice."""

import datetime as dt
from decimal import Decimal

import pytest

from hms.billing import services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Charge, InvoiceLine, Package
from hms.core.errors import Conflict, InvalidInput, NotPermitted

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def package(tariff, supervisor, facility):
    """A "check-up" at 1,500: one consultation and up to two blood counts."""
    item = services.add_billable_item(
        actor=supervisor, facility=facility, code="PKG-CHK", name="Check-up", kind="package"
    )
    services.set_price(
        actor=supervisor,
        item=item,
        price_list=tariff.self_pay,
        amount=Decimal("1500"),
        tax_rate=Decimal("0"),
        valid_from=DAY,
    )
    return services.define_package(
        actor=supervisor,
        facility=facility,
        item_code="PKG-CHK",
        components=[("CONS", 1), ("FBC", "2")],
    )


def _draft(clerk, patient, *items):
    for n, (code, quantity) in enumerate(items):
        services.capture_charge(
            actor=clerk,
            patient=patient,
            item_code=code,
            quantity=quantity,
            source=f"pk{n}",
            service_date=DAY,
        )
    return services.draft_invoice(actor=clerk, patient=patient)


def test_a_package_absorbs_what_it_covers_and_bills_the_rest(package, clerk, patient):
    # Two consultations: the package covers one; blood counts x2 fit in it.
    draft = _draft(clerk, patient, ("CONS", 1), ("FBC", 2), ("CONS", 1))

    line = services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")

    draft.refresh_from_db()
    lines = {ln.position: ln for ln in draft.lines.all()}
    assert (lines[1].absorbed_by, lines[1].line_total) == (line, Decimal(0))
    assert (lines[2].absorbed_by, lines[2].line_total, lines[2].tax) == (line, 0, 0)
    assert (lines[3].absorbed_by, lines[3].line_total) == (None, Decimal("1000.00"))
    assert line.line_total == Decimal("1500.00")
    assert draft.total == Decimal("2500.00")
    assert draft.total == sum(ln.line_total for ln in lines.values())


def test_a_package_on_an_invoice_twice_is_refused(package, clerk, patient):
    draft = _draft(clerk, patient, ("CONS", 1))
    services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")
    with pytest.raises(Conflict) as exc:
        services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")
    assert exc.value.code == BillingErrorCode.PACKAGE_APPLIED
    assert draft.lines.count() == 2


def test_lines_beyond_the_package_quantity_stay_charged(package, clerk, patient):
    draft = _draft(clerk, patient, ("FBC", 3))
    services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")
    draft.refresh_from_db()
    assert draft.total == Decimal("1500.00") + Decimal("2784.00")


def test_a_discount_leaves_absorbed_lines_at_nothing(package, clerk, patient):
    draft = _draft(clerk, patient, ("CONS", 1), ("FBC", 1))
    services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")
    services.apply_discount(actor=clerk, invoice=draft, reason="Staff", percent=Decimal(10))
    draft.refresh_from_db()
    assert draft.total == Decimal("1350.00")
    assert list(draft.lines.filter(absorbed_by__isnull=False).values_list("line_total", flat=True))
    assert set(
        draft.lines.filter(absorbed_by__isnull=False).values_list("line_total", flat=True)
    ) == {Decimal(0)}


def test_removing_a_package_charges_its_lines_in_full_again(package, clerk, supervisor, patient):
    draft = _draft(clerk, patient, ("CONS", 1), ("FBC", 1))
    services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")

    services.remove_package(actor=supervisor, invoice=draft, item_code="PKG-CHK", reason="Declined")

    draft.refresh_from_db()
    assert draft.total == Decimal("1928.00")
    assert not InvoiceLine.objects.filter(absorbed_by__isnull=False).exists()
    assert Charge.objects.get(item__code="PKG-CHK").status == Charge.Status.VOID


def test_a_finalised_package_invoice_balances(package, clerk, patient):
    draft = _draft(clerk, patient, ("CONS", 1), ("FBC", 2))
    services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")
    final = services.finalise_invoice(actor=clerk, invoice=draft)
    assert final.total == Decimal("1500.00")
    assert set(Charge.objects.values_list("status", flat=True)) == {Charge.Status.BILLED}


def test_discarding_the_draft_voids_the_package_charge(package, clerk, patient):
    draft = _draft(clerk, patient, ("CONS", 1))
    services.apply_package(actor=clerk, invoice=draft, item_code="PKG-CHK")
    services.discard_draft(actor=clerk, invoice=draft)
    again = services.draft_invoice(actor=clerk, patient=patient)
    assert again.total == Decimal("1000.00")


@pytest.mark.parametrize(
    ("components", "field"),
    [
        ([], "components"),
        ([("NOPE", 1)], "components[0]"),
        ([("CONS", 0)], "components[0]"),
        ([("CONS", "-1")], "components[0]"),
        ([("CONS", "abc")], "components[0]"),
        ([("CONS", 1), ("CONS", 2)], "components[1]"),
        ([("PKG-CHK", 1)], "components[0]"),
        (["CONS"], "components[0]"),
        ([("'; DROP TABLE x;--", 1)], "components[0]"),
    ],
)
def test_a_bad_package_definition_names_the_part(package, supervisor, facility, components, field):
    with pytest.raises(InvalidInput) as exc:
        services.define_package(
            actor=supervisor, facility=facility, item_code="PKG-CHK", components=components
        )
    assert exc.value.field == field
    assert Package.objects.get().components.count() == 2


def test_only_package_items_are_packages_and_only_managers_define_them(
    package, supervisor, clerk, facility
):
    with pytest.raises(InvalidInput) as exc:
        services.define_package(
            actor=supervisor, facility=facility, item_code="CONS", components=[("FBC", 1)]
        )
    assert exc.value.code == BillingErrorCode.NOT_A_PACKAGE
    with pytest.raises(NotPermitted):
        services.define_package(
            actor=clerk, facility=facility, item_code="PKG-CHK", components=[("FBC", 1)]
        )


def test_an_unknown_package_names_the_field(package, clerk, patient):
    draft = _draft(clerk, patient, ("CONS", 1))
    with pytest.raises(InvalidInput) as exc:
        services.apply_package(actor=clerk, invoice=draft, item_code="CONS")
    assert exc.value.field == "item_code"
    assert draft.lines.count() == 1
