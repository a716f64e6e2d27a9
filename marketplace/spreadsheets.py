"""Cells for spreadsheet software that can never run as formulas (OWASP CSV injection,
ASVS 5.0 V1.2.10).

A text cell that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or a NUL would be read by
Excel or LibreOffice as a formula. In CSV such a cell is written with a leading apostrophe,
which spreadsheets show as text; the importer takes exactly one apostrophe off again, so an
export imports back to the same values. A cell that already starts with apostrophes before
such a character gets one more, so even it comes back unchanged. Plain numbers (`-1.5`)
are numbers, not formulas, and are written as they are. In XLSX a text cell is always a
string cell, never a formula, and one that starts like a formula carries the format's own
quote prefix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r\x00]")
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def _needs_quote(text: str) -> bool:
    if _PLAIN_NUMBER.match(text):
        return False
    return text.startswith(TRIGGERS) or bool(_ESCAPED.match(text))


def csv_cell(value) -> str:
    """A value as a CSV cell that spreadsheet software shows as text."""
    text = "" if value is None else str(value)
    return "'" + text if _needs_quote(text) else text


def from_csv_cell(text: str) -> str:
    """Undo `csv_cell` (the importer's side of the round trip)."""
    return text[1:] if _ESCAPED.match(text) else text


def csv_row(values: Iterable) -> list[str]:
    return [csv_cell(v) for v in values]


def people_csv(rows: Iterable[Iterable], french: bool) -> bytes:
    """Rows for spreadsheet software as the page's language opens them: in French,
    `;`-separated UTF-8 with a byte-order mark (what French Excel splits into columns and
    reads with its accents); in English, `,`-separated. Every cell through `csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if french else ",", lineterminator="\r\n")
    for row in rows:
        writer.writerow(csv_row(row))
    body = out.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + body) if french else body


def xlsx_append(sheet, values: Iterable, font=None) -> None:
    """Append a row to an openpyxl sheet (a write-only one too): numbers stay numbers, dates
    are date cells, text is never a formula (and loses the control characters the XLSX
    format cannot hold); `font` styles every cell of the row."""
    row = []
    for value in values:
        if isinstance(value, date):  # a date cell, shown as the French write it
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "DD/MM/YYYY"
            if font is not None:
                cell.font = font
            value = cell
        elif font is not None and not isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = font
            value = cell
        elif isinstance(value, str):
            # The cell is made here rather than found again after append(): reading
            # sheet[sheet.max_row] scans every cell, which made a long sheet quadratic.
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
            if _needs_quote(cell.value):
                cell.quotePrefix = True  # XLSX's own leading apostrophe: shown as text
            if font is not None:
                cell.font = font
            value = cell
        row.append(value)
    sheet.append(row)
