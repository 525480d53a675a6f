"""hms.core.rows builds the instances the ORM would: the same values after conversion
(aware datetimes, dates, JSON, decrypted fields), and the rest deferred."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.core.rows import Columns, fetch
from hms.patients.models import Patient
from hms.patients.testing import registered


@pytest.mark.django_db
def test_a_whole_row_matches_what_the_orm_reads(facility):
    stored = registered(
        facility,
        phone="0712345678",
        email="juma@example.org",
        address={"line": "Moi Avenue 1", "city": "Nairobi"},
    )
    every = Columns(Patient)
    sql = f"SELECT {every.select('p')}, 42 FROM patients_patient p WHERE p.id = %s"  # noqa: S608

    [(built, extra)] = fetch(sql, [stored.pk], every)

    read = Patient.objects.get(pk=stored.pk)
    for field in Patient._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(read, field.attname), field.name
    assert extra == 42
    assert built.created_at.tzinfo is not None
    assert built.phone.startswith("+254")
    assert built.address["city"] == "Nairobi"


@pytest.mark.django_db
def test_fields_not_selected_are_deferred_and_load_on_access(facility):
    stored = registered(facility, birth_date=dt.date(1990, 4, 12), phone="0712345678")
    some = Columns(Patient, ["id", "birth_date"])
    sql = f"SELECT {some.select('p')} FROM patients_patient p"  # noqa: S608

    [(built,)] = fetch(sql, [], some)

    assert built.birth_date == dt.date(1990, 4, 12)
    assert built.get_deferred_fields() >= {"phone", "family_name"}
    assert built.family_name == stored.family_name  # read on first access
    assert built.phone == stored.phone
