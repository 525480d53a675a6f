"""Permission codes and the roles that bundle them: the one definition of who may do what.

Roles are applied to the database by migrations (`sync_roles`), so a deployment always
matches this file after `hms migrate`. Whether a role must use two-factor login is
seeded from here and can then be changed per role by an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Perm(StrEnum):
    VIEW_FACILITY = "core.view_facility"
    MANAGE_FACILITY = "core.manage_facility"
    MANAGE_USERS = "accounts.manage_users"
    USE_API_TOKENS = "accounts.use_api_tokens"
    VIEW_AUDIT = "audit.view_events"
    EXPORT_AUDIT = "audit.export_events"
    VERIFY_AUDIT = "audit.verify_chain"
    VIEW_PATIENT = "patients.view_patient"
    REGISTER_PATIENT = "patients.register_patient"
    EDIT_PATIENT = "patients.edit_patient"
    LOG_PATIENT_CONTACT = "patients.log_contact"
    MERGE_PATIENTS = "patients.merge_patients"
    IMPORT_PATIENTS = "patients.import_patients"
    MANAGE_STAFF_DIRECTORY = "staff.manage_directory"
    VIEW_SCHEDULE = "scheduling.view_schedule"
    BOOK_APPOINTMENT = "scheduling.book_appointment"
    BOOK_EMERGENCY_SLOT = "scheduling.book_emergency_slot"
    MANAGE_SCHEDULES = "scheduling.manage_schedules"
    CHECK_IN = "encounters.check_in"
    RUN_CLINIC = "encounters.run_clinic"
    VIEW_BILLING = "billing.view_billing"
    MANAGE_TARIFFS = "billing.manage_tariffs"
    CAPTURE_CHARGE = "billing.capture_charge"
    OVERRIDE_PRICE = "billing.override_price"
    VOID_CHARGE = "billing.void_charge"
    MANAGE_INVOICES = "billing.manage_invoices"
    APPROVE_DISCOUNT = "billing.approve_discount"
    TAKE_PAYMENT = "billing.take_payment"


class RoleCode(StrEnum):
    ADMIN = "admin"
    RECEPTIONIST = "receptionist"
    NURSE = "nurse"
    DOCTOR = "doctor"
    PHARMACIST = "pharmacist"
    LAB_TECHNICIAN = "lab_technician"
    RADIOLOGIST = "radiologist"
    BILLING_CLERK = "billing_clerk"
    CASHIER = "cashier"
    WARD_MANAGER = "ward_manager"
    AUDITOR = "auditor"
    PATIENT = "patient"


@dataclass(frozen=True)
class RoleDefinition:
    code: RoleCode
    name: str
    permissions: frozenset[Perm]
    requires_two_factor: bool


_STAFF = frozenset({Perm.VIEW_FACILITY, Perm.USE_API_TOKENS})
_SEES_PATIENTS = _STAFF | {Perm.VIEW_PATIENT}
_BOOKS = frozenset({Perm.VIEW_SCHEDULE, Perm.BOOK_APPOINTMENT, Perm.CHECK_IN})
_FRONT_DESK = (
    _SEES_PATIENTS
    | _BOOKS
    | {
        Perm.REGISTER_PATIENT,
        Perm.EDIT_PATIENT,
        Perm.LOG_PATIENT_CONTACT,
    }
)
_RECORDS = _FRONT_DESK | {Perm.MERGE_PATIENTS, Perm.IMPORT_PATIENTS}
# Billing: clerks capture charges and prepare invoices; cashiers take the money and
# finalise the invoice at the till. Changing prices, overriding a tariff, voiding a
# charge and a discount above the threshold are a supervisor's (the administrator's)
# approval, so no one both makes and waves through the same correction.
_BILLS = frozenset({Perm.VIEW_BILLING, Perm.CAPTURE_CHARGE, Perm.MANAGE_INVOICES})
_SUPERVISES_BILLING = _BILLS | {
    Perm.MANAGE_TARIFFS,
    Perm.OVERRIDE_PRICE,
    Perm.VOID_CHARGE,
    Perm.APPROVE_DISCOUNT,
    Perm.TAKE_PAYMENT,
}

ROLES: dict[RoleCode, RoleDefinition] = {
    r.code: r
    for r in [
        RoleDefinition(
            RoleCode.ADMIN,
            "Administrator",
            _RECORDS
            | _SUPERVISES_BILLING
            | {
                Perm.MANAGE_FACILITY,
                Perm.MANAGE_USERS,
                Perm.VERIFY_AUDIT,
                Perm.MANAGE_STAFF_DIRECTORY,
                Perm.MANAGE_SCHEDULES,
                Perm.BOOK_EMERGENCY_SLOT,
                Perm.RUN_CLINIC,
            },
            True,
        ),
        RoleDefinition(RoleCode.RECEPTIONIST, "Receptionist", _FRONT_DESK, False),
        # Nurses register the unknown patient brought into emergency, and give out the
        # slots held back for emergencies; they triage and run the clinic queue.
        RoleDefinition(
            RoleCode.NURSE,
            "Nurse",
            _FRONT_DESK | {Perm.BOOK_EMERGENCY_SLOT, Perm.RUN_CLINIC},
            False,
        ),
        RoleDefinition(
            RoleCode.DOCTOR,
            "Doctor",
            _SEES_PATIENTS
            | _BOOKS
            | {Perm.LOG_PATIENT_CONTACT, Perm.BOOK_EMERGENCY_SLOT, Perm.RUN_CLINIC},
            True,
        ),
        RoleDefinition(RoleCode.PHARMACIST, "Pharmacist", _SEES_PATIENTS, True),
        RoleDefinition(RoleCode.LAB_TECHNICIAN, "Laboratory technician", _SEES_PATIENTS, False),
        RoleDefinition(RoleCode.RADIOLOGIST, "Radiologist", _SEES_PATIENTS, False),
        RoleDefinition(
            RoleCode.BILLING_CLERK,
            "Billing clerk",
            _SEES_PATIENTS | _BILLS | {Perm.LOG_PATIENT_CONTACT},
            False,
        ),
        RoleDefinition(
            RoleCode.CASHIER,
            "Cashier",
            _SEES_PATIENTS | {Perm.VIEW_BILLING, Perm.MANAGE_INVOICES, Perm.TAKE_PAYMENT},
            False,
        ),
        # Ward managers keep the ward's records straight, duplicates included.
        RoleDefinition(RoleCode.WARD_MANAGER, "Ward manager", _RECORDS, False),
        RoleDefinition(
            RoleCode.AUDITOR,
            "Auditor",
            _STAFF | {Perm.VIEW_AUDIT, Perm.EXPORT_AUDIT, Perm.VERIFY_AUDIT},
            True,
        ),
        RoleDefinition(RoleCode.PATIENT, "Patient", frozenset(), False),
    ]
}


def sync_roles(role_model) -> None:
    """Create or update every role row from ROLES; used by data migrations.

    Keeps an administrator's per-role two-factor choice on existing rows.
    """
    for definition in ROLES.values():
        role, created = role_model.objects.get_or_create(
            code=definition.code,
            defaults={
                "name": definition.name,
                "permissions": sorted(definition.permissions),
                "requires_two_factor": definition.requires_two_factor,
            },
        )
        if not created:
            role.name = definition.name
            role.permissions = sorted(definition.permissions)
            role.save(update_fields=["name", "permissions"])


ROLE_CHOICES = [(code.value, definition.name) for code, definition in ROLES.items()]
