from __future__ import annotations

from enum import StrEnum

from hms.core.errors import Conflict


class SchedulingErrorCode(StrEnum):
    INVALID_SCHEDULE = "INVALID_SCHEDULE"
    SCHEDULE_OVERLAP = "SCHEDULE_OVERLAP"
    INVALID_BLOCK = "INVALID_BLOCK"
    SLOT_TAKEN = "SLOT_TAKEN"
    SLOT_BLOCKED = "SLOT_BLOCKED"
    SLOT_IN_PAST = "SLOT_IN_PAST"
    EMERGENCY_SLOT = "EMERGENCY_SLOT"
    PATIENT_NOT_BOOKABLE = "PATIENT_NOT_BOOKABLE"
    CANNOT_CANCEL = "CANNOT_CANCEL"


class SlotTaken(Conflict):
    """The slot filled up before this booking reached it; `next_free` offers others."""

    code = SchedulingErrorCode.SLOT_TAKEN

    def __init__(self, next_free: list):
        super().__init__(
            "That slot was just taken. Choose one of the next free slots.", field="slot"
        )
        self.next_free = next_free
