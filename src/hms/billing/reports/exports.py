"""A report as a CSV or XLSX download: every table, its columns and rows as shown on
the page, money as numbers with two places."""

from __future__ import annotations

import csv
import io
from typing import Any

from hms.billing.reports.tables import DATE, MONEY, Column, Report

# Spreadsheets run a cell starting with these as a formula: a patient or department
# named "=HYPERLINK(...)" must stay text (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _cell(column: Column, value: Any) -> Any:
    if column.kind == MONEY:
        return value
    if column.kind == DATE:
        return value.isoformat()
    return value if isinstance(value, int) else _text(value)


def as_csv(report: Report) -> str:
    """The tables one after another, each under a line with its title, with a blank
    line between them."""
    out = io.StringIO()
    writer = csv.writer(out)
    for index, table in enumerate(report.tables):
        if index:
            writer.writerow([])
        if len(report.tables) > 1:
            writer.writerow([table.title])
        writer.writerow([c.label for c in table.columns])
        for row in table.rows:
            writer.writerow([_cell(c, row[c.key]) for c in table.columns])
        if table.totals is not None:
            writer.writerow(_total_row(table))
    return out.getvalue()


def _total_row(table) -> list[Any]:
    return ["Total" if i == 0 else table.totals.get(c.key, "") for i, c in enumerate(table.columns)]


def as_xlsx(report: Report) -> bytes:
    """One sheet per table; money cells are numbers formatted with two places."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(table.title[:31])
        sheet.append([c.label for c in table.columns])
        rows = [[_cell(c, row[c.key]) for c in table.columns] for row in table.rows]
        if table.totals is not None:
            rows.append(_total_row(table))
        for values in rows:
            sheet.append(values)
        for index, column in enumerate(table.columns, start=1):
            if column.kind == MONEY:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
