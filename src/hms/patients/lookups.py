"""Reads of the registry by exact criteria: one record by its public id, one merge, and
the structured search the FHIR API needs (family, given, birth-date ranges, identifier
by system, telecom), next to the front desk's free-text search in selectors.py."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, prefetch_related_objects

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.core import crypto
from hms.core.errors import NotFound
from hms.core.models import Facility
from hms.core.names import tokens
from hms.core.phones import normalise_phone
from hms.core.rows import Columns, fetch
from hms.patients import mrn
from hms.patients.inputs import (
    ContactInput,
    IdentifierInput,
    PatientInput,
    identifier_key,
)
from hms.patients.models import Patient, PatientIdentifier, PatientMerge, PatientNameKey
from hms.patients.policies import scope_patients
from hms.patients.search import PREFIX_KEYS

# Name-part searches (family, given) are refined on at most this many name matches.
REFINE_LIMIT = 2000


def _records(viewer: Any, facility: Facility | None) -> QuerySet[Patient]:
    # Not merged_into: joining it would decrypt a second patient's contact details for a
    # link that only merged records have (read on demand, by id). The photo's details
    # come in the same query (FHIR's Patient.photo links to it); its bytes do not.
    return (
        scope_patients(viewer, facility, Patient.objects.all())
        .select_related("facility", "photo")
        .defer("photo__image")
    )


def patient_record(*, viewer: Any, facility: Facility | None, external_id: Any) -> Patient:
    """One patient of the viewer's facility, any status, with identifiers and contacts.

    Raises NotFound for an unknown id, a malformed id, or another facility's patient.
    """
    records = _records(viewer, facility).prefetch_related("identifiers", "contacts")
    return _one(records, external_id)


# What `patient_row` reads: all but the encrypted contact details (deferred, so a
# booking decrypts nothing it does not show).
_ROW = Columns(
    Patient,
    [f.name for f in Patient._meta.concrete_fields if f.name not in ("phone", "email", "address")],
)


def patient_row(*, viewer: Any, facility: Facility | None, external_id: Any) -> Patient:
    """One patient of the viewer's facility, any status, without the details a write
    that only names the patient (a booking, a walk-in) has no use for: identifiers,
    contacts, photo, and the encrypted phone, email and address (left deferred).
    NotFound as for `patient_record`.

    One plain statement, as every booking asks: compiling the ORM's query cost more
    than running it. The facility is the caller's, which the row must belong to."""
    try:
        key = uuid.UUID(str(external_id))
    except ValueError as exc:
        raise NotFound("No such patient.") from exc
    if facility is None or not policies.has_permission(viewer, Perm.VIEW_PATIENT, facility):
        raise NotFound("No such patient.")
    table = connection.ops.quote_name(Patient._meta.db_table)
    where = "p.external_id = %s AND p.facility_id = %s"
    sql = f"SELECT {_ROW.select('p')} FROM {table} p WHERE {where}"  # noqa: S608
    key_value = Patient._meta.get_field("external_id").get_db_prep_value(key, connection)
    for (patient,) in fetch(sql, [key_value, facility.pk], _ROW):
        patient.facility = facility
        return patient
    raise NotFound("No such patient.")


def _one(records: QuerySet[Patient], external_id: Any) -> Patient:
    try:
        key = uuid.UUID(str(external_id))
    except ValueError as exc:
        raise NotFound("No such patient.") from exc
    patient = records.filter(external_id=key).first()
    if patient is None:
        raise NotFound("No such patient.")
    return patient


def patient_merge_record(
    *, viewer: Any, facility: Facility | None, external_id: Any
) -> PatientMerge:
    """A merge whose surviving record the viewer may see; NotFound otherwise."""
    visible = scope_patients(viewer, facility, Patient.objects.all())
    merge = (
        PatientMerge.objects.select_related("survivor", "merged")
        .filter(external_id=external_id, survivor__in=visible)
        .first()
    )
    if merge is None:
        raise NotFound("No such merge.")
    return merge


@dataclass(frozen=True)
class IdentifierCriterion:
    """FHIR token semantics: system None = any system; value None = any value."""

    system: str | None
    value: str | None


@dataclass(frozen=True)
class PatientCriteria:
    """Each tuple of alternatives is OR-ed; the criteria are AND-ed (FHIR search rules)."""

    ids: tuple[str, ...] = ()
    names: tuple[tuple[str, ...], ...] = ()
    families: tuple[tuple[str, ...], ...] = ()
    givens: tuple[tuple[str, ...], ...] = ()
    birth_from: dt.date | None = None  # inclusive
    birth_to: dt.date | None = None  # inclusive
    birth_not: tuple[tuple[dt.date, dt.date], ...] = ()  # inclusive ranges to leave out
    sexes: tuple[str, ...] = ()
    identifiers: tuple[tuple[IdentifierCriterion, ...], ...] = ()
    telecoms: tuple[tuple[tuple[str, str], ...], ...] = ()  # (system or "", value)


@dataclass(frozen=True)
class LookupPage:
    results: list[Patient]
    total: int


def mrn_system(facility: Facility) -> str:
    """The identifier system of this facility's medical record numbers."""
    return f"urn:hms:mrn:{facility.code}"


def find_patients(
    *,
    viewer: Any,
    facility: Facility | None,
    criteria: PatientCriteria,
    limit: int,
    offset: int,
) -> LookupPage:
    """Patients of the viewer's facility matching every criterion, merged records
    included (they point at their survivor), entered-in-error records left out; sorted
    by family name, given name, then registration order, with the total count."""
    qs = _records(viewer, facility).exclude(status=Patient.Status.ENTERED_IN_ERROR)
    qs = qs.filter(_conditions(criteria, facility)).order_by("family_name", "given_name", "id")
    if not (criteria.families or criteria.givens):
        page, total = list(qs[offset : offset + limit]), qs.count()
    else:
        matched = [p for p in qs[:REFINE_LIMIT] if _name_parts_match(p, criteria)]
        page, total = matched[offset : offset + limit], len(matched)
    # What a full record shows, loaded once for the page rather than once per patient.
    prefetch_related_objects(page, "identifiers", "contacts", "merged_records", "merged_into")
    return LookupPage(page, total)


def _conditions(criteria: PatientCriteria, facility: Facility | None) -> Q:
    condition = Q()
    if criteria.ids:
        condition &= Q(external_id__in=_uuids(criteria.ids))
    for alternatives in (*criteria.names, *criteria.families, *criteria.givens):
        condition &= _any_of(_name_condition(text) for text in alternatives)
    if criteria.birth_from:
        condition &= Q(birth_date__gte=criteria.birth_from)
    if criteria.birth_to:
        condition &= Q(birth_date__lte=criteria.birth_to)
    for low, high in criteria.birth_not:
        condition &= ~Q(birth_date__range=(low, high)) | Q(birth_date=None)
    if criteria.sexes:
        condition &= Q(sex__in=criteria.sexes)
    for alternatives in criteria.identifiers:
        condition &= _any_of(_identifier_condition(i, facility) for i in alternatives)
    for alternatives in criteria.telecoms:
        condition &= _any_of(_telecom_condition(s, v, facility) for s, v in alternatives)
    return condition


def _any_of(conditions) -> Q:
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined | condition
    return combined if combined is not None else Q(pk__in=[])


def _nothing() -> Q:
    return Q(pk__in=[])


def _uuids(values: tuple[str, ...]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue  # an id we never issued matches nothing
    return found


def _name_condition(text: str) -> Q:
    """Every word of `text` starts a word of the patient's names (accents and case
    ignored). The prefix key narrows the rows by index; the LIKE makes it exact."""
    words = tokens(text)
    if not words:
        return _nothing()
    condition = Q()
    for word in words:
        keyed = PatientNameKey.objects.filter(key=f"p{word[:PREFIX_KEYS]}"[:40])
        condition &= Q(pk__in=keyed.values("patient_id")) & (
            Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
        )
    return condition


def _name_parts_match(patient: Patient, criteria: PatientCriteria) -> bool:
    family = tokens(patient.family_name)
    given = tokens(f"{patient.given_name} {patient.middle_name} {patient.preferred_name}")
    return all(
        any(_starts_words(text, family) for text in alternatives)
        for alternatives in criteria.families
    ) and all(
        any(_starts_words(text, given) for text in alternatives) for alternatives in criteria.givens
    )


def _starts_words(text: str, words: list[str]) -> bool:
    wanted = tokens(text)
    return bool(wanted) and all(any(w.startswith(q) for w in words) for q in wanted)


def _identifier_condition(item: IdentifierCriterion, facility: Facility | None) -> Q:
    ours = mrn_system(facility) if facility else None
    if item.system == "":
        return _nothing()  # "|value": an identifier without a system; ours always have one
    if item.system is not None and item.system.startswith("urn:hms:mrn:"):
        if item.system != ours:
            return _nothing()
        return Q() if item.value is None else Q(mrn=mrn.normalise(item.value))
    if item.system is not None:
        rows = PatientIdentifier.objects.filter(system=item.system)
        if item.value is not None:
            rows = rows.filter(value_index=_identifier_index(item.system, item.value))
        return Q(pk__in=rows.values("patient_id"))
    # A value with no system: our MRN or any stored identifier system.
    systems = set(PatientIdentifier.System.values) | set(
        PatientIdentifier.objects.values_list("system", flat=True).distinct()
    )
    indexes = [_identifier_index(system, item.value or "") for system in systems]
    stored = PatientIdentifier.objects.filter(value_index__in=indexes)
    return Q(mrn=mrn.normalise(item.value or "")) | Q(pk__in=stored.values("patient_id"))


def _identifier_index(system: str, value: str) -> str:
    return crypto.blind_index(identifier_key(system, value), kind="identifier")


def _telecom_condition(system: str, value: str, facility: Facility | None) -> Q:
    condition = _nothing()
    if system in ("", "phone", "sms"):
        try:
            phone = normalise_phone(value, facility.country if facility else "KE")
        except Exception:  # noqa: BLE001 - not a phone number: it matches no phone
            phone = ""
        if phone:
            condition |= Q(phone_index=crypto.blind_index(phone, kind="phone"))
    if system in ("", "email") and "@" in value:
        condition |= Q(email_index=crypto.blind_index(value.strip().lower(), kind="email"))
    return condition


def patient_as_input(patient: Patient) -> PatientInput:
    """The record as it stands, as the command an edit starts from (a REST PATCH, a FHIR
    update keeping what FHIR does not carry)."""
    return PatientInput(
        given_name=patient.given_name,
        sex=patient.sex,
        family_name=patient.family_name,
        middle_name=patient.middle_name,
        preferred_name=patient.preferred_name,
        gender_identity=patient.gender_identity,
        birth_date=patient.birth_date,
        birth_date_estimated=patient.birth_date_estimated,
        marital_status=patient.marital_status,
        language=patient.language,
        phone=patient.phone,
        email=patient.email,
        address=patient.address or None,
        consent_sms=patient.consent_sms,
        consent_email=patient.consent_email,
        consent_research=patient.consent_research,
        is_unknown=patient.is_unknown,
        is_deceased=patient.is_deceased,
        deceased_at=patient.deceased_at,
        identifiers=tuple(
            IdentifierInput(system=i.system, value=i.value, assigner=i.assigner)
            for i in patient.identifiers.all()
        ),
        contacts=tuple(
            ContactInput(
                name=c.name, relationship=c.relationship, phone=c.phone, is_emergency=c.is_emergency
            )
            for c in patient.contacts.all()
        ),
    )
