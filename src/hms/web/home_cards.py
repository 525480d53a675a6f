"""The home page's cards: each role lands on its own work. A card shows for the
permission that does that work, so a user holding two roles sees both; the work cards
come first, in the order of the list below."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hms.accounts import policies
from hms.accounts import selectors as account_selectors
from hms.accounts.permissions import Perm
from hms.audit import selectors as audit_selectors
from hms.audit.models import AuditEvent
from hms.billing import claim_selectors, payment_selectors
from hms.billing import selectors as billing_selectors
from hms.billing.models import Claim, Invoice
from hms.scheduling import selectors as scheduling_selectors
from hms.scheduling.web.reads import own_practitioner

# Claims a billing clerk acts on: correct and resubmit, appeal, or submit.
CLAIMS_TO_ACT_ON = (Claim.Status.REJECTED, Claim.Status.DENIED, Claim.Status.DRAFT)
RECENT_REFUSALS = 5


def _card(title: str, figures=(), links=(), rows=(), key: str = "") -> dict[str, Any]:
    return {"title": title, "figures": figures, "links": links, "rows": rows, "key": key}


def desk(user, facility) -> dict:
    day = scheduling_selectors.today_in_figures(facility=facility)
    return _card(
        _("Today's desk"),
        [(_("Appointments still to arrive"), day["to_arrive"]), (_("Waiting"), day["waiting"])],
        [(_("Check-in desk"), reverse("queue:desk"))],
        key="desk",
    )


def worklist(user, facility) -> dict:
    mine = own_practitioner(user, facility)
    day = scheduling_selectors.today_in_figures(facility=facility, practitioner=mine)
    return _card(
        _("Your worklist") if mine else _("Today's clinic"),
        [(_("Waiting"), day["waiting"]), (_("With a doctor"), day["called"])],
        [(_("Worklist"), reverse("queue:worklist"))],
        key="worklist",
    )


def till(user, facility) -> dict:
    shift = payment_selectors.current_shift(viewer=user, facility=facility)
    unpaid = billing_selectors.invoices_of(
        viewer=user, facility=facility, status=Invoice.Status.FINAL
    ).count()
    opened = (
        _("open since %(time)s") % {"time": f"{timezone.localtime(shift.opened_at):%H:%M}"}
        if shift
        else _("not open")
    )
    return _card(
        _("Your till"),
        [(_("Shift"), opened), (_("Open invoices"), unpaid)],
        [(_("Shift"), reverse("billing:shift")), (_("Cashier's desk"), reverse("billing:desk"))],
        key="till",
    )


def claims(user, facility) -> dict:
    url = reverse("billing:claims")
    figures, links = [], []
    for status in CLAIMS_TO_ACT_ON:
        count = claim_selectors.claims(viewer=user, facility=facility, status=status).count()
        figures.append((Claim.Status(status).label, count))
        links.append(
            (
                _("%(status)s claims") % {"status": Claim.Status(status).label},
                f"{url}?status={status}",
            )
        )
    return _card(_("Claims to act on"), figures, links, key="claims")


def administration(user, facility) -> dict:
    summary = account_selectors.user_security_summary(facility=facility)
    return _card(
        _("Needs attention"),
        [
            (_("Locked out now"), summary["locked"]),
            (_("Owe two-factor enrolment"), summary["awaiting_two_factor"]),
            (_("Active users"), summary["active_users"]),
        ],
        [
            (_("Users"), reverse("accounts:user-list")),
            (_("Add a user"), reverse("accounts:user-create")),
            (_("Facilities, departments, roles"), reverse("admin:index")),
        ],
        key="administration",
    )


def audit(user, facility) -> dict:
    day = audit_selectors.summary_since(timezone.now() - timedelta(hours=24))
    search = reverse("audit:search")
    refusals = [
        (e.at, e.username or "—", e.reason or e.object_type)
        for e in audit_selectors.search_events(outcome=AuditEvent.Outcome.DENIED)[:RECENT_REFUSALS]
    ]
    return _card(
        _("Audit, last 24 hours"),
        [
            (_("Refused requests"), day["denied"]),
            (_("Failed sign-ins"), day["failed_sign_ins"]),
            (_("Events"), day["events"]),
        ],
        [
            (_("Refused requests"), f"{search}?outcome=denied"),
            (_("Failed sign-ins"), f"{search}?action=login_failed"),
            (_("Verify the chain"), reverse("audit:verify")),
        ],
        rows=refusals,
        key="audit",
    )


CARDS = (
    (Perm.CHECK_IN, desk),
    (Perm.RUN_CLINIC, worklist),
    (Perm.TAKE_PAYMENT, till),
    (Perm.CAPTURE_CHARGE, claims),
    (Perm.MANAGE_USERS, administration),
    (Perm.VIEW_AUDIT, audit),
)


def cards_for(user, facility) -> list[dict]:
    if facility is None:
        return []
    return [
        card(user, facility)
        for perm, card in CARDS
        if policies.has_permission(user, perm, facility)
    ]
