"""The front desk's walk-in registration: the four things every record needs, where a
patient without a phone is registered all the same, the reason why kept on the record's
timeline (so a later clerk knows whether to ask again)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hms.core.errors import InvalidInput
from hms.core.models import Facility
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.inputs import PatientInput
from hms.patients.models import Patient, TimelineEntry
from hms.patients.services import add_timeline_entry, register_patient

# Why a walk-in gives no phone number.
NO_PHONE_REASONS = {
    "no_phone": gettext_lazy("Has no phone"),
    "declined": gettext_lazy("Declined to give one"),
    "unknown": gettext_lazy("Not known yet"),
}


def register_walk_in(
    *,
    actor: Any,
    facility: Facility,
    data: PatientInput,
    no_phone_reason: str = "",
    duplicate_override_reason: str = "",
) -> Patient:
    """Register a walk-in as `register_patient` does (its permission, checks and
    duplicate refusal), with a phone number or, without one, a reason from
    NO_PHONE_REASONS, written on the timeline in the same transaction.

    InvalidInput on `phone` when there is neither, on `no_phone_reason` for a reason
    not in the list. A reason sent with a phone number is dropped: the number says it.
    """
    if data.phone:
        no_phone_reason = ""
    elif not no_phone_reason:
        raise InvalidInput(
            _("Give a phone number, or say why there is none."),
            field="phone",
            code=Code.INVALID_FIELD,
        )
    elif no_phone_reason not in NO_PHONE_REASONS:
        raise InvalidInput(
            _("Choose a reason from the list."), field="no_phone_reason", code=Code.INVALID_FIELD
        )
    with transaction.atomic():
        patient = register_patient(
            actor=actor,
            facility=facility,
            data=data,
            duplicate_override_reason=duplicate_override_reason,
        )
        if no_phone_reason:
            add_timeline_entry(
                patient=patient,
                kind=TimelineEntry.Kind.NOTE,
                summary=_("No phone number: %(reason)s")
                % {"reason": str(NO_PHONE_REASONS[no_phone_reason]).lower()},
                actor=actor,
                detail={"no_phone_reason": no_phone_reason},
                source=f"patient:{patient.external_id}:no-phone",
            )
    return patient
