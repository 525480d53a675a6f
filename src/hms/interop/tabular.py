"""Patients from a spreadsheet (CSV or XLSX), read row by row through a YAML mapping.

The mapping names the source's columns for each PatientInput field, the date format,
how the source writes sex, marital status and yes/no, which columns hold identifiers
of which system, and next-of-kin columns (docs/import/example-mapping.yaml shows every
key). A `TableSource` reopens the file each time it is iterated, so the import can read
it twice (check, then write) without holding it: csv's reader and openpyxl's read-only
mode both stream.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hms.patients.importing import Problem, SourceRow
from hms.patients.inputs import INPUT_FIELDS, ContactInput, IdentifierInput, PatientInput

ADDRESS_PARTS = ("line", "city", "district", "state", "postal_code", "country")
BOOLEAN_FIELDS = {
    "consent_sms",
    "consent_email",
    "consent_research",
    "is_unknown",
    "is_deceased",
    "birth_date_estimated",
}
DATE_FIELDS = {"birth_date"}
DATETIME_FIELDS = {"deceased_at"}
NOT_MAPPED = {"identifiers", "contacts", "address"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TRUE = {"1", "true", "t", "yes", "y", "x"}
FALSE = {"0", "false", "f", "no", "n", ""}


class MappingError(Exception):
    """The mapping file is wrong, or does not fit the source's columns."""


@dataclass(frozen=True)
class Column:
    name: str
    format: str = ""  # strptime format for dates


@dataclass
class Mapping:
    external_id: str  # the column holding the source's stable id
    namespace: str  # written before it: "<namespace>:<id>"
    fields: dict[str, Column]  # PatientInput field (or address.part) -> column
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    identifiers: list[dict[str, str]] = field(default_factory=list)
    contacts: list[dict[str, str]] = field(default_factory=list)
    date_format: str = "%Y-%m-%d"
    sheet: str = ""

    def columns(self) -> set[str]:
        names = {self.external_id, *(c.name for c in self.fields.values())}
        names |= {i["column"] for i in self.identifiers}
        names |= {v for c in self.contacts for k, v in c.items() if k != "is_emergency"}
        return names


def load_mapping(path: Path) -> Mapping:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"Cannot read the mapping {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise MappingError("The mapping must be a YAML mapping (key: value lines).")
    if not raw.get("external_id"):
        raise MappingError(
            "external_id: name the column holding the source's own id for each patient; "
            "it makes a re-run skip the rows already imported."
        )
    fields = _columns(raw.get("columns") or {})
    if "given_name" not in fields:
        raise MappingError("columns: given_name is required.")
    identifiers = raw.get("identifiers") or []
    for item in identifiers:
        if not isinstance(item, dict) or not item.get("column") or not item.get("system"):
            raise MappingError("identifiers: each needs a column and a system.")
    contacts = raw.get("contacts") or []
    for item in contacts:
        if not isinstance(item, dict) or not item.get("name"):
            raise MappingError("contacts: each needs at least the name column.")
    values = {
        key: {str(k).strip().casefold(): str(v) for k, v in (table or {}).items()}
        for key, table in (raw.get("values") or {}).items()
    }
    return Mapping(
        external_id=str(raw["external_id"]),
        namespace=str(raw.get("namespace") or "import"),
        fields=fields,
        values=values,
        identifiers=identifiers,
        contacts=contacts,
        date_format=str(raw.get("date_format") or "%Y-%m-%d"),
        sheet=str(raw.get("sheet") or ""),
    )


def _columns(raw: dict) -> dict[str, Column]:
    fields: dict[str, Column] = {}
    for name, spec in raw.items():
        base = name.removeprefix("address.")
        if name.startswith("address.") and base not in ADDRESS_PARTS:
            raise MappingError(f"columns: unknown address part {base!r}.")
        if not name.startswith("address.") and (name not in INPUT_FIELDS or name in NOT_MAPPED):
            raise MappingError(f"columns: {name!r} is not a patient field.")
        if isinstance(spec, str):
            fields[name] = Column(spec)
        elif isinstance(spec, dict) and spec.get("column"):
            fields[name] = Column(str(spec["column"]), str(spec.get("format", "")))
        else:
            raise MappingError(f"columns: {name}: give a column name or {{column, format}}.")
    return fields


def _text(value: Any) -> str:
    """A cell as text; spreadsheets hold ID numbers as floats (12345678.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


class _Row:
    """One source row being turned into a PatientInput, collecting problems."""

    def __init__(self, mapping: Mapping, number: int, cells: dict[str, Any]):
        self.mapping, self.number, self.cells = mapping, number, cells
        self.problems: list[Problem] = []

    def cell(self, column: str) -> Any:
        return self.cells.get(column)

    def bad(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.number, name, message))

    def coded(self, name: str, raw: str) -> str:
        table = self.mapping.values.get(name, {})
        return table.get(raw.casefold(), raw.lower() if name == "sex" else raw)

    def boolean(self, name: str, raw: str) -> bool | None:
        text = self.mapping.values.get("booleans", {}).get(raw.casefold(), raw).casefold()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        self.bad(name, f"{raw!r} is not yes or no.")
        return None

    def date(self, name: str, value: Any, fmt: str) -> dt.date | dt.datetime | None:
        if isinstance(value, dt.datetime):
            return value if name in DATETIME_FIELDS else value.date()
        if isinstance(value, dt.date):
            return value
        raw = _text(value)
        if not raw:
            return None
        if name in DATE_FIELDS and fmt == "%Y-%m-%d" and _ISO_DATE.fullmatch(raw):
            # What strptime reads, twenty times faster (a bulk import reads millions).
            with suppress(ValueError):
                return dt.date.fromisoformat(raw)
        for pattern in dict.fromkeys((fmt, "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S")):
            try:
                parsed = dt.datetime.strptime(raw, pattern)  # noqa: DTZ007 - dates, local
            except ValueError:
                continue
            return parsed if name in DATETIME_FIELDS else parsed.date()
        self.bad(name, f"{raw!r} is not a date in the format {fmt}.")
        return None

    def value(self, name: str, column: Column) -> Any:
        """The cell for one patient field, as the field wants it (None: leave unset)."""
        value = self.cell(column.name)
        if name in DATE_FIELDS | DATETIME_FIELDS:
            parsed = self.date(name, value, column.format or self.mapping.date_format)
            if parsed and name in DATETIME_FIELDS and parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed
        if name in BOOLEAN_FIELDS:
            return self.boolean(name, _text(value))
        if name == "age_years":
            raw = _text(value)
            if not raw:
                return None
            try:
                return int(raw)
            except ValueError:
                self.bad(name, f"{raw!r} is not a whole number of years.")
                return None
        text = _text(value)
        return self.coded(name, text) if text else None  # empty sex: "unknown"

    def patient(self) -> PatientInput | None:
        kwargs: dict[str, Any] = {"sex": "unknown"}
        address: dict[str, str] = {}
        for name, column in self.mapping.fields.items():
            if name.startswith("address."):
                if text := _text(self.cell(column.name)):
                    address[name.removeprefix("address.")] = text
            elif (value := self.value(name, column)) is not None:
                kwargs[name] = value
        if address:
            kwargs["address"] = address
        kwargs["identifiers"] = tuple(
            IdentifierInput(
                system=str(item["system"]),
                value=_text(self.cell(item["column"])),
                assigner=str(item.get("assigner", "")),
            )
            for item in self.mapping.identifiers
            if _text(self.cell(item["column"]))
        )
        kwargs["contacts"] = tuple(self._contacts())
        if self.problems:
            return None
        return PatientInput(**kwargs)

    def _contacts(self) -> Iterator[ContactInput]:
        for item in self.mapping.contacts:
            name = _text(self.cell(item["name"]))
            if not name:
                continue
            yield ContactInput(
                name=name,
                relationship=_text(self.cell(item.get("relationship", ""))),
                phone=_text(self.cell(item.get("phone", ""))),
            )


class TableSource:
    """The rows of a CSV or XLSX file as SourceRows; iterate it as often as needed.

    Row numbers are the spreadsheet's: the header is row 1, the first patient row 2.
    """

    def __init__(self, path: Path, mapping: Mapping):
        self.path, self.mapping = path, mapping
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise MappingError("Import a .csv or .xlsx file.")

    def __iter__(self) -> Iterator[SourceRow]:
        for number, cells, broken in self._records():
            row = _Row(self.mapping, number, cells)
            external = _text(cells.get(self.mapping.external_id))
            if broken:
                row.bad("row", broken)
            data = row.patient()
            yield SourceRow(
                number=number,
                external_id=f"{self.mapping.namespace}:{external}" if external else "",
                data=data,
                problems=tuple(row.problems),
            )

    def _check_header(self, header: list[str]) -> None:
        missing = sorted(self.mapping.columns() - set(header))
        if missing:
            raise MappingError(f"{self.path.name} has no column {', '.join(missing)}.")

    def _records(self) -> Iterator[tuple[int, dict[str, Any], str]]:
        """(row number, cells by column, what is wrong with the row's shape)."""
        if self.path.suffix.lower() == ".csv":
            yield from self._csv_records()
            return
        from openpyxl import load_workbook

        book = load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = book[self.mapping.sheet] if self.mapping.sheet else book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = [_text(h) for h in next(rows, ())]
            self._check_header(header)
            for number, values in enumerate(rows, start=2):
                if any(v not in (None, "") for v in values):
                    yield number, dict(zip(header, values, strict=False)), ""
        finally:
            book.close()

    def _csv_records(self) -> Iterator[tuple[int, dict[str, Any], str]]:
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                header = [h.strip() for h in next(reader, [])]
                self._check_header(header)
                number = 1
                for values in reader:
                    # A quoted cell may span lines: number rows as the file's records.
                    number += 1
                    if not any(v.strip() for v in values):
                        continue
                    broken = ""
                    if len(values) != len(header):
                        broken = f"The row has {len(values)} cells; the header has {len(header)}."
                    yield number, dict(zip(header, values, strict=False)), broken
            except csv.Error as exc:
                raise MappingError(f"{self.path.name} line {reader.line_num}: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise MappingError(f"{self.path.name} is not UTF-8 text: {exc}") from exc
