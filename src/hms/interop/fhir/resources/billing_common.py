"""What the billing resources share: money, references to patients, payers and the
facility, who may see billing, and the search conditions they all take.

Payers are no Organization this server serves; a payer is referred to as the Claims
export refers to it (`Organization/<payer id>`, as `hms.billing.fhir_claims` writes
`Claim.insurer`), with its code as the identifier and its name as the display, so a
client can match it without resolving it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.billing.models import Payer
from hms.interop.fhir.resources import searching

PAYER_CODES = "urn:hms:payer"


def money(value: Decimal, currency: str) -> dict[str, Any]:
    return {"value": value, "currency": currency}


def patient_reference(patient) -> dict[str, str]:
    return {"reference": f"Patient/{patient.external_id}"}


def facility_reference(facility) -> dict[str, str]:
    return {"reference": f"Organization/{facility.external_id}", "display": facility.name}


def payer_reference(payer: Payer) -> dict[str, Any]:
    return {
        "reference": f"Organization/{payer.external_id}",
        "identifier": {"system": PAYER_CODES, "value": payer.code},
        "display": payer.name,
    }


def sees_billing(viewer: Any, facility) -> bool:
    """Billing rows are shown to whoever the REST API shows them to (VIEW_BILLING)."""
    return facility is not None and policies.has_permission(viewer, Perm.VIEW_BILLING, facility)


def filter_ids(qs: QuerySet, params, resource_type: str) -> QuerySet:
    return searching.filter_groups(
        qs, params, "_id", lambda v: Q(external_id=searching.uuid_id(v, resource_type, "_id"))
    )


def filter_patients(qs: QuerySet, params, names: tuple[str, ...], field: str) -> QuerySet:
    """`qs` narrowed by each of the reference parameters `names` naming a Patient."""
    for name in names:
        qs = searching.filter_groups(
            qs,
            params,
            name,
            lambda v, name=name: Q(**{field: searching.uuid_id(v, "Patient", name)}),
        )
    return qs


def filter_payers(qs: QuerySet, params, name: str, field: str) -> QuerySet:
    return searching.filter_groups(
        qs,
        params,
        name,
        lambda v: Q(**{field: searching.uuid_id(v, "Organization", name)}),
    )


def filter_identifiers(qs: QuerySet, params, system: str, field: str) -> QuerySet:
    """`identifier` as a token: `value` or `system|value` in our `system`."""

    def condition(value: str) -> Q:
        given, code = searching.token(value)
        if given not in (None, system) or not code:
            return Q(pk__in=[])
        return Q(**{field: code})

    return searching.filter_groups(qs, params, "identifier", condition)


def code_condition(param: str, system: str, codes: dict[str, Q]) -> Callable[[str], Q]:
    """A token condition for a parameter whose codes of `system` map to ours: `codes`
    maps each FHIR code to the Q that finds it; a code of `system` that nothing here
    has finds nothing, anything else is refused."""

    def condition(value: str) -> Q:
        given, code = searching.token(value)
        if given not in (None, system):
            raise searching.bad(param, f"Use a code of {system}.")
        if code not in codes:
            raise searching.bad(param, f"Use one of {', '.join(codes)}.")
        return codes[code]

    return condition


def day_condition(
    prefix: str, low: dt.datetime, high: dt.datetime, field: str, zone: zoneinfo.ZoneInfo
) -> Q:
    """The date prefixes on a date column (a service day): the day D is the period
    from its midnight to the next in `zone`, compared with the search range [low,
    high) as `searching.period_condition` compares a period."""
    # With s(D) the midnight starting D: s(D) >= low from the first midnight at or
    # after `low`; s(D + 1) <= high up to the day `high` falls on, and > high after.
    first_low, first_high = _first_day_from(low, zone), _first_day_from(high, zone)
    day_of_low, day_of_high = low.astimezone(zone).date(), high.astimezone(zone).date()
    held = Q(**{f"{field}__gte": first_low, f"{field}__lt": day_of_high})
    after = Q(**{f"{field}__gte": day_of_high})
    before = Q(**{f"{field}__lt": first_low})
    return {
        "eq": held,
        "ne": ~held,
        "gt": after,
        "ge": after | held,
        "lt": before,
        "le": before | held,
        "sa": Q(**{f"{field}__gte": first_high}),
        "eb": Q(**{f"{field}__lt": day_of_low}),
    }[prefix]


def _first_day_from(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    """The first day whose midnight in `zone` is at or after `moment`."""
    local = moment.astimezone(zone)
    day = local.date()
    return day if local.time() == dt.time(0) else day + dt.timedelta(days=1)
