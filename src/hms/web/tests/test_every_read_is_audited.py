"""Every answer that shows a patient names that patient in the audit trail.

Walks every URL pattern of the role matrix (pages, REST and FHIR) over the demo
hospital, GETting each as a role that may open it, with path parameters taken from
real rows and the query each list needs. A patient counts as shown when the body holds
their MRN or their full name (when no other patient has it); the request must then have
written an audit row naming them. Routes that could not be exercised (no 2xx answer)
are listed and must each be justified below.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from hms.accounts import services as account_services
from hms.accounts.models import User
from hms.accounts.permissions import RoleCode
from hms.accounts.testing import verified_session
from hms.audit.models import AuditEvent
from hms.billing.models import Claim, Coverage, Payment, PriceList, Remittance, Shift
from hms.billing.services import insurance
from hms.core.models import Facility
from hms.interop.fhir.resources.patient import version_of
from hms.patients.models import Patient
from hms.patients.photos import upload_patient_photo
from hms.patients.tests.images import a_jpeg
from hms.patients.tests.mpi_helpers import a_merge
from hms.scheduling.models import Appointment, QueueTicket
from hms.staff.models import Practitioner
from hms.web import demo, demo_patients
from hms.web.tests.test_role_url_matrix import URL_TABLE, Route, tabled_routes

pytestmark = pytest.mark.django_db

# Whom to ask first: roles that see the most of a page's patients.
PREFERRED = ["admin", "nurse", "doctor", "receptionist", "billing_clerk", "cashier"]

# Routes that answer GET but were not exercised with a 2xx, and why that is right.
NOT_EXERCISED = {
    "appointments:doctor-photo": "the demo's doctors have no portrait: 404 before any read",
    "practitioner-photo": "the demo's doctors have no portrait: 404 before any read",
    "billing-shift-current": "the walking user has no shift open: 404 before any read",
    "api-not-found": "the catch-all: no endpoint, no data",
    "fhir-not-found": "the catch-all: no endpoint, no data",
    "accounts:login": "a signed-in user is sent home (302): no data",
    "accounts:two-factor-verify": "already verified: sent home (302), no data",
    "accounts:two-factor-setup": "already enrolled: sent home (302), no data",
}
# Lists and pages that once answered with patients and no audit row: each must now name
# the patients it read, whether or not the body spells out an MRN or a name.
ONCE_UNAUDITED = {
    "appointment-list",
    "billing-invoice-list",
    "billing-invoice-detail",
    "billing-payment-list",
    "queue-ticket-list",
    "appointment-no-show-history",
    "billing:invoice",
    "appointments:calendar",
    "queue:worklist",
    "appointments:waitlist",
}

WEEK = {"span": "week"}

# Answers whose patient identifiers are the audit trail's own content, not patient data
# read from the registry (an import's event names the range of MRNs it created).
TRAIL = {"audit:export": "the trail as CSV; the export itself is audited as an export"}


@dataclass
class Demo:
    hospital: Facility
    patient: Patient  # one with a visit, an appointment, bills and a claim
    kwargs: dict[str, dict[str, object]]
    queries: dict[str, list[dict[str, str]]]


@pytest.fixture
def hospital_demo(monkeypatch, tmp_path) -> Demo:
    monkeypatch.setattr(demo_patients, "SYNTHEA", tmp_path / "absent")
    assert demo.load_demo()
    hospital = Facility.objects.get(code=demo.HOSPITAL[0])
    claim = Claim.objects.filter(invoice__facility=hospital).order_by("id").first()
    invoice = claim.invoice
    patient = invoice.patient
    upload_patient_photo(
        actor=None, patient=patient, upload=io.BytesIO(a_jpeg()), skip_permission_checks=True
    )
    patient.refresh_from_db()  # the photo gave the record a new version
    payment = Payment.objects.filter(facility=hospital).order_by("id").first()
    appointment = Appointment.objects.filter(slot__schedule__practitioner__facility=hospital)
    appointment = appointment.order_by("id").first()
    ticket = QueueTicket.objects.order_by("id").first()
    doctor = ticket.practitioner or Practitioner.objects.filter(facility=hospital).first()
    coverage = Coverage.objects.filter(patient__facility=hospital).order_by("id").first()
    admin = User.objects.get(username="admin")
    insurance.record_eligibility(
        actor=admin,
        coverage=coverage,
        outcome="eligible",
        note="",
        checked_at=timezone.now() - dt.timedelta(minutes=1),
    )
    ids = {
        "patients:patient-detail": patient,
        "patients:patient-edit": patient,
        "patients:patient-photo": patient,
        "patient-detail": patient,
        "patient-timeline": patient,
        "patient-photo": patient,
        "patient-duplicates": patient,
        "appointments:book": patient,
        "appointments:book-options": patient,
        "appointments:book-slots": patient,
        "billing:account": patient,
        "appointment-no-show-history": patient,
        "appointments:cancel": appointment,
        "appointments:reschedule": appointment,
        "billing:invoice": invoice,
        "billing:invoice-pdf": invoice,
        "billing-invoice-detail": invoice,
        "billing-invoice-pdf": invoice,
        "billing-invoice-credit-notes": invoice,
        "billing:receipt": payment,
        "billing:receipt-pdf": payment,
        "billing-payment-detail": payment,
        "billing-payment-receipt": payment,
        "billing:claim": claim,
        "billing-claim-detail": claim,
        "billing-claim-problems": claim,
        "billing:remittance": Remittance.objects.order_by("id").first(),
        "billing-remittance-detail": Remittance.objects.order_by("id").first(),
        "billing-coverage-detail": coverage,
        "billing-coverage-eligibility": coverage,
        "billing-shift-detail": Shift.objects.order_by("id").first(),
        "billing-price-list-prices": PriceList.objects.filter(facility=hospital).first(),
        "practitioner-detail": doctor,
        "accounts:user-detail": admin,
        "duplicates:merge-detail": a_merge(hospital),
        "appointments:doctor-photo": doctor,
        "practitioner-photo": doctor,
    }
    kwargs: dict[str, dict[str, object]] = {
        key: {"external_id": row.external_id} for key, row in ids.items()
    }
    kwargs["appointment-no-show-history"] = {"patient_id": patient.external_id}
    kwargs.update(
        {
            "queue:ticket-slip": {"ticket_id": ticket.pk},
            "queue:waiting-room": {"facility_code": hospital.code, "department_code": "OPD"},
            "billing-report": {"name": "aging"},
            "fhir-organization-read": {"resource_id": hospital.external_id},
            "fhir-patient-instance": {"resource_id": patient.external_id},
            "fhir-patient-version": {
                "resource_id": patient.external_id,
                "version_id": version_of(patient),
            },
            "api-not-found": {"path": "no-such-endpoint/"},
            "fhir-not-found": {"path": "NoSuchResource"},
        }
    )
    who = {"patient": str(patient.external_id)}
    queries = {
        "appointment-list": [{}, {"patient": str(appointment.patient.external_id)}],
        "appointment-no-shows": [{"by": "patient"}],
        "queue-ticket-list": [{"department": "OPD"}],
        "queue:worklist": [{"doctor": str(doctor.external_id)}],
        "appointments:calendar": [{}, WEEK],
        "billing-charge-list": [who],
        "billing-payment-list": [who],
        "billing-deposit-list": [who],
        "billing-refund-list": [who],
        "billing-coverage-list": [who],
        "billing-preauthorisation-list": [{"coverage": str(coverage.external_id)}],
        "patient-list": [{"q": patient.mrn}],
        "patients:search": [{"q": patient.mrn}],
    }
    return Demo(hospital, patient, kwargs, queries)


def _fhir_read_ids(route: Route, client: APIClient) -> dict[str, object] | None:
    """The id of the first resource a FHIR search of the read's type returns."""
    match = re.fullmatch(r"fhir/R4/(\w+)/<str:resource_id>", route.route)
    if match is None:
        return None
    bundle = client.get(f"/fhir/R4/{match.group(1)}", {"_count": "1"}).json()
    entries = bundle.get("entry") or []
    return {"resource_id": entries[0]["resource"]["id"]} if entries else None


class Callers:
    """One signed-in session and one bearer token per role, made when first asked for."""

    def __init__(self, hospital: Facility):
        self.hospital, self._made = hospital, {}

    def for_role(self, role: str) -> tuple[Client, APIClient]:
        if role not in self._made:
            user = account_services.create_user(
                actor=None,
                facility=self.hospital,
                username=f"walk_{role}",
                password="walk-the-urls-1",
                roles=[role],
                skip_permission_checks=True,
            )
            _, raw = account_services.issue_token(
                actor=None, user=user, name="walk", days=7, skip_permission_checks=True
            )
            bearer = APIClient()
            bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            self._made[role] = (verified_session(Client(), user), bearer)
        return self._made[role]


class Shown:
    """Which patients a body shows: by MRN, or by a full name no one else has."""

    def __init__(self, hospital: Facility):
        rows = list(Patient.objects.filter(facility=hospital))
        self.by_mrn = {p.mrn: str(p.external_id) for p in rows}
        names: dict[str, list[str]] = {}
        for p in rows:
            names.setdefault(p.full_name, []).append(str(p.external_id))
        self.by_name = {n: ids[0] for n, ids in names.items() if len(ids) == 1 and " " in n}
        self._mrns = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, self.by_mrn)) + r")(?!\w)")

    def in_body(self, body: str) -> dict[str, str]:
        found = {self.by_mrn[m]: m for m in self._mrns.findall(body)}
        names = [n for n in self.by_name if n in body]
        for name in names:
            # "Kavata Mutua" inside "Ndinda Kavata Mutua" is the longer name's patient.
            if not any(name != longer and name in longer for longer in names):
                found.setdefault(self.by_name[name], name)
        return found


def _role_for(key: str) -> str | None:
    allowed = URL_TABLE[key].allowed
    return next((r for r in PREFERRED if r in allowed), next(iter(sorted(allowed)), None))


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


def _named_since(before: int) -> set[str]:
    named: set[str] = set()
    for event in AuditEvent.objects.filter(id__gt=before):
        named.update(event.patients_named)
    return named


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_every_answer_showing_a_patient_is_audited_naming_them(hospital_demo):
    # given
    callers, shown = Callers(hospital_demo.hospital), Shown(hospital_demo.hospital)
    unaudited, not_exercised, exercised = [], {}, set()
    fhir_reader = callers.for_role("admin")[1]

    # when
    for route in tabled_routes():
        row = URL_TABLE[route.key]
        role = _role_for(route.key)
        if row.ok == 405 or role is None or role == RoleCode.PATIENT.value or route.key in TRAIL:
            continue  # POST only: the write's own service audits it
        page, bearer = callers.for_role(role)
        client = bearer if row.door == "api" else page
        kwargs = hospital_demo.kwargs.get(route.key)
        if kwargs is None and route.converters:
            kwargs = _fhir_read_ids(route, fhir_reader)
            if kwargs is None:
                not_exercised[route.key] = "no real row to name in its path"
                continue
        path = reverse(route.name, kwargs=kwargs or {})
        for query in hospital_demo.queries.get(route.key, [{}]):
            before = _last_id()
            response = client.get(path, query)
            body = _body(response)
            if not 200 <= response.status_code < 300:
                not_exercised[route.key] = f"HTTP {response.status_code}"
                continue
            exercised.add(route.key)
            found, named = shown.in_body(body), _named_since(before)
            # The week view counts bookings per doctor and day: it shows no patient.
            if route.key in ONCE_UNAUDITED and query != WEEK and not named:
                unaudited.append(f"{route.key} {path}?{query} names no patient in the trail")
            missing = sorted(found[p] for p in set(found) - named)
            if missing:
                unaudited.append(f"{route.key} {path}?{query} shows unaudited {missing[:3]}")

    # then
    assert unaudited == [], "\n".join(unaudited)
    unjustified = {
        k: v for k, v in not_exercised.items() if k not in exercised and k not in NOT_EXERCISED
    }
    assert unjustified == {}, "exercise these routes, or say in NOT_EXERCISED why not"
    assert sorted(k for k in NOT_EXERCISED if k in exercised) == [], "now exercised: unlist"
    assert len(exercised) > 100


def test_the_detector_sees_a_patient_in_a_body(hospital_demo):
    """The walk's positive control: a body holding a patient's MRN or name is caught."""
    # given
    shown = Shown(hospital_demo.hospital)
    patient = hospital_demo.patient

    # then
    assert shown.in_body(f"<td>{patient.mrn}</td>") == {str(patient.external_id): patient.mrn}
    assert shown.in_body("nothing here") == {}
