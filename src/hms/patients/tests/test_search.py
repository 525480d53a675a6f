"""The front desk's patient search (selectors.search_patients) on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.patients import mrn
from hms.patients.inputs import IdentifierInput, PatientInput
from hms.patients.models import Patient
from hms.patients.selectors import ALIKE, search_patients
from hms.patients.services import register_patient

pytestmark = pytest.mark.django_db

BORN = dt.date(1980, 5, 1)


@pytest.fixture
def clerk(make_user):
    return make_user("receptionist")


@pytest.fixture
def register(facility):
    def make(given: str, family: str, *, at=None, **fields) -> Patient:
        fields.setdefault("sex", "female")
        fields.setdefault("birth_date", BORN)
        return register_patient(
            actor=None,
            facility=at or facility,
            data=PatientInput(given_name=given, family_name=family, **fields),
            skip_permission_checks=True,
            check_duplicates=False,
        )

    return make


@pytest.fixture
def find(clerk, facility):
    def run(query: str = "", **kwargs) -> list[Patient]:
        return search_patients(viewer=clerk, facility=facility, query=query, **kwargs).results

    return run


def names(patients: list[Patient]) -> list[str]:
    return [p.full_name for p in patients]


# --- names -------------------------------------------------------------------------------


def test_name_words_in_any_order_and_by_prefix(register, find):
    # given
    john = register("John", "Smith")
    register("Mary", "Smith")
    register("John", "Otieno")

    # then
    assert find("john smith") == [john]
    assert find("smith john") == [john]
    assert find("smi jo") == [john]
    assert find("SMITH   JOHN") == [john]


def test_typos_are_forgiven_one_per_word(register, find):
    # given
    john = register("John", "Smith")
    register("Joan", "Smythe")

    # then
    assert find("Jonh Smtih") == [john]
    assert find("jhon smith") == [john]
    assert find("smiths") == [john]


def test_exact_words_rank_above_prefixes_above_typos(register, find):
    # given
    typo = register("Jon", "Smith")
    prefix = register("Johnny", "Smith")
    exact = register("John", "Smith")

    # then
    assert find("john smith") == [exact, prefix, typo]
    assert find("john") == [exact, prefix, typo]


def test_a_first_name_typed_ranks_above_the_same_word_as_a_middle_name(register, find):
    # given
    middle = register("Adam", "Smith", middle_name="John")
    first = register("John", "Smith")
    prefix = register("Johnny", "Smith")

    # then
    assert find("john smith") == [first, middle, prefix]
    assert find("smith john") == [first, middle, prefix]
    assert find("smith john", limit=1) == [first]
    assert find("smith john", limit=1, offset=1) == [middle]


def test_equal_matches_go_by_name(register, find):
    # given
    zed = register("Zed", "Kamau")
    abel = register("Abel", "Kamau")
    mary = register("Mary", "Kamau")

    # then
    assert find("kamau") == [abel, mary, zed]
    assert find("kamau a") == [abel]


def test_one_word_lists_exact_words_first_then_longer_words_alphabetically(register, find):
    # given
    smithson = register("Ann", "Smithson")
    smith = register("Zoe", "Smith")
    smit = register("Bea", "Smit")

    # then: "smi" starts all three; "smith" is exactly one of them
    assert find("smi") == [smit, smith, smithson]
    assert find("smith") == [smith, smithson, smit]


def test_accents_and_case_are_ignored_both_ways(register, find):
    # given
    jose = register("José", "Peña", sex="male")
    muller = register("jurgen", "MÜLLER", sex="male")

    # then
    assert find("jose pena") == [jose]
    assert find("JOSÉ") == [jose]
    assert find("Jürgen Muller") == [muller]
    assert find("müll") == [muller]


def test_letters_without_decomposition_fold_too(register, find):
    # given
    soren = register("Søren", "Kierkegaard", sex="male")
    lukasz = register("Łukasz", "Wójcik", sex="male")

    # then
    assert find("soren") == [soren]
    assert find("lukasz wojcik") == [lukasz]


def test_right_to_left_names(register, find):
    # given: vowel points and a tatweel are typed in one record, not in the query
    mohammed = register("مُحَمَّد", "علـي", sex="male")
    register("فاطمة", "حسن")
    david = register("דָּוִד", "כהן", sex="male")

    # then
    assert find("محمد علي") == [mohammed]
    assert find("علي") == [mohammed]
    assert find("مح") == [mohammed]
    assert find("דוד") == [david]


def test_right_to_left_typo(register, find):
    # given
    fatima = register("فاطمة", "حسن")

    # then: one letter left out
    assert find("فاطم حسن") == [fatima]


def test_names_that_only_sound_alike_come_with_a_notice(register, clerk, facility):
    # given
    kathryn = register("Kathryn", "Muhammad")

    # when
    page = search_patients(viewer=clerk, facility=facility, query="Catherine Mohamed")

    # then
    assert page.results == [kathryn]
    assert page.notice == ALIKE


def test_with_a_birth_date_a_name_spelled_further_off_still_comes_close(register, clerk, facility):
    # given
    kathryn = register("Kathryn", "Otieno")
    register("Mary", "Smith")
    register("Kathryn", "Otieno", birth_date=dt.date(1990, 1, 2))

    # when: three letters differ, too many for a typo
    page = search_patients(viewer=clerk, facility=facility, query="Katherine Otieno 1980-05-01")

    # then
    assert page.results == [kathryn]
    assert page.notice == ALIKE


def test_nothing_found_says_nothing(register, clerk, facility):
    register("John", "Smith")

    page = search_patients(viewer=clerk, facility=facility, query="Xqzwv")

    assert page.results == []
    assert page.has_more is False
    assert page.notice == ""


@pytest.mark.parametrize("query", ["%", "_", "%th", "s_", "s%h", "' OR 1=1 --", "\\"])
def test_wildcards_and_injection_strings_match_literally(register, find, query):
    register("John", "Smith")

    assert find(query) == []


def test_a_wildcard_counts_as_a_typo_not_as_any_letters(register, find):
    smith = register("John", "Smith")

    assert find("%mith") == [smith]
    assert find("%mit") == []


def test_a_patient_with_two_matching_words_is_listed_once_across_pages(register, find):
    # given
    for given in ("Joy", "Jude", "Joel"):
        register(given, "Johnson")
    twice = register("Johnny", "Johnson")

    # when: "joh" starts both "johnny" and "johnson"
    pages = [find("joh", limit=2, offset=offset) for offset in (0, 2, 4)]

    # then
    listed = [p for page in pages for p in page]
    assert len(listed) == 4
    assert len(set(listed)) == 4
    assert twice in listed


# --- numbers -----------------------------------------------------------------------------


def test_mrn_exact_in_any_case_and_spacing(register, find):
    # given
    patient = register("John", "Smith")
    register("Mary", "Smith")

    # then
    assert find(patient.mrn) == [patient]
    assert find(patient.mrn.lower()) == [patient]
    assert find(f" {patient.mrn[:4]} {patient.mrn[4:]} ") == [patient]


def test_mrn_without_the_facility_prefix(facility, register, find):
    # given
    facility.mrn_prefix = "RGH"
    facility.save()
    patient = register("John", "Smith")

    # then
    assert patient.mrn.startswith("RGH")
    assert find(patient.mrn.removeprefix("RGH")) == [patient]


def test_mrn_with_a_wrong_check_digit_says_so(register, clerk, facility):
    # given
    patient = register("John", "Smith")
    wrong = patient.mrn[:-1] + str((int(patient.mrn[-1]) + 1) % 10)
    assert mrn.looks_like_mrn(wrong)
    assert not mrn.is_valid(wrong)

    # when
    page = search_patients(viewer=clerk, facility=facility, query=wrong)

    # then
    assert page.results == []
    assert "check digit is wrong" in page.notice


@pytest.mark.parametrize(
    "typed", ["0712345678", "0712 345 678", "+254712345678", "+254 712-345-678", "254712345678"]
)
def test_phone_in_any_format(register, find, typed):
    # given
    patient = register("John", "Smith", phone="+254 712 345 678")
    register("Mary", "Smith", phone="0722000111")

    # then
    assert find(typed) == [patient]


def test_a_shared_phone_lists_the_family_and_a_name_narrows_it(register, find):
    # given
    mother = register("Mary", "Wanjiru", phone="0712345678")
    child = register("Amani", "Wanjiru", phone="0712345678")

    # then
    assert find("0712345678") == [child, mother]
    assert find("mary 0712345678") == [mother]


@pytest.mark.parametrize("typed", ["12345678", "12 345 678", "12-345-678"])
def test_national_id_by_blind_index(register, find, typed):
    # given
    patient = register(
        "John", "Smith", identifiers=(IdentifierInput(system="national_id", value="12345678"),)
    )

    # then
    assert find(typed) == [patient]


def test_passport_number_with_letters(register, find):
    # given
    patient = register(
        "John", "Smith", identifiers=(IdentifierInput(system="passport", value="AB1234567"),)
    )

    # then
    assert find("ab 1234567") == [patient]
    assert find("AB1234567") == [patient]


def test_mrn_ranks_above_an_id_number_above_a_phone(register, find):
    # given: one number that is one patient's MRN, another's ID and a third's phone
    by_mrn = register("Ann", "Zulu")
    number = by_mrn.mrn
    by_id = register(
        "Ben", "Abel", identifiers=(IdentifierInput(system="other_mrn", value=number),)
    )

    # then
    assert find(number) == [by_mrn, by_id]


# --- birth dates and combinations ------------------------------------------------------


@pytest.mark.parametrize("typed", ["1980-05-01", "01/05/1980", "1.5.1980"])
def test_birth_date_typed_alone(register, find, typed):
    # given
    patient = register("John", "Smith")
    register("Mary", "Smith", birth_date=dt.date(1981, 5, 1))

    # then
    assert find(typed) == [patient]


def test_name_and_birth_date_typed_together_or_passed(register, find):
    # given
    patient = register("John", "Smith")
    register("John", "Smith", birth_date=dt.date(1990, 1, 2))

    # then
    assert find("smith 1980-05-01") == [patient]
    assert find("1980-05-01 jonh") == [patient]
    assert find("smith", birth_date=BORN) == [patient]


def test_a_date_that_does_not_exist_is_reported(register, clerk, facility):
    register("John", "Smith")

    page = search_patients(viewer=clerk, facility=facility, query="smith 31/02/1980")

    assert page.notice == "31/02/1980 is not a date."
    assert [p.full_name for p in page.results] == ["John Smith"]


def test_sex_narrows_every_kind_of_search(register, find):
    # given
    john = register("John", "Smith", sex="male", phone="0712345678")
    register("Joan", "Smith", sex="female", phone="0712345678")

    # then
    assert find("smith", sex="male") == [john]
    assert find("0712345678", sex="male") == [john]
    assert find("1980-05-01", sex="male") == [john]


# --- paging --------------------------------------------------------------------------------


def test_pages_cover_every_match_once_in_order(register, find):
    # given
    for i in range(7):
        register(f"Amina{chr(ord('a') + i)}", "Otieno")

    # when
    pages = [find("otieno", limit=3, offset=offset) for offset in (0, 3, 6)]

    # then
    assert [len(p) for p in pages] == [3, 3, 1]
    assert names([p for page in pages for p in page]) == [
        f"Amina{chr(ord('a') + i)} Otieno" for i in range(7)
    ]


def test_has_more_tells_whether_another_page_exists(register, clerk, facility):
    for given in ("Ann", "Bea", "Cy"):
        register(given, "Kamau")

    first = search_patients(viewer=clerk, facility=facility, query="kamau", limit=2)
    last = search_patients(viewer=clerk, facility=facility, query="kamau", limit=2, offset=2)
    both = search_patients(viewer=clerk, facility=facility, query="kamau a", limit=1)

    assert (len(first.results), first.has_more) == (2, True)
    assert (len(last.results), last.has_more) == (1, False)
    assert (len(both.results), both.has_more) == (1, False)


def test_an_empty_query_lists_the_newest_patients(register, find):
    first = register("Ann", "Kamau")
    second = register("Bea", "Kamau")

    assert find("") == [second, first]


# --- who sees what -------------------------------------------------------------------------


def test_another_facilitys_patients_are_not_found(register, find, other_facility):
    # given
    theirs = register("John", "Smith", at=other_facility, phone="0712345678")

    # then
    assert find("john smith") == []
    assert find("0712345678") == []
    assert find(theirs.mrn) == []
    assert find("1980-05-01") == []


def test_matches_out_of_scope_ranked_first_do_not_hide_those_in_scope(
    register, find, other_facility
):
    # given: the other facility's patients rank first (same name, registered earlier)
    for _ in range(3):
        register("John", "Smith", at=other_facility)
        register("Jon", "Smith", at=other_facility)
    john, jon = register("John", "Smith"), register("Jon", "Smith")

    # then: the search reads on past the rows it drops
    assert find("john smith", limit=1) == [john]
    assert find("jonh smith", limit=1) == [john]
    assert find("jonh smith", limit=1, offset=1) == [jon]


def test_typo_pages_cover_every_match_once_in_order(register, find):
    # given: every match is a prefix and a typo away, so all rank equal and go by name
    for i in range(7):
        register(f"Amina{chr(ord('a') + i)}", "Otieno")

    # when
    pages = [find("amina otineo", limit=3, offset=offset) for offset in (0, 3, 6)]

    # then
    assert [len(p) for p in pages] == [3, 3, 1]
    assert names([p for page in pages for p in page]) == [
        f"Amina{chr(ord('a') + i)} Otieno" for i in range(7)
    ]


def test_a_word_only_mistyped_ranks_the_others_exact_first_name_first(register, find):
    # given
    jon = register("Jon", "Smith")
    johnny = register("Johnny", "Smith")
    adam = register("Adam", "Smith", middle_name="John")
    john = register("John", "Smith")

    # then: "smtih" starts no name; "john" exact as first name, as a middle name, as
    # the start of a name, then one typo away
    assert find("john smtih") == [john, adam, johnny, jon]
    assert find("john smtih", limit=2) == [john, adam]
    assert find("john smtih", limit=1, offset=2) == [johnny]


def test_pages_of_typos_in_every_word_go_by_name(register, find, other_facility):
    # given: no word typed starts a name; some matches are out of scope
    register("Amina", "Otieno", middle_name="Aa", at=other_facility)
    for middle in ("Gg", "Cc", "Ee", "Bb", "Ff", "Dd"):
        register("Amina", "Otieno", middle_name=middle)
    wrong = register("Amina", "Otieno", middle_name="Aa")
    Patient.objects.filter(pk=wrong.pk).update(status=Patient.Status.ENTERED_IN_ERROR)
    register("Anima", "Otieno", middle_name="Hh")  # two edits from "amnia"

    # when
    pages = [find("amnia otineo", limit=2, offset=offset) for offset in (0, 2, 4, 6)]

    # then
    assert [len(p) for p in pages] == [2, 2, 2, 0]
    assert [p.middle_name for page in pages for p in page] == ["Bb", "Cc", "Dd", "Ee", "Ff", "Gg"]


def test_a_viewer_without_view_patient_sees_nothing(register, make_user, facility):
    # given
    register("John", "Smith")
    auditor = make_user("auditor")

    # then
    for query in ("john", "1980-05-01", ""):
        assert search_patients(viewer=auditor, facility=facility, query=query).results == []


def test_merged_records_are_left_out_unless_asked_for(register, find):
    # given
    survivor = register("John", "Smith")
    merged = register("Jon", "Smith", phone="0712345678")
    Patient.objects.filter(pk=merged.pk).update(status=Patient.Status.MERGED, merged_into=survivor)

    # then
    assert find("smith") == [survivor]
    assert find("0712345678") == []
    assert find(merged.mrn) == []
    assert find("smith", include_inactive=True) == [survivor, merged]
    assert find(merged.mrn, include_inactive=True) == [merged]


def test_a_renamed_patient_is_found_by_the_new_name_only(register, find, clerk):
    from hms.patients.services import update_patient

    # given
    patient = register("John", "Smith")
    update_patient(
        actor=clerk,
        patient=patient,
        data=PatientInput(given_name="John", family_name="Kamau", sex="female", birth_date=BORN),
    )

    # then
    assert find("kamau") == [patient]
    assert find("smith") == []


# --- cost ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["smi", "john smith", "jonh smtih", "smith 1980-05-01", "0712345678", "catherine", ""],
)
def test_a_search_is_a_handful_of_queries(
    register, clerk, facility, query, django_assert_max_num_queries
):
    # given
    register("John", "Smith", phone="0712345678")
    register("Kathryn", "Otieno")
    search_patients(viewer=clerk, facility=facility, query="warm the role cache")

    # then
    with django_assert_max_num_queries(4):
        search_patients(viewer=clerk, facility=facility, query=query)


def test_the_slowest_kind_of_search_is_still_five_queries(
    register, clerk, facility, django_assert_max_num_queries
):
    # given: words that exist but fill no page, so every step runs
    register("John", "Smith")
    register("Jon", "Smyth")
    search_patients(viewer=clerk, facility=facility, query="warm the role cache")

    # then
    with django_assert_max_num_queries(5):
        page = search_patients(viewer=clerk, facility=facility, query="john smyth")
    assert len(page.results) == 2
