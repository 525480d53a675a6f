from enum import StrEnum

from django.utils.translation import gettext as _

from hms.core.errors import Conflict


class PatientErrorCode(StrEnum):
    INVALID_NAME = "INVALID_NAME"
    INVALID_BIRTH_DATE = "INVALID_BIRTH_DATE"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_FIELD = "INVALID_FIELD"
    INVALID_MRN = "INVALID_MRN"
    INVALID_PHOTO = "INVALID_PHOTO"
    POSSIBLE_DUPLICATE = "POSSIBLE_DUPLICATE"
    IDENTIFIER_TAKEN = "IDENTIFIER_TAKEN"
    NOT_ACTIVE = "NOT_ACTIVE"
    MERGE_CONFLICT = "MERGE_CONFLICT"
    CANNOT_MERGE = "CANNOT_MERGE"
    CANNOT_UNMERGE = "CANNOT_UNMERGE"
    ALREADY_DECIDED = "ALREADY_DECIDED"


class PossibleDuplicates(Conflict):
    """Registration stopped because likely matches exist; proceed with a reason."""

    code = PatientErrorCode.POSSIBLE_DUPLICATE

    def __init__(self, matches: list):
        super().__init__(
            f"{len(matches)} possible duplicate(s) found. Open one of them, or register "
            "anyway giving a reason.",
            field="duplicate_override_reason",
        )
        self.matches = matches


class IdentifierTaken(Conflict):
    """An identifier that names one person is already on another current record."""

    code = PatientErrorCode.IDENTIFIER_TAKEN

    def __init__(self, label: str, holder):
        super().__init__(
            _("This %(identifier)s is already on the record with MRN %(mrn)s.")
            % {"identifier": label, "mrn": holder.mrn},
            field="identifiers",
        )
        self.holder = holder
