"""The portfolio as CSV or XLSX: one row per organisation with its awards within the filters.

CSV as the screening list's export writes it (`;`, UTF-8 with a byte-order mark, decimal comma
and dd/mm/yyyy dates for French spreadsheets; `?decimal=point` gives a decimal point and ISO dates
for programs); XLSX with real numbers and dates. Both through lib.spreadsheet."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

from pepiniere.lib.spreadsheet import CellValue, SafeCsvWriter, SafeXlsxSheet, decimal_comma
from pepiniere.portfolio.selectors_portfolio import (
    PortfolioFilters,
    figures_by_organisation,
    figures_of,
    portfolio,
)

EUR_FORMAT = '#,##0.00\\ "€"'
DATE_FORMAT = "dd/mm/yyyy"
CHUNK = 2000


def headers() -> list[str]:
    return [
        _("Structure"),
        _("SIREN"),
        _("SIRET du siège"),
        _("RNA"),
        _("Type de structure"),
        _("Forme juridique"),
        _("Département"),
        _("Commune"),
        _("Tranche d'effectifs"),
        _("Date de création"),
        _("Aides attribuées"),
        _("Montant attribué"),
        _("Première aide"),
        _("Dernière aide"),
    ]


def export_rows(
    funder_ids: set[int] | None, filters: PortfolioFilters
) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and a lazy iterator of typed rows (Decimal, date, int, str)."""
    figures = figures_by_organisation(funder_ids, filters)
    organisations = portfolio(funder_ids, filters).select_related("legal_form")

    def rows() -> Iterator[list[Any]]:
        for organisation in organisations.iterator(chunk_size=CHUNK):
            f = figures_of(organisation) or figures.get(organisation.pk)
            yield [
                organisation.name,
                organisation.siren,
                organisation.siret,
                organisation.rna,
                organisation.get_kind_display(),
                organisation.legal_form.label if organisation.legal_form else "",
                f"{organisation.departement_id} {organisation.departement.name}",
                organisation.commune_name,
                organisation.size_band.label if organisation.size_band else "",
                organisation.creation_date,
                f.awards if f else 0,
                f.total if f else Decimal("0"),
                f.first_award if f else None,
                f.last_award if f else None,
            ]

    return headers(), rows()


def write_csv(
    titles: list[str], rows: Iterator[list[Any]], out: IO[str], *, decimal_point: bool
) -> int:
    def number(value: int | Decimal) -> str:
        if isinstance(value, int):
            return str(value)
        text = f"{Decimal(value):.2f}"
        return text if decimal_point else decimal_comma(text)

    def cell(value: CellValue) -> CellValue:
        if isinstance(value, datetime.date) and not decimal_point:
            return value.strftime("%d/%m/%Y")
        return value

    out.write("\ufeff")
    writer = SafeCsvWriter(out, number_format=number, delimiter=";", lineterminator="\r\n")
    writer.writerow(titles)
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
    return count


def write_xlsx(titles: list[str], rows: Iterator[list[Any]], out: IO[bytes]) -> int:
    sheet = SafeXlsxSheet(_("Portefeuille"))
    sheet.append([sheet.cell(title, bold=True) for title in titles])
    count = 0
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                cells.append(sheet.cell(value, number_format=EUR_FORMAT))
            elif isinstance(value, datetime.date):
                cells.append(sheet.cell(value, number_format=DATE_FORMAT))
            else:
                cells.append(sheet.cell(value))
        sheet.append(cells)
        count += 1
    sheet.save(out)
    return count
