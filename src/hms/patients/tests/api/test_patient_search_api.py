"""GET /api/v1/patients/: the front desk's search over the API."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.patients import mrn
from hms.patients.errors import PatientErrorCode
from hms.patients.tests.api.conftest import LIST
from hms.patients.tests.api.helpers import reads_of, refused_field


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


@pytest.mark.django_db
def test_name_search_shows_enough_to_tell_patients_apart(clerk, register):
    # given
    mary = register(
        given_name="Mary",
        family_name="Achieng",
        sex="female",
        birth_date=dt.date(1960, 5, 1),
        phone="0712345678",
    )

    # when
    response = clerk.get(LIST, {"q": "achieng mary"})

    # then
    assert _ids(response) == [str(mary.external_id)]
    result = response.json()["results"][0]
    assert result["mrn"] == mary.mrn
    assert (result["given_name"], result["family_name"], result["sex"]) == (
        "Mary",
        "Achieng",
        "female",
    )
    assert result["birth_date"] == "1960-05-01"
    assert result["birth_date_estimated"] is False
    assert result["age_years"] >= 64
    assert result["phone_masked"] == "+254••••••678"
    assert "phone" not in result


@pytest.mark.django_db
def test_search_by_mrn_and_phone(clerk, register):
    # given
    juma = register(phone="0722111222")
    register(given_name="Akinyi", family_name="Odhiambo", sex="female")

    # when
    by_mrn = clerk.get(LIST, {"q": juma.mrn})
    by_phone = clerk.get(LIST, {"q": "+254 722 111 222"})

    # then
    assert _ids(by_mrn) == [str(juma.external_id)]
    assert _ids(by_phone) == [str(juma.external_id)]


@pytest.mark.django_db
def test_an_mrn_with_a_wrong_check_digit_is_400(clerk, register):
    # given
    patient = register()
    wrong = patient.mrn[:-1] + str((int(patient.mrn[-1]) + 1) % 10)
    assert not mrn.is_valid(wrong)

    # when
    response = clerk.get(LIST, {"q": wrong})

    # then
    assert response.status_code == 400
    assert response.json()["code"] == PatientErrorCode.INVALID_MRN
    assert refused_field(response) == "q"


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["0733 444 555", "0733444556", "+254 733 444 557"])
def test_a_phone_number_on_no_file_is_an_empty_page_not_a_bad_mrn(clerk, register, phone):
    # given: ten digits, as many as an MRN's without the facility's prefix
    register()

    # when
    response = clerk.get(LIST, {"q": phone})

    # then
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_a_nine_digit_id_number_that_matches_is_not_taken_for_a_bad_mrn(clerk, register):
    # given: a national ID that has the MRN's shape but not its check digit
    patient = register(identifiers=[{"system": "national_id", "value": "123456780"}])

    # when
    response = clerk.get(LIST, {"q": "123456780"})

    # then
    assert _ids(response) == [str(patient.external_id)]


@pytest.mark.django_db
def test_filters_and_paging_links(clerk, register):
    # given: three women born the same day, one man
    women = [
        register(given_name=name, family_name="Njeri", sex="female", birth_date=dt.date(2000, 1, 1))
        for name in ("Ann", "Beth", "Cate")
    ]
    register(given_name="Dan", family_name="Njeri", sex="male", birth_date=dt.date(2000, 1, 1))

    # when
    first = clerk.get(LIST, {"birth_date": "2000-01-01", "sex": "female", "limit": 2})
    second = clerk.get(first.json()["next"])

    # then
    assert len(_ids(first)) == 2
    assert first.json()["has_more"] is True
    assert first.json()["previous"] is None
    assert len(_ids(second)) == 1
    assert second.json()["next"] is None
    assert "offset" not in second.json()["previous"]
    assert set(_ids(first) + _ids(second)) == {str(w.external_id) for w in women}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"birth_date": "2023-02-30"}, "birth_date"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"sex": "nope"}, "sex"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1000"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"name": "juma"}, "name"),
    ],
)
@pytest.mark.django_db
def test_bad_search_parameters_are_400_naming_them(clerk, params, field):
    # when
    response = clerk.get(LIST, params)

    # then
    assert response.status_code == 400
    assert refused_field(response) == field


@pytest.mark.django_db
def test_each_patient_shown_gets_one_audit_read(clerk, register):
    # given
    shown = register(given_name="Halima", family_name="Abdi", sex="female")
    not_shown = register(given_name="Otieno", family_name="Ouma", sex="male")

    # when
    clerk.get(LIST, {"q": "halima"})

    # then
    assert reads_of(shown) == 1
    assert reads_of(not_shown) == 0


@pytest.mark.django_db
def test_patients_of_another_facility_are_not_found(api_client_for, other_facility, register):
    # given
    register(given_name="Halima", family_name="Abdi", sex="female")
    outsider = api_client_for("receptionist", at=other_facility)

    # when
    response = outsider.get(LIST, {"q": "halima"})

    # then
    assert _ids(response) == []


@pytest.mark.parametrize(("role", "status"), [("auditor", 403), ("pharmacist", 200)])
@pytest.mark.django_db
def test_who_may_search(api_client_for, role, status):
    # when
    response = api_client_for(role).get(LIST, {"q": "anyone"})

    # then
    assert response.status_code == status
