"""Spreadsheet cells never run as formulas, and the importer undoes exactly what was added."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from marketplace.spreadsheets import csv_cell, from_csv_cell, xlsx_append


def test_formula_starts_are_quoted_and_numbers_are_not():
    for text in ("=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1",
                 "\tx", "\rx", "'=already"):  # fmt: skip
        assert csv_cell(text) == "'" + text
    for text in ("-1.5", "48.69", "2", "plain text", "", "'quoted but harmless"):
        assert csv_cell(text) == text


@given(st.text())
def test_the_importer_undoes_exactly_what_the_exporter_adds(text):
    assert from_csv_cell(csv_cell(text)) == text


@given(st.text())
def test_an_exported_cell_never_starts_a_formula(text):
    cell = csv_cell(text)
    assert not cell.startswith(("=", "+", "@", "\t", "\r")) and (
        not cell.startswith("-") or cell.lstrip("-").replace(".", "", 1).isdigit()
    )


def test_xlsx_text_is_a_string_cell_never_a_formula():
    sheet = Workbook().active
    xlsx_append(sheet, ['=HYPERLINK("http://x")', 2.5, "bad\x00char", None])
    title, days, bad, empty = sheet[1]
    assert title.data_type == "s" and title.value == '=HYPERLINK("http://x")'
    assert title.quotePrefix and not days.quotePrefix
    assert days.data_type == "n" and days.value == 2.5
    assert bad.value == "badchar" and empty.value is None
