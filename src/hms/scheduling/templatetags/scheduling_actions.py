"""What the patient page offers from scheduling: "Book appointment" and "Check in
walk-in" (with the desk's department chosen), for staff whose role allows them."""

from __future__ import annotations

from django import template

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.scheduling.web import reads
from hms.scheduling.web.desk import DESK_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def front_desk_actions(context) -> dict:
    request = context.get("request")
    user, facility = getattr(request, "user", None), getattr(request, "facility", None)
    if request is None or facility is None:
        return {}
    found = {
        "can_book": policies.has_permission(user, Perm.BOOK_APPOINTMENT, facility),
        "can_check_in": policies.has_permission(user, Perm.CHECK_IN, facility),
    }
    if found["can_check_in"]:
        departments = reads.queue_departments(facility)
        own = reads.own_practitioner(user, facility)
        default = reads.default_department(facility, request.session.get(DESK_KEY, ""), own)
        found.update(departments=departments, department=default)
    return found
