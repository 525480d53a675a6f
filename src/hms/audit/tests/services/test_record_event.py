import hashlib
import json

import pytest
from django.db import transaction

from hms.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from hms.audit.services import Action, Outcome, record_event
from hms.core import context


def _sha256_of(row: AuditEvent) -> str:
    """The documented hash, computed here from the stored columns (not via the model)."""
    content = {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor_id,
        "username": row.username,
        "roles": row.roles,
        "facility": row.facility_code,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "patient_id": row.patient_id,
        "source_ip": row.source_ip,
        "user_agent": row.user_agent,
        "channel": row.channel,
        "outcome": row.outcome,
        "reason": row.reason,
    }
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{row.prev_hash}|{payload}".encode()).hexdigest()


@pytest.mark.django_db
def test_first_event_starts_the_chain_at_id_1_after_the_genesis_hash():
    # when
    event = record_event(action=Action.READ, username="nurse1")

    # then
    assert event.id == 1
    assert event.prev_hash == GENESIS_HASH
    head = ChainHead.objects.get()
    assert (head.last_id, head.last_hash) == (1, event.hash)


@pytest.mark.django_db
def test_events_get_gapless_ids_each_pointing_at_the_previous_hash():
    # when
    for n in range(6):
        record_event(action=Action.READ, username="nurse1", reason=f"event {n}")

    # then
    rows = list(AuditEvent.objects.order_by("id"))
    assert [r.id for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r.prev_hash for r in rows] == [GENESIS_HASH] + [r.hash for r in rows[:-1]]
    assert len({r.hash for r in rows}) == 6


@pytest.mark.django_db
def test_stored_hash_is_the_sha256_of_prev_hash_and_content(clock, make_user):
    # given
    doctor = make_user("doctor", username="dr_zoe")

    # when
    with context.bound(context.RequestContext(facility_code="RGH", roles=("doctor",))):
        record_event(
            action=Action.READ,
            actor=doctor,
            object_type="patients.Patient",
            object_id="4f1c",
            patient_id="MRN-0001",
            reason="Zoë's chart — opened from the ward list",
        )

    # then: recomputed from the row as read back from the database
    row = AuditEvent.objects.order_by("-id").first()
    assert row.hash == _sha256_of(row)
    assert row.at.isoformat() == "2025-03-03T09:00:00+00:00"


@pytest.mark.django_db
def test_fields_come_from_the_bound_request_context(make_user):
    # given
    nurse = make_user("nurse", username="nurse_amina")
    ctx = context.RequestContext(
        source_ip="10.1.2.3",
        user_agent="Mozilla/5.0 (Ward tablet)",
        facility_code="RGH",
        roles=("nurse", "ward_manager"),
        channel="api",
    )

    # when
    with context.bound(ctx):
        event = record_event(action=Action.UPDATE, actor=nurse, reason="vitals corrected")

    # then
    row = AuditEvent.objects.get(id=event.id)
    assert row.actor_id == nurse.pk
    assert row.username == "nurse_amina"
    assert row.roles == "nurse,ward_manager"
    assert row.facility_code == "RGH"
    assert row.source_ip == "10.1.2.3"
    assert row.user_agent == "Mozilla/5.0 (Ward tablet)"
    assert row.channel == "api"
    assert row.outcome == Outcome.SUCCESS


@pytest.mark.django_db
def test_without_a_bound_context_the_channel_is_system():
    # when
    event = record_event(action=Action.EXPORT, username="cron")

    # then
    assert (event.channel, event.source_ip, event.user_agent, event.roles) == ("system", "", "", "")
    assert event.facility_code == ""


@pytest.mark.django_db
def test_failed_sign_in_of_an_unknown_user_keeps_the_typed_username():
    # when
    event = record_event(
        action=Action.LOGIN_FAILED, username="mallory", outcome=Outcome.DENIED, reason="wrong"
    )

    # then
    assert event.actor_id is None
    assert (event.username, event.outcome) == ("mallory", Outcome.DENIED)


@pytest.mark.django_db
def test_an_actor_overrides_the_username_given(make_user):
    # given
    clerk = make_user("receptionist", username="clerk_real")

    # when
    event = record_event(action=Action.READ, actor=clerk, username="someone_else")

    # then
    assert (event.actor_id, event.username) == (clerk.pk, "clerk_real")


@pytest.mark.django_db
def test_an_object_is_referenced_by_its_label_and_public_id(facility):
    # when
    event = record_event(action=Action.UPDATE, obj=facility)

    # then
    assert event.object_type == "core.Facility"
    assert event.object_id == str(facility.external_id)


@pytest.mark.django_db
def test_long_values_are_cut_to_the_column_sizes():
    # when
    event = record_event(
        action=Action.READ,
        username="u" * 200,
        object_type="t" * 150,
        object_id="i" * 100,
        patient_id="p" * 100,
        reason="r" * 800,
    )

    # then: saved on PostgreSQL too, where an over-long varchar would be refused
    row = AuditEvent.objects.get(id=event.id)
    assert (len(row.username), len(row.object_type), len(row.object_id)) == (150, 100, 64)
    assert (len(row.patient_id), len(row.reason)) == (64, 500)
    assert row.hash == _sha256_of(row)


@pytest.mark.django_db
def test_an_event_rolled_back_with_its_transaction_leaves_no_gap():
    # given
    record_event(action=Action.READ, username="nurse1")

    def failing_service() -> None:
        with transaction.atomic():
            record_event(action=Action.UPDATE, username="nurse1", reason="half-done write")
            raise RuntimeError("the service failed after auditing")

    # when
    with pytest.raises(RuntimeError):
        failing_service()
    second = record_event(action=Action.READ, username="nurse1")

    # then
    assert second.id == 2
    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == [1, 2]
    assert AuditEvent.objects.filter(reason="half-done write").exists() is False
    assert ChainHead.objects.get().last_id == 2
