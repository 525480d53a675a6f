"""Claims as an X12 837P (005010X222A1) interchange, and its check with pyx12.

One interchange holds one transaction set for one payer: the facility is the
submitter and the billing provider, the payer the receiver; each claim is one
subscriber loop (2000B) with its claim (2300) and one service line (2400) per invoice
line. CLM02 is the invoice total, the sum of the lines, as X12 defines the claim's
charge; AMT*F5 is the patient's portion, so the payer is asked for CLM02 - F5, the
claim's amount. The subscriber is always the patient: dependants' claims (loop 2000C)
are not written yet.
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


@dataclass(frozen=True)
class Provider:
    """What the payer needs to know about the billing provider that the facility row
    does not hold: the national provider number and tax id, and a postal address."""

    npi: str = "1234567893"  # a valid check digit; replace with the facility's own
    tax_id: str = "000000000"
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = "0000000000"


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
    provider = provider or Provider()
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
    for number, claim in enumerate(claims, start=2):
        _claim(body, claim, number)
    body.add("SE", str(len(body.rows) + 1), "0001")
    tail = _Segments()
    tail.add("GE", "1", control_number)
    tail.add("IEA", "1", ctl)
    return "".join(f"{row}~\n" for row in head.rows + body.rows + tail.rows)


def _claim(out: _Segments, claim: Claim, hl: int) -> None:
    invoice, coverage, patient = claim.invoice, claim.coverage, claim.invoice.patient
    out.add("HL", hl, "1", "22", "0")
    out.add("SBR", "P", "18", _v(coverage.plan.code, 50), "", "", "", "", "", "CI")
    family = _v(patient.family_name) or _v(patient.given_name)
    out.add("NM1", "IL", "1", family, _v(patient.given_name, 35), "", "", "", "MI",
            _v(coverage.member_id, 80))  # fmt: skip
    if patient.birth_date:
        out.add("DMG", "D8", patient.birth_date.strftime("%Y%m%d"), _SEX.get(patient.sex, "U"))
    payer = claim.payer
    out.add("NM1", "PR", "2", _v(payer.name), "", "", "", "", "PI",
            _v(payer.x12_payer_id or payer.code, 80))  # fmt: skip
    out.add("CLM", _v(claim.control_number, 38), _money(invoice.total), "", "", "11:B:1",
            "Y", "A", "Y", "Y")  # fmt: skip
    if invoice.patient_amount:
        out.add("AMT", "F5", _money(invoice.patient_amount))
    codes = [c.replace(".", "") for c in claim.diagnosis_codes]
    if codes:
        out.add("HI", f"ABK:{codes[0]}", *(f"ABF:{c}" for c in codes[1:]))
    for line in invoice.lines.select_related("charge__item").order_by("position"):
        out.add("LX", line.position)
        quantity = f"{line.quantity.normalize():f}"
        out.add("SV1", f"HC:{_v(line.charge.item.code, 48)}", _money(line.line_total), "UN",
                quantity, "", "", "1")  # fmt: skip
        out.add("DTP", "472", "D8", line.charge.service_date.strftime("%Y%m%d"))


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
