"""The statement of expenses (and an association's financial report) as typed in the request
form: read from the POST as rows, every cell kept as typed, every problem reported on its line.

A row is `e-<n>-<column>` in the form (`r-<n>-<column>` for the financial report), the way the
applications' repeatable groups post theirs (pepiniere/static/js/pepiniere.js adds rows)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.lib.dates import long_date
from pepiniere.lib.money import AmountError, format_eur, parse_decimal

EXPENSE_COLUMNS = [
    ("category", gettext_lazy("Catégorie")),
    ("supplier", gettext_lazy("Fournisseur")),
    ("invoice_reference", gettext_lazy("N° de facture")),
    ("invoice_date", gettext_lazy("Date de la facture")),
    ("amount_excl_vat", gettext_lazy("Montant HT (€)")),
    ("amount_incl_vat", gettext_lazy("Montant TTC (€)")),
]
REPORT_COLUMNS = [
    ("heading", gettext_lazy("Poste du budget")),
    ("planned", gettext_lazy("Prévu (€)")),
    ("spent", gettext_lazy("Réalisé (€)")),
    ("comment", gettext_lazy("Explication de l'écart")),
]
# A gap above this share of the planned amount must be explained (the CERFA asks for the
# significant gaps; 10 % is the usual reading of "significatif").
GAP_TO_EXPLAIN = Decimal("0.10")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass
class Cell:
    key: str
    label: str
    name: str
    value: str
    errors: list[str] = field(default_factory=list)


@dataclass
class Row:
    index: int
    cells: list[Cell]
    errors: list[str] = field(default_factory=list)  # about the line as a whole

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.errors for c in self.cells)

    def cell(self, key: str) -> Cell:
        return next(c for c in self.cells if c.key == key)


@dataclass(frozen=True)
class Expense:
    category: str
    supplier: str
    invoice_reference: str
    invoice_date: datetime.date
    amount_excl_vat: Decimal
    amount_incl_vat: Decimal


@dataclass(frozen=True)
class ReportLine:
    heading: str
    planned: Decimal
    spent: Decimal
    comment: str


def claim_key(supplier: str, reference: str) -> tuple[str, str]:
    """Invoices are the same when the supplier and the reference match, ignoring case, spaces and
    punctuation (« FA-2015/012 » is « fa 2015 012 »)."""

    def norm(text: str) -> str:
        return re.sub(r"[\W_]+", "", text.casefold())

    return norm(supplier), norm(reference)


def read_rows(post: Mapping[str, Any], prefix: str, columns: list[tuple[str, Any]]) -> list[Row]:
    """The rows the form posted, in order, blank rows dropped, every cell as typed."""
    pattern = re.compile(rf"^{prefix}-(\d+)-")
    indexes = sorted({int(m.group(1)) for key in post for m in [pattern.match(key)] if m})
    rows = []
    for index in indexes:
        cells = [
            Cell(
                key=key,
                label=str(label),
                name=f"{prefix}-{index}-{key}",
                value=str(post.get(f"{prefix}-{index}-{key}", "")).strip(),
            )
            for key, label in columns
        ]
        if any(c.value for c in cells):
            rows.append(Row(index=index, cells=cells))
    return rows


def blank_rows(
    prefix: str, columns: list[tuple[str, Any]], count: int, start: int = 0
) -> list[Row]:
    return [
        Row(
            index=i,
            cells=[
                Cell(key=k, label=str(lbl), name=f"{prefix}-{i}-{k}", value="")
                for k, lbl in columns
            ],
        )
        for i in range(start, start + count)
    ]


def _date(cell: Cell) -> datetime.date | None:
    text = cell.value
    try:
        match = _DMY.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        return datetime.date.fromisoformat(text)
    except ValueError:
        cell.errors.append(_("« %(text)s » n'est pas une date (jj/mm/aaaa).") % {"text": text[:20]})
        return None


def _amount(cell: Cell) -> Decimal | None:
    try:
        return parse_decimal(
            cell.value, max_decimals=2, allow_negative=False, currency=True
        ).quantize(Decimal("0.01"))
    except AmountError as error:
        cell.errors.append(error.message)
        return None


def _required(row: Row, keys: list[str]) -> None:
    for key in keys:
        cell = row.cell(key)
        if not cell.value:
            cell.errors.append(_("À renseigner."))


def validate_expenses(
    rows: list[Row],
    *,
    period_start: datetime.date,
    period_end: datetime.date,
    claimed: set[tuple[str, str]],
    today: datetime.date | None = None,
) -> list[Expense]:
    """Check every line, noting each problem on its cell or line; the expenses when all are good
    (an empty list when there is any error: look at the rows). An invoice dated after `today`
    (the day of the request) is refused: an expense is declared once invoiced."""
    today = today or timezone.localdate()
    expenses: list[Expense] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=1):
        _required(row, [k for k, _label in EXPENSE_COLUMNS])
        for key in ("category", "supplier", "invoice_reference"):
            limit = {"category": 100, "supplier": 200, "invoice_reference": 100}[key]
            if len(row.cell(key).value) > limit:
                row.cell(key).errors.append(_("%(n)d caractères au plus.") % {"n": limit})
        date_cell = row.cell("invoice_date")
        invoice_date = _date(date_cell) if date_cell.value else None
        if invoice_date is not None and invoice_date > today:
            date_cell.errors.append(
                _(
                    "Facture datée du %(date)s, après aujourd'hui (%(today)s) : une dépense se "
                    "déclare une fois facturée."
                )
                % {"date": long_date(invoice_date), "today": long_date(today)}
            )
        elif invoice_date is not None and not (period_start <= invoice_date <= period_end):
            date_cell.errors.append(
                _(
                    "Facture du %(date)s hors de la période du projet (du %(start)s au %(end)s) : "
                    "elle n'est pas éligible."
                )
                % {
                    "date": long_date(invoice_date),
                    "start": long_date(period_start),
                    "end": long_date(period_end),
                }
            )
        excl_cell, incl_cell = row.cell("amount_excl_vat"), row.cell("amount_incl_vat")
        excl = _amount(excl_cell) if excl_cell.value else None
        incl = _amount(incl_cell) if incl_cell.value else None
        if excl is not None and incl is not None and incl < excl:
            incl_cell.errors.append(
                _("Le montant TTC (%(incl)s) ne peut pas être inférieur au montant HT (%(excl)s).")
                % {"incl": format_eur(incl), "excl": format_eur(excl)}
            )
        supplier, reference = row.cell("supplier").value, row.cell("invoice_reference").value
        if supplier and reference:
            invoice = claim_key(supplier, reference)
            if invoice in claimed:
                row.cell("invoice_reference").errors.append(
                    _(
                        "La facture %(ref)s de %(supplier)s figure déjà dans une autre demande de "
                        "versement de votre structure : une dépense n'est justifiée qu'une fois."
                    )
                    % {"ref": reference, "supplier": supplier}
                )
            elif invoice in seen:
                row.cell("invoice_reference").errors.append(
                    _("Cette facture figure déjà à la ligne %(n)d.") % {"n": seen[invoice]}
                )
            seen.setdefault(invoice, number)
        if not row.has_errors:
            assert invoice_date is not None and excl is not None and incl is not None
            expenses.append(
                Expense(
                    category=row.cell("category").value,
                    supplier=supplier,
                    invoice_reference=reference,
                    invoice_date=invoice_date,
                    amount_excl_vat=excl,
                    amount_incl_vat=incl,
                )
            )
    if any(row.has_errors for row in rows):
        return []
    return expenses


def validate_report(rows: list[Row]) -> list[ReportLine]:
    """The financial report's lines (CERFA n° 15059): planned and spent amounts, and a comment on
    every significant gap."""
    lines: list[ReportLine] = []
    for row in rows:
        _required(row, ["heading", "planned", "spent"])
        planned_cell, spent_cell = row.cell("planned"), row.cell("spent")
        planned = _amount(planned_cell) if planned_cell.value else None
        spent = _amount(spent_cell) if spent_cell.value else None
        comment = row.cell("comment")
        if planned is not None and spent is not None and not comment.value:
            gap = abs(spent - planned)
            if gap and (planned == 0 or gap > planned * GAP_TO_EXPLAIN):
                comment.errors.append(
                    _(
                        "Écart de %(gap)s avec le prévu (plus de 10 %%) : expliquez-le, comme le "
                        "demande le compte rendu financier."
                    )
                    % {"gap": format_eur(gap)}
                )
        if len(comment.value) > 500:
            comment.errors.append(_("%(n)d caractères au plus.") % {"n": 500})
        if not row.has_errors:
            assert planned is not None and spent is not None
            lines.append(
                ReportLine(
                    heading=row.cell("heading").value[:150],
                    planned=planned,
                    spent=spent,
                    comment=comment.value,
                )
            )
    if any(row.has_errors for row in rows):
        return []
    return lines
