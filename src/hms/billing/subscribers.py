"""Billing's subscribers to other apps' domain events (hms.core.events), registered when
the app is ready. Each is idempotent: capture_charge is, on the charge's source."""

from __future__ import annotations

from django.conf import settings

from hms.billing.services.consultations import charge_consultation
from hms.core.events import subscribe


@subscribe("visit.started")
def charge_consultation_at_check_in(*, encounter: str, **_: object) -> None:
    if settings.HMS_CONSULTATION_CHARGE_AT == "check_in":
        charge_consultation(encounter_id=encounter)


@subscribe("visit.finished")
def charge_consultation_at_finish(*, encounter: str, **_: object) -> None:
    if settings.HMS_CONSULTATION_CHARGE_AT == "finish":
        charge_consultation(encounter_id=encounter)
