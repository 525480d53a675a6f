"""Adding and editing practitioners, and specialties: what is stored, and hostile input
refused with an error naming the field while nothing is written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hms.audit.models import AuditEvent
from hms.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hms.staff import services
from hms.staff.errors import StaffErrorCode
from hms.staff.models import Practitioner, Specialty
from hms.staff.tests.conftest import an_entry

pytestmark = pytest.mark.django_db


def audit_rows(model) -> list[tuple[str, str]]:
    label = model._meta.label
    rows = AuditEvent.objects.filter(object_type=label).order_by("id")
    return list(rows.values_list("action", "reason"))


def test_add_practitioner_stores_the_cleaned_entry(admin, facility, specialties, paediatrics):
    # given
    data = an_entry(
        title="Dr",
        given_name="  José ",
        family_name="Peña-García",
        kind="doctor",
        languages=["EN-ke", "sw", "sw"],
        phone="0712 345 678",
        email="Jose.Pena@Example.ORG",
        consultation_fee=Decimal("1500"),
        department="paeds",
        specialties=["CARD", "PAED"],
        registration_number="KMPDC-77",
        qualifications="MBChB, MMed (Paeds)",
    )

    # when
    practitioner = services.add_practitioner(actor=admin, facility=facility, data=data)

    # then
    stored = Practitioner.objects.get(pk=practitioner.pk)
    assert (stored.given_name, stored.family_name) == ("José", "Peña-García")
    assert stored.display_name == "Dr José Peña-García"
    assert stored.search_name == "jose pena garcia"
    assert stored.languages == ["en-KE", "sw"]
    assert stored.phone == "+254712345678"
    assert stored.email == "jose.pena@example.org"
    assert stored.consultation_fee == Decimal("1500.00")
    assert stored.department == paediatrics
    assert sorted(s.code for s in stored.specialties.all()) == ["CARD", "PAED"]
    assert (stored.facility, stored.created_by, stored.is_active) == (facility, admin, True)
    assert audit_rows(Practitioner) == [("create", "added to the directory")]


@pytest.mark.parametrize(
    ("given_name", "family_name", "search_name"),
    [
        ("Zoë", "Nguyễn", "zoe nguyen"),
        ("محمد", "الحسن", "محمد الحسن"),
        ("Søren", "Łukaszewski", "soren lukaszewski"),
        ("Robert'); DROP TABLE staff_practitioner;--", "O'Brien", None),
    ],
)
def test_names_in_any_script_or_shape_are_stored_as_typed(
    admin, facility, given_name, family_name, search_name
):
    practitioner = services.add_practitioner(
        actor=admin,
        facility=facility,
        data=an_entry(given_name=given_name, family_name=family_name),
    )

    stored = Practitioner.objects.get(pk=practitioner.pk)
    assert (stored.given_name, stored.family_name) == (given_name, family_name)
    if search_name:
        assert stored.search_name == search_name


HOSTILE = [
    ({"given_name": ""}, "given_name"),
    ({"given_name": "   "}, "given_name"),
    ({"given_name": "x" * 500}, "given_name"),
    ({"family_name": "y" * 101}, "family_name"),
    ({"given_name": "Am\x00ina"}, "given_name"),
    ({"family_name": "\u202enassaH"}, "family_name"),
    ({"given_name": 42}, "given_name"),
    ({"family_name": None}, "family_name"),
    ({"title": "Professor Emeritus Dr"}, "title"),
    ({"kind": "surgeon"}, "kind"),
    ({"kind": ["doctor"]}, "kind"),
    ({"languages": "en"}, "languages"),
    ({"languages": ["english"]}, "languages"),
    ({"languages": ["en'; DROP TABLE staff_practitioner;--"]}, "languages"),
    ({"languages": ['en"']}, "languages"),
    ({"languages": [1]}, "languages"),
    ({"languages": [f"x{c}" for c in "abcdefghijk"]}, "languages"),
    ({"phone": "12"}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b.c\n"}, "email"),
    ({"consultation_fee": Decimal("-0.01")}, "consultation_fee"),
    ({"consultation_fee": -5}, "consultation_fee"),
    ({"consultation_fee": 12.5}, "consultation_fee"),
    ({"consultation_fee": "100"}, "consultation_fee"),
    ({"consultation_fee": True}, "consultation_fee"),
    ({"consultation_fee": Decimal("NaN")}, "consultation_fee"),
    ({"consultation_fee": Decimal("Infinity")}, "consultation_fee"),
    ({"consultation_fee": Decimal("1.001")}, "consultation_fee"),
    ({"consultation_fee": Decimal("1e12")}, "consultation_fee"),
    ({"department": "CARDIO"}, "department"),  # Hillside's
    ({"department": "NOPE"}, "department"),
    ({"department": "'; DROP TABLE core_department; --"}, "department"),
    ({"specialties": ["NOPE"]}, "specialties"),
    ({"specialties": "PAED"}, "specialties"),
    ({"specialties": [None]}, "specialties"),
    ({"registration_number": "R" * 61}, "registration_number"),
    ({"is_active": "yes"}, "is_active"),
]


@pytest.mark.parametrize(("fields", "field"), HOSTILE)
def test_add_practitioner_refuses_bad_input_naming_the_field(
    admin, facility, specialties, foreign_department, fields, field
):
    # when
    with pytest.raises(InvalidInput) as exc:
        services.add_practitioner(actor=admin, facility=facility, data=an_entry(**fields))

    # then
    assert exc.value.field == field
    assert exc.value.message
    assert Practitioner.objects.count() == 0
    assert audit_rows(Practitioner) == []


def test_a_registration_number_is_unique_in_its_facility(
    admin, facility, other_facility, make_user
):
    # given
    first = services.add_practitioner(
        actor=admin, facility=facility, data=an_entry(registration_number="KMPDC-1")
    )

    # when
    with pytest.raises(Conflict) as exc:
        services.add_practitioner(
            actor=admin,
            facility=facility,
            data=an_entry(given_name="Other", registration_number="KMPDC-1"),
        )

    # then
    assert exc.value.code == StaffErrorCode.REGISTRATION_NUMBER_TAKEN
    assert exc.value.field == "registration_number"
    assert list(Practitioner.objects.values_list("pk", flat=True)) == [first.pk]
    elsewhere = services.add_practitioner(
        actor=make_user("admin", at=other_facility),
        facility=other_facility,
        data=an_entry(registration_number="KMPDC-1"),
    )
    assert elsewhere.registration_number == "KMPDC-1"


def test_practitioners_without_a_registration_number_do_not_collide(admin, facility):
    for name in ("Amina", "Baraka"):
        services.add_practitioner(actor=admin, facility=facility, data=an_entry(given_name=name))

    assert Practitioner.objects.filter(registration_number="").count() == 2


@pytest.mark.parametrize("role", ["doctor", "receptionist", "auditor"])
def test_only_directory_managers_add_practitioners(make_user, facility, role):
    with pytest.raises(NotPermitted):
        services.add_practitioner(actor=make_user(role), facility=facility, data=an_entry())

    assert Practitioner.objects.count() == 0


def test_an_administrator_elsewhere_cannot_add_here(make_user, facility, other_facility):
    with pytest.raises(NotPermitted):
        services.add_practitioner(
            actor=make_user("admin", at=other_facility), facility=facility, data=an_entry()
        )

    assert Practitioner.objects.count() == 0


def test_update_practitioner_replaces_the_entry_and_audits_the_fields(
    admin, directory, specialties
):
    # given
    amina = directory["amina"]
    data = an_entry(
        given_name="Aminah",
        family_name="Hassan",
        title="Prof",
        department="OPD",
        specialties=["CARD"],
        languages=["en", "sw-KE"],
        registration_number="KMPDC-1001",
        consultation_fee=Decimal("2000"),
    )

    # when
    updated = services.update_practitioner(actor=admin, practitioner=amina, data=data)

    # then
    stored = Practitioner.objects.get(pk=amina.pk)
    assert (stored.given_name, stored.title, stored.search_name) == (
        "Aminah",
        "Prof",
        "aminah hassan",
    )
    assert stored.department.code == "OPD"
    assert [s.code for s in stored.specialties.all()] == ["CARD"]
    assert stored.consultation_fee == Decimal("2000.00")
    assert stored.updated_by == admin
    assert [s.code for s in updated.specialties.all()] == ["CARD"]
    assert audit_rows(Practitioner)[-1] == (
        "update",
        "changed consultation_fee, department, given_name, specialties, title",
    )


def test_update_refuses_a_registration_number_taken_and_keeps_the_entry(admin, directory):
    # given
    jose = directory["jose"]

    # when
    with pytest.raises(Conflict) as exc:
        services.update_practitioner(
            actor=admin,
            practitioner=jose,
            data=an_entry(given_name="José", registration_number="KMPDC-1001"),
        )

    # then
    assert exc.value.field == "registration_number"
    jose.refresh_from_db()
    assert (jose.given_name, jose.family_name, jose.registration_number) == (
        "José",
        "Peña-García",
        "",
    )
    assert [a for a, _ in audit_rows(Practitioner)] == ["create"] * 3


def test_update_refuses_bad_input_and_keeps_the_entry(admin, directory):
    amina = directory["amina"]

    with pytest.raises(InvalidInput) as exc:
        services.update_practitioner(
            actor=admin, practitioner=amina, data=an_entry(consultation_fee=Decimal("-1"))
        )

    assert exc.value.field == "consultation_fee"
    amina.refresh_from_db()
    assert amina.consultation_fee == Decimal("1500.00")


def test_another_facility_cannot_see_nor_edit_a_practitioner(make_user, other_facility, directory):
    with pytest.raises(NotFound):
        services.update_practitioner(
            actor=make_user("admin", at=other_facility),
            practitioner=directory["amina"],
            data=an_entry(given_name="Stolen"),
        )

    assert Practitioner.objects.get(pk=directory["amina"].pk).given_name == "Amina"


def test_a_doctor_may_see_but_not_edit_the_directory(make_user, directory):
    with pytest.raises(NotPermitted):
        services.update_practitioner(
            actor=make_user("doctor"), practitioner=directory["amina"], data=an_entry(title="X")
        )


def test_add_specialty(admin):
    specialty = services.add_specialty(actor=admin, code=" nephro ", name="Nephrology")

    assert Specialty.objects.get(pk=specialty.pk).code == "NEPHRO"
    assert audit_rows(Specialty) == [("create", "added")]


@pytest.mark.parametrize(
    ("code", "name", "field"),
    [
        ("CARD IO", "Cardiology", "code"),
        ("", "Cardiology", "code"),
        ("C" * 21, "Cardiology", "code"),
        (7, "Cardiology", "code"),
        ("NEPHRO", "", "name"),
        ("NEPHRO", "N" * 121, "name"),
        ("NEPHRO", "Neph\x07rology", "name"),
    ],
)
def test_add_specialty_refuses_bad_input(admin, code, name, field):
    with pytest.raises(InvalidInput) as exc:
        services.add_specialty(actor=admin, code=code, name=name)

    assert exc.value.field == field
    assert Specialty.objects.count() == 0


def test_a_specialty_code_is_unique(admin, specialties):
    with pytest.raises(Conflict) as exc:
        services.add_specialty(actor=admin, code="card", name="Heart")

    assert (exc.value.code, exc.value.field) == (StaffErrorCode.SPECIALTY_CODE_TAKEN, "code")
    assert Specialty.objects.get(code="CARD").name == "Cardiology"


def test_only_directory_managers_add_specialties(make_user):
    with pytest.raises(NotPermitted):
        services.add_specialty(actor=make_user("doctor"), code="NEPHRO", name="Nephrology")

    assert not Specialty.objects.exists()
