"""Claims leave as files: an X12 837P interchange that pyx12 accepts and that holds
the claims' amounts, or a FHIR R4 Bundle of Claims that fhir.resources accepts;
`hms claims export` submits what it writes, and only what is ready."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.bundle import Bundle

from hms.billing import x12
from hms.billing.fhir_claims import PAYER_PORTION, claims_bundle
from hms.billing.models import Claim
from hms.billing.services import claims
from hms.billing.tests.claim_helpers import covered_claim, payer_and_plan
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.patients.testing import registered

TESTDATA = Path(__file__).resolve().parents[5] / "shared" / "testdata" / "x12-pyx12"
NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def payer_plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)


def segments(text: str, tag: str) -> list[list[str]]:
    rows = [row.strip().split("*") for row in text.split("~") if row.strip()]
    return [row for row in rows if row[0] == tag]


def two_claims(clerk, facility, plan):
    first = covered_claim(clerk, registered(facility), plan)
    hostile = registered(facility, given_name="Ann*e~", family_name="O:Brien^")
    second = covered_claim(clerk, hostile, plan, diagnosis_codes=["E11.9", "I10"])
    return [first, second]


def test_the_837_validates_with_pyx12_and_holds_the_amounts(facility, clerk, payer_plan):
    payer, plan = payer_plan
    batch = two_claims(clerk, facility, plan)

    text = x12.write_837p(batch, facility=facility, payer=payer, control_number=7, now=NOW)

    check = x12.validate_837(text)
    assert check.ok, check.errors
    clms = segments(text, "CLM")
    assert [row[1] for row in clms] == [c.control_number for c in batch]
    amounts = [Decimal(row[2]) for row in clms]
    patient_paid = [Decimal(row[2]) for row in segments(text, "AMT")]
    for claim, charged, patient in zip(batch, amounts, patient_paid, strict=True):
        assert charged == claim.invoice.total
        assert charged - patient == claim.amount  # the payer's portion asked for
    lines = [Decimal(row[2]) for row in segments(text, "SV1")]
    assert sum(lines) == sum(amounts)
    assert segments(text, "HI")[1] == ["HI", "ABK:E119", "ABF:I10"]
    names = {row[1]: row for row in segments(text, "NM1")}  # the last of each kind
    assert names["IL"][3:5] == ["O BRIEN", "ANN E"]  # no delimiter slipped through
    assert names["PR"][-1] == "AAR01"  # the payer's X12 id


def test_the_validator_catches_a_broken_file(facility, clerk, payer_plan):
    payer, plan = payer_plan
    text = x12.write_837p(
        [covered_claim(clerk, registered(facility), plan)],
        facility=facility,
        payer=payer,
        control_number=1,
        now=NOW,
    )
    broken = text.replace("CLM*" + Claim.objects.get().control_number + "*2856", "CLM*X*ABC")

    check = x12.validate_837(broken)

    assert not check.ok
    assert any("CLM02" in error for error in check.errors)
    assert not x12.validate_837("not an interchange").ok


@pytest.mark.skipif(not TESTDATA.exists(), reason="shared/testdata/x12-pyx12 is not here")
def test_the_validator_agrees_with_pyx12s_own_samples():
    assert x12.validate_837((TESTDATA / "valid-4010" / "simple_837p.txt").read_text()).ok
    for name in ["bad_elements", "trailer_errors", "fail_no_IEA", "loop_counting"]:
        assert not x12.validate_837((TESTDATA / "negative" / f"{name}.txt").read_text()).ok


def test_the_fhir_bundle_validates_and_holds_the_amounts(facility, clerk, payer_plan):
    _, plan = payer_plan
    batch = two_claims(clerk, facility, plan)

    bundle = claims_bundle(batch, now=NOW)

    wire = json.loads(bundle.model_dump_json(exclude_none=True))
    again = Bundle.model_validate(wire)
    assert again.type == "collection"
    resources = [entry["resource"] for entry in wire["entry"]]
    for claim, resource in zip(batch, resources, strict=True):
        assert resource["resourceType"] == "Claim"
        assert resource["identifier"][0]["value"] == claim.control_number
        assert Decimal(str(resource["total"]["value"])) == claim.invoice.total
        [portion] = resource["extension"]
        assert portion["url"] == PAYER_PORTION
        assert Decimal(str(portion["valueMoney"]["value"])) == claim.amount
        net = sum(Decimal(str(item["net"]["value"])) for item in resource["item"])
        assert net == claim.invoice.total
    assert [
        d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in resources[1]["diagnosis"]
    ] == [
        "E11.9",
        "I10",
    ]


@pytest.mark.parametrize("file_format", ["x12", "fhir"])
def test_export_submits_what_is_ready_and_leaves_the_rest(
    facility, clerk, payer_plan, tmp_path, capsys, file_format
):
    _, plan = payer_plan
    ready = covered_claim(clerk, registered(facility), plan)
    patient = registered(facility, given_name="Wanjiru")
    covered_claim(clerk, patient, plan)
    not_ready = claims.build_claim(actor=clerk, invoice=final_invoice_for(clerk, patient))
    out = tmp_path / f"batch.{file_format}"

    call_command("claims", "export", "--payer", "AAR", "--format", file_format, "--out", str(out))

    captured = capsys.readouterr()
    assert "2 claims for AAR" in captured.out
    assert f"left out {not_ready.control_number}: MISSING_DIAGNOSIS" in captured.err
    statuses = dict(Claim.objects.values_list("control_number", "status"))
    assert statuses[ready.control_number] == "submitted"
    assert statuses[not_ready.control_number] == "draft"
    text = out.read_text()
    if file_format == "x12":
        assert x12.validate_837(text).ok
        assert len(segments(text, "CLM")) == 2
    else:
        assert len(Bundle.model_validate_json(text).entry) == 2

    # Run again: nothing is ready, nothing is written, nothing changes.
    out.unlink()
    with pytest.raises(CommandError, match="No draft claim"):
        call_command(
            "claims", "export", "--payer", "AAR", "--format", file_format, "--out", str(out)
        )
    assert not out.exists()


def test_export_of_an_unknown_payer_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No payer NOPE"):
        call_command(
            "claims", "export", "--payer", "NOPE", "--format", "x12", "--out", str(tmp_path / "f")
        )


def test_the_interchange_numbers_count_on(facility, clerk, payer_plan, tmp_path):
    _, plan = payer_plan
    numbers = []
    for n in range(2):
        covered_claim(clerk, registered(facility, given_name=f"P{n}"), plan)
        out = tmp_path / f"{n}.x12"
        call_command("claims", "export", "--payer", "AAR", "--format", "x12", "--out", str(out))
        numbers.append(segments(out.read_text(), "ISA")[0][13])
    assert numbers == ["000000001", "000000002"]
