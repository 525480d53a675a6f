"""The registry's patients as FHIR R4 Patient: `to_fhir`, `from_fhir` and `search`.

Choices worth knowing:
- Our MRN is the identifier with system `urn:hms:mrn:<facility code>` (type MR); the
  other identifiers keep the system URI they came with, and our own identifier kinds
  (national_id, passport, ...) are `urn:hms:identifier:<kind>`.
- An estimated birth date goes out as the year alone ("1984"): FHIR's own way of saying
  only the year is known. A year-only (or year-month) birthDate coming in is stored as
  an estimate (1 July, or the 15th of the month).
- One phone, one email and one address are kept (mobile before home before work;
  "old" ones are skipped). Elements the registry does not hold (extensions,
  multipleBirth, generalPractitioner, ...) are accepted and not stored; on an update the
  fields FHIR does not carry (consents, gender identity) keep their values.
- `photo` goes out as an Attachment whose `url` is the REST photo endpoint (a link, not
  the bytes: a search page of Patients stays small, and each fetch of the picture is an
  audited read). A photo coming in is not stored: upload it to that endpoint.
- A merged record is `active: false` with `link` replaced-by its survivor; the survivor
  links back with `replaces`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from fhir.resources.R4B.patient import Patient as FhirPatient

from hms.core.errors import InvalidInput
from hms.core.models import Facility
from hms.core.phones import normalise_phone
from hms.interop.fhir.validation import InvalidResource
from hms.patients.inputs import (
    KNOWN_SYSTEMS,
    ContactInput,
    IdentifierInput,
    PatientInput,
)
from hms.patients.lookups import mrn_system
from hms.patients.models import Patient, PatientContact, PatientIdentifier
from hms.patients.photos import photo_of

OUR_IDENTIFIER = "urn:hms:identifier:"
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
MARITAL_STATUS = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
# The same code systems under the addresses FHIR used before R4 (HL7's own examples,
# and systems exporting them, still send these).
_OLD_MARITAL_STATUS = ("http://hl7.org/fhir/v3/MaritalStatus", "http://hl7.org/fhir/v3/NullFlavor")
LANGUAGE = "urn:ietf:bcp:47"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

# v2 table 0203 identifier types for our identifier kinds.
_TYPE_OF_SYSTEM = {
    PatientIdentifier.System.NATIONAL_ID: ("NI", "National unique individual identifier"),
    PatientIdentifier.System.PASSPORT: ("PPN", "Passport number"),
    PatientIdentifier.System.INSURANCE: ("MB", "Member Number"),
    PatientIdentifier.System.OTHER_MRN: ("MR", "Medical record number"),
    PatientIdentifier.System.DRIVER_LICENSE: ("DL", "Driver's license number"),
    PatientIdentifier.System.BIRTH_CERTIFICATE: ("BCT", "Birth Certificate"),
}
_PHONE_RANK = {"mobile": 0, "home": 1, None: 2, "work": 3, "temp": 4}


def version_of(patient: Patient) -> str:
    """The version id: the last change's time in microseconds, which grows with every
    change and costs no extra column or query."""
    return str(int(patient.updated_at.timestamp() * 1_000_000))


# --- to FHIR ---------------------------------------------------------------------------


def to_fhir(patient: Patient, *, base_url: str = "") -> FhirPatient:
    """The record as a validated R4 Patient (identifiers, contacts and merged records
    should be prefetched). `base_url` ("https://hms.example.org") makes the photo's
    link absolute."""
    return FhirPatient(
        id=str(patient.external_id),
        meta={"versionId": version_of(patient), "lastUpdated": patient.updated_at},
        active=patient.is_active,
        identifier=[_mrn_identifier(patient), *map(_identifier, patient.identifiers.all())],
        name=_names(patient),
        telecom=_telecom(patient) or None,
        gender=patient.sex,
        birthDate=_birth_date(patient),
        **_deceased(patient),
        address=[_address(patient.address)] if patient.address else None,
        maritalStatus=_marital_status(patient),
        communication=(
            [{"language": {"coding": [{"system": LANGUAGE, "code": patient.language}]}}]
            if patient.language
            else None
        ),
        photo=_photo(patient, base_url),
        contact=[_contact(c) for c in patient.contacts.all()] or None,
        link=_links(patient) or None,
    )


def _photo(patient: Patient, base_url: str) -> list[dict] | None:
    photo = photo_of(patient)
    if photo is None:
        return None
    path = reverse("patient-photo", kwargs={"external_id": patient.external_id})
    return [
        {
            "contentType": "image/jpeg",
            "url": f"{base_url}{path}",
            "size": photo.size,
            "creation": photo.updated_at,
        }
    ]


def _mrn_identifier(patient: Patient) -> dict:
    return {
        "use": "usual",
        "type": {"coding": [{"system": IDENTIFIER_TYPES, "code": "MR"}], "text": "MRN"},
        "system": mrn_system(patient.facility),
        "value": patient.mrn,
        "assigner": {"display": patient.facility.name},
    }


def _identifier(item: PatientIdentifier) -> dict:
    result: dict[str, Any] = {"system": system_uri(item.system), "value": item.value}
    if item.system in _TYPE_OF_SYSTEM:
        code, display = _TYPE_OF_SYSTEM[item.system]
        result["type"] = {"coding": [{"system": IDENTIFIER_TYPES, "code": code}], "text": display}
    if item.assigner:
        result["assigner"] = {"display": item.assigner}
    return result


def system_uri(system: str) -> str:
    return f"{OUR_IDENTIFIER}{system}" if system in KNOWN_SYSTEMS else system


def _names(patient: Patient) -> list[dict]:
    given = [n for n in (patient.given_name, patient.middle_name) if n]
    official: dict[str, Any] = {"use": "anonymous" if patient.is_unknown else "official"}
    official["text"] = patient.full_name
    if patient.family_name:
        official["family"] = patient.family_name
    if given:
        official["given"] = given
    names = [official]
    if patient.preferred_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    return names


def _telecom(patient: Patient) -> list[dict]:
    found = []
    if patient.phone:
        found.append({"system": "phone", "value": patient.phone})
    if patient.email:
        found.append({"system": "email", "value": patient.email})
    return found


def _birth_date(patient: Patient) -> dt.date | str | None:
    if patient.birth_date and patient.birth_date_estimated:
        return str(patient.birth_date.year)
    return patient.birth_date


def _deceased(patient: Patient) -> dict:
    if patient.deceased_at:
        return {"deceasedDateTime": patient.deceased_at}
    if patient.is_deceased:
        return {"deceasedBoolean": True}
    return {}


def _address(address: dict) -> dict:
    result: dict[str, Any] = {"use": "home"}
    if address.get("line"):
        result["line"] = [address["line"]]
    for ours, theirs in (
        ("city", "city"),
        ("district", "district"),
        ("state", "state"),
        ("postal_code", "postalCode"),
        ("country", "country"),
    ):
        if address.get(ours):
            result[theirs] = address[ours]
    return result


def _marital_status(patient: Patient) -> dict | None:
    code = patient.marital_status
    if not code:
        return None
    system = NULL_FLAVOR if code == Patient.MaritalStatus.UNKNOWN else MARITAL_STATUS
    return {
        "coding": [
            {"system": system, "code": code, "display": patient.get_marital_status_display()}
        ]
    }


def _contact(contact: PatientContact) -> dict:
    relationship: dict[str, Any] = {}
    if contact.is_emergency:
        relationship["coding"] = [{"system": CONTACT_ROLE, "code": "C"}]
    if contact.relationship:
        relationship["text"] = contact.relationship
    result: dict[str, Any] = {"name": {"text": contact.name}}
    if relationship:
        result["relationship"] = [relationship]
    if contact.phone:
        result["telecom"] = [{"system": "phone", "value": contact.phone}]
    return result


def _links(patient: Patient) -> list[dict]:
    links = []
    if patient.merged_into_id:
        links.append(
            {
                "other": {"reference": f"Patient/{patient.merged_into.external_id}"},
                "type": "replaced-by",
            }
        )
    for merged in patient.merged_records.all():
        links.append({"other": {"reference": f"Patient/{merged.external_id}"}, "type": "replaces"})
    return links


# --- from FHIR ---------------------------------------------------------------------------


@dataclass
class Mapped:
    """What `from_fhir` made of a Patient: the command, where each of its fields came
    from (to name the element when the registry refuses a value), and the warnings of
    a lenient read."""

    data: PatientInput
    paths: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def path_of(self, field_name: str | None, root: str = "Patient") -> str:
        name = field_name or ""
        found = self.paths.get(name) or self.paths.get(name.split(".")[0])
        return f"{root}{found[len('Patient') :]}" if found else root


def from_fhir(
    resource: FhirPatient,
    *,
    facility: Facility,
    base: PatientInput | None = None,
    lenient: bool = False,
) -> Mapped:
    """The registration or edit command for a validated Patient.

    `base` is the current record on an update: what FHIR does not carry is kept from
    it. With `lenient`, a phone, email or identifier the registry cannot store is left
    out with a warning (Synthea writes fictional 555 numbers; HL7's examples have
    identifiers without a value); otherwise it is refused, naming the element. Raises
    InvalidResource for a coded value it cannot map.
    """
    if resource.gender is not None and resource.gender not in Patient.Sex.values:
        # fhir.resources does not check required bindings; parse_resource does, but a
        # caller may hand us a model built some other way.
        raise _refused("Patient.gender", f"Use one of {', '.join(Patient.Sex.values)}.")
    mapped = Mapped(data=base or PatientInput(given_name="", sex=Patient.Sex.UNKNOWN))
    changes: dict[str, Any] = {
        **_read_names(resource, mapped),
        **_read_birth(resource, mapped),
        **_read_deceased(resource),
        **_read_telecom(resource, mapped, facility, lenient),
        "sex": resource.gender or Patient.Sex.UNKNOWN,
        "address": _read_address(resource, mapped),
        "marital_status": _read_marital_status(resource),
        "language": _read_language(resource),
        "identifiers": _read_identifiers(resource, mapped, lenient),
        "contacts": _read_contacts(resource, mapped, facility, lenient),
    }
    mapped.paths.setdefault("sex", "Patient.gender")
    mapped.data = replace(mapped.data, **changes)
    return mapped


def _read_names(resource: FhirPatient, mapped: Mapped) -> dict:
    names = list(enumerate(resource.name or []))
    official = next(
        ((i, n) for i, n in names if n.use in (None, "official", "anonymous")),
        names[0] if names else (None, None),
    )
    index, name = official
    values = {"given_name": "", "middle_name": "", "family_name": "", "preferred_name": ""}
    if index is None:
        mapped.paths.update(given_name="Patient.name", family_name="Patient.name")
    where = f"Patient.name[{index}]"
    mapped.paths.setdefault("given_name", f"{where}.given[0]")
    mapped.paths.setdefault("family_name", f"{where}.family")
    mapped.paths["middle_name"] = f"{where}.given[1]"
    if name is not None:
        given = list(name.given or [])
        values["given_name"] = given[0] if given else ""
        values["middle_name"] = " ".join(given[1:])
        values["family_name"] = name.family or ""
        if not given and not name.family and name.text:
            values["given_name"] = name.text
            mapped.paths["given_name"] = f"{where}.text"
    usual = next(((i, n) for i, n in names if n.use in ("usual", "nickname") and n.given), None)
    if usual:
        values["preferred_name"] = usual[1].given[0]
        mapped.paths["preferred_name"] = f"Patient.name[{usual[0]}].given[0]"
    values["is_unknown"] = name is not None and name.use == "anonymous"
    return values


def _read_birth(resource: FhirPatient, mapped: Mapped) -> dict:
    mapped.paths["birth_date"] = mapped.paths["age_years"] = "Patient.birthDate"
    value = resource.birthDate
    if value is None:
        return {"birth_date": None, "birth_date_estimated": False, "age_years": None}
    if isinstance(value, dt.date):
        return {"birth_date": value, "birth_date_estimated": False, "age_years": None}
    # A partial date: "1984" or "1984-03". fhir.resources has checked the shape.
    year, _, month = str(value).partition("-")
    estimate = dt.date(int(year), int(month), 15) if month else dt.date(int(year), 7, 1)
    return {"birth_date": estimate, "birth_date_estimated": True, "age_years": None}


def _read_deceased(resource: FhirPatient) -> dict:
    when = resource.deceasedDateTime
    if when is None:
        return {"is_deceased": bool(resource.deceasedBoolean), "deceased_at": None}
    if isinstance(when, dt.datetime):
        return {"is_deceased": True, "deceased_at": when}
    if isinstance(when, dt.date):
        return {
            "is_deceased": True,
            "deceased_at": dt.datetime.combine(when, dt.time(tzinfo=dt.UTC)),
        }
    return {"is_deceased": True, "deceased_at": None}  # a year or month only


def _read_telecom(resource: FhirPatient, mapped: Mapped, facility: Facility, lenient: bool) -> dict:
    phones, emails = [], []
    for index, point in enumerate(resource.telecom or []):
        if not point.value or point.use == "old":
            continue
        path = f"Patient.telecom[{index}]"
        if point.system in ("phone", "sms"):
            phones.append((_PHONE_RANK.get(point.use, 5), index, path, point.value))
        elif point.system == "email":
            emails.append((index, index, path, point.value))
    phone = _first_storable(sorted(phones), mapped, lenient, lambda v: _phone_ok(v, facility))
    email = _first_storable(sorted(emails), mapped, lenient, _email_ok)
    mapped.paths.update(phone=phone[0] or "Patient.telecom", email=email[0] or "Patient.telecom")
    return {"phone": phone[1], "email": email[1]}


def _first_storable(candidates, mapped: Mapped, lenient: bool, storable) -> tuple[str, str]:
    for _, _, path, value in candidates:
        if not lenient or storable(value):
            return path, value
        mapped.warnings.append((path, f"{value!r} is not valid here and was not stored."))
    return "", ""


def _phone_ok(value: str, facility: Facility) -> bool:
    try:
        normalise_phone(value, facility.country)
    except InvalidInput:
        return False
    except phonenumbers.NumberParseException:
        return False
    return True


def _email_ok(value: str) -> bool:
    try:
        validate_email(value.strip())
    except ValidationError:
        return False
    return True


def _read_address(resource: FhirPatient, mapped: Mapped) -> dict | None:
    for index, address in enumerate(resource.address or []):
        if address.use == "old":
            continue
        for key in ("line", "city", "district", "state", "postal_code", "country"):
            mapped.paths[f"address.{key}"] = f"Patient.address[{index}]"
        found = {
            "line": ", ".join(address.line or []) or address.text or "",
            "city": address.city or "",
            "district": address.district or "",
            "state": address.state or "",
            "postal_code": address.postalCode or "",
            "country": address.country or "",
        }
        return {k: v for k, v in found.items() if v} or None
    return None


def _read_marital_status(resource: FhirPatient) -> str:
    concept = resource.maritalStatus
    if concept is None or not concept.coding:
        return ""
    for coding in concept.coding:
        if coding.system in (None, MARITAL_STATUS, NULL_FLAVOR, *_OLD_MARITAL_STATUS) and (
            coding.code in Patient.MaritalStatus.values
        ):
            return coding.code
    raise _refused(
        "Patient.maritalStatus",
        f"Use a code of {MARITAL_STATUS}: {', '.join(Patient.MaritalStatus.values)}.",
    )


def _read_language(resource: FhirPatient) -> str:
    items = sorted(resource.communication or [], key=lambda c: not c.preferred)
    for item in items:
        for coding in item.language.coding or []:
            if coding.system in (None, LANGUAGE) and coding.code:
                if not _BCP47.match(coding.code):
                    raise _refused(
                        "Patient.communication.language", f"{coding.code!r} is not a BCP 47 tag."
                    )
                return coding.code
    return ""


def _read_identifiers(
    resource: FhirPatient, mapped: Mapped, lenient: bool
) -> tuple[IdentifierInput, ...]:
    found = []
    for index, identifier in enumerate(resource.identifier or []):
        path = f"Patient.identifier[{index}]"
        system = identifier.system or ""
        if system.startswith("urn:hms:mrn:"):
            continue  # the MRN is ours to give, never taken from the client
        if not system or not identifier.value:
            if not lenient:
                raise _refused(path, "An identifier needs a system and a value.")
            mapped.warnings.append((path, "No system or no value; not stored."))
            continue
        if system.startswith(OUR_IDENTIFIER):
            system = system[len(OUR_IDENTIFIER) :]
            if system not in KNOWN_SYSTEMS:
                raise _refused(f"{path}.system", f"Unknown identifier kind {system!r}.")
        assigner = identifier.assigner.display if identifier.assigner else ""
        found.append(
            IdentifierInput(system=system, value=identifier.value, assigner=assigner or "")
        )
        mapped.paths.setdefault("identifiers", path)
    mapped.paths.setdefault("identifiers", "Patient.identifier")
    return tuple(found)


def _read_contacts(
    resource: FhirPatient, mapped: Mapped, facility: Facility, lenient: bool
) -> tuple[ContactInput, ...]:
    found = []
    for index, contact in enumerate(resource.contact or []):
        path = f"Patient.contact[{index}]"
        mapped.paths.setdefault("contacts", path)
        name = contact.name
        text = (
            (name.text or " ".join([*(name.given or []), name.family or ""])).strip()
            if name
            else ""
        )
        codings = [c for r in contact.relationship or [] for c in r.coding or []]
        relationship = next((r.text for r in contact.relationship or [] if r.text), "") or next(
            (c.display or c.code for c in codings if c.code != "C"), ""
        )
        phones = [
            p.value for p in contact.telecom or [] if p.system in ("phone", "sms") and p.value
        ]
        phone = phones[0] if phones else ""
        if phone and lenient and not _phone_ok(phone, facility):
            mapped.warnings.append((f"{path}.telecom", f"{phone!r} is not valid here; not stored."))
            phone = ""
        found.append(
            ContactInput(
                name=text,
                relationship=(relationship or "")[:50],
                phone=phone,
                is_emergency=any(c.system == CONTACT_ROLE and c.code == "C" for c in codings),
            )
        )
    return tuple(found)


def _refused(path: str, message: str) -> InvalidResource:
    return InvalidResource([(path, message)])
