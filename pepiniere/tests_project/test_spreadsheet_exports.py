"""Every CSV or XLSX written by Pépinière goes through pepiniere/lib/spreadsheet.py.

Applicant text can only be neutralised against formula injection if no export writes cells by
itself: a new export that calls `csv.writer`, `csv.DictWriter`, openpyxl's `Workbook` or
`WriteOnlyCell`, pandas' `to_csv`/`to_excel` or xlsxwriter directly fails here. Use
`SafeCsvWriter` / `SafeXlsxSheet` instead."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pepiniere.lib.spreadsheet import SafeCsvWriter, SafeXlsxSheet, neutralise

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "pepiniere" / "lib" / "spreadsheet.py"
BYPASS = re.compile(
    r"csv\.(writer|DictWriter)\s*\(|\bWorkbook\s*\(|WriteOnlyCell\s*\(|\.to_csv\s*\("
    r"|\.to_excel\s*\(|\bxlsxwriter\b|\bfrom\s+csv\s+import\b[^\n]*\b(writer|DictWriter)\b"
)


def _sources() -> list[Path]:
    files = []
    for folder in ("pepiniere", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            parts = set(path.relative_to(ROOT).parts)
            if path == HELPER or parts & {"tests", "tests_browser", "tests_project", "migrations"}:
                continue
            files.append(path)
    return files


def test_no_export_writes_csv_or_xlsx_cells_without_the_safe_helper():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BYPASS.search(line)
    ]
    assert offenders == [], "use pepiniere.lib.spreadsheet instead:\n" + "\n".join(offenders)


def test_the_scan_recognises_a_bypass():
    assert BYPASS.search("    writer = csv.writer(out)")
    assert BYPASS.search("book = Workbook(write_only=True)")
    assert BYPASS.search("frame.to_excel(path)")
    assert not BYPASS.search("rows = csv.reader(handle)")


def test_neutralise_follows_owasp_and_leaves_ordinary_text_alone():
    for dangerous in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "  =1+1", "＝1+1"):
        assert neutralise(dangerous) == "'" + dangerous
    for harmless in ("Vélos partagés", "1 000 €", "a=b", "", "'déjà cité'"):
        assert neutralise(harmless) == harmless


def test_csv_numbers_stay_numbers_and_text_is_neutralised():
    out = io.StringIO()
    writer = SafeCsvWriter(out, delimiter=";", lineterminator="\n")
    writer.writerow(["-5", Decimal("-5.50"), -3, None, datetime.date(2015, 7, 8), "=1+1"])
    assert list(csv.reader(io.StringIO(out.getvalue()), delimiter=";")) == [
        ["'-5", "-5.50", "-3", "", "2015-07-08", "'=1+1"]
    ]


def test_xlsx_text_cells_are_strings_and_negative_amounts_are_numbers():
    sheet = SafeXlsxSheet("Feuille")
    sheet.append(["=1+1", Decimal("-250.00"), -4, None, "@x"])
    out = io.BytesIO()
    sheet.save(out)
    active = load_workbook(io.BytesIO(out.getvalue())).active
    assert active is not None
    cells = list(active.iter_rows(values_only=True))[0]
    assert cells == ("'=1+1", -250, -4, None, "'@x")
    types = [c.data_type for c in next(active.iter_rows())]
    assert (types[0], types[1], types[2], types[4]) == ("s", "n", "n", "s")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("=+-@\t\r＝＋－＠ \u00a0\nAbé1'\"; ,"), max_size=6),
        max_size=5,
    )
)
def test_the_text_row_writer_neutralises_exactly_what_neutralise_does(cells):
    """writerow_text skips `neutralise` for a cell whose first character cannot start a formula
    or a blank: the file is the one every cell through `neutralise` gives."""
    fast, slow = io.StringIO(), io.StringIO()
    SafeCsvWriter(fast).writerow_text(cells)
    csv.writer(slow).writerow([neutralise(cell) for cell in cells])
    assert fast.getvalue() == slow.getvalue()
