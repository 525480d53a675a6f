"""GET /fhir/R4/Practitioner and /fhir/R4/PractitionerRole: read and search, scoped to
the viewer's facility as the REST staff directory."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from hms.interop.fhir.tests.helpers import operation_outcome
from hms.interop.fhir.tests.scheduling_clinic import a_clinic, body
from hms.staff import services as staff
from hms.staff.inputs import PractitionerInput

PRACTITIONER = "/fhir/R4/Practitioner"
ROLE = "/fhir/R4/PractitionerRole"


@pytest.fixture
def clinic(facility, make_user):
    return a_clinic(facility, make_user("admin"))


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


def _bundle(response) -> Bundle:
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate(body(response))
    assert bundle.type == "searchset"
    return bundle


def _ids(response) -> list[str]:
    return [entry.resource.id for entry in _bundle(response).entry or []]


@pytest.mark.django_db
def test_read_gives_a_valid_practitioner_with_the_directory_entry(clerk, clinic):
    # when
    response = clerk.get(f"{PRACTITIONER}/{clinic.amina.external_id}")

    # then
    assert response.status_code == 200, response.content
    doctor = FhirPractitioner.model_validate(body(response))
    assert doctor.id == str(clinic.amina.external_id)
    assert doctor.active is True
    assert (doctor.name[0].family, doctor.name[0].given, doctor.name[0].prefix) == (
        "Hassan",
        ["Amina"],
        ["Dr"],
    )
    identifier = doctor.identifier[0]
    assert (identifier.system, identifier.value, identifier.type.coding[0].code) == (
        "urn:hms:registration-number",
        "KMPDC-1234",
        "LN",
    )
    assert [(t.system, t.value) for t in doctor.telecom] == [
        ("phone", "+254712345678"),
        ("email", "amina.hassan@example.org"),
    ]
    assert [q.code.text for q in doctor.qualification] == ["MBChB", "MMed (Paeds)"]
    assert [c.coding[0].code for c in doctor.communication] == ["en", "sw"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["amina", "otieno", "retired"]),
        ({"name": "amina"}, ["amina"]),
        ({"name": "HASS"}, ["amina"]),
        ({"name": "peter otieno"}, ["otieno"]),
        ({"name": "amina,peter"}, ["amina", "otieno"]),
        ({"name": "mina"}, []),
        ({"identifier": "KMPDC-1234"}, ["amina"]),
        ({"identifier": "urn:hms:registration-number|KMPDC-1234"}, ["amina"]),
        ({"identifier": "urn:hms:registration-number|"}, ["amina"]),
        ({"identifier": "https://other.example|KMPDC-1234"}, []),
        ({"active": "true"}, ["amina", "otieno"]),
        ({"active": "false"}, ["retired"]),
    ],
)
@pytest.mark.django_db
def test_search_parameters_filter_the_directory(clerk, clinic, make_user, params, expected):
    # given: a retired doctor besides the clinic's two
    retired = staff.add_practitioner(
        actor=make_user("admin"),
        facility=clinic.facility,
        data=PractitionerInput(given_name="Old", family_name="Timer", is_active=False),
    )
    names = {"amina": clinic.amina, "otieno": clinic.otieno, "retired": retired}

    # when
    found = _ids(clerk.get(PRACTITIONER, params))

    # then
    assert sorted(found) == sorted(str(names[n].external_id) for n in expected)


@pytest.mark.django_db
def test_search_pages_with_next_and_previous_links(clerk, clinic):
    # when
    first = _bundle(clerk.get(PRACTITIONER, {"_count": "1"}))
    second = _bundle(clerk.get(PRACTITIONER, {"_count": "1", "_offset": "1"}))

    # then: by family name, Hassan then Otieno; the last page tells the total
    assert [e.resource.id for e in first.entry] == [str(clinic.amina.external_id)]
    assert {link.relation: link.url for link in first.link}["next"].endswith("_offset=1")
    assert first.total is None
    assert [e.resource.id for e in second.entry] == [str(clinic.otieno.external_id)]
    assert "next" not in {link.relation for link in second.link}
    assert second.total == 2


@pytest.mark.django_db
def test_another_facilitys_practitioner_is_neither_read_nor_found(
    clerk, clinic, other_facility, make_user
):
    # given
    stranger = staff.add_practitioner(
        actor=make_user("admin", at=other_facility),
        facility=other_facility,
        data=PractitionerInput(given_name="Amina", family_name="Elsewhere"),
    )

    # when
    read = clerk.get(f"{PRACTITIONER}/{stranger.external_id}")
    found = _ids(clerk.get(PRACTITIONER, {"name": "amina"}))

    # then
    assert read.status_code == 404
    assert operation_outcome(read).issue[0].code == "not-found"
    assert found == [str(clinic.amina.external_id)]


@pytest.mark.parametrize("path", [PRACTITIONER, f"{ROLE}"])
@pytest.mark.django_db
def test_a_role_that_does_not_see_schedules_is_refused(api_client_for, clinic, path):
    # when: pharmacists see patients, not the clinic's schedules
    response = api_client_for("pharmacist").get(path)

    # then
    assert response.status_code == 403
    assert operation_outcome(response).issue[0].code == "forbidden"


@pytest.mark.parametrize(
    "params",
    [
        {"name": "\x00"},
        {"name": ""},
        {"identifier": "a" * 300},
        {"active": "yes"},
        {"_id": "'; DROP TABLE staff_practitioner; --"},
        {"_count": "-1"},
        {"_count": "ten"},
        {"_offset": "99999999999999999999"},
        {"family": "Hassan"},
        {"_sort": "name"},
    ],
)
@pytest.mark.django_db
def test_hostile_or_unknown_parameters_answer_400(clerk, clinic, params):
    # when
    response = clerk.get(PRACTITIONER, params)

    # then
    assert response.status_code == 400, response.content
    assert operation_outcome(response).issue[0].code == "invalid"


@pytest.mark.django_db
def test_role_carries_specialty_department_room_and_weekly_hours(clerk, clinic):
    # when
    response = clerk.get(f"{ROLE}/{clinic.amina.external_id}")

    # then
    assert response.status_code == 200, response.content
    role = PractitionerRole.model_validate(body(response))
    assert role.practitioner.reference == f"Practitioner/{clinic.amina.external_id}"
    opd = clinic.facility.departments.get(code="OPD")
    assert role.organization.reference == f"Organization/{opd.external_id}"
    assert [c.code for c in role.code[0].coding] == ["doctor", "doctor"]
    assert role.specialty[0].coding[0].code == "PAED"
    assert role.contained[0].name == "Consulting room 3"
    assert role.location[0].reference == f"#{role.contained[0].id}"
    hours = role.availableTime[0]
    assert hours.daysOfWeek == [
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[clinic.tomorrow.weekday()]
    ]
    assert (str(hours.availableStartTime), str(hours.availableEndTime)) == ("08:00:00", "12:00:00")


@pytest.mark.django_db
def test_role_of_a_practitioner_without_department_points_at_the_facility(clerk, clinic):
    # when
    role = PractitionerRole.model_validate(body(clerk.get(f"{ROLE}/{clinic.otieno.external_id}")))

    # then
    assert role.organization.reference == f"Organization/{clinic.facility.external_id}"
    assert role.code[0].coding[0].code == "clinical_officer"
    assert role.location is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"specialty": "PAED"}, ["amina"]),
        ({"specialty": "urn:hms:specialty|card"}, ["otieno"]),
        ({"specialty": "PAED,CARD"}, ["amina", "otieno"]),
        ({"specialty": "http://snomed.info/sct|394537008"}, []),
        ({"practitioner": "otieno"}, ["otieno"]),
        ({"practitioner": "Practitioner/amina"}, ["amina"]),
    ],
)
@pytest.mark.django_db
def test_role_search_by_practitioner_and_specialty(clerk, clinic, params, expected):
    # given
    names = {"amina": clinic.amina, "otieno": clinic.otieno}
    params = {
        k: v.replace("amina", str(clinic.amina.external_id)).replace(
            "otieno", str(clinic.otieno.external_id)
        )
        if k == "practitioner"
        else v
        for k, v in params.items()
    }

    # when
    found = _ids(clerk.get(ROLE, params))

    # then
    assert sorted(found) == sorted(str(names[n].external_id) for n in expected)


@pytest.mark.parametrize(
    "params",
    [
        {"practitioner": "Patient/1"},
        {"practitioner": "not-a-uuid"},
        {"specialty": "urn:hms:specialty|"},
    ],
)
@pytest.mark.django_db
def test_role_search_refuses_what_cannot_name_a_practitioner_or_specialty(clerk, clinic, params):
    # when
    response = clerk.get(ROLE, params)

    # then
    assert response.status_code == 400
    assert "Search parameter" in operation_outcome(response).issue[0].diagnostics


@pytest.mark.django_db
def test_role_search_reads_a_fixed_number_of_queries(clerk, clinic, django_assert_max_num_queries):
    # when: auth and roles, the page, specialties, sessions with rooms
    with django_assert_max_num_queries(12):
        response = clerk.get(ROLE)

    # then
    assert len(_ids(response)) == 2
