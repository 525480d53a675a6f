"""A records officer merges two records of one person from the duplicates worklist, by
keyboard, sees the surviving record with both histories, and undoes the merge."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

MERGE_TARGET = 6  # from anywhere to "merged": go to the worklist, open, reason, confirm


def report(line: str) -> None:
    """Show a measured action count in the test output (pytest -s)."""
    print(f"\n{line}")  # noqa: T201


@pytest.fixture
def two_records_of_one_person(facility):
    from hms.patients import merging
    from hms.patients.tests.mpi_helpers import register

    born = dt.date(1987, 3, 9)
    first = register(
        facility, given_name="Wanjiku", family_name="Mwangi", birth_date=born, phone="0722000111"
    )
    second = register(
        facility, given_name="Wanjiku", family_name="Mwangy", birth_date=born, phone="0733000222"
    )
    merging.scan_for_duplicates(facility=facility)
    return first, second


def test_records_officer_merges_from_the_worklist_and_undoes_it(
    page, actions, sign_in, site, make_user, screenshot, two_records_of_one_person, wait_for
):
    from hms.patients.models import Patient, PatientMerge

    first, second = two_records_of_one_person
    make_user("ward_manager", username="halima")
    sign_in("halima")
    expect(page).to_have_url(site("/"))
    actions.reset()

    # When she opens the worklist (the home page's cursor is in the patient search box)
    actions.click(
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile("^Duplicates")
        )
    )

    # Then the pair is listed side by side with its score and why
    expect(page.get_by_role("heading", name="Possible duplicate records")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=first.mrn)
    expect(row).to_contain_text(second.mrn)
    expect(row).to_contain_text("family name spelt alike")
    screenshot("merge-01-worklist")

    # When she opens the first pair (its Compare button has the focus)
    expect(page.get_by_role("link", name="Compare")).to_be_focused()
    actions.press("Enter")

    # Then both records are side by side, the first registered chosen to be kept
    expect(page.get_by_role("heading", name="Compare two records")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile(first.mrn))).to_be_checked()
    reason = page.get_by_label("Why are they the same person?")
    expect(reason).to_be_focused()

    # When she says why and presses Enter
    actions.fill(reason, "Same person: surname mistyped at the second visit")
    actions.press("Enter")

    # Then she is asked to confirm, with the confirm button focused
    confirm = page.get_by_role("button", name=f"Confirm: merge {second.mrn} into {first.mrn}")
    expect(confirm).to_be_focused()
    screenshot("merge-02-confirm")
    actions.press("Enter")

    # Then the merge record shows the survivor, with the merged record's history
    expect(
        page.get_by_role("heading", name=f"MRN {second.mrn} merged into MRN {first.mrn}")
    ).to_be_visible()
    kept = page.locator("section.survivor")
    expect(kept.get_by_role("heading", name="Kept")).to_be_visible()
    expect(kept.get_by_role("link", name="Wanjiku Mwangi")).to_be_visible()
    expect(page.get_by_text(f"from MRN {second.mrn}").first).to_be_visible()
    merged_in = actions.reset()
    report(f"merge from the home page to merged: {merged_in} actions (target {MERGE_TARGET})")
    assert merged_in <= MERGE_TARGET
    assert Patient.objects.get(pk=second.pk).merged_into_id == first.pk
    screenshot("merge-03-merged")

    # When she undoes it
    actions.fill(page.get_by_label("Why undo this merge?"), "Wrong pair: sisters")
    actions.click(page.get_by_role("button", name="Undo merge"))

    # Then the records are separate again
    expect(page.get_by_text("the two records are separate again")).to_be_visible()
    assert wait_for(lambda: Patient.objects.get(pk=second.pk).status == Patient.Status.ACTIVE)
    assert PatientMerge.objects.get().undone_at is not None
    screenshot("merge-04-undone")
