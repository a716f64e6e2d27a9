"""Reading and writing import-format-v1 files (pure: no Flask, no database)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from marketplace.spreadsheets import csv_row, from_csv_cell

NEED_COLUMNS = (
    "ref",
    "sme",
    "siren",
    "title",
    "description",
    "skills",
    "category",
    "days",
    "postcode",
    "commune",
    "lat",
    "lon",
    "remote_ok",
    "earliest",
    "latest",
)
OFFER_COLUMNS = (
    "ref",
    "group",
    "expert",
    "expert_email",
    "title",
    "description",
    "skills",
    "category",
    "days",
    "postcode",
    "commune",
    "lat",
    "lon",
    "max_km",
    "remote_ok",
    "available_from",
    "available_until",
)
COLUMNS = {"needs": NEED_COLUMNS, "offers": OFFER_COLUMNS}
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class FileProblem(ValueError):
    """The file as a whole cannot be read (row 1 = the header)."""

    def __init__(self, message: str, row: int = 1, column: str = ""):
        super().__init__(message)
        self.row, self.column, self.message = row, column, message


def decode(raw: bytes, max_bytes: int = MAX_IMPORT_BYTES) -> str:
    """Bytes of an uploaded or local file as text; refuses empty, huge or binary files."""
    if len(raw) > max_bytes:
        raise FileProblem(
            f"the file is too large ({len(raw) / 1048576:.1f} MB; at most "
            f"{max_bytes // 1048576} MB)"
        )
    if not raw.strip():
        raise FileProblem("the file is empty")
    if b"\x00" in raw[:65536]:
        raise FileProblem("this is not a CSV text file (binary content)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FileProblem(
            f"the file is not UTF-8 text (byte {error.start + 1}, line {line}); "
            "save it as 'CSV UTF-8'"
        ) from error
    return text


def detect_delimiter(text: str) -> str:
    """',' as the format says, or ';' / tab as French spreadsheet software writes."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_rows(text: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, {column: text}) for each data row; header is row 1.

    The header must hold exactly the format's columns (any order, any case).
    """
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem("the file is empty") from None
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        raise FileProblem(f"missing column(s): {', '.join(missing)}", column=missing[0])
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise FileProblem(f"unknown column(s): {', '.join(unknown)}", column=unknown[0])
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise FileProblem(f"column(s) given twice: {', '.join(duplicated)}", column=duplicated[0])
    index = {name: names.index(name) for name in columns}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines that spreadsheets leave at the end
        if len(cells) != len(names):
            yield number, {"__width__": str(len(cells)), "__expected__": str(len(names))}
            continue
        # An exported cell that began with =, +, -, @ carries an apostrophe: take it off.
        yield number, {name: from_csv_cell(cells[i]) for name, i in index.items()}


def write_rows(columns: tuple[str, ...], rows: Iterable[dict[str, str]]) -> str:
    """CSV text in import format v1 (comma, RFC 4180 quoting, header row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(csv_row(row.get(c, "") for c in columns))
    return out.getvalue()
