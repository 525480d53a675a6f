"""Remittance advice as X12 835 (005010X221A1): read and checked with pyx12, and
written (for tests, demonstration data and trials with a clearinghouse).

One transaction set (ST..SE) is one payment: the BPR says how much and how, the TRN
gives its trace number (the cheque or EFT number), the N1*PR loop names the payer,
and each CLP loop says what became of one claim, with its CAS adjustments. Service
lines (SVC) are not read: their CAS segments are counted with their claim's, since
together they explain the difference between what was charged and what was paid.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

# The elements a posting is made from: a pyx12 error in one of them refuses the file.
# Errors elsewhere (a missing contact segment, a service line it cannot place) do not
# change what is posted and are reported as warnings, as payers' files often have some.
_POSTED_ELEMENTS = {"BPR": {2}, "TRN": {2}, "CLP": {1, 2, 3, 4, 5, 7}, "CAS": set(range(1, 20))}
_UNSAFE = re.compile(r"[*:~^\r\n]")
# CLP02: 1-3 processed as primary, secondary, tertiary; 4 denied; 19-21 processed and
# forwarded; 22 reversal of a previous payment; 23 not our claim, forwarded.
CLAIM_STATUS_CODES = {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"}
ADJUSTMENT_GROUPS = {"CO", "CR", "OA", "PI", "PR"}


class Malformed835(ValueError):
    """The file is not a readable 835; the message says what is wrong and where."""


@dataclass(frozen=True)
class Adjustment:
    group: str  # CAS01: CO contractual, OA other, PI payer initiated, PR patient
    reason: str  # the claim adjustment reason code (CARC)
    amount: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"group": self.group, "reason": self.reason, "amount": str(self.amount)}


@dataclass(frozen=True)
class ClaimPayment:
    """One CLP loop. The patient's names and member id are written, not read."""

    control_number: str  # CLP01, our CLM01
    status_code: str  # CLP02
    charged: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal = Decimal(0)  # CLP05
    payer_claim_number: str = ""  # CLP07
    adjustments: tuple[Adjustment, ...] = ()
    patient_family_name: str = ""
    patient_given_name: str = ""
    member_id: str = ""


@dataclass(frozen=True)
class Payment:
    """One 835 transaction set."""

    trace_number: str  # TRN02
    total_paid: Decimal  # BPR02
    method: str  # BPR04: ACH, CHK, FWT, BOP, NON
    payment_date: dt.date | None  # BPR16
    payer_name: str  # N1*PR N102
    payer_ids: tuple[str, ...]  # N1*PR N104 and REF*2U
    claims: tuple[ClaimPayment, ...]


@dataclass(frozen=True)
class Advice:
    payments: list[Payment]
    warnings: list[str] = field(default_factory=list)


def read_835(text: str) -> Advice:
    """The payments of an 835 interchange, once pyx12 has checked it. Raises
    Malformed835 for a file that is not an 835, whose envelope is broken, or whose
    posted elements pyx12 rejects; the other errors pyx12 finds come back as warnings."""
    if not text.lstrip().startswith("ISA"):
        raise Malformed835("The file is not an X12 interchange: it does not start with ISA.")
    segments = _segments(text)
    for seg in segments:
        tag = seg.get_seg_id()
        kind = seg.get_value(f"{tag}01") if tag in ("GS", "ST") else None
        if kind not in (None, "HP", "835"):
            raise Malformed835(f"The file holds {tag} {kind[:5]}, not an 835 remittance.")
    fatal, warnings = _check(text)
    if fatal:
        raise Malformed835("The 835 failed validation: " + "; ".join(fatal[:5]))
    reader = _Reader(warnings)
    payments = [payment for seg in segments for payment in reader.take(seg)]
    if not payments:
        raise Malformed835("The file holds no 835 transaction.")
    return Advice(payments=payments, warnings=warnings)


def _check(text: str) -> tuple[list[str], list[str]]:
    import pyx12.errors  # noqa: PLC0415 - only imports and their tests need pyx12
    import pyx12.params  # noqa: PLC0415
    import pyx12.x12n_document  # noqa: PLC0415

    report = io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, None, report
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:
        return [str(exc)], []
    fatal: list[str] = []
    warnings: list[str] = []
    _sort_errors(json.loads(report.getvalue() or "{}"), fatal, warnings)
    if not ok and not fatal and not warnings:
        fatal.append("pyx12 rejected the interchange without saying why")
    return fatal, warnings


def _sort_errors(report: dict, fatal: list[str], warnings: list[str]) -> None:
    """Envelope errors (counts, control numbers, unterminated loops) are fatal; in the
    segments, only errors in the elements a posting is made from."""
    for isa in report.get("interchanges") or []:
        fatal.extend(_texts(isa, isa.get("cur_line")))
        for gs in isa.get("groups") or []:
            fatal.extend(_texts(gs, gs.get("cur_line")))
            for st in gs.get("transactions") or []:
                fatal.extend(_texts(st, st.get("cur_line")))
                for seg in st.get("segments") or []:
                    line = seg.get("cur_line")
                    warnings.extend(_texts(seg, line))
                    posted = _POSTED_ELEMENTS.get(seg.get("seg_id"), set())
                    for element in seg.get("elements") or []:
                        into = fatal if element.get("ele_pos") in posted else warnings
                        into.extend(_texts(element, line))


def _texts(node: dict, line) -> Iterator[str]:
    for error in node.get("errors") or []:
        if isinstance(error, dict):
            text = error.get("err_str") or error.get("message") or error.get("err_cde", "")
            yield f"line {line if line is not None else '?'}: {text}"
        else:
            yield str(error)


def _segments(text: str) -> list:
    import pyx12.errors  # noqa: PLC0415
    import pyx12.x12file  # noqa: PLC0415

    try:
        return list(pyx12.x12file.X12Reader(io.StringIO(text)))
    except pyx12.errors.X12Error as exc:
        raise Malformed835(f"The file is not a readable X12 interchange: {exc}") from None


class _Reader:
    """Walks the segments in order, keeping what the posting needs."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.head: dict = {}
        self.claims: list[dict] = []
        self.in_payer = False

    def take(self, seg) -> Iterator[Payment]:
        tag = seg.get_seg_id()
        value = seg.get_value
        if tag == "ST":
            self.head, self.claims, self.in_payer = {"payer_ids": []}, [], False
        elif tag == "BPR":
            self.head["total_paid"] = _amount(value("BPR02"), "BPR02")
            self.head["method"] = (value("BPR04") or "")[:3]
            self.head["payment_date"] = self._date(value("BPR16"))
        elif tag == "TRN" and "trace_number" not in self.head:
            self.head["trace_number"] = (value("TRN02") or "").strip()
        elif tag == "N1":
            self._party(value)
        elif tag == "REF" and self.in_payer and value("REF01") == "2U":
            self.head["payer_ids"].append((value("REF02") or "").strip())
        elif tag == "CLP":
            self.claims.append(_claim(value))
        elif tag == "CAS" and self.claims:
            self.claims[-1]["adjustments"].extend(_adjustments(value))
        elif tag == "SE":
            yield self._payment()

    def _party(self, value) -> None:
        self.in_payer = value("N101") == "PR"
        if self.in_payer:
            self.head["payer_name"] = (value("N102") or "").strip()
            if value("N104"):
                self.head["payer_ids"].append(value("N104").strip())

    def _date(self, text: str | None) -> dt.date | None:
        try:
            return dt.datetime.strptime(text or "", "%Y%m%d").date()  # noqa: DTZ007 - a day
        except ValueError:
            self.warnings.append(f"BPR16: no payment date ({text or 'missing'}); none kept.")
            return None

    def _payment(self) -> Payment:
        if "total_paid" not in self.head:
            raise Malformed835("A transaction has no BPR segment (the payment).")
        if not self.head.get("trace_number"):
            raise Malformed835("A transaction has no TRN trace number (TRN02).")
        return Payment(
            trace_number=self.head["trace_number"][:50],
            total_paid=self.head["total_paid"],
            method=self.head["method"],
            payment_date=self.head["payment_date"],
            payer_name=self.head.get("payer_name", ""),
            payer_ids=tuple(i for i in self.head["payer_ids"] if i),
            claims=tuple(
                ClaimPayment(**{**c, "adjustments": tuple(c["adjustments"])}) for c in self.claims
            ),
        )


def _amount(text: str | None, where: str) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise Malformed835(f"{where} is not an amount: {str(text)[:20]!r}.") from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise Malformed835(f"{where} is not an amount: {str(text)[:20]!r}.")
    return value.quantize(Decimal("0.01"))


def _claim(value) -> dict:
    number = (value("CLP01") or "").strip()
    status = (value("CLP02") or "").strip()
    if not number:
        raise Malformed835("A CLP segment has no claim number (CLP01).")
    if status not in CLAIM_STATUS_CODES:
        raise Malformed835(f"Claim {number[:38]}: CLP02 {status[:5]!r} is not a status code.")
    return {
        "control_number": number[:38],
        "status_code": status,
        "charged": _amount(value("CLP03"), f"CLP03 of claim {number[:38]}"),
        "paid": _amount(value("CLP04"), f"CLP04 of claim {number[:38]}"),
        "patient_responsibility": _amount(value("CLP05") or "0", f"CLP05 of {number[:38]}"),
        "payer_claim_number": (value("CLP07") or "").strip()[:50],
        "adjustments": [],
    }


def _adjustments(value) -> Iterator[Adjustment]:
    group = (value("CAS01") or "").strip()
    if group not in ADJUSTMENT_GROUPS:
        raise Malformed835(f"CAS01 {group[:5]!r} is not an adjustment group code.")
    # Up to six reason/amount/quantity triplets: CAS02-04, CAS05-07, ... CAS17-19.
    for first in range(2, 20, 3):
        reason = (value(f"CAS{first:02d}") or "").strip()
        if reason:
            amount = _amount(value(f"CAS{first + 1:02d}"), f"CAS{first + 1:02d}")
            yield Adjustment(group=group, reason=reason[:5], amount=amount)


# Writing ------------------------------------------------------------------------


def _v(value: object, limit: int = 60) -> str:
    return _UNSAFE.sub(" ", str(value)).strip().upper()[:limit]


def _money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def write_835(  # noqa: PLR0913 - the payment's parties and numbers, all by keyword
    claims: Iterable[ClaimPayment],
    *,
    payer_name: str,
    payer_id: str,
    payee_name: str,
    payee_npi: str,
    trace_number: str,
    control_number: int,
    now: dt.datetime,
    payment_date: dt.date | None = None,
    production: bool = True,
) -> str:
    """One 835 interchange paying (or denying) `claims` in one payment, by cheque, or a
    notice of no payment when nothing is paid; segments one per line."""
    claims = list(claims)
    if not claims:
        raise ValueError("An 835 pays or denies at least one claim.")
    total = sum((c.paid for c in claims), start=Decimal(0))
    sender, receiver = _v(payer_id, 15), _v(payee_npi, 15)
    ctl, day = f"{control_number:09d}", (payment_date or now.date()).strftime("%Y%m%d")
    rows: list[list[object]] = [
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ",
         receiver.ljust(15), now.strftime("%y%m%d"), now.strftime("%H%M"), "^", "00501",
         ctl, "0", "P" if production else "T", ":"],
        ["GS", "HP", sender, receiver, now.strftime("%Y%m%d"), now.strftime("%H%M"),
         control_number, "X", "005010X221A1"],
    ]  # fmt: skip
    body: list[list[object]] = [["ST", "835", "0001"]]
    if total:
        body.append(["BPR", "I", _money(total), "C", "CHK", *[""] * 11, day])
    else:
        body.append(["BPR", "H", "0", "C", "NON", *[""] * 11, day])
    digits = re.sub(r"\D", "", payer_id).rjust(9, "0")[-9:]
    body += [
        ["TRN", "1", _v(trace_number, 50), f"1{digits}"],
        ["DTM", "405", now.strftime("%Y%m%d")],
        ["N1", "PR", _v(payer_name), "XV", _v(payer_id, 80)],
        ["N3", "CLAIMS OFFICE"],
        ["N4", "NAIROBI", "", "", "KE"],
        ["REF", "2U", _v(payer_id, 50)],
        ["PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"],
        ["N1", "PE", _v(payee_name), "XX", _v(payee_npi, 80)],
    ]
    body.append(["LX", "1"])
    for claim in claims:
        body += _claim_rows(claim)
    body.append(["SE", len(body) + 1, "0001"])
    rows += [*body, ["GE", "1", control_number], ["IEA", "1", ctl]]
    return "".join(f"{_join(row)}~\n" for row in rows)


def _claim_rows(claim: ClaimPayment) -> list[list[object]]:
    rows: list[list[object]] = [
        ["CLP", _v(claim.control_number, 38), claim.status_code, _money(claim.charged),
         _money(claim.paid), _money(claim.patient_responsibility) if claim.patient_responsibility
         else "", "12", _v(claim.payer_claim_number or claim.control_number, 50), "11", "1"],
    ]  # fmt: skip
    groups: dict[str, list[Adjustment]] = {}
    for adjustment in claim.adjustments:
        groups.setdefault(adjustment.group, []).append(adjustment)
    for group, found in groups.items():
        # One CAS holds six reasons of a group; more take another CAS.
        for start in range(0, len(found), 6):
            row: list[object] = ["CAS", group]
            for adjustment in found[start : start + 6]:
                row += [_v(adjustment.reason, 5), _money(adjustment.amount), ""]
            rows.append(row)
    family = _v(claim.patient_family_name) or "UNKNOWN"
    rows.append(
        [
            "NM1",
            "QC",
            "1",
            family,
            _v(claim.patient_given_name, 35),
            "",
            "",
            "",
            "MI",
            _v(claim.member_id, 80) or "UNKNOWN",
        ]  # fmt: skip
    )
    return rows


def _join(row: list[object]) -> str:
    values = [str(e) for e in row]
    while values and values[-1] == "":  # trailing empty elements are left off
        values.pop()
    return "*".join(values)


def validate_835(text: str) -> list[str]:
    """Every error pyx12 finds in an 835, fatal to an import or not; none when valid."""
    fatal, warnings = _check(text)
    return fatal + warnings
