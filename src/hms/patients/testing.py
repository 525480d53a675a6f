"""Test helpers other apps' tests use too: a patient registered through the service."""

from __future__ import annotations

import datetime as dt

from hms.core.models import Facility
from hms.patients import services
from hms.patients.inputs import ContactInput, IdentifierInput, PatientInput
from hms.patients.models import Patient


def registered(facility: Facility, **overrides) -> Patient:
    """Juma Otieno, male, born 20 Jan 1985, unless `overrides` say otherwise; identifiers
    and contacts may be given as dicts. No duplicate check, no permission check."""
    values = {
        "given_name": "Juma",
        "family_name": "Otieno",
        "sex": "male",
        "birth_date": dt.date(1985, 1, 20),
        **overrides,
    }
    values["identifiers"] = tuple(
        IdentifierInput(**i) if isinstance(i, dict) else i for i in values.get("identifiers", ())
    )
    values["contacts"] = tuple(
        ContactInput(**c) if isinstance(c, dict) else c for c in values.get("contacts", ())
    )
    return services.register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(**values),
        skip_permission_checks=True,
        check_duplicates=False,
    )
