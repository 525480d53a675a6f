"""Who gets what on every URL of the project: a role x URL matrix of GET answers.

URL_TABLE names, for every URL pattern the root resolver knows, which roles may open it.
Pages are opened with a signed-in (and 2FA-verified) session, /api/ and /fhir/ with a
bearer token. `test_every_url_pattern_is_in_the_table` fails when a pattern exists that
the table does not mention (or the table names one that is gone), so every new page and
endpoint has to say who may see it before the suite passes again.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter
from rest_framework.test import APIClient

from hms.accounts import services
from hms.accounts.models import User
from hms.accounts.permissions import RoleCode
from hms.accounts.testing import verified_session
from hms.audit.models import AuditEvent
from hms.core.models import Facility
from hms.interop.fhir.resources.patient import version_of as fhir_version_of
from hms.patients.inputs import PatientInput
from hms.patients.photos import upload_patient_photo
from hms.patients.services import register_patient
from hms.patients.tests.images import a_jpeg
from hms.patients.tests.mpi_helpers import a_merge
from hms.scheduling.queue import walk_in
from hms.staff.inputs import PractitionerInput
from hms.staff.services import add_practitioner

ANONYMOUS = "anonymous"
ADMIN = RoleCode.ADMIN.value
AUDITOR = RoleCode.AUDITOR.value
EVERYONE = frozenset(role.value for role in RoleCode)
STAFF = EVERYONE - {RoleCode.PATIENT.value}
NOBODY: frozenset[str] = frozenset()
# Patient records: every clinical and front-office role; auditors see the trail, not charts.
SEES_PATIENTS = STAFF - {AUDITOR}
REGISTERS_PATIENTS = frozenset(
    {ADMIN, RoleCode.RECEPTIONIST.value, RoleCode.NURSE.value, RoleCode.WARD_MANAGER.value}
)
MERGES_PATIENTS = frozenset({ADMIN, RoleCode.WARD_MANAGER.value})
# Seeing schedules and booking: the front desk, nurses, doctors and records staff.
BOOKS = REGISTERS_PATIENTS | {RoleCode.DOCTOR.value}
RUNS_CLINIC = frozenset({ADMIN, RoleCode.NURSE.value, RoleCode.DOCTOR.value})
# Billing: clerks and cashiers see charges and invoices; supervisors (admin) approve.
SEES_BILLING = frozenset({ADMIN, RoleCode.BILLING_CLERK.value, RoleCode.CASHIER.value})
TAKES_PAYMENT = frozenset({ADMIN, RoleCode.CASHIER.value})

PAGE = "page"  # session sign-in, HTML; anonymous visitors are sent to sign in
API = "api"  # bearer token, JSON (REST) or FHIR JSON; anonymous callers get 401


@dataclass(frozen=True)
class Row:
    """What a GET answers: `ok` for the roles in `allowed`, 403 for every other role,
    and `anonymous` for a caller who is not signed in."""

    door: str
    allowed: frozenset[str]
    ok: int = 200
    anonymous: int = 302

    def expected(self, who: str) -> int:
        if who == ANONYMOUS:
            return self.anonymous
        return self.ok if who in self.allowed else 403


def page(allowed, *, ok: int = 200, anonymous: int = 302) -> Row:
    return Row(PAGE, frozenset(allowed), ok, anonymous)


def api(allowed, *, ok: int = 200) -> Row:
    return Row(API, frozenset(allowed), ok, anonymous=401)


def public(door: str) -> Row:
    return Row(door, EVERYONE, 200, anonymous=200)


def post_only_page() -> Row:
    # require_POST answers before sign-in is checked, so everyone gets 405 on GET.
    return Row(PAGE, EVERYONE, 405, anonymous=405)


URL_TABLE: dict[str, Row] = {
    # Open to anyone: the health probe, the API's own description, FHIR's capabilities.
    "healthz": public(PAGE),
    "api-schema": public(API),
    "api-docs": public(API),
    "fhir-metadata": public(API),
    # Signing in and out, the second factor and the session: every signed-in user.
    "accounts:login": page(EVERYONE, ok=302, anonymous=200),  # signed in: sent on home
    "accounts:logout": post_only_page(),
    "accounts:keepalive": page(EVERYONE, ok=204, anonymous=401),
    "accounts:two-factor-verify": page(EVERYONE, ok=302),  # already verified: sent home
    "accounts:two-factor-setup": page(EVERYONE, ok=302),  # enrolled already: sent home
    "accounts:recovery-codes": page(EVERYONE),
    "accounts:password-change": page(EVERYONE),
    "accounts:switch-facility": post_only_page(),
    "web:home": page(EVERYONE),
    # API tokens: staff (patients hold no API permission).
    "accounts:tokens": page(STAFF),
    "accounts:token-revoke": post_only_page(),
    # User administration.
    "accounts:user-list": page({ADMIN}),
    "accounts:user-create": page({ADMIN}),
    "accounts:user-detail": page({ADMIN}),
    # The audit trail: auditors search and export; administrators may verify the chain.
    "audit:search": page({AUDITOR}),
    "audit:export": page({AUDITOR}),
    "audit:verify": page({ADMIN, AUDITOR}),
    # The front desk's patient pages; the fragments and printing answer POST only.
    "patients:search": page(SEES_PATIENTS),
    "patients:patient-register": page(REGISTERS_PATIENTS),
    "patients:patient-register-full": page(REGISTERS_PATIENTS),
    "patients:patient-register-unknown": page(REGISTERS_PATIENTS),
    "patients:duplicate-check": post_only_page(),
    "patients:patient-detail": page(SEES_PATIENTS),
    "patients:patient-edit": page(REGISTERS_PATIENTS),  # EDIT_PATIENT: the same roles
    "patients:patient-log-contact": post_only_page(),
    "patients:patient-photo": page(SEES_PATIENTS),  # the JPEG; the matrix patient has one
    "patients:patient-photo-upload": post_only_page(),
    "patients:patient-photo-remove": post_only_page(),
    "patients:patient-card": post_only_page(),
    "patients:patient-wristband": post_only_page(),
    # The records officer's duplicates worklist and merges; the changes answer POST only.
    "duplicates:worklist": page(MERGES_PATIENTS),
    "duplicates:compare": page(MERGES_PATIENTS),
    "duplicates:merge": post_only_page(),
    "duplicates:dismiss": post_only_page(),
    "duplicates:merges": page(MERGES_PATIENTS),
    "duplicates:merge-detail": page(MERGES_PATIENTS),
    "duplicates:unmerge": post_only_page(),
    # The waiting-room screen of a department: public (ticket numbers only).
    "queue:waiting-room": public(PAGE),
    # The outpatient loop's pages: the check-in desk and slips, the doctor's worklist,
    # day and week views, booking; the changes answer POST only.
    "queue:desk": page(BOOKS),
    "queue:walk-in": post_only_page(),
    "queue:register-walk-in": post_only_page(),
    "queue:ticket-slip": page(BOOKS),
    "queue:ticket-finish": post_only_page(),
    "queue:worklist": page(RUNS_CLINIC),
    "queue:call-next": post_only_page(),
    "appointments:calendar": page(BOOKS),
    "appointments:book": page(BOOKS),
    "appointments:book-options": page(BOOKS),
    "appointments:book-slots": page(BOOKS),
    "appointments:check-in": post_only_page(),
    "appointments:waitlist": page(BOOKS),
    "appointments:sessions": page({ADMIN}),
    "appointments:directory": page(BOOKS),
    "appointments:doctor-photo": page(BOOKS, ok=404),  # the matrix doctor has no portrait
    "appointments:doctor-photo-upload": post_only_page(),
    "appointments:waitlist-add": post_only_page(),
    "appointments:waitlist-accept": post_only_page(),
    "appointments:waitlist-decline": post_only_page(),
    "appointments:waitlist-remove": post_only_page(),
    "appointments:cancel": page(BOOKS, ok=404),  # no such appointment: found after the check
    "appointments:reschedule": page(BOOKS, ok=404),
    # Billing reports: whoever sees billing; a bad filter is a 400 on the page.
    "billing_reports:index": page(SEES_BILLING),
    "billing_reports:collections": page(SEES_BILLING),
    "billing_reports:aging": page(SEES_BILLING),
    "billing_reports:claims": page(SEES_BILLING),
    "billing_reports:revenue": page(SEES_BILLING),
    # The cashier's pages; every change answers POST only. Charges by hand: clerks, admins.
    "billing:desk": page(SEES_BILLING),
    "billing:item-options": page({ADMIN, RoleCode.BILLING_CLERK.value}),
    "billing:account": page(SEES_BILLING),
    "billing:draft-invoice": post_only_page(),
    "billing:add-charge": post_only_page(),
    "billing:deposit": post_only_page(),
    "billing:invoice": page(SEES_BILLING, ok=404),  # no such invoice
    "billing:invoice-pdf": page(SEES_BILLING, ok=404),
    "billing:discount": post_only_page(),
    "billing:finalise": post_only_page(),
    "billing:pay": post_only_page(),
    "billing:apply-deposit": post_only_page(),
    "billing:refund": post_only_page(),
    "billing:credit-note": post_only_page(),
    "billing:void": post_only_page(),
    "billing:receipt": page(SEES_BILLING, ok=404),  # no such receipt
    "billing:receipt-pdf": page(SEES_BILLING, ok=404),
    "billing:shift": page(TAKES_PAYMENT),
    "billing:shift-open": post_only_page(),
    "billing:shift-close": post_only_page(),
    "billing:shift-hand-over": post_only_page(),
    # Claims and remittances: whoever sees billing reads them; the changes answer POST only.
    "billing:claim-build": post_only_page(),
    "billing:claims": page(SEES_BILLING),
    "billing:claims-export": post_only_page(),
    "billing:claim": page(SEES_BILLING, ok=404),  # no such claim
    "billing:claim-acknowledge": post_only_page(),
    "billing:claim-correct": post_only_page(),
    "billing:remittances": page(SEES_BILLING),
    "billing:remittance-upload": post_only_page(),
    "billing:remittance": page(SEES_BILLING, ok=404),  # no such remittance
    # Django admin: reference data for administrators.
    "admin:index": page({ADMIN}),
    "admin:core_facility_changelist": page({ADMIN}),
    "admin:core_department_changelist": page({ADMIN}),
    "admin:accounts_role_changelist": page({ADMIN}),
    "admin:staff_specialty_changelist": page({ADMIN}),
    "admin:staff_practitioner_changelist": page({ADMIN}),  # browsed; edited over REST
    # REST API v1.
    "me": api(EVERYONE),
    "token-list": api(STAFF),
    "token-revoke": api(STAFF, ok=405),  # POST only; the permission is checked first
    "facility-list": api(STAFF),
    "user-list": api({ADMIN}),
    "audit-event-list": api({AUDITOR}),
    # Patients over REST; merge and undo are POST only (permission first, then 405).
    "patient-list": api(SEES_PATIENTS),
    "patient-detail": api(SEES_PATIENTS),
    "patient-timeline": api(SEES_PATIENTS),
    "patient-duplicates": api(SEES_PATIENTS),
    "patient-photo": api(SEES_PATIENTS),  # GET the JPEG; PUT and DELETE need EDIT_PATIENT
    "patient-merge": api(MERGES_PATIENTS, ok=405),
    "patient-merge-undo": api(MERGES_PATIENTS, ok=405),
    # Scheduling over REST; cancel and reschedule are POST only.
    "slot-list": api(BOOKS),
    "room-list": api(BOOKS),
    "schedule-list": api(BOOKS),
    "schedule-block-create": api({ADMIN}, ok=405),  # POST only
    "appointment-list": api(BOOKS),
    "appointment-cancel": api(BOOKS, ok=405),
    "appointment-reschedule": api(BOOKS, ok=405),
    "appointment-check-in": api(BOOKS, ok=405),
    "appointment-no-shows": api(BOOKS, ok=400),  # names no grouping
    "appointment-no-show-history": api(BOOKS),
    "waitlist": api(BOOKS),
    "waitlist-accept": api(BOOKS, ok=405),
    "waitlist-decline": api(BOOKS, ok=405),
    "waitlist-remove": api(BOOKS, ok=405),
    "queue-ticket-list": api(BOOKS, ok=400),  # names no department
    "queue-walk-in": api(BOOKS, ok=405),
    "queue-call-next": api(RUNS_CLINIC, ok=405),
    "queue-ticket-finish": api(BOOKS, ok=405),
    # The staff directory: read by whoever sees schedules; changed by administrators.
    "practitioner-list": api(BOOKS),
    "practitioner-detail": api(BOOKS),
    "practitioner-photo": api(BOOKS, ok=404),  # the matrix doctor has no portrait
    "practitioner-user": api({ADMIN}, ok=405),  # PUT only
    "specialty-list": api(BOOKS),
    # Billing over REST: the tariff, charges and invoices; changes answer POST only.
    "billing-item-list": api(SEES_BILLING),
    "billing-price-list-list": api(SEES_BILLING),
    "billing-price-list-prices": api(SEES_BILLING, ok=404),  # no such price list
    "billing-charge-list": api(SEES_BILLING, ok=400),  # names no patient
    "billing-charge-void": api({ADMIN}, ok=405),
    "billing-invoice-list": api(SEES_BILLING),
    "billing-invoice-detail": api(SEES_BILLING, ok=404),  # no such invoice
    "billing-invoice-discount": api(SEES_BILLING, ok=405),
    "billing-invoice-finalise": api(SEES_BILLING, ok=405),
    # The till: whoever sees billing reads payments; admins and cashiers take money.
    "billing-invoice-pdf": api(SEES_BILLING, ok=404),  # no such invoice
    "billing-invoice-apply-deposit": api(TAKES_PAYMENT, ok=405),
    "billing-invoice-checkout": api(TAKES_PAYMENT, ok=405),
    "billing-payment-split": api(TAKES_PAYMENT, ok=405),
    "billing-stripe-webhook": Row(API, EVERYONE, ok=405, anonymous=405),
    "billing-invoice-credit-notes": api(SEES_BILLING, ok=404),  # no such invoice
    "billing-invoice-void": api(SEES_BILLING, ok=405),
    "billing-invoice-discard": api(SEES_BILLING, ok=405),
    "billing-invoice-packages": api(SEES_BILLING, ok=405),
    "billing-invoice-package-remove": api({ADMIN}, ok=405),  # voids a charge
    "billing-package-list": api(SEES_BILLING),
    "billing-payment-list": api(SEES_BILLING, ok=400),  # names no invoice or patient
    "billing-payment-detail": api(SEES_BILLING, ok=404),
    "billing-payment-receipt": api(SEES_BILLING, ok=404),
    "billing-deposit-list": api(SEES_BILLING, ok=400),  # names no patient
    "billing-refund-list": api(SEES_BILLING, ok=400),  # names no invoice or patient
    "billing-shift-list": api(SEES_BILLING),
    "billing-shift-current": api(TAKES_PAYMENT, ok=404),  # the matrix user has none open
    "billing-shift-detail": api(SEES_BILLING, ok=404),
    "billing-shift-close": api(TAKES_PAYMENT, ok=405),
    "billing-shift-handover": api(TAKES_PAYMENT, ok=405),
    # Insurance: whoever sees billing reads payers, plans and coverages.
    "billing-payer-list": api(SEES_BILLING),
    "billing-plan-list": api(SEES_BILLING),
    "billing-coverage-list": api(SEES_BILLING, ok=400),  # names no patient or member ID
    "billing-coverage-detail": api(SEES_BILLING, ok=404),
    "billing-coverage-cancel": api(SEES_BILLING, ok=405),
    "billing-coverage-eligibility": api(SEES_BILLING, ok=404),  # no such coverage
    "billing-preauthorisation-list": api(SEES_BILLING, ok=400),  # names no coverage
    "billing-preauthorisation-decide": api(SEES_BILLING, ok=405),
    # Claims and remittances: whoever sees billing reads them and sends them.
    "billing-claim-list": api(SEES_BILLING),
    "billing-claim-export": api(SEES_BILLING, ok=405),
    "billing-claim-detail": api(SEES_BILLING, ok=404),  # no such claim
    "billing-claim-problems": api(SEES_BILLING, ok=404),
    "billing-claim-acknowledge": api(SEES_BILLING, ok=405),
    "billing-claim-correct": api(SEES_BILLING, ok=405),
    "billing-remittance-list": api(SEES_BILLING),
    "billing-remittance-detail": api(SEES_BILLING, ok=404),
    "billing-report": api(SEES_BILLING),
    # FHIR R4.
    "fhir-organization-search": api(STAFF),
    "fhir-organization-read": api(STAFF),
    "fhir-patient-type": api(SEES_PATIENTS),
    "fhir-patient-instance": api(SEES_PATIENTS),
    "fhir-patient-version": api(SEES_PATIENTS),
    # FHIR scheduling: as the REST directory and scheduling; visits are patient data.
    "fhir-practitioner-search": api(BOOKS),
    "fhir-practitioner-read": api(BOOKS),
    "fhir-practitionerrole-search": api(BOOKS),
    "fhir-practitionerrole-read": api(BOOKS),
    "fhir-schedule-search": api(BOOKS),
    "fhir-schedule-read": api(BOOKS, ok=404),  # the matrix clinic has no sessions
    "fhir-slot-search": api(BOOKS),
    "fhir-slot-read": api(BOOKS, ok=404),
    "fhir-appointment-type": api(BOOKS),
    "fhir-appointment-instance": api(BOOKS, ok=404),
    "fhir-encounter-search": api(SEES_PATIENTS),
    "fhir-encounter-read": api(SEES_PATIENTS, ok=404),
    # FHIR billing: as the REST billing doors.
    "fhir-chargeitem-search": api(SEES_BILLING),
    "fhir-chargeitem-read": api(SEES_BILLING, ok=404),
    "fhir-invoice-search": api(SEES_BILLING),
    "fhir-invoice-read": api(SEES_BILLING, ok=404),
    "fhir-coverage-search": api(SEES_BILLING),
    "fhir-coverage-read": api(SEES_BILLING, ok=404),
    "fhir-claim-search": api(SEES_BILLING),
    "fhir-claim-read": api(SEES_BILLING, ok=404),
    "fhir-claimresponse-search": api(SEES_BILLING),
    "fhir-claimresponse-read": api(SEES_BILLING, ok=404),
    "fhir-paymentreconciliation-search": api(SEES_BILLING),
    "fhir-paymentreconciliation-read": api(SEES_BILLING, ok=404),
    "fhir-coverageeligibilityrequest-search": api(SEES_BILLING),
    "fhir-coverageeligibilityrequest-read": api(SEES_BILLING, ok=404),
    "fhir-coverageeligibilityresponse-type": api(SEES_BILLING),
    "fhir-coverageeligibilityresponse-read": api(SEES_BILLING, ok=404),
    # Transactions are POST to the base, with or without the final slash.
    "fhir-transaction": api(REGISTERS_PATIENTS, ok=405),
    "fhir-base": api(REGISTERS_PATIENTS, ok=405),
    # Unknown addresses under the API doors answer 404 in the door's own format.
    "api-not-found": Row(API, EVERYONE, 404, anonymous=404),
    "fhir-not-found": Row(API, EVERYONE, 404, anonymous=404),
}

WHO = [ANONYMOUS, *(role.value for role in RoleCode)]


# --- enumerating the URL patterns ----------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str | None  # namespaced, "accounts:user-list"
    route: str  # the full pattern text, "accounts/users/<uuid:external_id>/"
    converters: dict = field(hash=False, compare=False)

    @property
    def key(self) -> str:
        return self.name or self.route


def all_routes() -> list[Route]:
    return list(_walk(get_resolver()))


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "", converters=None):
    for entry in resolver.url_patterns:
        found = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner, found)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(name, prefix + str(entry.pattern), found)


def is_admin_machinery(route: Route) -> bool:
    """Django admin's internal URLs, left out of the matrix.

    The admin's pages for people are its index and one changelist per registered model;
    those are in URL_TABLE, so registering a new model still fails the guard until it gets
    a row. Everything else under /admin/ is Django's machinery behind the same gates:
    add/change/delete/history views and the unnamed object redirects need an object id
    and pass the changelist's has_*_permission checks, and app_list, login, logout,
    password_change, jsi18n, autocomplete, view_on_site and the catch-all sit behind the
    same `admin_view` permission check as the index. Django's own tests cover them.
    """
    if not route.route.startswith("admin/"):
        return False
    return not (route.name == "admin:index" or (route.name or "").endswith("_changelist"))


def tabled_routes() -> list[Route]:
    return [r for r in all_routes() if not is_admin_machinery(r) and r.key in URL_TABLE]


def url_for(route: Route, real_ids: dict[tuple[str, str], object]) -> str:
    """Fill the path converters: a real id where the test set one up, else a random one."""
    # Regex patterns (the catch-alls) have no converters: their groups come from real_ids.
    kwargs: dict[str, object] = {arg: v for (key, arg), v in real_ids.items() if key == route.key}
    for arg, converter in route.converters.items():
        if arg in kwargs:
            continue
        if isinstance(converter, UUIDConverter):
            kwargs[arg] = uuid.uuid4()
        elif isinstance(converter, IntConverter):
            kwargs[arg] = 1
        else:
            kwargs[arg] = "1"
    return reverse(route.name, kwargs=kwargs)


# --- checking one answer ---------------------------------------------------------------


def _json(response) -> dict:
    try:
        return json.loads(response.content)
    except ValueError:
        return {}


def _is_fhir(path: str) -> bool:
    return path.startswith("/fhir/")


def _problems(response, *, row: Row, path: str, who: str, user: User | None, before: int):
    """Everything wrong with one answer beyond its status code, as readable lines."""
    status = response.status_code
    problems = []
    if status == 302:
        problems += _redirect_problems(response, path=path, who=who)
    if status == 405 and "GET" in response.get("Allow", "GET"):
        problems.append(f"405 without an Allow header that leaves out GET: {response.get('Allow')}")
    if status == 401 and row.door == API:
        if response.get("WWW-Authenticate") != 'Bearer realm="hms"':
            problems.append(f"401 with WWW-Authenticate {response.get('WWW-Authenticate')!r}")
        problems += _refusal_body(response, path, fhir_code="login", code="NOT_AUTHENTICATED")
    if status == 403 and row.door == PAGE:
        text = response.content.decode()
        if "Not allowed" not in text or "does not allow this page" not in text:
            problems.append("403 page does not say the role does not allow the page")
    if status == 403 and row.door == API:
        problems += _refusal_body(response, path, fhir_code="forbidden", code="PERMISSION_DENIED")
    if status in (401, 403):
        problems += _audit_problems(status, path=path, user=user, before=before)
    return problems


def _redirect_problems(response, *, path: str, who: str) -> list[str]:
    location = urlsplit(response["Location"])
    if who == ANONYMOUS:
        wanted = reverse("accounts:login")
        if location.path != wanted or parse_qs(location.query).get("next") != [path]:
            return [f"sends to {response['Location']}, not {wanted}?next={path}"]
    elif response["Location"] != reverse("web:home"):
        return [f"sends to {response['Location']}, not home"]
    return []


def _audit_problems(status: int, *, path: str, user: User | None, before: int) -> list[str]:
    """A refusal writes exactly one denied audit row, naming the caller and the address."""
    rows = list(AuditEvent.objects.filter(id__gt=before))
    denied = [
        e
        for e in rows
        if e.outcome == AuditEvent.Outcome.DENIED and e.object_type.endswith(f":{path}")
    ]
    if len(denied) != 1:
        return [f"{status} wrote {len(denied)} denied audit rows: {rows}"]
    if denied[0].actor_id != (user.pk if user else None):
        return [f"denied audit row names actor {denied[0].actor_id}"]
    return []


def _refusal_body(response, path: str, *, fhir_code: str, code: str) -> list[str]:
    body = _json(response)
    if _is_fhir(path):
        issue = (body.get("issue") or [{}])[0]
        if body.get("resourceType") != "OperationOutcome" or issue.get("code") != fhir_code:
            return [f"FHIR refusal is not an OperationOutcome '{fhir_code}': {body}"]
        if not issue.get("diagnostics"):
            return ["FHIR refusal has no diagnostics"]
        return []
    if body.get("code") != code or not body.get("detail"):
        return [f"refusal body is not {{code: {code}, detail: ...}}: {body}"]
    return []


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture
def real_ids(facility: Facility, make_user) -> dict[tuple[str, str], object]:
    """Ids of rows that exist, so an allowed role sees the page rather than a 404."""
    colleague = make_user("nurse")
    patient = register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(given_name="Matrix", family_name="Patient", sex="female"),
        skip_permission_checks=True,
    )
    upload_patient_photo(
        actor=None, patient=patient, upload=io.BytesIO(a_jpeg()), skip_permission_checks=True
    )
    patient.refresh_from_db()  # the photo gave the record a new version
    practitioner = add_practitioner(
        actor=make_user("admin"),
        facility=facility,
        data=PractitionerInput(given_name="Matrix", family_name="Doctor"),
    )
    ticket = walk_in(
        actor=colleague, patient=patient, department=facility.departments.get(code="OPD")
    )
    return {
        ("accounts:user-detail", "external_id"): colleague.external_id,
        ("queue:ticket-slip", "ticket_id"): ticket.pk,
        ("appointments:book", "external_id"): patient.external_id,
        ("appointments:book-options", "external_id"): patient.external_id,
        ("appointments:book-slots", "external_id"): patient.external_id,
        ("fhir-organization-read", "resource_id"): facility.external_id,
        ("patient-detail", "external_id"): patient.external_id,
        ("practitioner-detail", "external_id"): practitioner.external_id,
        ("practitioner-photo", "external_id"): practitioner.external_id,
        ("appointments:doctor-photo", "external_id"): practitioner.external_id,
        ("practitioner-user", "external_id"): practitioner.external_id,
        ("appointment-no-show-history", "patient_id"): patient.external_id,
        ("patients:patient-detail", "external_id"): patient.external_id,
        ("billing:account", "external_id"): patient.external_id,
        ("queue:waiting-room", "facility_code"): facility.code,
        ("queue:waiting-room", "department_code"): "OPD",
        ("duplicates:merge-detail", "external_id"): a_merge(facility).external_id,
        ("patients:patient-edit", "external_id"): patient.external_id,
        ("patient-timeline", "external_id"): patient.external_id,
        ("patient-duplicates", "external_id"): patient.external_id,
        ("patient-photo", "external_id"): patient.external_id,
        ("patients:patient-photo", "external_id"): patient.external_id,
        ("fhir-patient-instance", "resource_id"): patient.external_id,
        ("fhir-patient-version", "resource_id"): patient.external_id,
        ("fhir-patient-version", "version_id"): fhir_version_of(patient),
        ("fhir-practitioner-read", "resource_id"): practitioner.external_id,
        ("fhir-practitionerrole-read", "resource_id"): practitioner.external_id,
        ("billing-report", "name"): "aging",
        ("api-not-found", "path"): "no-such-endpoint/",
        ("fhir-not-found", "path"): "NoSuchResource",
    }


def _clients(who: str, make_user) -> tuple[Client, APIClient, User | None]:
    if who == ANONYMOUS:
        return Client(), APIClient(), None
    user = make_user(who)
    _, raw = services.issue_token(
        actor=None, user=user, name="matrix", days=1, skip_permission_checks=True
    )
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return verified_session(Client(), user), bearer, user


@pytest.mark.parametrize("who", WHO)
def test_get_answers_each_role_as_the_table_says(who, make_user, real_ids):
    # given
    web, bearer, user = _clients(who, make_user)
    expected, actual, problems = {}, {}, []

    # when
    for route in tabled_routes():
        row = URL_TABLE[route.key]
        path = url_for(route, real_ids)
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = (bearer if row.door == API else web).get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        expected[route.key] = row.expected(who)
        actual[route.key] = response.status_code
        problems += [
            f"{route.key} ({path}): {p}"
            for p in _problems(response, row=row, path=path, who=who, user=user, before=before)
        ]

    # then
    assert actual == expected
    assert problems == []


def test_every_url_pattern_is_in_the_table():
    routes = [r for r in all_routes() if not is_admin_machinery(r)]
    keys = [r.key for r in routes]

    missing = sorted(set(keys) - URL_TABLE.keys())
    stale = sorted(URL_TABLE.keys() - set(keys))
    duplicated = sorted({k for k in keys if keys.count(k) > 1})

    assert missing == [], "add these URL patterns (named) to URL_TABLE with who may open them"
    assert stale == [], "these URL_TABLE rows name URL patterns that no longer exist"
    assert duplicated == [], "give each URL pattern its own name"


def test_each_row_uses_the_door_its_path_belongs_to():
    wrong = [
        r.key
        for r in tabled_routes()
        if (URL_TABLE[r.key].door == API) != r.route.startswith(("api/", "fhir/"))
    ]

    assert wrong == []


def test_admin_machinery_is_only_under_admin():
    skipped = [r.route for r in all_routes() if is_admin_machinery(r)]

    assert skipped, "Django admin's internal URLs are expected to exist"
    assert all(route.startswith("admin/") for route in skipped)


# --- 404: ids that do not exist, or that belong to another facility ------------------


@pytest.mark.parametrize("whose", ["nobody", "other facility"])
def test_user_page_of_an_unknown_or_foreign_user_is_404(
    whose, client_for, make_user, other_facility
):
    # given
    admin = client_for(ADMIN)
    target = (
        uuid.uuid4() if whose == "nobody" else make_user("nurse", at=other_facility).external_id
    )

    # when
    response = admin.get(reverse("accounts:user-detail", kwargs={"external_id": target}))

    # then
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


@pytest.mark.parametrize("whose", ["nobody", "other facility"])
def test_fhir_organization_unknown_or_foreign_is_404(whose, api_client_for, other_facility):
    # given
    doctor = api_client_for("doctor")
    target = uuid.uuid4() if whose == "nobody" else other_facility.external_id

    # when
    response = doctor.get(reverse("fhir-organization-read", kwargs={"resource_id": target}))

    # then
    assert response.status_code == 404
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-found"


def test_revoking_an_unknown_token_is_404_on_page_and_api(client_for, api_client_for):
    # given
    page, api_client = client_for("doctor"), api_client_for("doctor")
    unknown = uuid.uuid4()

    # when
    page_response = page.post(reverse("accounts:token-revoke", kwargs={"external_id": unknown}))
    api_response = api_client.post(reverse("token-revoke", kwargs={"external_id": unknown}))

    # then
    assert page_response.status_code == 404
    assert api_response.status_code == 404
    assert api_response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("path", ["/no-such-page/", "/api/v1/no-such-endpoint/"])
def test_an_address_no_pattern_matches_is_404(path, api_client_for):
    # given
    caller = api_client_for("admin")

    # when
    signed_in, anonymous = caller.get(path), Client().get(path)

    # then
    assert signed_in.status_code == 404
    assert anonymous.status_code == 404
