from __future__ import annotations

from django.utils.translation import gettext as _

from hms.core.errors import Conflict


class OpenVisit(Conflict):
    """The patient already has a visit open today: a second one would put them twice in
    the queue. The open visit is named, so the door can offer to join it."""

    code = "OPEN_VISIT"

    def __init__(self, encounter):
        super().__init__(
            _("%(name)s already has an open visit today (arrived %(time)s, %(department)s).")
            % {
                "name": encounter.patient.full_name,
                "time": f"{encounter.local_arrival:%H:%M}",
                "department": encounter.department.name,
            },
            field="patient",
        )
        self.encounter = encounter

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "open_visit": {
                "encounter": str(self.encounter.external_id),
                "status": self.encounter.status,
                "arrived_at": self.encounter.arrived_at.isoformat(),
                "department": self.encounter.department.code,
            },
        }
