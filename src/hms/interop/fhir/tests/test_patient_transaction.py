"""POST /fhir/R4: transaction Bundles of Patients, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from hms.audit.models import AuditEvent
from hms.interop.fhir.tests.helpers import FHIR_JSON, operation_outcome
from hms.interop.fhir.tests.scheduling_clinic import a_clinic
from hms.patients.models import Patient
from hms.scheduling.models import Appointment

SYNTHEA = Path("/work/shared/testdata/synthea-r4-smart-on-fhir")
MICROSOFT = Path("/work/shared/testdata/fhir-r4-microsoft-fhir-server/Normative")
needs_synthea = pytest.mark.skipif(
    not SYNTHEA.is_dir(), reason=f"Synthea bundles not found at {SYNTHEA}"
)
needs_microsoft = pytest.mark.skipif(
    not MICROSOFT.is_dir(), reason=f"Microsoft FHIR server test files not found at {MICROSOFT}"
)


def synthea_patients() -> list[dict]:
    """The Patient entries of every Synthea patient bundle (hospital and practitioner
    bundles hold none)."""
    entries = []
    for path in sorted(SYNTHEA.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        entries += [
            e for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Patient"
        ]
    return entries


def _transaction(entries: list[dict]) -> str:
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})


def _create(resource: dict) -> dict:
    return {"resource": resource, "request": {"method": "POST", "url": "Patient"}}


def _person(given: str, family: str, born: str = "1980-01-01", **more) -> dict:
    return {
        "resourceType": "Patient",
        "name": [{"family": family, "given": [given]}],
        "gender": "female",
        "birthDate": born,
        **more,
    }


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


def _post(client, text: str, base: str = "/fhir/R4", **headers):
    return client.post(base, text, content_type=FHIR_JSON, **headers)


@needs_synthea
@pytest.mark.django_db
def test_synthea_patients_go_in_as_one_transaction(clerk):
    # given
    entries = synthea_patients()
    assert len(entries) == 30

    # when: their 555 numbers are fictional, so the client asks for lenient handling
    response = _post(clerk, _transaction(entries), HTTP_PREFER="handling=lenient")

    # then
    assert response.status_code == 200, response.content[:2000]
    answer = Bundle.model_validate(json.loads(response.content))
    assert answer.type == "transaction-response"
    assert [e.response.status for e in answer.entry] == ["201 Created"] * 30
    assert Patient.objects.count() == 30
    names = {(p.given_name, p.family_name) for p in Patient.objects.all()}
    first = entries[0]["resource"]["name"][0]
    assert (first["given"][0], first["family"]) in names
    warned = [e.response.outcome for e in answer.entry if e.response.outcome]
    assert warned
    assert all(i.severity == "warning" for o in warned for i in o.issue)
    ssn = next(
        i["value"]
        for i in entries[0]["resource"]["identifier"]
        if i["system"] == "http://hl7.org/fhir/sid/us-ssn"
    )
    found = clerk.get("/fhir/R4/Patient", {"identifier": f"http://hl7.org/fhir/sid/us-ssn|{ssn}"})
    assert found.json()["total"] == 1


@needs_synthea
@pytest.mark.django_db
def test_strict_transaction_with_one_bad_phone_saves_none(clerk):
    # when
    response = _post(clerk, _transaction(synthea_patients()))

    # then: the first entry's fictional number stops the whole bundle
    assert response.status_code == 400
    assert operation_outcome(response).issue[0].expression == [
        "Bundle.entry[0].resource.telecom[0]"
    ]
    assert Patient.objects.count() == 0


@pytest.mark.django_db
def test_one_bad_entry_rolls_back_the_others(clerk):
    # given
    entries = [
        _create(_person("Amina", "Wanjiru")),
        _create(_person("Baraka", "Otieno", born="2023-02-30")),
    ]

    # when
    response = _post(clerk, _transaction(entries))

    # then
    assert response.status_code == 400
    assert operation_outcome(response).issue[0].expression == ["Bundle.entry[1].resource.birthDate"]
    assert Patient.objects.count() == 0


@pytest.mark.django_db
def test_a_rule_of_the_registry_broken_late_rolls_back_earlier_entries(clerk):
    # given: the second name is 500 characters long, which only the registry refuses
    entries = [
        _create(_person("Amina", "Wanjiru")),
        _create(_person("B" * 500, "Otieno")),
    ]

    # when
    response = _post(clerk, _transaction(entries))

    # then
    assert response.status_code == 400
    assert operation_outcome(response).issue[0].expression == [
        "Bundle.entry[1].resource.name[0].given[0]"
    ]
    assert Patient.objects.count() == 0
    assert not AuditEvent.objects.filter(action="create", object_type="patients.Patient").exists()


@pytest.mark.django_db
def test_a_duplicate_inside_the_bundle_is_409_and_saves_none(clerk):
    # given
    same = _person("Amina", "Wanjiru", telecom=[{"system": "phone", "value": "0712345678"}])

    # when
    response = _post(clerk, _transaction([_create(same), _create(same)]))

    # then
    assert response.status_code == 409
    assert operation_outcome(response).issue[0].expression == ["Bundle.entry[1].resource"]
    assert Patient.objects.count() == 0


@pytest.mark.django_db
def test_an_update_in_a_transaction(clerk, register):
    # given
    patient = register()
    changed = _person("Juma", "Otieno-Odhiambo", id=str(patient.external_id))
    entry = {
        "resource": changed,
        "request": {"method": "PUT", "url": f"Patient/{patient.external_id}"},
    }

    # when
    response = _post(clerk, _transaction([entry]), base="/fhir/R4/")

    # then
    assert response.status_code == 200, response.content
    assert response.json()["entry"][0]["response"]["status"] == "200 OK"
    assert Patient.objects.get(pk=patient.pk).family_name == "Otieno-Odhiambo"


@pytest.mark.parametrize(
    ("bundle", "path"),
    [
        ({"resourceType": "Bundle", "type": "batch", "entry": []}, "Bundle.type"),
        ({"resourceType": "Bundle", "type": "nonsense", "entry": []}, "Bundle.type"),
        ({"resourceType": "Patient"}, "Bundle"),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": {"resourceType": "Observation"}}],
            },
            "Bundle.entry[0].resource",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": _person("A", "B")}],
            },
            "Bundle.entry[0].request",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {
                        "resource": _person("A", "B"),
                        "request": {"method": "DELETE", "url": "Patient/x"},
                    }
                ],
            },
            "Bundle.entry[0].request",
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {
                        "resource": _person("A", "B", active="yes"),
                        "request": {"method": "POST", "url": "Patient"},
                    }
                ],
            },
            "Bundle.entry[0].resource.active",
        ),
    ],
)
@pytest.mark.django_db
def test_bundles_this_server_does_not_take_are_400(clerk, bundle, path):
    # when
    response = _post(clerk, json.dumps(bundle))

    # then
    assert response.status_code == 400
    assert path in [e for i in operation_outcome(response).issue for e in i.expression or []]
    assert Patient.objects.count() == 0


@needs_microsoft
@pytest.mark.parametrize(
    "name",
    [
        "Bundle-InvalidBundleType.json",
        "Bundle-TransactionWithInvalidResourceType.json",
        "Bundle-TransactionWithInvalidBundleEntry.json",  # not even JSON
        "Bundle-BatchWithInvalidEleEnums.json",
        "Bundle-TypeMissing.json",
    ],
)
@pytest.mark.django_db
def test_microsoft_invalid_bundles_are_400(clerk, name):
    # when
    response = _post(clerk, (MICROSOFT / name).read_text(encoding="utf-8-sig"))

    # then
    assert response.status_code == 400
    assert operation_outcome(response).issue[0].severity == "error"
    assert Patient.objects.count() == 0


@pytest.mark.django_db
def test_a_doctor_may_not_post_a_transaction(api_client_for):
    # when
    response = _post(api_client_for("doctor"), _transaction([_create(_person("Amina", "Wanjiru"))]))

    # then
    assert response.status_code == 403
    assert Patient.objects.count() == 0


def _without_ids(entries: list[dict]) -> list[dict]:
    """The entries as the specification allows a create to be sent: no resource id,
    named within the Bundle by a urn:uuid fullUrl."""
    stripped = []
    for entry in entries:
        resource = {k: v for k, v in entry["resource"].items() if k != "id"}
        stripped.append({**_create(resource), "fullUrl": entry["fullUrl"]})
    return stripped


@needs_synthea
@pytest.mark.django_db
def test_synthea_patients_without_ids_go_in_once_however_often_sent(clerk):
    # given
    entries = _without_ids(synthea_patients())
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in entries)
    assert not any("id" in e["resource"] for e in entries)
    body = _transaction(entries)

    # when
    first = _post(clerk, body, HTTP_PREFER="handling=lenient")
    again = _post(clerk, body, HTTP_PREFER="handling=lenient")

    # then
    assert first.status_code == 200, first.content[:2000]
    assert again.status_code == 200, again.content[:2000]
    created = Bundle.model_validate(json.loads(first.content))
    repeated = Bundle.model_validate(json.loads(again.content))
    assert [e.response.status for e in created.entry] == ["201 Created"] * 30
    assert [e.response.status for e in repeated.entry] == ["200 OK"] * 30
    assert [e.response.location for e in repeated.entry] == [
        e.response.location for e in created.entry
    ]
    assert Patient.objects.count() == 30


@pytest.mark.django_db
def test_a_create_matches_the_record_that_holds_its_identifier(clerk):
    # given: Amina registered with her national id
    national_id = [{"system": "urn:hms:identifier:national_id", "value": "12345678"}]
    amina = _person("Amina", "Wanjiru", identifier=national_id)
    assert _post(clerk, _transaction([_create(amina)])).status_code == 200

    # when: she is sent again, and a different person with no identifier
    again = _post(
        clerk, _transaction([_create(amina), _create(_person("Baraka", "Mwangi", "1975-05-05"))])
    )

    # then
    assert again.status_code == 200, again.content[:2000]
    statuses = [e.response.status for e in Bundle.model_validate(json.loads(again.content)).entry]
    assert statuses == ["200 OK", "201 Created"]
    assert Patient.objects.count() == 2


def _referral(slot, patient_url: str = "urn:uuid:6f1c2b9e-0d7a-4c55-9a43-1b2f3c4d5e6f"):
    """A referral as another system sends it: a new patient and their appointment, the
    appointment naming the patient by the Bundle's urn:uuid."""
    national_id = [{"system": "urn:hms:identifier:national_id", "value": "87654321"}]
    patient = {
        **_create(_person("Zawadi", "Achieng", identifier=national_id)),
        "fullUrl": "urn:uuid:6f1c2b9e-0d7a-4c55-9a43-1b2f3c4d5e6f",
    }
    appointment = {
        "fullUrl": "urn:uuid:0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d",
        "resource": {
            "resourceType": "Appointment",
            "status": "booked",
            "slot": [{"reference": f"Slot/{slot.pk}"}],
            "participant": [{"actor": {"reference": patient_url}, "status": "accepted"}],
        },
        "request": {"method": "POST", "url": "Appointment"},
    }
    return _transaction([appointment, patient])


@pytest.mark.django_db
def test_an_appointment_refers_to_its_new_patient_by_urn_uuid_and_is_booked_once(
    clerk, facility, make_user
):
    # given
    slot = a_clinic(facility, make_user("admin")).first_slot()
    body = _referral(slot)

    # when
    first = _post(clerk, body)
    again = _post(clerk, body)

    # then: answered in the Bundle's order, the appointment first
    assert first.status_code == 200, first.content[:2000]
    assert again.status_code == 200, again.content[:2000]
    created = Bundle.model_validate(json.loads(first.content)).entry
    repeated = Bundle.model_validate(json.loads(again.content)).entry
    assert [e.response.status for e in created] == ["201 Created", "201 Created"]
    assert [e.response.status for e in repeated] == ["200 OK", "200 OK"]
    zawadi = Patient.objects.get(family_name="Achieng")
    booked = Appointment.objects.get()
    assert booked.patient == zawadi
    assert booked.slot_id == slot.pk
    assert created[0].response.location == f"Appointment/{booked.external_id}"


@pytest.mark.django_db
def test_a_urn_uuid_that_no_entry_names_is_refused_and_nothing_saved(clerk, facility, make_user):
    # given
    slot = a_clinic(facility, make_user("admin")).first_slot()

    # when
    response = _post(clerk, _referral(slot, patient_url="urn:uuid:00000000-0000-4000-8000-0"))

    # then
    assert response.status_code == 400
    issue = operation_outcome(response).issue[0]
    assert issue.expression == ["Bundle.entry[0].resource"]
    assert "is no Patient entry of this Bundle" in issue.diagnostics
    assert Patient.objects.exists() is False
    assert Appointment.objects.exists() is False
