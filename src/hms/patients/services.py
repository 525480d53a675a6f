"""Every write to the patient registry. Each is one transaction, audited, and on the
patient's timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event, record_patients_shown
from hms.core import crypto
from hms.core.bulk import Table, insert_returning_id, pipelined, reserve_ids
from hms.core.errors import InvalidInput
from hms.core.models import Facility, author, keep_related, mark_saved
from hms.core.sequences import next_number
from hms.core.text import reason_text
from hms.patients import blocking, matching, mrn, search, writing
from hms.patients.errors import IdentifierTaken, PossibleDuplicates
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.inputs import PatientInput, identifier_key, validate
from hms.patients.models import (
    UNIQUE_IDENTIFIER_SYSTEMS,
    DuplicateCandidate,
    Patient,
    PatientContact,
    PatientIdentifier,
    PatientNameKey,
    TimelineEntry,
)
from hms.patients.names import search_name
from hms.patients.policies import check_patient_permission

Kind = TimelineEntry.Kind


def _probe(data: PatientInput, birth_date: dt.date | None, phone_index: str) -> matching.Probe:
    return matching.Probe(
        given_name=data.given_name,
        family_name=data.family_name,
        sex=data.sex,
        birth_date=birth_date,
        phone_index=phone_index,
        identifier_indexes=tuple(
            crypto.blind_index(identifier_key(i.system, i.value), kind="identifier")
            for i in data.identifiers
        ),
        identifier_systems=tuple(i.system for i in data.identifiers),
        birth_date_estimated=birth_date is not None
        and (data.birth_date is None or data.birth_date_estimated is True),
    )


def phone_index(phone: str) -> str:
    return crypto.blind_index(phone, kind="phone") if phone else ""


def email_index(email: str) -> str:
    return crypto.blind_index(email.lower(), kind="email") if email else ""


def _apply(
    patient: Patient, data: PatientInput, birth_date: dt.date | None, estimated: bool
) -> None:
    for name in (
        "given_name",
        "middle_name",
        "family_name",
        "preferred_name",
        "sex",
        "gender_identity",
        "marital_status",
        "language",
        "phone",
        "email",
        "address",
        "consent_sms",
        "consent_email",
        "consent_research",
        "is_unknown",
        "is_deceased",
        "deceased_at",
    ):
        setattr(patient, name, getattr(data, name))
    patient.birth_date, patient.birth_date_estimated = birth_date, estimated
    patient.phone_index = phone_index(data.phone)
    patient.email_index = email_index(data.email)
    patient.search_name = search_name(
        data.given_name, data.middle_name, data.family_name, data.preferred_name
    )


def reindex_name(patient: Patient) -> None:
    PatientNameKey.objects.filter(patient=patient).delete()
    # Two dozen rows per patient: written as plain rows, since building a model object
    # per key costs more than storing it.
    writing.NAME_KEYS.insert((key, patient.pk) for key in search.name_keys(patient.search_name))


def _replace_identifiers(patient: Patient, data: PatientInput, actor) -> list[PatientIdentifier]:
    identifiers = _identifiers(patient, data, actor)
    _take_over_from_merged(patient, identifiers)
    check_identifiers_free(identifiers)
    patient.identifiers.all().delete()
    return PatientIdentifier.objects.bulk_create(identifiers)


def _replace_contacts(patient: Patient, data: PatientInput, actor) -> list[PatientContact]:
    patient.contacts.all().delete()
    return PatientContact.objects.bulk_create(_contacts(patient, data, actor))


def _identifiers(patient: Patient, data: PatientInput, actor) -> list[PatientIdentifier]:
    return [
        PatientIdentifier(
            patient=patient,
            facility_id=patient.facility_id,
            system=i.system,
            value=i.value,
            assigner=i.assigner,
            value_index=crypto.blind_index(identifier_key(i.system, i.value), kind="identifier"),
            created_by=actor,
            updated_by=actor,
            created_at=patient.updated_at,
            updated_at=patient.updated_at,
        )
        for i in data.identifiers
    ]


def _contacts(patient: Patient, data: PatientInput, actor) -> list[PatientContact]:
    return [
        PatientContact(
            patient=patient,
            created_by=actor,
            updated_by=actor,
            created_at=patient.updated_at,
            updated_at=patient.updated_at,
            **asdict(c),
        )
        for c in data.contacts
    ]


def register_patient(
    *,
    actor: Any,
    facility: Facility,
    data: PatientInput,
    duplicate_override_reason: str = "",
    skip_permission_checks: bool = False,
    check_duplicates: bool = True,
) -> Patient:
    """Register a patient and give them the facility's next MRN.

    Requires REGISTER_PATIENT. Raises InvalidInput naming the field, or PossibleDuplicates
    (409, with the ranked matches) unless `duplicate_override_reason` says why this is a
    different person; then the pairs go on the duplicates worklist. Raises IdentifierTaken
    (409) when another current record holds an identifier that names one person. The
    check and the insert run under locks on the probe's blocking keys
    (`blocking.serialise`), so of two clerks registering one person at the same moment
    the second is shown the first one's record. The MRN comes from
    the facility's sequence row, locked until commit, so two clerks never get one number.
    Audits CREATE and adds "registered" to the timeline. The record comes back holding
    its identifiers and contacts as written, as if prefetched.
    """
    if not skip_permission_checks:
        account_policies.check_permission(actor, Perm.REGISTER_PATIENT, facility)
    data, birth_date, estimated = validate(
        data, region=facility.country, today=timezone.localdate()
    )
    override = _reason(duplicate_override_reason, "duplicate_override_reason")
    probe = _probe(data, birth_date, phone_index(data.phone))
    user = author(actor)
    now = timezone.now()
    patient = Patient(
        facility=facility, created_by=user, updated_by=user, created_at=now, updated_at=now
    )
    _apply(patient, data, birth_date, estimated)
    identifiers = _identifiers(patient, data, user)
    contacts = _contacts(patient, data, user)
    # Encrypted and converted before the transaction: clerks registering at once wait
    # on the MRN sequence lock for as long as it lasts.
    row = writing.ready(patient, identifiers, contacts)
    try:
        with transaction.atomic():
            # Checked under the probe's locks: a clerk registering the same person at
            # this moment waits here, then finds this record.
            blocking.serialise(probe, facility_id=facility.pk)
            matches = []
            if check_duplicates:
                matches = matching.find_likely_duplicates(probe, facility_id=facility.pk)
                if matches and not override:
                    raise PossibleDuplicates(matches)
            check_identifiers_free(identifiers)
            _insert_registered(actor, user, patient, row, matches, override, now)
    except IntegrityError:
        # An identifier written meanwhile by a door that takes no probe lock (an edit).
        check_identifiers_free(identifiers)
        raise
    for child in (*identifiers, *contacts):
        child.patient_id = patient.pk
    mark_saved(patient, *identifiers, *contacts)
    # The children's own ids are not read back: nothing shown of them needs one.
    keep_related(patient, identifiers=identifiers, contacts=contacts)
    return patient


def _insert_registered(actor, user, patient, row, matches, override: str, now) -> None:
    """Number and write a checked registration; holds the MRN sequence lock from here
    to commit."""
    facility = patient.facility
    patient.pk = reserve_ids(Patient, 1)[0]
    patient.mrn = mrn.format_mrn(facility.mrn_prefix, next_number(f"mrn:{facility.code}"))
    summary = f"Registered with MRN {patient.mrn}"
    if override:
        summary += f"; possible duplicate overridden: {override}"
    with pipelined():
        writing.insert([(patient.pk, patient.mrn, row)])
        writing.insert_registered(
            [(patient.pk, summary, "{}")], at=now, user_id=user.pk if user else None
        )
    for match in matches:
        _flag_pair(patient, match)
    record_event(
        action=Action.CREATE,
        actor=actor,
        obj=patient,
        patient_id=str(patient.external_id),
        reason=override[:300],
    )


def _unique_of(identifiers: list[PatientIdentifier]) -> Q | None:
    wanted = None
    for i in identifiers:
        if i.system in UNIQUE_IDENTIFIER_SYSTEMS:
            one = Q(system=i.system, assigner=i.assigner, value_index=i.value_index)
            wanted = one if wanted is None else wanted | one
    return wanted


def _take_over_from_merged(patient: Patient, identifiers: list[PatientIdentifier]) -> None:
    """A survivor given the number of a record merged into it holds it from now on."""
    wanted = _unique_of(identifiers)
    if wanted is not None:
        PatientIdentifier.objects.filter(
            wanted, patient__merged_into=patient, is_current=True
        ).update(is_current=False)


def check_identifiers_free(identifiers: list[PatientIdentifier]) -> None:
    """Raise IdentifierTaken when another current record of the facility holds one of
    `identifiers` that names one person (the database refuses it too)."""
    wanted = _unique_of(identifiers)
    if wanted is None:
        return
    held = (
        PatientIdentifier.objects.filter(
            wanted, facility_id=identifiers[0].facility_id, is_current=True
        )
        .exclude(patient_id=identifiers[0].patient_id)
        .select_related("patient__merged_into")
        .first()
    )
    if held is not None:
        # A record merged away still holds its numbers; the clerk needs the survivor.
        holder = held.patient.merged_into or held.patient
        raise IdentifierTaken(PatientIdentifier.System(held.system).label, holder)


def update_patient(
    *, actor: Any, patient: Patient, data: PatientInput, reason: str = ""
) -> Patient:
    """Replace a patient's details (demographics, contacts, identifiers).

    Requires EDIT_PATIENT in the patient's facility; only active records can change.
    Raises IdentifierTaken when another current record holds one of the new identifiers.
    Lists the changed fields (not their values) on the timeline and in the audit trail.
    The record comes back holding its new identifiers and contacts, as if prefetched.
    """
    check_patient_permission(actor, Perm.EDIT_PATIENT, patient)
    if not patient.is_active:
        raise InvalidInput(
            "This record was merged or entered in error and cannot change.", code=Code.NOT_ACTIVE
        )
    data, birth_date, estimated = validate(
        data, region=patient.facility.country, today=timezone.localdate()
    )
    reason = _reason(reason, "reason")
    try:
        return _update(actor, patient, data, birth_date, estimated, reason)
    except IntegrityError:
        # An identifier another record took since the check.
        check_identifiers_free(_identifiers(patient, data, None))
        raise


def _update(actor, patient, data, birth_date, estimated, reason: str) -> Patient:
    user = author(actor)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        before = _snapshot(locked)
        _apply(locked, data, birth_date, estimated)
        locked.updated_by = user
        locked.save()
        if before["search_name"] != locked.search_name:
            reindex_name(locked)
        keep_related(
            locked,
            identifiers=_replace_identifiers(locked, data, user),
            contacts=_replace_contacts(locked, data, user),
        )
        changed = sorted(k for k, v in _snapshot(locked).items() if v != before[k])
        summary = "Changed: " + (", ".join(changed) or "identifiers or contacts")
        _timeline(locked, Kind.UPDATED, summary, user, detail={"fields": changed, "reason": reason})
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.external_id),
            reason=f"{summary}. {reason}"[:500],
        )
    return locked


def _snapshot(patient: Patient) -> dict[str, Any]:
    names = (
        "given_name",
        "middle_name",
        "family_name",
        "preferred_name",
        "sex",
        "gender_identity",
        "birth_date",
        "marital_status",
        "language",
        "phone",
        "email",
        "address",
        "consent_sms",
        "consent_email",
        "consent_research",
        "is_deceased",
        "deceased_at",
        "search_name",
    )
    return {n: getattr(patient, n) for n in names}


def _reason(text: str, field: str) -> str:
    return reason_text(text, field)


def _flag_pair(patient: Patient, match: matching.Match) -> None:
    low, high = sorted((patient.pk, match.patient.pk))
    try:
        with transaction.atomic():
            DuplicateCandidate.objects.get_or_create(
                patient_id=low,
                other_id=high,
                defaults={"score": match.score, "reasons": list(match.reasons)},
            )
    except IntegrityError:
        pass  # flagged concurrently


def _timeline(
    patient: Patient,
    kind: str,
    summary: str,
    user,
    *,
    detail=None,
    at: dt.datetime | None = None,
    source: str = "",
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        patient=patient,
        kind=kind,
        summary=summary[:300],
        actor=user,
        occurred_at=at or timezone.now(),
        detail=detail or {},
        source=source,
    )


_TIMELINE = Table(
    TimelineEntry,
    ["patient_id", "kind", "occurred_at", "recorded_at", "actor_id", "summary", "detail", "source"],
)


def add_timeline_entry(
    *,
    patient: Patient,
    kind: str,
    summary: str,
    actor: Any = None,
    occurred_at: dt.datetime | None = None,
    detail: dict | None = None,
    source: str = "",
) -> TimelineEntry:
    """Put an interaction on the patient's CRM timeline; the one door for other modules.

    Idempotent on `source` (e.g. "appointment:<uuid>:booked"): a retry returns the entry
    already written.
    """
    if kind not in Kind.values:
        raise InvalidInput(f"Unknown timeline kind {kind!r}.", field="kind")
    now = timezone.now()
    entry = TimelineEntry(
        patient=patient,
        kind=kind,
        summary=summary[:300],
        actor=author(actor),
        occurred_at=occurred_at or now,
        recorded_at=now,
        detail=detail or {},
        source=source,
    )
    # One statement: ON CONFLICT leaves an entry already written under this source as
    # it is (and waits for one being written) without failing the caller's transaction,
    # where a look-up first and an insert in a savepoint took four round trips.
    row = _TIMELINE.convert([getattr(entry, c) for c in _TIMELINE.columns])
    entry.pk = insert_returning_id(_TIMELINE, row, skip_conflicts=True)
    if entry.pk is None:
        return TimelineEntry.objects.get(source=source)
    mark_saved(entry)
    return entry


def log_contact(
    *,
    actor: Any,
    patient: Patient,
    kind: str,
    summary: str,
    outcome: str = "",
    occurred_at: dt.datetime | None = None,
) -> TimelineEntry:
    """A call or note by staff (LOG_PATIENT_CONTACT), with the call's outcome."""
    check_patient_permission(actor, Perm.LOG_PATIENT_CONTACT, patient)
    if kind not in (Kind.CALL, Kind.NOTE):
        raise InvalidInput("Log a call or a note.", field="kind")
    summary = _reason(summary, "summary")
    if not summary:
        raise InvalidInput("Say what happened.", field="summary")
    outcome = _reason(outcome, "outcome")[:50]
    with transaction.atomic():
        entry = _timeline(
            patient,
            kind,
            summary,
            author(actor),
            at=occurred_at,
            detail={"outcome": outcome} if outcome else {},
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=entry,
            patient_id=str(patient.external_id),
            reason=f"{kind} logged",
        )
    return entry


def record_patient_read(*, actor: Any, patient: Patient, what: str = "record") -> None:
    """Audit a read of a patient's record, saying what showed it ("patient page")."""
    record_patients_shown(actor=actor, patient_ids=[patient.external_id], what=what)


def record_patient_reads(*, actor: Any, patients: list[Patient], what: str) -> None:
    """Audit the patients a page shows (a search page, a list of likely duplicates): one
    event for the whole page, written when the request has answered."""
    record_patients_shown(actor=actor, patient_ids=[p.external_id for p in patients], what=what)
