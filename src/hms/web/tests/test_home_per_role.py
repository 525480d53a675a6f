"""Every role lands on its own work: the home page's cards per role."""

from __future__ import annotations

import re

import pytest

from hms.audit.services import Action as AuditAction
from hms.audit.services import Outcome, record_event

pytestmark = pytest.mark.django_db


def cards_on(client) -> list[str]:
    html = client.get("/").content.decode()
    return re.findall(r'data-card="([a-z]+)"', html)


@pytest.mark.parametrize(
    ("role", "cards"),
    [
        ("receptionist", ["desk"]),
        ("nurse", ["desk", "worklist"]),
        ("doctor", ["desk", "worklist"]),
        ("cashier", ["till"]),
        ("billing_clerk", ["claims"]),
        ("admin", ["desk", "worklist", "till", "claims", "administration"]),
        ("auditor", ["audit"]),
        ("lab_technician", []),
    ],
)
def test_each_role_sees_the_cards_of_its_work(client_for, role, cards):
    assert cards_on(client_for(role)) == cards


def test_reception_lands_on_the_search_and_todays_desk(client_for):
    html = client_for("receptionist").get("/").content.decode()
    assert 'id="patient-q"' in html
    assert 'data-card="desk"' in html
    assert 'href="/queue/desk/"' in html


def test_the_cashier_sees_the_shift_and_open_invoices(client_for):
    html = client_for("cashier").get("/").content.decode()
    assert "Open invoices" in html
    assert "not open" in html
    assert 'href="/billing/shift/"' in html


def test_the_billing_clerk_sees_claims_to_act_on(client_for):
    html = client_for("billing_clerk").get("/").content.decode()
    assert "Claims to act on" in html
    assert 'href="/billing/claims/?status=rejected"' in html


def test_the_worklist_card_leads_to_the_worklist(client_for):
    html = client_for("doctor").get("/").content.decode()
    assert 'href="/queue/worklist/"' in html


def test_the_administrator_sees_what_needs_attention(client_for):
    html = client_for("admin").get("/").content.decode()
    assert "Needs attention" in html
    assert "Locked out now" in html


def test_the_auditor_sees_the_latest_refusals(client_for):
    record_event(
        action=AuditAction.READ,
        actor=None,
        object_type="page:/billing/",
        outcome=Outcome.DENIED,
        reason="Refused: no billing role here",
    )
    html = client_for("auditor").get("/").content.decode()
    assert "Refused: no billing role here" in html
    assert 'href="/audit/?outcome=denied"' in html
