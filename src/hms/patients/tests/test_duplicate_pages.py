"""The records officer's pages: worklist, compare, merge with confirmation, dismiss, undo."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from hms.audit.models import AuditEvent
from hms.patients import merging
from hms.patients.models import DuplicateCandidate, Patient, PatientMerge
from hms.patients.tests.mpi_helpers import register, snapshot

WORKLIST = "/patients/duplicates/"
COMPARE = "/patients/duplicates/compare/"
MERGE = "/patients/duplicates/merge/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def officer(client_for):
    return client_for("ward_manager")


@pytest.fixture
def pair(facility):
    first = register(facility, given_name="Nafula", family_name="Wekesa", phone="+254711000001")
    second = register(facility, given_name="Nafula", family_name="Wekessa", phone="+254711000001")
    merging.scan_for_duplicates(facility=facility)
    return first, second


def _merge_post(first, second, survivor, reason="Same national ID card", **extra):
    return {
        "first": str(first.external_id),
        "second": str(second.external_id),
        "survivor": str(survivor.external_id),
        "reason": reason,
        **extra,
    }


@pytest.mark.django_db
def test_worklist_lists_pairs_side_by_side_with_score_and_reasons(officer, pair):
    first, second = pair

    response = officer.get(WORKLIST)

    assert response.status_code == 200
    text = _text(response)
    assert "Possible duplicate records" in text
    assert f"{first.mrn}" in text
    assert f"{second.mrn}" in text
    assert "family name spelt alike" in text
    compare = f"{COMPARE}?first={first.external_id}&amp;second={second.external_id}"
    assert compare in response.content.decode()
    read = AuditEvent.objects.get(action="read", reason="duplicates worklist")
    assert sorted(read.patients_named) == sorted([str(first.external_id), str(second.external_id)])


@pytest.mark.django_db
def test_worklist_is_for_roles_that_merge(client_for, pair):
    assert client_for("receptionist").get(WORKLIST).status_code == 403
    assert client_for("doctor").get(WORKLIST).status_code == 403


@pytest.mark.django_db
def test_navigation_shows_duplicates_to_records_officers_only(officer, client_for):
    assert 'href="/patients/duplicates/"' in officer.get("/").content.decode()
    assert (
        'href="/patients/duplicates/"' not in client_for("receptionist").get("/").content.decode()
    )


@pytest.mark.django_db
def test_compare_shows_both_records_and_marks_the_differences(officer, pair):
    first, second = pair

    response = officer.get(COMPARE, {"first": first.mrn, "second": second.mrn})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="differs"') == 1
    assert '<tr class="differs"><th scope="row">Name</th>' in html
    assert "Nafula Wekessa" in html
    assert 'name="survivor"' in html
    # The record registered first is kept by default.
    assert f'value="{first.external_id}" checked' in html


@pytest.mark.django_db
@pytest.mark.parametrize("whose", ["nobody", "another facility"])
def test_compare_with_an_unknown_mrn_says_so(officer, pair, other_facility, whose):
    first, _ = pair
    other = "000000000"
    while whose == "another facility" and Patient.objects.filter(mrn=other).count() != 1:
        # MRNs are per facility: take one that exists only over there
        other = register(other_facility).mrn

    response = officer.get(COMPARE, {"first": first.mrn, "second": other})

    assert response.status_code == 400
    assert "No record with this MRN here." in _text(response)


@pytest.mark.django_db
def test_merge_asks_to_confirm_then_merges(officer, pair):
    # given
    first, second = pair

    # when the officer asks to merge
    asked = officer.post(MERGE, _merge_post(first, second, survivor=first), **HTMX)

    # then: nothing merged yet, a confirmation with a focused button
    assert asked.status_code == 200
    assert "Confirm the merge" in _text(asked)
    assert f"Confirm: merge {second.mrn} into {first.mrn}" in _text(asked)
    assert 'name="confirmed" value="on"' in asked.content.decode()
    assert not PatientMerge.objects.exists()

    # when the officer confirms
    done = officer.post(MERGE, _merge_post(first, second, survivor=first, confirmed="on"), **HTMX)

    # then
    merge = PatientMerge.objects.get()
    assert done.status_code == 204
    assert done["HX-Redirect"] == reverse(
        "duplicates:merge-detail", kwargs={"external_id": merge.external_id}
    )
    assert (merge.survivor, merge.merged, merge.reason) == (first, second, "Same national ID card")
    assert DuplicateCandidate.objects.get().status == DuplicateCandidate.Status.MERGED


@pytest.mark.django_db
def test_merge_without_javascript_redirects_to_the_merge(officer, pair):
    first, second = pair

    response = officer.post(MERGE, _merge_post(first, second, survivor=second, confirmed="on"))

    merge = PatientMerge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/duplicates/merges/{merge.external_id}/"
    assert merge.survivor == second


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": ""}, "This field is required."),
        ({"reason": "x\x00y"}, ""),
        ({"survivor": "00000000-0000-0000-0000-000000000000"}, "Choose one of the two records."),
    ],
)
def test_merge_form_errors_save_nothing(officer, pair, change, message):
    first, second = pair
    before = snapshot()

    response = officer.post(
        MERGE, {**_merge_post(first, second, survivor=first, confirmed="on"), **change}
    )

    assert response.status_code == 400
    assert message in _text(response)
    assert snapshot() == before


@pytest.mark.django_db
def test_merge_of_a_record_merged_meanwhile_is_refused_on_the_page(
    officer, pair, facility, make_user
):
    # given: someone else merged the second record while this page was open
    first, second = pair
    third = register(facility, given_name="Nafula", family_name="Wekesa")
    merging.merge_patients(
        actor=make_user("ward_manager"), survivor=third, merged=second, reason="Same"
    )

    # when
    response = officer.post(MERGE, _merge_post(first, second, survivor=first, confirmed="on"))

    # then
    assert response.status_code == 409
    assert f"MRN {second.mrn} has been merged into MRN {third.mrn}" in _text(response)
    assert PatientMerge.objects.count() == 1


@pytest.mark.django_db
def test_merge_of_a_record_of_another_facility_is_404(officer, pair, other_facility):
    first, _ = pair
    foreign = register(other_facility)

    response = officer.post(MERGE, _merge_post(first, foreign, survivor=first, confirmed="on"))

    assert response.status_code == 404
    assert Patient.objects.get(pk=foreign.pk).status == Patient.Status.ACTIVE


@pytest.mark.django_db
def test_dismiss_takes_the_pair_off_the_worklist(officer, pair):
    candidate = DuplicateCandidate.objects.get()

    response = officer.post(
        reverse("duplicates:dismiss", kwargs={"pk": candidate.pk}), {"reason": "Sisters"}
    )

    assert response.status_code == 302
    assert response["Location"] == WORKLIST
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decision_reason) == ("not_duplicate", "Sisters")
    assert "No possible duplicates are waiting." in _text(officer.get(WORKLIST))


@pytest.mark.django_db
def test_dismiss_without_a_reason_is_refused(officer, pair):
    candidate = DuplicateCandidate.objects.get()

    response = officer.post(reverse("duplicates:dismiss", kwargs={"pk": candidate.pk}), {})

    assert response.status_code == 400
    assert DuplicateCandidate.objects.get().status == DuplicateCandidate.Status.OPEN


@pytest.mark.django_db
def test_merge_page_shows_the_survivor_with_the_merged_history_and_undoes(officer, pair):
    # given
    first, second = pair
    officer.post(MERGE, _merge_post(first, second, survivor=first, confirmed="on"))
    merge = PatientMerge.objects.get()
    page = reverse("duplicates:merge-detail", kwargs={"external_id": merge.external_id})

    # when
    shown = officer.get(page)

    # then
    text = _text(shown)
    assert f"MRN {second.mrn} merged into MRN {first.mrn}" in text
    assert f"from MRN {second.mrn}" in text  # the merged record's registration
    assert "Undo merge" in text

    # when
    undone = officer.post(
        reverse("duplicates:unmerge", kwargs={"external_id": merge.external_id}),
        {"reason": "Twins after all"},
    )

    # then
    assert undone.status_code == 302
    assert Patient.objects.get(pk=second.pk).status == Patient.Status.ACTIVE
    after = _text(officer.get(page))
    assert "the two records are separate again" in after
    assert "Undo merge" not in after


@pytest.mark.django_db
def test_undoing_twice_says_it_was_undone(officer, pair, make_user):
    first, second = pair
    merge = merging.merge_patients(
        actor=make_user("ward_manager"), survivor=first, merged=second, reason="Same"
    )
    undo = reverse("duplicates:unmerge", kwargs={"external_id": merge.external_id})
    officer.post(undo, {"reason": "Twins"})

    response = officer.post(undo, {"reason": "Twins"})

    assert response.status_code == 409
    assert "This merge was already undone" in _text(response)


@pytest.mark.django_db
def test_merge_record_of_another_facility_is_404(officer, other_facility):
    from hms.patients.tests.mpi_helpers import a_merge

    foreign = a_merge(other_facility)

    response = officer.get(
        reverse("duplicates:merge-detail", kwargs={"external_id": foreign.external_id})
    )

    assert response.status_code == 404
