"""CSV and XLSX exports of the screening list: one row per application, values as people read them.

CSV: `;`-separated UTF-8 with a byte-order mark, made to open in French spreadsheet software:
numbers with a decimal comma (« 40000,50 ») and dates « 29/05/2015 12:00:00 » (Paris time). For
machines, `?decimal=point` on the export URL gives a decimal point and ISO 8601 dates
(« 2015-05-29T12:00:00+02:00 »). XLSX: real numbers with a euro format and real dates (Paris time)
so that the spreadsheet shows them the French way."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application
from pepiniere.calls.models import Call, FieldKind, FormField
from pepiniere.lib.spreadsheet import CellValue, SafeCsvWriter, SafeXlsxSheet, decimal_comma

if TYPE_CHECKING:
    from openpyxl.cell import Cell

EUR_FORMAT = '#,##0.00\\ "€"'
DATE_FORMAT = "dd/mm/yyyy hh:mm"
CHUNK = 2000


def base_headers() -> list[str]:
    return [
        _("Référence"),
        _("Statut"),
        _("Appel"),
        _("Axe"),
        _("Structure"),
        _("SIRET"),
        _("RNA"),
        _("Type de structure"),
        _("Département"),
        _("Commune"),
        _("Titre du projet"),
        _("Montant demandé"),
        _("Budget du projet"),
        _("Taux d'aide (%)"),
        _("Déposé le"),
    ]


def _answer_text(field: FormField, value: Any, attachments: dict[str, list[str]]) -> str:
    if field.kind == FieldKind.FILE:
        return ", ".join(attachments.get(field.key, []))
    if field.kind == FieldKind.MULTI_CHOICE:
        return ", ".join(value or [])
    if field.kind == FieldKind.YES_NO:
        return {"yes": _("Oui"), "no": _("Non")}.get(value or "", "")
    if field.kind == FieldKind.GROUP:
        return "\n".join(" ; ".join(str(v) for v in row.values()) for row in value or [])
    return str(value or "")


def export_rows(
    applications: QuerySet[Application], call: Call | None
) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and a lazy iterator of rows (typed values: Decimal, aware datetime, str)."""
    extra_fields = [f for f in call.form_fields.all() if f.group_id is None] if call else []
    headers = base_headers() + [f.label for f in extra_fields]
    queryset = applications.select_related(
        "organisation", "organisation__departement", "call", "call__axis"
    )
    if extra_fields:
        queryset = queryset.prefetch_related("attachment_set")

    def rows() -> Iterator[list[Any]]:
        for application in queryset.iterator(chunk_size=CHUNK):
            organisation = application.organisation
            rate = None
            if application.requested_amount is not None and application.project_budget:
                rate = (application.requested_amount / application.project_budget * 100).quantize(
                    Decimal("0.1")
                )
            row: list[Any] = [
                application.reference or "",
                application.get_status_display(),
                application.call.title,
                application.call.axis.title if application.call.axis else "",
                organisation.name,
                organisation.siret,
                organisation.rna,
                organisation.get_kind_display(),
                f"{organisation.departement_id} {organisation.departement.name}",
                organisation.commune_name,
                application.title,
                application.requested_amount,
                application.project_budget,
                rate,
                application.submitted_at,
            ]
            if extra_fields:
                files: dict[str, list[str]] = {}
                for attachment in application.attachment_set.all():
                    if not attachment.removed_from_draft:
                        files.setdefault(attachment.field_key, []).append(attachment.original_name)
                row += [
                    _answer_text(f, application.answers.get(f.key), files) for f in extra_fields
                ]
            yield row

    return headers, rows()


def _csv_value(value: CellValue, decimal_point: bool) -> CellValue:
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value)
        return (
            local.isoformat(timespec="seconds")
            if decimal_point
            else local.strftime("%d/%m/%Y %H:%M:%S")
        )
    if isinstance(value, datetime.date) and not decimal_point:
        return value.strftime("%d/%m/%Y")
    return value


def _csv_number(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)


def _csv_number_comma(value: Decimal) -> str:
    return decimal_comma(_csv_number(Decimal(value)))


def write_csv(
    headers: list[str],
    rows: Iterable[list[Any]],
    out: IO[str],
    progress: Callable[[int], None] | None = None,
    *,
    decimal_point: bool = False,
) -> int:
    out.write("\ufeff")
    writer = SafeCsvWriter(
        out,
        number_format=_csv_number if decimal_point else _csv_number_comma,
        delimiter=";",
        lineterminator="\r\n",
    )
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow([_csv_value(v, decimal_point) for v in row])
        count += 1
        if progress and count % CHUNK == 0:
            progress(count)
    return count


def write_xlsx(
    headers: list[str],
    rows: Iterable[list[Any]],
    out: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> int:
    sheet = SafeXlsxSheet(_("Dossiers"))
    sheet.append([sheet.cell(title, bold=True) for title in headers])
    count = 0
    for row in rows:
        cells: list[Cell] = []
        for value in row:
            if isinstance(value, datetime.datetime):
                local = timezone.localtime(value).replace(tzinfo=None)
                cell = sheet.cell(local, number_format=DATE_FORMAT)
            elif isinstance(value, Decimal):
                number_format = EUR_FORMAT if len(cells) in (11, 12) else "0.0"
                cell = sheet.cell(value, number_format=number_format)
            else:
                cell = sheet.cell(value)
            cells.append(cell)
        sheet.append(cells)
        count += 1
        if progress and count % CHUNK == 0:
            progress(count)
    sheet.save(out)
    return count


def render_export(
    headers: list[str],
    rows: Iterable[list[Any]],
    fmt: str,
    progress: Callable[[int], None] | None = None,
    *,
    decimal_point: bool = False,
) -> tuple[bytes, int]:
    if fmt == "csv":
        text = io.StringIO()
        count = write_csv(headers, rows, text, progress, decimal_point=decimal_point)
        return text.getvalue().encode("utf-8"), count
    binary = io.BytesIO()
    count = write_xlsx(headers, rows, binary, progress)
    return binary.getvalue(), count


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
