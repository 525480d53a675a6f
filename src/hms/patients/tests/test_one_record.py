"""What makes a second record of one person or an impossible one refused at every door:
identifiers through merges, a death before the birth (both databases)."""

from __future__ import annotations

import pytest

from hms.core.errors import InvalidInput
from hms.patients import merging, services
from hms.patients.errors import IdentifierTaken
from hms.patients.inputs import IdentifierInput, PatientInput
from hms.patients.models import Patient
from hms.patients.tests.api.conftest import LIST, body
from hms.patients.tests.api.helpers import refused_field
from hms.patients.tests.mpi_helpers import register
from hms.patients.tests.web.conftest import REGISTER_FULL, errors_of

pytestmark = pytest.mark.django_db

PASSPORT = (IdentifierInput(system="passport", value="A2030405"),)


def _page_form(**overrides) -> dict:
    values = {
        "given_name": "Amina",
        "family_name": "Wanjiru",
        "sex": "female",
        "birth": "1990-04-12",
        "identifiers-TOTAL_FORMS": "1",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-0-system": "national_id",
        "identifiers-0-value": "12345678",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    values.update(overrides)
    return values


def test_a_merged_records_number_finds_the_survivor_and_passes_to_it(make_user, facility):
    # given
    survivor = register(facility, given_name="Grace", national_id="20304050")
    merged = register(facility, given_name="Grace", identifiers=PASSPORT)
    merging.merge_patients(
        actor=make_user("ward_manager"), survivor=survivor, merged=merged, reason="Same person"
    )
    stranger = PatientInput(given_name="Zed", family_name="Other", sex="male", identifiers=PASSPORT)

    # then: a new record with the merged record's passport is refused, naming the survivor
    with pytest.raises(IdentifierTaken) as refused:
        services.register_patient(
            actor=None, facility=facility, data=stranger, skip_permission_checks=True
        )
    assert survivor.mrn in refused.value.message

    # and the survivor may take the passport over
    both = (*PASSPORT, IdentifierInput(system="national_id", value="20304050"))
    data = PatientInput(given_name="Grace", family_name="Kamau", sex="female", identifiers=both)
    services.update_patient(actor=make_user("receptionist"), patient=survivor, data=data)
    assert survivor.identifiers.filter(system="passport", is_current=True).count() == 1
    assert merged.identifiers.get().is_current is False


def test_undoing_a_merge_leaves_a_number_the_survivor_took_over_with_it(make_user, facility):
    # given
    survivor = register(facility, given_name="Grace")
    merged = register(facility, given_name="Grace", identifiers=PASSPORT)
    officer = make_user("ward_manager")
    merge = merging.merge_patients(
        actor=officer, survivor=survivor, merged=merged, reason="Same person"
    )
    data = PatientInput(given_name="Grace", family_name="Kamau", sex="female", identifiers=PASSPORT)
    services.update_patient(actor=make_user("receptionist"), patient=survivor, data=data)

    # when
    merging.unmerge_patients(actor=officer, merge=merge, reason="Two sisters")

    # then
    assert merged.identifiers.get().is_current is False
    assert survivor.identifiers.get().is_current is True


@pytest.mark.parametrize(
    ("died", "refused"),
    [("1990-04-11T23:00:00+03:00", True), ("1990-04-12T08:00:00+03:00", False)],
)
def test_a_death_before_the_birth_is_refused_on_rest(api_client_for, died, refused):
    # when
    response = api_client_for("receptionist").post(
        LIST, body(is_deceased=True, deceased_at=died, identifiers=[]), format="json"
    )

    # then
    if refused:
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "deceased_at"
        assert Patient.objects.count() == 0
    else:
        assert response.status_code == 201, response.content


def test_a_death_before_the_birth_is_refused_on_the_page(client_for):
    # when
    clerk = client_for("receptionist")
    response = clerk.post(
        REGISTER_FULL, _page_form(is_deceased="on", deceased_at="1989-12-31T10:00")
    )

    # then
    assert response.status_code == 400
    assert errors_of(response.content.decode(), "deceased_at") == [
        "The date of death is before the birth date."
    ]
    assert Patient.objects.count() == 0
    assert clerk.post(REGISTER_FULL, _page_form()).status_code == 302  # positive control


def test_a_national_id_on_another_record_is_shown_on_the_page(client_for, facility):
    # given
    holder = register(facility, given_name="Baraka", family_name="Otieno", national_id="12345678")

    # when
    response = client_for("receptionist").post(REGISTER_FULL, _page_form())

    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert f"already on the record with MRN {holder.mrn}" in html
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name", "\u200b"),
        ("family_name", "\u200d\u200c"),
        ("middle_name", "\u200f\u200e"),
        ("preferred_name", "\u2060\ufeff"),
    ],
)
def test_a_name_of_invisible_characters_is_refused_on_rest(api_client_for, field, value):
    # when
    response = api_client_for("receptionist").post(LIST, body(**{field: value}), format="json")

    # then
    assert response.status_code == 400, response.content
    assert refused_field(response) == field
    assert Patient.objects.count() == 0


@pytest.mark.parametrize("field", ["given_name", "family_name", "middle_name"])
def test_a_name_of_invisible_characters_is_refused_on_the_page(client_for, field):
    # when
    response = client_for("receptionist").post(REGISTER_FULL, _page_form(**{field: "\u200b\u200f"}))

    # then
    assert response.status_code == 400
    assert errors_of(response.content.decode(), field), field
    assert Patient.objects.count() == 0


def test_a_name_of_invisible_characters_is_refused_by_the_service(facility):
    data = PatientInput(given_name="Amina", family_name="\u200b\u2063", sex="female")
    with pytest.raises(InvalidInput) as refused:
        services.register_patient(
            actor=None, facility=facility, data=data, skip_permission_checks=True
        )
    assert refused.value.field == "family_name"
