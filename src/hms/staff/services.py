"""Every write to the staff directory. Each is one transaction and audited."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Department, Facility, author, keep_related
from hms.core.names import tokens
from hms.core.text import reason_text
from hms.staff import policies
from hms.staff.errors import StaffErrorCode as Code
from hms.staff.inputs import PractitionerInput, clean_code, validate
from hms.staff.models import Practitioner, Specialty

_FIELDS = (
    "kind",
    "title",
    "given_name",
    "family_name",
    "qualifications",
    "registration_number",
    "phone",
    "email",
    "consultation_fee",
    "is_active",
)


def search_name(given_name: str, family_name: str) -> str:
    """Lower-cased "given family" without accents, as the directory search reads it."""
    return " ".join([*tokens(given_name), *tokens(family_name)])[:220]


def add_practitioner(*, actor: Any, facility: Facility, data: PractitionerInput) -> Practitioner:
    """Add a practitioner to the facility's staff directory.

    Requires MANAGE_STAFF_DIRECTORY in the facility. Raises InvalidInput naming the
    field, or Conflict (REGISTRATION_NUMBER_TAKEN) when another practitioner of the
    facility holds the registration number; nothing is written then. Audits CREATE.
    """
    account_policies.check_permission(actor, Perm.MANAGE_STAFF_DIRECTORY, facility)
    data = validate(data, region=facility.country)
    department = _department(facility, data.department)
    specialties = _specialties(data.specialties)
    user = author(actor)
    practitioner = Practitioner(facility=facility, created_by=user, updated_by=user)
    _apply(practitioner, data, department)
    with transaction.atomic():
        _save(practitioner)
        practitioner.specialties.set(specialties)
        record_event(
            action=Action.CREATE, actor=actor, obj=practitioner, reason="added to the directory"
        )
    keep_related(practitioner, specialties=specialties)
    return practitioner


def update_practitioner(
    *, actor: Any, practitioner: Practitioner, data: PractitionerInput
) -> Practitioner:
    """Replace a practitioner's directory entry with `data`.

    Requires MANAGE_STAFF_DIRECTORY in the practitioner's facility (NotFound where the
    actor cannot see that directory). Locks the practitioner's row until commit. Raises
    as add_practitioner does. Audits UPDATE, listing the changed fields, not their values.
    """
    policies.check_manage_practitioner(actor, practitioner)
    facility = practitioner.facility
    data = validate(data, region=facility.country)
    department = _department(facility, data.department)
    specialties = _specialties(data.specialties)
    with transaction.atomic():
        locked = (
            Practitioner.objects.select_for_update(of=("self",))
            .select_related("facility", "department")
            .get(pk=practitioner.pk)
        )
        before = _snapshot(locked, [s.code for s in locked.specialties.all()])
        _apply(locked, data, department)
        locked.updated_by = author(actor)
        _save(locked)
        locked.specialties.set(specialties)
        after = _snapshot(locked, [s.code for s in specialties])
        changed = sorted(name for name, value in after.items() if value != before[name])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            reason=("changed " + ", ".join(changed)) if changed else "saved unchanged",
        )
    keep_related(locked, specialties=specialties)
    return locked


def add_specialty(*, actor: Any, code: str, name: str) -> Specialty:
    """Add a specialty to the catalogue every facility shares.

    Requires MANAGE_STAFF_DIRECTORY in any facility. Raises InvalidInput naming the
    field, or Conflict (SPECIALTY_CODE_TAKEN) for a code in use. Audits CREATE.
    """
    policies.check_manage_specialties(actor)
    code = clean_code(code, "code")
    name = reason_text(name, "name", limit=120)
    if not name:
        raise InvalidInput("This is required.", field="name")
    user = author(actor)
    specialty = Specialty(code=code, name=name, created_by=user, updated_by=user)
    with transaction.atomic():
        try:
            with transaction.atomic():
                specialty.save()
        except IntegrityError as exc:
            if Specialty.objects.filter(code=code).exists():
                raise Conflict(
                    f"Specialty {code} exists already.",
                    field="code",
                    code=Code.SPECIALTY_CODE_TAKEN,
                ) from exc
            raise
        record_event(action=Action.CREATE, actor=actor, obj=specialty, reason="added")
    return specialty


def _apply(practitioner: Practitioner, data: PractitionerInput, department) -> None:
    for name in _FIELDS:
        setattr(practitioner, name, getattr(data, name))
    practitioner.languages = list(data.languages)
    practitioner.department = department
    practitioner.search_name = search_name(data.given_name, data.family_name)


def _save(practitioner: Practitioner) -> None:
    """Save in a savepoint, so a registration number taken (by a clerk a moment ago
    too: the unique constraint decides) becomes a Conflict naming the field."""
    try:
        with transaction.atomic():
            practitioner.save()
    except IntegrityError as exc:
        taken = (
            Practitioner.objects.filter(
                facility_id=practitioner.facility_id,
                registration_number=practitioner.registration_number,
            )
            .exclude(pk=practitioner.pk)
            .exists()
        )
        if practitioner.registration_number and taken:
            raise Conflict(
                f"Registration number {practitioner.registration_number} belongs to another "
                "practitioner of this facility.",
                field="registration_number",
                code=Code.REGISTRATION_NUMBER_TAKEN,
            ) from exc
        raise


def _department(facility: Facility, code: str) -> Department | None:
    if not code:
        return None
    department = Department.objects.filter(facility=facility, code=code, is_active=True).first()
    if department is None:
        raise InvalidInput(
            f"No active department {code} in this facility.",
            field="department",
            code=Code.UNKNOWN_DEPARTMENT,
        )
    return department


def _specialties(codes: tuple[str, ...]) -> list[Specialty]:
    found = list(Specialty.objects.filter(code__in=codes)) if codes else []
    missing = sorted(set(codes) - {s.code for s in found})
    if missing:
        raise InvalidInput(
            f"Unknown specialty code(s): {', '.join(missing)}.",
            field="specialties",
            code=Code.UNKNOWN_SPECIALTY,
        )
    return sorted(found, key=lambda s: s.name)


def _snapshot(practitioner: Practitioner, specialty_codes: list[str]) -> dict[str, Any]:
    values = {name: getattr(practitioner, name) for name in _FIELDS}
    values.update(
        languages=list(practitioner.languages),
        department=practitioner.department_id,
        specialties=sorted(specialty_codes),
    )
    return values
