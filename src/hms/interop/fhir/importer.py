"""Patients from FHIR R4 Bundles on disk (Synthea's output, another system's export).

Each file is a Bundle (or a lone Patient); folders are read recursively for *.json.
Only Patient resources are imported; the others are counted by type and skipped. Each
Patient is checked with fhir.resources (R4B models, the nearest to R4 it ships) and
mapped to a PatientInput, then goes through the same bulk import as a spreadsheet
(hms.patients.importing), keyed on its resource id: "fhir:<id>", so a re-run skips it.
A transaction Bundle may send a create with no id, naming it by a `urn:uuid:` fullUrl
(https://hl7.org/fhir/R4/bundle.html#bundle-unique): that uuid is then the key. Files
may start with a UTF-8 byte order mark, as many exports do.

What the registry cannot hold is dropped and reported as a warning, not a reason to
refuse the patient: a phone number that is not valid (Synthea writes 555 numbers), a
second name or address.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fhir.resources.R4B.patient import Patient as FhirPatient

from hms.core.errors import InvalidInput
from hms.core.phones import normalise_phone
from hms.interop.fhir.validation import InvalidResource, parse_resource
from hms.patients.importing import WARNING, Problem, SourceRow
from hms.patients.inputs import ContactInput, IdentifierInput, PatientInput
from hms.patients.models import Patient

V2_IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
# Identifier type (HL7 v2 table 0203) -> our identifier system.
IDENTIFIER_SYSTEMS = {
    "SS": "national_id",  # a US social security number is the national identifier there
    "NI": "national_id",
    "NNxxx": "national_id",
    "PPN": "passport",
    "DL": "driver_license",
    "MR": "other_mrn",
    "MB": "insurance_member",
    "SN": "insurance_member",
    "BCT": "birth_certificate",
}
SYNTHEA_ID = "https://github.com/synthetichealth/synthea"  # the resource id again
URN_UUID = "urn:uuid:"
MARITAL = set(Patient.MaritalStatus.values)


def external_id(resource_id: str) -> str:
    return f"fhir:{resource_id}"


def json_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            yield path


class FhirSource:
    """The Patient resources of the files under `paths`, as SourceRows. Iterating again
    reads the files again; `skipped` counts the other resources by type (from the last
    pass) and `where` says which file and entry each row number came from."""

    def __init__(self, paths: list[Path], *, region: str):
        self.paths = paths
        self.region = region
        self.skipped: Counter[str] = Counter()
        self.where: dict[int, str] = {}
        self.files = 0

    def __iter__(self) -> Iterator[SourceRow]:
        self.skipped = Counter()
        self.files = 0
        number = 0
        for path in json_files(self.paths):
            self.files += 1
            for place, full_url, resource in self._resources(path):
                kind = resource.get("resourceType") if isinstance(resource, dict) else None
                if kind != "Patient":
                    self.skipped[str(kind or "not a resource")] += 1
                    continue
                number += 1
                self.where[number] = place
                yield map_patient(resource, number, region=self.region, full_url=full_url)

    def _resources(self, path: Path) -> Iterator[tuple[str, str, Any]]:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.skipped[f"unreadable file ({exc.__class__.__name__})"] += 1
            return
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            for i, entry in enumerate(data.get("entry") or []):
                found = entry if isinstance(entry, dict) else {}
                place = f"{path.name} entry {i}"
                yield place, str(found.get("fullUrl") or ""), found.get("resource")
        else:
            yield path.name, "", data


def _source_id(resource: dict, full_url: str) -> str:
    if resource.get("id"):
        return str(resource["id"])
    # Only a urn:uuid stays the same each time the file is read; a URL of another
    # server names no record of the source.
    return full_url[len(URN_UUID) :] if full_url.startswith(URN_UUID) else ""


def map_patient(resource: dict, number: int, *, region: str, full_url: str = "") -> SourceRow:
    """One Patient resource as a SourceRow: problems if it is not a valid Patient.
    Without an id, the `urn:uuid:` of its entry's fullUrl names it."""
    resource_id = _source_id(resource, full_url)
    try:
        # The FHIR API's own check: structure, JSON types, required code bindings.
        patient = parse_resource(resource, FhirPatient)
    except InvalidResource as exc:
        where, text = exc.issues[0] if exc.issues else ("Patient", exc.message)
        problem = Problem(number, where, f"Not a valid FHIR Patient: {text}")
        return SourceRow(
            number, external_id(resource_id) if resource_id else "", problems=(problem,)
        )
    if not resource_id:
        problem = Problem(number, "id", "The Patient has no id, nor a urn:uuid fullUrl.")
        return SourceRow(number, "", problems=(problem,))
    warnings: list[Problem] = []
    names = [n for n in patient.name or [] if n.use not in ("old", "maiden")] or patient.name or []
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    given = [g for g in (name.given or []) if g] if name else []
    birth_date, estimated = _birth_date(patient.birthDate)
    country = _country(patient, region)
    data = PatientInput(
        given_name=given[0] if given else "",
        middle_name=" ".join(given[1:]),
        family_name=(name.family or "") if name else "",
        sex=patient.gender or "unknown",
        birth_date=birth_date,
        birth_date_estimated=estimated,
        marital_status=_marital(patient),
        language=_language(patient),
        phone=_phone(patient.telecom, country, number, "telecom", warnings),
        email=next((t.value for t in patient.telecom or [] if t.system == "email" and t.value), ""),
        address=_address(patient),
        is_deceased=bool(patient.deceasedBoolean or patient.deceasedDateTime),
        deceased_at=_deceased_at(patient.deceasedDateTime),
        identifiers=tuple(_identifiers(patient)),
        contacts=tuple(_contacts(patient, country, number, warnings)),
    )
    return SourceRow(number, external_id(resource_id), data, warnings=tuple(warnings))


def _birth_date(value: Any) -> tuple[dt.date | None, bool]:
    # FHIR allows a year or a year and month; the registry estimates the rest.
    if value is None:
        return None, False
    if isinstance(value, dt.date):
        return value, False
    text = str(value)
    parts = text.split("-")
    try:
        if len(parts) == 1:
            return dt.date(int(parts[0]), 7, 1), True
        if len(parts) == 2:  # noqa: PLR2004 - year and month
            return dt.date(int(parts[0]), int(parts[1]), 15), True
        return dt.date.fromisoformat(text), False
    except ValueError:
        return None, False


def _deceased_at(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return None


def _country(patient: FhirPatient, region: str) -> str:
    for address in patient.address or []:
        if address.country and len(address.country) == 2:  # noqa: PLR2004 - ISO 3166
            return address.country.upper()
    return region


def _phone(telecom, country: str, number: int, where: str, warnings: list[Problem]) -> str:
    for point in telecom or []:
        if point.system in ("phone", "sms") and point.value:
            try:
                return normalise_phone(point.value, country)
            except InvalidInput as exc:
                warnings.append(Problem(number, where, f"Phone dropped: {exc.message}", WARNING))
    return ""


def _marital(patient: FhirPatient) -> str:
    status = patient.maritalStatus
    for coding in (status.coding or []) if status else []:
        if coding.code in MARITAL:
            return coding.code
    return ""


def _language(patient: FhirPatient) -> str:
    for item in patient.communication or []:
        for coding in item.language.coding or []:
            if coding.code:
                return coding.code[:35]
    return ""


def _address(patient: FhirPatient) -> dict | None:
    addresses = [a for a in patient.address or [] if a.use != "old"]
    if not addresses:
        return None
    a = addresses[0]
    found = {
        "line": ", ".join(a.line or []),
        "city": a.city or "",
        "district": a.district or "",
        "state": a.state or "",
        "postal_code": a.postalCode or "",
        "country": a.country or "",
    }
    return {k: v for k, v in found.items() if v} or None


def _identifiers(patient: FhirPatient) -> Iterator[IdentifierInput]:
    for item in patient.identifier or []:
        if not item.value or item.system == SYNTHEA_ID:
            continue
        codes = [
            c.code
            for c in (item.type.coding or [] if item.type else [])
            if c.system in (None, V2_IDENTIFIER_TYPES)
        ]
        system = next((IDENTIFIER_SYSTEMS[c] for c in codes if c in IDENTIFIER_SYSTEMS), "")
        # Known kinds keep where they came from as the assigner; others keep their URI.
        yield IdentifierInput(
            system=system or (item.system or "other")[:200],
            value=item.value,
            assigner=(item.system or "")[:200] if system else "",
        )


def _contacts(
    patient: FhirPatient, country: str, number: int, warnings: list[Problem]
) -> Iterator[ContactInput]:
    for contact in patient.contact or []:
        name = contact.name
        text = (name.text or " ".join([*(name.given or []), name.family or ""])) if name else ""
        if not text.strip():
            continue
        relationship = next(
            (
                c.text or (c.coding[0].display if c.coding else "")
                for c in contact.relationship or []
            ),
            "",
        )
        yield ContactInput(
            name=text.strip(),
            relationship=(relationship or "")[:50],
            phone=_phone(contact.telecom, country, number, "contact.telecom", warnings),
        )
