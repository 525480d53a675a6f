"""GET /fhir/R4/Slot: read, and search by schedule, start (date prefixes), status and
specialty, with paging."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlencode, urlsplit

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.slot import Slot as FhirSlot

from hms.interop.fhir.resources.searching import date_range
from hms.interop.fhir.tests.helpers import operation_outcome
from hms.interop.fhir.tests.scheduling_clinic import a_clinic, body, local
from hms.patients.testing import registered
from hms.scheduling import services
from hms.scheduling.models import Schedule, Slot

SEARCH = "/fhir/R4/Slot"
NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def clinic(facility, admin):
    return a_clinic(facility, admin)


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


def _bundle(response) -> Bundle:
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate(body(response))
    assert bundle.type == "searchset"
    return bundle


def _ids(response) -> list[int]:
    return [int(entry.resource.id) for entry in _bundle(response).entry or []]


def _all(client, params) -> list[int]:
    return _ids(client.get(SEARCH, {**params, "_count": "100"}))


def _pks(slots) -> list[int]:
    return [s.pk for s in sorted(slots, key=lambda s: (s.starts_at, s.practitioner_id))]


@pytest.mark.django_db
def test_read_gives_a_valid_free_slot_in_the_facilitys_time(clerk, clinic):
    # given
    slot = clinic.first_slot()

    # when
    response = clerk.get(f"{SEARCH}/{slot.pk}")

    # then
    assert response.status_code == 200, response.content
    raw = body(response)
    resource = FhirSlot.model_validate(raw)
    assert resource.status == "free"
    assert resource.schedule.reference == f"Schedule/{clinic.morning.external_id}"
    assert raw["start"] == f"{clinic.tomorrow.isoformat()}T08:00:00+03:00"
    assert raw["end"] == f"{clinic.tomorrow.isoformat()}T08:15:00+03:00"
    assert resource.appointmentType.coding[0].code == "new"
    assert resource.specialty[0].coding[0].code == "PAED"
    assert resource.overbooked is False
    assert resource.comment == "0 of 1 booked."


@pytest.mark.django_db
def test_status_follows_bookings_blocks_and_sessions(clerk, clinic, admin, facility):
    # given: the first slot booked, the second blocked, Dr Otieno's session switched off
    first, second = clinic.slots()[:2]
    services.book_appointment(actor=admin, patient=registered(facility), slot=first)
    services.add_block(
        actor=admin,
        facility=facility,
        practitioner=clinic.amina,
        kind="leave",
        starts_at=second.starts_at,
        ends_at=second.ends_at,
        reason="Ward round",
    )
    Schedule.objects.filter(pk=clinic.afternoon.pk).update(is_active=False)
    held = clinic.slots()[-1]
    closed = clinic.first_slot(clinic.afternoon)

    # when
    read = {
        name: FhirSlot.model_validate(body(clerk.get(f"{SEARCH}/{s.pk}")))
        for name, s in {"first": first, "second": second, "held": held, "closed": closed}.items()
    }

    # then
    assert read["first"].status == "busy"
    assert read["first"].comment == "1 of 1 booked."
    assert read["second"].status == "busy-unavailable"
    assert "Ward round" in read["second"].comment
    assert read["held"].status == "free"
    assert "held for emergencies" in read["held"].comment
    assert read["closed"].status == "busy-unavailable"


@pytest.mark.django_db
def test_each_status_searched_finds_exactly_the_slots_of_that_status(
    clerk, clinic, admin, facility
):
    # given
    first, second = clinic.slots()[:2]
    services.book_appointment(actor=admin, patient=registered(facility), slot=first)
    services.add_block(
        actor=admin,
        facility=facility,
        practitioner=clinic.amina,
        kind="leave",
        starts_at=second.starts_at,
        ends_at=second.ends_at,
        reason="Ward round",
    )
    Schedule.objects.filter(pk=clinic.afternoon.pk).update(is_active=False)
    day = clinic.tomorrow.isoformat()

    # when
    found = {
        status: _bundle(clerk.get(SEARCH, {"status": status, "start": day, "_count": "100"}))
        for status in ("free", "busy", "busy-unavailable")
    }
    either = _all(clerk, {"status": "busy,busy-unavailable", "start": day})

    # then
    assert [int(e.resource.id) for e in found["busy"].entry] == [first.pk]
    assert [int(e.resource.id) for e in found["busy-unavailable"].entry] == [second.pk]
    for status, bundle in found.items():
        assert {e.resource.status for e in bundle.entry} == {status}
    assert either == [first.pk, second.pk]
    free_tomorrow = [
        s
        for s in clinic.slots()
        if timezone.localtime(s.starts_at, NAIROBI).date() == clinic.tomorrow
    ]
    assert [int(e.resource.id) for e in found["free"].entry] == _pks(free_tomorrow)[2:]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # minute precision: the value covers [09:00, 09:01)
        (["eq{d}T09:00"], ["09:00"]),
        (["ge{d}T09:00", "lt{d}T10:00"], ["09:00", "09:15", "09:30", "09:45"]),
        (["gt{d}T09:00", "lt{d}T10:00"], ["09:15", "09:30", "09:45"]),
        (["le{d}T09:00"], ["08:00", "08:15", "08:30", "08:45", "09:00"]),
        (["lt{d}T08:30"], ["08:00", "08:15"]),
        (["sa{d}T11:15"], ["11:30", "11:45"]),
        (["eb{d}T08:30", "ge{d}"], ["08:00", "08:15"]),
        # an explicit offset: 06:00 UTC is 09:00 in Nairobi; "+" may arrive as a space
        (["ge{d}T06:00:00Z", "le{d}T06:30:00Z"], ["09:00", "09:15", "09:30"]),
        (["eq{d}T09:45:00+03:00"], ["09:45"]),
        (["eq{d}T09:45:00 03:00"], ["09:45"]),
        (["eq{d}T08:15:00.000+03:00"], ["08:15"]),
        (["eq{d}T08:15:00.001+03:00"], []),
        # a comma ORs
        (["eq{d}T08:00,eq{d}T11:45"], ["08:00", "11:45"]),
    ],
)
@pytest.mark.django_db
def test_start_prefixes_on_the_morning_session(clerk, clinic, start, expected):
    # given
    day = clinic.tomorrow.isoformat()
    params = [("schedule", f"Schedule/{clinic.morning.external_id}"), ("_count", "100")]
    params += [("start", value.format(d=day)) for value in start]
    if not any(v.format(d=day).startswith(("eq", "le", "lt", "eb")) for v in start):
        params.append(("start", f"lt{(clinic.tomorrow + dt.timedelta(days=1)).isoformat()}"))
    query = urlencode(params)

    # when
    response = clerk.get(f"{SEARCH}?{query}")

    # then
    wanted = [s.pk for s in clinic.slots() if _hhmm(s) in expected and _on(s, clinic.tomorrow)]
    assert _ids(response) == wanted


def _hhmm(slot: Slot) -> str:
    return f"{timezone.localtime(slot.starts_at, NAIROBI):%H:%M}"


def _on(slot: Slot, day: dt.date) -> bool:
    return timezone.localtime(slot.starts_at, NAIROBI).date() == day


@pytest.mark.parametrize("prefix", ["eq", "ne", "ge", "gt", "le", "lt"])
@pytest.mark.django_db
def test_day_and_month_precision_cover_the_facilitys_whole_day_or_month(clerk, clinic, prefix):
    # given
    day, month = clinic.tomorrow, clinic.tomorrow.replace(day=1)
    slots = clinic.slots()

    # when
    by_day = _all(clerk, {"schedule": str(clinic.morning.external_id), "start": f"{prefix}{day}"})
    by_month = _all(
        clerk, {"schedule": str(clinic.morning.external_id), "start": f"{prefix}{day:%Y-%m}"}
    )

    # then
    def local_day(s):
        return timezone.localtime(s.starts_at, NAIROBI).date()

    def local_month(s):
        return local_day(s).replace(day=1)

    tests = {
        "eq": (lambda s: local_day(s) == day, lambda s: local_month(s) == month),
        "ne": (lambda s: local_day(s) != day, lambda s: local_month(s) != month),
        "ge": (lambda s: local_day(s) >= day, lambda s: local_month(s) >= month),
        "gt": (lambda s: local_day(s) > day, lambda s: local_month(s) > month),
        "le": (lambda s: local_day(s) <= day, lambda s: local_month(s) <= month),
        "lt": (lambda s: local_day(s) < day, lambda s: local_month(s) < month),
    }[prefix]
    assert by_day == [s.pk for s in slots if tests[0](s)][:100]
    assert by_month == [s.pk for s in slots if tests[1](s)][:100]


@pytest.mark.parametrize(
    ("specialty", "whose"), [("PAED", "amina"), ("urn:hms:specialty|CARD", "otieno")]
)
@pytest.mark.django_db
def test_search_by_specialty(clerk, clinic, specialty, whose):
    # when
    found = _all(clerk, {"specialty": specialty})

    # then
    doctor = getattr(clinic, whose)
    expected = Slot.objects.filter(practitioner=doctor).order_by("starts_at", "practitioner_id")
    assert found == list(expected.values_list("pk", flat=True)[:100])


@pytest.mark.django_db
def test_paging_walks_every_free_slot_once_in_time_order(clerk, clinic):
    # given
    wanted = list(
        Slot.objects.filter(practitioner=clinic.otieno)
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )
    url = f"{SEARCH}?status=free&specialty=CARD&_count=3"

    # when
    seen, pages, last = [], 0, None
    while url:
        last = _bundle(clerk.get(url))
        seen += [int(e.resource.id) for e in last.entry or []]
        links = {link.relation: link.url for link in last.link}
        next_url = links.get("next")
        url = urlsplit(next_url)._replace(scheme="", netloc="").geturl() if next_url else None
        pages += 1

    # then
    assert seen == wanted
    assert pages == -(-len(wanted) // 3)
    assert last.total == len(wanted)
    assert "previous" in {link.relation for link in last.link}


@pytest.mark.django_db
def test_count_zero_answers_the_total_alone(clerk, clinic):
    # when
    bundle = _bundle(clerk.get(SEARCH, {"specialty": "CARD", "_count": "0"}))

    # then
    assert bundle.entry is None
    assert bundle.total == Slot.objects.filter(practitioner=clinic.otieno).count()


@pytest.mark.django_db
def test_a_page_of_slots_takes_a_fixed_number_of_queries(
    clerk, clinic, django_assert_max_num_queries
):
    # when: auth and roles, the page with schedules and practitioners, specialties
    with django_assert_max_num_queries(10):
        response = clerk.get(SEARCH, {"status": "free", "_count": "50"})

    # then
    assert len(_ids(response)) == 50


@pytest.mark.django_db
def test_another_facilitys_slots_are_neither_read_nor_found(
    clerk, clinic, api_client_for, other_facility
):
    # given: a receptionist of another facility
    stranger = api_client_for("receptionist", at=other_facility)
    slot = clinic.first_slot()

    # when
    read = stranger.get(f"{SEARCH}/{slot.pk}")
    found = _ids(stranger.get(SEARCH, {"_id": str(slot.pk)}))

    # then
    assert read.status_code == 404
    assert found == []
    assert _ids(clerk.get(SEARCH, {"_id": str(slot.pk)})) == [slot.pk]


@pytest.mark.django_db
def test_a_role_that_does_not_see_schedules_is_refused(api_client_for, clinic):
    # when
    response = api_client_for("lab_technician").get(SEARCH)

    # then
    assert response.status_code == 403
    assert operation_outcome(response).issue[0].code == "forbidden"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2025-13-01"},
        {"start": "2025-02-30"},
        {"start": "ap2025-02-03"},
        {"start": "ge2025-02-03T25:00"},
        {"start": "2025-02-03T10:00+15:00"},
        {"start": "ge0000"},
        {"start": "le9999-12-31"},
        {"start": "yesterday"},
        {"start": "ge2025-01-01' OR 1=1 --"},
        {"start": "\x002025"},
        {"status": "taken"},
        {"status": "http://other.example|free"},
        {"schedule": "Slot/1"},
        {"schedule": "not-a-uuid"},
        {"_id": "Slot/abc"},
        {"_id": "99999999999999999999999"},
        {"specialty": "PAED" * 60},
        {"_count": "1e3"},
        {"actor": "Practitioner/1"},
    ],
)
@pytest.mark.django_db
def test_hostile_or_unknown_parameters_answer_400(clerk, clinic, params):
    # when
    response = clerk.get(SEARCH, params)

    # then
    assert response.status_code == 400, response.content
    outcome = operation_outcome(response)
    assert outcome.issue[0].code == "invalid"
    assert outcome.issue[0].diagnostics.startswith("Search parameter")


@pytest.mark.parametrize("resource_id", ["abc", "-1", "99999999999999999999999", "1.5"])
@pytest.mark.django_db
def test_read_of_an_id_that_cannot_exist_is_404(clerk, clinic, resource_id):
    # when
    response = clerk.get(f"{SEARCH}/{resource_id}")

    # then
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("2025", "2024-12-31T21:00:00+00:00", "2025-12-31T21:00:00+00:00"),
        ("2025-12", "2025-11-30T21:00:00+00:00", "2025-12-31T21:00:00+00:00"),
        ("2024-02-29", "2024-02-28T21:00:00+00:00", "2024-02-29T21:00:00+00:00"),
        ("2025-03-04T10:00", "2025-03-04T07:00:00+00:00", "2025-03-04T07:01:00+00:00"),
        ("2025-03-04T10:00:05Z", "2025-03-04T10:00:05+00:00", "2025-03-04T10:00:06+00:00"),
        (
            "2025-03-04T10:00:05.5-01:00",
            "2025-03-04T11:00:05.500000+00:00",
            "2025-03-04T11:00:05.600000+00:00",
        ),
    ],
)
def test_a_date_value_covers_the_range_its_precision_gives(value, low, high):
    # when
    prefix, start, end = date_range(value, "start", NAIROBI)

    # then
    assert (prefix, start.isoformat(), end.isoformat()) == ("eq", low, high)


@pytest.mark.django_db
def test_dates_in_an_explicit_zone_match_the_same_instants(clerk, clinic):
    # given
    slot = clinic.first_slot()
    utc = timezone.localtime(slot.starts_at, dt.UTC)

    # when
    found = _ids(clerk.get(SEARCH, {"start": f"eq{utc:%Y-%m-%dT%H:%M}Z"}))

    # then
    assert found == [slot.pk]
    assert local(clinic, clinic.tomorrow, 8) == slot.starts_at


@pytest.mark.parametrize("offset", [0, 10, 25, 100, 180, 240])
@pytest.mark.django_db
def test_pages_from_a_start_run_on_across_weeks_and_months(clerk, clinic, offset):
    # given: both sessions' slots, some weeks and some months ahead
    ordered = list(
        Slot.objects.order_by("starts_at", "practitioner_id").values_list("pk", flat=True)
    )
    assert len(ordered) > 200

    # when
    bundle = _bundle(
        clerk.get(SEARCH, {"start": f"ge{clinic.tomorrow}", "_count": "20", "_offset": str(offset)})
    )

    # then
    assert [int(e.resource.id) for e in bundle.entry or []] == ordered[offset : offset + 20]
    relations = {link.relation for link in bundle.link}
    assert ("next" in relations) == (offset + 20 < len(ordered))
    if offset + 20 >= len(ordered) and offset < len(ordered):
        assert bundle.total == len(ordered)
