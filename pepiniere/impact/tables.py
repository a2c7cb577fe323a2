"""The EU indicators of a scope as the impact pages show them: one block per indicator with its
definition, a breakdown table, a yearly series, the charts' data and the CSV rows, all built from
the same cells, so the chart, the table and the download can never disagree.

Statistical secrecy (public pages only): a cell built on one or two enterprises is *masked*
(« secret statistique »: no value on the page, in the chart's data or in the download). A cell
built on none reveals nothing about any enterprise and stays visible (0). In a breakdown column,
when exactly one group is masked, the next smallest group is masked too (*secondary* secrecy):
otherwise the total minus the visible groups would give the hidden one back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.portfolio import indicators, indicators_results
from pepiniere.portfolio.indicators_results import Cell

SECRECY_THRESHOLD = 3

RCR01_DEFINITION = gettext_lazy(
    "Emplois créés dans les structures soutenues, en ETP annuels, par rapport à la situation de "
    "référence déclarée à l'attribution (l'année avant la première aide) ; chaque structure compte "
    "une fois, même soutenue plusieurs fois ; une structure dont l'effectif baisse compte zéro. Les "
    "emplois maintenus sont comptés à part."
)
RCO_DEFINITION = gettext_lazy(
    "Entreprises distinctes (SIREN) ayant reçu au moins une aide dans le périmètre, hors "
    "associations ; la taille est celle de la situation de référence (moins de 10, 50, 250 "
    "salariés), à défaut la tranche d'effectifs INSEE. Une jeune entreprise a moins de 3 ans à sa "
    "première aide."
)


@dataclass(frozen=True)
class Column:
    code: str
    key: str
    label: str
    kind: str  # "" (a count), "fte", "money"


@dataclass
class Shown:
    """A cell as one page shows it: masked or not."""

    cell: Cell
    kind: str
    secret: bool = False
    # The figure as the page writes it, in the language it was computed in (a stored snapshot
    # keeps it: formatting hundreds of numbers was half of a page's time).
    text: str = field(default="", compare=False)

    @property
    def value(self) -> Decimal | int | None:
        return None if self.secret else self.cell.value

    @property
    def not_applicable(self) -> bool:
        return self.cell.value is None


@dataclass
class Block:
    code: str
    title: str
    definition: str
    figures: list[tuple[str, Shown]]


@dataclass
class Table:
    caption: str
    head: str
    columns: list[Column]
    rows: list[tuple[str, list[Shown]]] = field(default_factory=list)


@dataclass
class Indicators:
    year: int
    blocks: list[Block]
    breakdown: Table
    series: Table
    charts: list[dict[str, Any]]
    masked: bool  # whether secrecy was applied (public)
    computed_at: Any = None

    def csv_rows(self) -> Iterator[list[Any]]:
        """(indicateur, mesure, détail, groupe ou année, valeur, unité): one row per cell."""
        for block in self.blocks:
            for label, shown in block.figures:
                yield [block.code, label, _("total"), self.year, *_value(shown)]
        for table in (self.breakdown, self.series):
            for group, cells in table.rows:
                for column, shown in zip(table.columns, cells, strict=True):
                    yield [column.code, column.label, table.head, group, *_value(shown)]


UNITS = {"": gettext_lazy("entreprises"), "fte": gettext_lazy("ETP"), "money": gettext_lazy("€")}


def _value(shown: Shown) -> list[Any]:
    unit = str(UNITS[shown.kind])
    if shown.secret:
        return [_("secret statistique"), unit]
    if shown.not_applicable:
        return [_("sans objet"), unit]
    return [shown.cell.value, unit]


def _kind(measure_kind: str) -> str:
    return {"count": "", "money": "money"}.get(measure_kind, "")


def _columns() -> list[Column]:
    columns = [Column("RCR01", "created", _("ETP créés"), "fte")]
    for code in ("RCR02", "RCR19", "RCR17", "RCO04"):
        indicator = indicators_results.INDICATORS[code]
        columns += [Column(code, m.key, str(m.label), _kind(m.kind)) for m in indicator.measures]
    return columns


def _series_columns() -> list[Column]:
    return [
        Column("RCR01", "created", _("ETP créés"), "fte"),
        Column("RCR01", "maintained", _("ETP maintenus"), "fte"),
        *[c for c in _columns() if c.code in {"RCR02", "RCR19"}],
    ]


def _jobs_cells(jobs: indicators.Jobs) -> dict[str, Cell]:
    return {
        "created": Cell(jobs.created, jobs.organisations),
        "maintained": Cell(jobs.maintained, jobs.organisations),
        "research": Cell(jobs.research, jobs.organisations),
    }


def _secret(cell: Cell, mask: bool) -> bool:
    return mask and cell.value is not None and 0 < cell.enterprises < SECRECY_THRESHOLD


def _shown(cell: Cell | None, kind: str, mask: bool) -> Shown:
    cell = cell or Cell(Decimal("0") if kind else 0, 0)
    return Shown(cell, kind, _secret(cell, mask))


def _secondary(column: list[Shown]) -> None:
    """When exactly one cell of an additive column is masked, mask the smallest visible cell
    built on some enterprise too (a cell built on none hides nothing)."""
    if sum(1 for s in column if s.secret) != 1:
        return
    visible = [
        s for s in column if not s.secret and s.cell.value is not None and s.cell.enterprises
    ]
    if visible:
        min(visible, key=lambda s: (s.cell.enterprises, s.cell.value or 0)).secret = True


def _secondary_table(table: Table) -> None:
    for i in range(len(table.columns)):
        _secondary([cells[i] for _label, cells in table.rows])


def build(scope: indicators.Scope, year: int, dimension: str, *, mask: bool) -> Indicators:
    """Every indicator of the scope for year Y, a breakdown by one dimension, the series up to Y."""
    summary = indicators.summary(scope, year, series_from=max(2000, year - 10))
    results = indicators_results.totals(scope, year)

    def shown(cell: Cell, kind: str) -> Shown:
        return _shown(cell, kind, mask)

    jobs = _jobs_cells(summary.rcr01)
    blocks = [
        Block(
            "RCR01",
            _("Emplois créés dans les structures soutenues"),
            str(RCR01_DEFINITION),
            [
                (_("ETP créés"), shown(jobs["created"], "fte")),
                (_("ETP maintenus"), shown(jobs["maintained"], "fte")),
                (_("ETP de recherche créés"), shown(jobs["research"], "fte")),
            ],
        ),
        Block(
            "RCO01",
            _("Entreprises soutenues, par taille"),
            str(RCO_DEFINITION),
            [
                (str(indicators.SIZE_CLASSES[k]), shown(Cell(n, n), ""))
                for k, n in summary.rco01.items()
            ],
        ),
        Block(
            "RCO02",
            _("Entreprises soutenues par des subventions"),
            str(RCO_DEFINITION),
            [(_("entreprises"), shown(Cell(summary.rco02, summary.rco02), ""))],
        ),
        Block(
            "RCO05",
            _("Jeunes entreprises soutenues"),
            str(RCO_DEFINITION),
            [(_("entreprises"), shown(Cell(summary.rco05, summary.rco05), ""))],
        ),
    ]
    for code, indicator in indicators_results.INDICATORS.items():
        blocks.append(
            Block(
                code,
                str(indicator.title),
                str(indicator.definition),
                [
                    (str(m.label), shown(results[code][m.key], _kind(m.kind)))
                    for m in indicator.measures
                ],
            )
        )

    columns = _columns()
    groups = indicators_results.breakdown(scope, year, dimension)
    jobs_by = {j.group: _jobs_cells(j) for j in indicators.rcr01_by(scope, year, dimension)}
    labels = indicators.group_labels(dimension, [k for k in jobs_by if k is not None])
    by_key = {g.key: (g.label, g.cells) for g in groups}
    for key in jobs_by:
        by_key.setdefault(key, (labels.get(key, _("non renseigné")), {}))
    dimension_label = str(indicators.DIMENSIONS[dimension])
    breakdown = Table(
        _("Indicateurs %(year)s par %(dimension)s") % {"year": year, "dimension": dimension_label},
        dimension_label.capitalize(),
        columns,
    )
    ordered = sorted(
        by_key.items(),
        key=lambda item: (
            item[0] is None,
            item[0] if dimension == "award_year" else str(item[1][0]).casefold(),
        ),
    )
    for key, (label, cells) in ordered:
        breakdown.rows.append(
            (
                str(label),
                [
                    _shown(
                        jobs_by.get(key, {}).get(c.key)
                        if c.code == "RCR01"
                        else cells.get(c.code, {}).get(c.key),
                        c.kind,
                        mask,
                    )
                    for c in columns
                ],
            )
        )
    if mask:
        _secondary_table(breakdown)

    series_columns = _series_columns()
    by_year = indicators_results.series(scope, year, {"RCR02", "RCR19"})
    series = Table(_("Indicateurs par année"), _("Année"), series_columns)
    for jobs_of_year in summary.series:
        cells_of_year = by_year.get(jobs_of_year.year, {})
        jobs_cells = _jobs_cells(jobs_of_year)
        series.rows.append(
            (
                str(jobs_of_year.year),
                [
                    _shown(
                        jobs_cells.get(c.key)
                        if c.code == "RCR01"
                        else cells_of_year.get(c.code, {}).get(c.key),
                        c.kind,
                        mask,
                    )
                    for c in series_columns
                ],
            )
        )
    if mask:
        # The yearly co-financing and funds raised add up to the totals above: same rule.
        _secondary_table(series)
        _secondary([shown for _label, shown in blocks[1].figures])
    charts = [
        _chart(
            "chart-jobs",
            series,
            [0, 1],
            _("Graphique : ETP créés et maintenus par année (les chiffres sont dans le tableau)"),
        ),
        _chart(
            "chart-private",
            series,
            [2, 3, 4],
            _(
                "Graphique : investissements privés (RCR02) par année, en euros (les chiffres "
                "sont dans le tableau)"
            ),
        ),
    ]
    return Indicators(year, blocks, breakdown, series, charts, mask, timezone.now())


def _chart(ident: str, table: Table, columns: list[int], label: str) -> dict[str, Any]:
    """A chart's data: the table's own cells (a masked one is a gap, never a number)."""
    return {
        "id": ident,
        "label": label,
        "labels": [group for group, _cells in table.rows],
        "kind": table.columns[columns[0]].kind,
        "datasets": [
            {
                "label": table.columns[i].label,
                "values": [
                    None if cells[i].value is None else str(cells[i].value)
                    for _g, cells in table.rows
                ],
            }
            for i in columns
        ],
    }
