"""CSV and XLSX of each finance list, as the screening list's exports are written
(pepiniere.applications.exports): `;`-separated UTF-8 CSV with a decimal comma and dd/mm/yyyy
dates, or with ``?decimal=point`` a decimal point and ISO dates; XLSX with real numbers in a euro
format and real dates. Every cell goes through lib.spreadsheet (no formula injection)."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.exports import CONTENT_TYPES, DATE_FORMAT, EUR_FORMAT, write_csv
from pepiniere.lib.params import InvalidParameter
from pepiniere.lib.spreadsheet import CellValue, SafeXlsxSheet


@dataclass
class Table:
    filename: str  # without extension: « engagements-par-annee »
    title: str  # the sheet's name (at most 31 characters)
    headers: list[str]
    rows: list[list[CellValue]]


def write_xlsx(table: Table) -> bytes:
    sheet = SafeXlsxSheet(table.title[:31])
    sheet.append([sheet.cell(title, bold=True) for title in table.headers])
    for row in table.rows:
        cells = []
        for value in row:
            if isinstance(value, datetime.datetime):
                local = timezone.localtime(value).replace(tzinfo=None)
                cells.append(sheet.cell(local, number_format=DATE_FORMAT))
            elif isinstance(value, datetime.date):
                cells.append(sheet.cell(value, number_format="dd/mm/yyyy"))
            elif value is not None and not isinstance(value, str):
                cells.append(sheet.cell(value, number_format=EUR_FORMAT))
            else:
                cells.append(sheet.cell(value))
        sheet.append(cells)
    out = io.BytesIO()
    sheet.save(out)
    return out.getvalue()


def export_format(request: HttpRequest) -> tuple[str, bool]:
    """``format`` (csv, the default, or xlsx) and whether ``decimal=point`` was asked; any
    other value is a 400 with a French message."""
    fmt = request.GET.get("format", "csv")
    if fmt not in CONTENT_TYPES:
        raise InvalidParameter(_("« format » vaut « csv » ou « xlsx »."))
    decimal = request.GET.get("decimal", "comma")
    if decimal not in ("comma", "point"):
        raise InvalidParameter(_("« decimal » vaut « comma » (virgule, par défaut) ou « point »."))
    return fmt, decimal == "point"


def export_response(request: HttpRequest, table: Table) -> HttpResponse:
    fmt, decimal_point = export_format(request)
    if fmt == "csv":
        text = io.StringIO()
        write_csv(table.headers, table.rows, text, decimal_point=decimal_point)
        content = text.getvalue().encode("utf-8")
    else:
        content = write_xlsx(table)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{table.filename}-{stamp}.{fmt}"'
    return response
