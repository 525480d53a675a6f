"""The consultation fee, charged when a visit starts or ends (settings
HMS_CONSULTATION_CHARGE_AT), from the visit events the encounters app publishes."""

from __future__ import annotations

import logging
import zoneinfo

from django.utils import timezone

from hms.billing.models import BillableItem, Charge
from hms.billing.services.charges import capture_charge
from hms.encounters.models import Encounter

logger = logging.getLogger(__name__)


def consultation_source(encounter: Encounter) -> str:
    return f"encounter:{encounter.external_id}:consultation"


def charge_consultation(*, encounter_id: str) -> Charge | None:
    """Charge the consultation of the visit `encounter_id` for the system, once.

    The item is the tariff's consultation for one of the practitioner's specialties,
    else the facility's general consultation (one without a specialty); the price is
    the practitioner's own consultation fee when set, else the tariff's. None, with a
    log line, when the facility has no consultation item: it does not bill them.
    Idempotent (the source is the encounter): a redelivered event charges nothing more.
    Raises what capture_charge raises (no price in force, ...): the event is retried.
    """
    encounter = Encounter.objects.select_related("patient__facility", "practitioner").get(
        external_id=encounter_id
    )
    practitioner = encounter.practitioner
    item = _consultation_item(encounter)
    if item is None:
        logger.info("no consultation item at facility %s: nothing charged", encounter.facility_id)
        return None
    zone = zoneinfo.ZoneInfo(encounter.patient.facility.timezone)
    fee = practitioner.consultation_fee if practitioner else None
    return capture_charge(
        actor=None,
        patient=encounter.patient,
        item_code=item.code,
        source=consultation_source(encounter),
        service_date=timezone.localtime(encounter.arrived_at, zone).date(),
        encounter=encounter,
        unit_price=fee,
        skip_permission_checks=True,
    )


def _consultation_item(encounter: Encounter) -> BillableItem | None:
    consultations = BillableItem.objects.filter(
        facility_id=encounter.facility_id, kind=BillableItem.Kind.CONSULTATION, is_active=True
    )
    if encounter.practitioner is not None:
        for_specialty = consultations.filter(
            specialty__in=encounter.practitioner.specialties.all()
        ).order_by("code")
        item = for_specialty.first()
        if item is not None:
            return item
    return consultations.filter(specialty__isnull=True).order_by("code").first()
