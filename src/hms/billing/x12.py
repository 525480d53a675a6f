"""Claims as an X12 837P (005010X222A1) interchange, and its check with pyx12.

One interchange holds one transaction set for one payer: the facility is the
submitter and the billing provider, the payer the receiver; each claim is one
subscriber loop (2000B) with its claim (2300) and one service line (2400) per invoice
line. CLM02 is the invoice total, the sum of the lines, as X12 defines the claim's
charge; AMT*F5 is the patient's portion, so the payer is asked for CLM02 - F5, the
claim's amount. When the patient is the policyholder's dependant, loop 2000B names
the policyholder (from the coverage) and loop 2000C the patient.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hms.billing.models import Claim, Payer
    from hms.core.models import Facility

# Delimiters: the element, component and segment separators and the repetition mark
# may never appear inside a value.
_UNSAFE = re.compile(r"[*:~^\r\n]")
_SEX = {"male": "M", "female": "F"}
# Coverage.relationship to the 837's PAT01 (individual relationship code).
_PATIENT_RELATIONSHIP = {"spouse": "01", "child": "19", "parent": "G8", "other": "G8"}


class ProviderNotConfigured(ValueError):
    """HMS_BILLING_NPI or HMS_BILLING_TAX_ID is missing or wrong; the message says which."""


def npi_is_valid(npi: str) -> bool:
    """A national provider number: ten digits whose last is the Luhn check digit of
    the other nine behind the prefix 80840 (CMS, NPI check digit calculation)."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    total = 0
    for position, digit in enumerate(reversed("80840" + npi)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@dataclass(frozen=True)
class Provider:
    """What the payer needs to know about the billing provider that the facility row
    does not hold: the national provider number and tax id, and a postal address."""

    npi: str
    tax_id: str
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = "0000000000"

    @classmethod
    def from_settings(cls) -> Provider:
        """The provider of settings HMS_BILLING_NPI and HMS_BILLING_TAX_ID, checked."""
        from django.conf import settings  # noqa: PLC0415 - the writer itself needs no Django

        npi, tax_id = settings.HMS_BILLING_NPI, settings.HMS_BILLING_TAX_ID
        if not npi_is_valid(npi):
            raise ProviderNotConfigured(
                f"HMS_BILLING_NPI={npi!r} is not a national provider number: ten digits "
                "with a valid check digit are needed to send claims."
            )
        if not re.fullmatch(r"\d{9}", tax_id):
            raise ProviderNotConfigured(
                f"HMS_BILLING_TAX_ID={tax_id!r} is not a tax id: nine digits are needed."
            )
        return cls(npi=npi, tax_id=tax_id)


def _v(value: object, limit: int = 60) -> str:
    return _UNSAFE.sub(" ", str(value)).strip().upper()[:limit]


def _money(value) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


class _Segments:
    def __init__(self) -> None:
        self.rows: list[str] = []

    def add(self, *elements: object) -> None:
        values = [str(e) for e in elements]
        while values and values[-1] == "":  # trailing empty elements are left off
            values.pop()
        self.rows.append("*".join(values))


def write_837p(  # noqa: PLR0913 - the interchange's parties and numbers, all by keyword
    claims: Iterable[Claim],
    *,
    facility: Facility,
    payer: Payer,
    control_number: int,
    provider: Provider | None = None,
    now: dt.datetime,
    production: bool = True,
) -> str:
    """The 837P interchange for `claims` (all of `payer`), segments one per line."""
    provider = provider or Provider.from_settings()
    claims = list(claims)
    sender, receiver = _v(facility.code, 15), _v(payer.x12_payer_id or payer.code, 15)
    ctl = f"{control_number:09d}"
    head = _Segments()
    head.add(
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ",
        receiver.ljust(15), now.strftime("%y%m%d"), now.strftime("%H%M"), "^", "00501",
        ctl, "0", "P" if production else "T", ":",
    )  # fmt: skip
    head.add("GS", "HC", sender, receiver, now.strftime("%Y%m%d"), now.strftime("%H%M"),
             control_number, "X", "005010X222A1")  # fmt: skip
    body = _Segments()
    body.add("ST", "837", "0001", "005010X222A1")
    body.add("BHT", "0019", "00", ctl, now.strftime("%Y%m%d"), now.strftime("%H%M"), "CH")
    body.add("NM1", "41", "2", _v(facility.name), "", "", "", "", "46", sender)
    body.add("PER", "IC", "BILLING OFFICE", "TE", re.sub(r"\D", "", provider.phone)[:20])
    body.add("NM1", "40", "2", _v(payer.name), "", "", "", "", "46", receiver)
    body.add("HL", "1", "", "20", "1")
    body.add("NM1", "85", "2", _v(facility.name), "", "", "", "", "XX", _v(provider.npi))
    body.add("N3", _v(provider.street or facility.address or facility.name, 55))
    body.add("N4", _v(provider.city or facility.name, 30), _v(provider.state, 2),
             _v(provider.postal_code, 15))  # fmt: skip
    body.add("REF", "EI", _v(provider.tax_id))
    hl = 2
    for claim in claims:
        hl = _claim(body, claim, hl)
    body.add("SE", str(len(body.rows) + 1), "0001")
    tail = _Segments()
    tail.add("GE", "1", control_number)
    tail.add("IEA", "1", ctl)
    return "".join(f"{row}~\n" for row in head.rows + body.rows + tail.rows)


def _claim(out: _Segments, claim: Claim, hl: int) -> int:
    """Write one claim from loop 2000B on; return the next HL number."""
    invoice, coverage, patient = claim.invoice, claim.coverage, claim.invoice.patient
    dependant = coverage.relationship != "self"
    out.add("HL", hl, "1", "22", "1" if dependant else "0")
    out.add("SBR", "P", "" if dependant else "18", _v(coverage.plan.code, 50), "", "", "", "",
            "", "CI")  # fmt: skip
    if dependant:
        _subscriber(out, coverage.subscriber_family_name, coverage.subscriber_given_name,
                    coverage.subscriber_birth_date, "", coverage.member_id)  # fmt: skip
    else:
        _subscriber(out, patient.family_name, patient.given_name, patient.birth_date,
                    patient.sex, coverage.member_id)  # fmt: skip
    payer = claim.payer
    out.add("NM1", "PR", "2", _v(payer.name), "", "", "", "", "PI",
            _v(payer.x12_payer_id or payer.code, 80))  # fmt: skip
    if dependant:
        # Loop 2000C: the patient, the subscriber's dependant.
        out.add("HL", hl + 1, hl, "23", "0")
        out.add("PAT", _PATIENT_RELATIONSHIP.get(coverage.relationship, "G8"))
        address = patient.address or {}
        out.add("NM1", "QC", "1", _v(patient.family_name) or _v(patient.given_name),
                _v(patient.given_name, 35))  # fmt: skip
        out.add("N3", _v(address.get("line", ""), 55))
        out.add("N4", _v(address.get("city", ""), 30), _v(address.get("state", ""), 2),
                _v(address.get("postal_code", ""), 15))  # fmt: skip
        if patient.birth_date:
            out.add("DMG", "D8", patient.birth_date.strftime("%Y%m%d"), _SEX.get(patient.sex, "U"))
    # A corrected claim replaces the one the payer holds (frequency 7) and quotes the
    # payer's number for it; without that number it goes as a new claim (1).
    replaces = claim.attempt > 1 and bool(claim.payer_claim_number)
    out.add("CLM", _v(claim.control_number, 38), _money(invoice.total), "", "",
            f"11:B:{'7' if replaces else '1'}", "Y", "A", "Y", "Y")  # fmt: skip
    if invoice.patient_amount:
        out.add("AMT", "F5", _money(invoice.patient_amount))
    if replaces:
        out.add("REF", "F8", _v(claim.payer_claim_number, 50))
    codes = [c.replace(".", "") for c in claim.diagnosis_codes]
    if codes:
        out.add("HI", f"ABK:{codes[0]}", *(f"ABF:{c}" for c in codes[1:]))
    for line in invoice.lines.select_related("charge__item").order_by("position"):
        out.add("LX", line.position)
        quantity = f"{line.quantity.normalize():f}"
        out.add("SV1", f"HC:{_v(line.charge.item.code, 48)}", _money(line.line_total), "UN",
                quantity, "", "", "1")  # fmt: skip
        out.add("DTP", "472", "D8", line.charge.service_date.strftime("%Y%m%d"))
    return hl + 2 if dependant else hl + 1


def _subscriber(out: _Segments, family: str, given: str, born, sex: str, member_id: str) -> None:
    """NM1 and DMG of the subscriber (loop 2010BA)."""
    out.add("NM1", "IL", "1", _v(family) or _v(given), _v(given, 35), "", "", "", "MI",
            _v(member_id, 80))  # fmt: skip
    if born:
        out.add("DMG", "D8", born.strftime("%Y%m%d"), _SEX.get(sex, "U"))


@dataclass(frozen=True)
class Check:
    ok: bool
    errors: list[str]


def validate_837(text: str) -> Check:
    """Run pyx12 over an interchange: ok, or every error it found, each as
    "line N: CODE text"."""
    import pyx12.errors  # noqa: PLC0415 - only the export and its tests need pyx12
    import pyx12.params  # noqa: PLC0415
    import pyx12.x12n_document  # noqa: PLC0415

    report = io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), io.StringIO(), None, None, report
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:  # no map, no envelope
        return Check(ok=False, errors=[str(exc)])
    errors = list(_errors(json.loads(report.getvalue() or "{}")))
    return Check(ok=bool(ok) and not errors, errors=errors)


def _errors(node) -> Iterable[str]:
    """The errors anywhere in pyx12's JSON report, which nests them per interchange,
    group, transaction, segment and element."""
    if isinstance(node, dict):
        for error in node.get("errors") or []:
            if isinstance(error, dict):
                line = error.get("cur_line", node.get("cur_line", "?"))
                code = error.get("err_cde") or error.get("code", "")
                text = error.get("err_str") or error.get("message", "")
                yield f"line {line}: {code} {text}".strip()
            else:
                yield str(error)
        for key, value in node.items():
            if key != "errors" and isinstance(value, list | dict):
                yield from _errors(value)
    elif isinstance(node, list):
        for item in node:
            yield from _errors(item)
