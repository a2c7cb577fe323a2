"""The finance department's pages: the multi-year ledgers of its funder, every money movement
with its audit row, and the CSV/XLSX export of each list. Finance staff and officers of the
funder only; another funder's staff see nothing of it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.audit.labels import action_label, state_label
from pepiniere.home import finance, selectors
from pepiniere.home.exports import Table, export_response
from pepiniere.home.permissions import can_see_finance, finance_funders
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.params import InvalidParameter, parse_int

PAGE_SIZE = 50


def _funders(request: AuthenticatedHttpRequest) -> set[int]:
    funders = finance_funders(request.user)
    can_see_finance(request.user, funders).enforce()
    return funders


# --- Tables (the page and its exports show the same figures) ------------------------------------


def _ledger_table(filename: str, title: str, first: str, rows: list[selectors.LedgerRow]) -> Table:
    return Table(
        filename=filename,
        title=title,
        headers=[
            first,
            _("Précision"),
            _("Enveloppe"),
            _("Engagé"),
            _("Versé"),
            _("Reste à engager"),
            _("Reste à verser"),
        ],
        rows=[
            [
                row.label,
                row.detail,
                row.envelope,
                row.committed,
                row.paid,
                row.remaining,
                row.to_pay,
            ]
            for row in rows
        ],
    )


def _years_table(view: finance.MultiYear) -> Table:
    return Table(
        filename="engagements-versements-par-annee",
        title=_("Par année"),
        headers=[
            _("Année"),
            _("Engagé dans l'année"),
            _("Versé dans l'année"),
            _("Reversements demandés"),
            _("Engagé cumulé"),
            _("Versé cumulé"),
        ],
        rows=[
            [
                row.label,
                row.committed,
                row.paid,
                row.recovered,
                row.cumulative_committed,
                row.cumulative_paid,
            ]
            for row in view.years
        ],
    )


def _call_years_table(view: finance.MultiYear) -> Table:
    headers = [_("Appel"), _("Financeur")]
    for year in view.year_numbers:
        headers += [
            _("Engagé %(year)s") % {"year": year},
            _("Versé %(year)s") % {"year": year},
        ]
    headers += [_("Engagé total"), _("Versé total")]
    rows = []
    for item in view.calls:
        row: list[object] = [item.call.title, item.call.funder.name]
        for year in view.year_numbers:
            row += [item.committed_in(year), item.paid_in(year)]
        row += [item.committed_total, item.paid_total]
        rows.append(row)
    return Table(
        filename="engagements-versements-par-appel-et-annee",
        title=_("Par appel et par année"),
        headers=headers,
        rows=rows,  # type: ignore[arg-type]
    )


def _movements_table(found: list[finance.Movement]) -> Table:
    rows = []
    for movement in found:
        entry = movement.audit
        rows.append(
            [
                movement.date,
                movement.kind_label,
                movement.call.title,
                movement.application.reference or "",
                movement.application.organisation.name,
                movement.label,
                movement.amount,
                (entry.actor.get_full_name() if entry and entry.actor else ""),
                entry.at if entry else None,
                action_label(entry.action) if entry else "",
                state_label(entry.from_state) if entry and entry.from_state else "",
                state_label(entry.to_state) if entry and entry.to_state else "",
                entry.reason if entry else "",
            ]
        )
    return Table(
        filename="mouvements-financiers",
        title=_("Mouvements"),
        headers=[
            _("Date"),
            _("Nature"),
            _("Appel"),
            _("Dossier"),
            _("Structure"),
            _("Objet"),
            _("Montant"),
            _("Enregistré par"),
            _("Enregistré le"),
            _("Action du journal"),
            _("État de départ"),
            _("État d'arrivée"),
            _("Motif"),
        ],
        rows=rows,  # type: ignore[arg-type]
    )


# --- The ledgers page ---------------------------------------------------------------------------


def _ledger_tables(
    funders: set[int],
) -> tuple[dict[str, Table], finance.MultiYear, selectors.FinanceLedger]:
    ledger = selectors.finance_ledger(funders)
    view = finance.multi_year(finance.movements(funders))
    tables = {
        "annees": _years_table(view),
        "appels-annees": _call_years_table(view),
        "appels": _ledger_table("budget-par-appel", _("Par appel"), _("Appel"), ledger.calls),
        "axes": _ledger_table("budget-par-axe", _("Par axe"), _("Axe"), ledger.axes),
        "programmes": _ledger_table(
            "budget-par-programme", _("Par programme"), _("Programme"), ledger.programmes
        ),
    }
    return tables, view, ledger


@login_required
def ledgers(request: AuthenticatedHttpRequest) -> HttpResponse:
    funders = _funders(request)
    _tables, view, ledger = _ledger_tables(funders)
    chart = {
        "labels": [row.label for row in view.years],
        "committed": [str(row.committed) for row in view.years],
        "paid": [str(row.paid) for row in view.years],
        "names": [_("Engagé dans l'année"), _("Versé dans l'année")],
    }
    return render(
        request,
        "home/finance.html",
        {
            "ledger": ledger,
            "view": view,
            "chart_data": chart,
            "payments_recorded": any(row.paid for row in view.years),
        },
    )


@login_required
def ledgers_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    funders = _funders(request)
    tables, _view, _ledger = _ledger_tables(funders)
    name = request.GET.get("table", "")
    if name not in tables:
        raise InvalidParameter(
            _("« table » vaut l'une de ces listes : %(names)s.") % {"names": ", ".join(tables)}
        )
    return export_response(request, tables[name])


# --- Money movements ----------------------------------------------------------------------------


@dataclass
class MovementFilters:
    call: str = ""
    year: int | None = None
    kind: str = ""

    @classmethod
    def from_query(cls, query: object, calls: dict[str, object]) -> MovementFilters:
        get = getattr(query, "get")  # noqa: B009 - a QueryDict
        call = (get("call") or "").strip()
        if call and call not in calls:
            raise InvalidParameter(
                _("Appel : « %(c)s » n'est pas un appel de votre financeur.") % {"c": call[:60]}
            )
        year_text = (get("year") or "").strip()
        year = (
            parse_int(year_text, label=_("Année"), minimum=1900, maximum=2200)
            if year_text
            else None
        )
        kind = (get("kind") or "").strip()
        if kind and kind not in finance.MovementKind.values:
            raise InvalidParameter(
                _("Nature : « %(k)s » n'est pas une nature de mouvement.") % {"k": kind[:40]}
            )
        return cls(call=call, year=year, kind=kind)

    def apply(self, found: list[finance.Movement]) -> list[finance.Movement]:
        return [
            m
            for m in found
            if (not self.call or m.call.slug == self.call)
            and (self.year is None or m.year == self.year)
            and (not self.kind or m.kind == self.kind)
        ]

    def query(self) -> str:
        parts = []
        if self.call:
            parts.append(f"call={self.call}")
        if self.year is not None:
            parts.append(f"year={self.year}")
        if self.kind:
            parts.append(f"kind={self.kind}")
        return "&".join(parts)


def _filtered(
    request: AuthenticatedHttpRequest,
) -> tuple[MovementFilters, list[finance.Movement], list[finance.Movement]]:
    funders = _funders(request)
    # A payment links to its run, which only the funder's finance staff may open (officers
    # read the movement, not the run: the link would answer 404 to them).
    runs_of = request.user.funder_ids(Role.FINANCE)
    everything = [
        m
        if m.kind != finance.MovementKind.PAYMENT or m.call.funder_id in runs_of
        else replace(m, detail_url="")
        for m in finance.movements(funders)
    ]
    calls = {m.call.slug: m.call for m in everything}
    filters = MovementFilters.from_query(request.GET, calls)  # type: ignore[arg-type]
    return filters, everything, filters.apply(everything)


@login_required
def movements(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters, everything, found = _filtered(request)
    calls = sorted({m.call.pk: m.call for m in everything}.values(), key=lambda c: c.title)
    years = sorted({m.year for m in everything}, reverse=True)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    total = sum((m.amount for m in found), finance.ZERO)
    return render(
        request,
        "home/movements.html",
        {
            "filters": filters,
            "page": page,
            "count": len(found),
            "calls": calls,
            "years": years,
            "kinds": finance.MovementKind.choices,
            "total": total,
            "query": filters.query(),
        },
    )


@login_required
def movements_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    _filters, _everything, found = _filtered(request)
    return export_response(request, _movements_table(found))


@login_required
def audit_entry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The audit row of one money movement of the person's funders (404 for any other row)."""
    funders = _funders(request)
    for movement in finance.movements(funders):
        if movement.audit is not None and movement.audit.pk == pk:
            return render(
                request,
                "home/audit_entry.html",
                {
                    "movement": movement,
                    "entry": movement.audit,
                    "action": action_label(movement.audit.action),
                    "from_state": state_label(movement.audit.from_state),
                    "to_state": state_label(movement.audit.to_state),
                },
            )
    raise Http404
