"""The impact pages' computed figures as JSON and back, for ImpactSnapshot.payload.

Explicit, field by field (no pickling): a Decimal is written as its string ("12345.00") and read
back exactly, an int stays an int, a float that is not finite (an estimate the data cannot
identify) is written as its string ("nan", "inf": PostgreSQL's jsonb refuses NaN), dates and
times in ISO 8601 with their offset. A cell masked under statistical secrecy is written without
its value nor its number of enterprises: a public snapshot holds nothing the page may not show."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any

from pepiniere.engine.calibration import Notice
from pepiniere.engine.forecast import ForecastYear, JobsForecast
from pepiniere.impact.evaluation import CallDiscontinuity, Evaluation, Interval
from pepiniere.impact.tables import Block, Column, Indicators, Shown, Table
from pepiniere.portfolio.figures import display
from pepiniere.portfolio.indicators_results import Cell

FORMAT = 1  # bumped when the payload's shape changes: older rows are computed again

type Json = Any


# --- Scalars -----------------------------------------------------------------------------------


def _number(value: Decimal | int | None) -> Json:
    if value is None or isinstance(value, int):
        return value
    return str(value)


def _read_number(value: Json) -> Decimal | int | None:
    if value is None or isinstance(value, int):
        return value
    return Decimal(value)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _read_decimal(value: Json) -> Decimal | None:
    return None if value is None else Decimal(value)


def _float(value: float | None) -> Json:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _read_float(value: Json) -> float | None:
    return None if value is None else float(value)


def _moment(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _read_moment(value: Json) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


# --- Indicators (tables.Indicators) ------------------------------------------------------------


def _shown(shown: Shown) -> Json:
    """[value, enterprises, kind, secret, the figure as written in the active language]."""
    if shown.secret:
        return [None, 0, shown.kind, True, ""]
    value = shown.cell.value
    text = "" if value is None else display(value, shown.kind)
    return [_number(value), shown.cell.enterprises, shown.kind, False, text]


def _read_shown(data: Json) -> Shown:
    value, enterprises, kind, secret, text = data
    return Shown(Cell(_read_number(value), enterprises), kind, secret, text)


def _table(table: Table) -> Json:
    return {
        "caption": table.caption,
        "head": table.head,
        "columns": [[c.code, c.key, c.label, c.kind] for c in table.columns],
        "rows": [[label, [_shown(s) for s in cells]] for label, cells in table.rows],
    }


def _read_table(data: Json) -> Table:
    return Table(
        data["caption"],
        data["head"],
        [Column(*c) for c in data["columns"]],
        [(label, [_read_shown(s) for s in cells]) for label, cells in data["rows"]],
    )


def indicators_to_json(figures: Indicators) -> Json:
    return {
        "format": FORMAT,
        "year": figures.year,
        "blocks": [
            {
                "code": b.code,
                "title": b.title,
                "definition": b.definition,
                "figures": [[label, _shown(s)] for label, s in b.figures],
            }
            for b in figures.blocks
        ],
        "breakdown": _table(figures.breakdown),
        "series": _table(figures.series),
        "charts": figures.charts,  # plain strings and lists (tables._chart); masked: None
        "masked": figures.masked,
        "computed_at": _moment(figures.computed_at),
    }


def indicators_from_json(data: Json) -> Indicators:
    return Indicators(
        year=data["year"],
        blocks=[
            Block(
                b["code"],
                b["title"],
                b["definition"],
                [(label, _read_shown(s)) for label, s in b["figures"]],
            )
            for b in data["blocks"]
        ],
        breakdown=_read_table(data["breakdown"]),
        series=_read_table(data["series"]),
        charts=data["charts"],
        masked=data["masked"],
        computed_at=_read_moment(data["computed_at"]),
    )


# --- Evaluation (evaluation.Evaluation) --------------------------------------------------------


def _interval(value: Interval | None) -> Json:
    if value is None:
        return None
    return [_float(value.value), _float(value.low), _float(value.high)]


def _read_interval(data: Json) -> Interval | None:
    if data is None:
        return None
    value, low, high = (_read_float(x) for x in data)
    assert value is not None
    return Interval(value, low, high)


def _cost(value: tuple[Decimal, Decimal | None, Decimal | None] | None) -> Json:
    return None if value is None else [_decimal(x) for x in value]


def _read_cost(data: Json) -> tuple[Decimal, Decimal | None, Decimal | None] | None:
    if data is None:
        return None
    first, low, high = (_read_decimal(x) for x in data)
    assert first is not None
    return first, low, high


def _forecast(forecast: JobsForecast | None) -> Json:
    if forecast is None:
        return None
    return {
        "origin_year": forecast.origin_year,
        "observed": _float(forecast.observed),
        "years": [
            [y.year, *(_float(v) for v in (y.point, y.low_80, y.high_80, y.low_95, y.high_95))]
            for y in forecast.years
        ],
        "n_firms": forecast.n_firms,
        "history_years": list(forecast.history_years),
        "draws": forecast.draws,
        "method": forecast.method,
        "warnings": list(forecast.warnings),
        "notices": [[n.code, n.params] for n in forecast.notices],
    }


def _read_forecast(data: Json) -> JobsForecast | None:
    if data is None:
        return None
    years = []
    for year, *values in data["years"]:
        point, low_80, high_80, low_95, high_95 = (float(v) for v in values)
        years.append(ForecastYear(year, point, low_80, high_80, low_95, high_95))
    return JobsForecast(
        origin_year=data["origin_year"],
        observed=float(data["observed"]),
        years=years,
        n_firms=data["n_firms"],
        history_years=list(data["history_years"]),
        draws=data["draws"],
        method=data["method"],
        warnings=list(data["warnings"]),
        notices=[Notice(code, dict(params)) for code, params in data["notices"]],
    )


def _discontinuity(d: CallDiscontinuity) -> Json:
    return {
        "call": d.call,
        "cutoff": _float(d.cutoff),
        "applicants": d.applicants,
        "effect": _interval(d.effect),
        "bandwidth": _float(d.bandwidth),
        "n_treated": d.n_treated,
        "n_control": d.n_control,
        "warnings": list(d.warnings),
    }


def _read_discontinuity(data: Json) -> CallDiscontinuity:
    return CallDiscontinuity(
        call=data["call"],
        cutoff=float(data["cutoff"]),
        applicants=data["applicants"],
        effect=_read_interval(data["effect"]),
        bandwidth=_read_float(data["bandwidth"]),
        n_treated=data["n_treated"],
        n_control=data["n_control"],
        warnings=list(data["warnings"]),
    )


def evaluation_to_json(evaluation: Evaluation) -> Json:
    return {
        "format": FORMAT,
        "available": evaluation.available,
        "computed_at": _moment(evaluation.computed_at),
        "seconds": evaluation.seconds,
        "n_treated": evaluation.n_treated,
        "n_control": evaluation.n_control,
        "per_firm": _interval(evaluation.per_firm),
        "attributable": _interval(evaluation.attributable),
        "at_horizon": _interval(evaluation.at_horizon),
        "at_horizon_total": _interval(evaluation.at_horizon_total),
        "event_study": [[k, *(_float(v) for v in rest)] for k, *rest in evaluation.event_study],
        "pretrend_p_value": _float(evaluation.pretrend_p_value),
        "awarded": _decimal(evaluation.awarded),
        "cost_per_job": _cost(evaluation.cost_per_job),
        "warnings": [str(w) for w in evaluation.warnings],
        "discontinuities": [_discontinuity(d) for d in evaluation.discontinuities],
        "forecast": _forecast(evaluation.forecast),
        "by_calendar_year": {
            str(year): [_float(v) for v in values]
            for year, values in evaluation.by_calendar_year.items()
        },
        "treated_by_year": {str(y): n for y, n in evaluation.treated_by_year.items()},
        "promise": evaluation.promise,
        "promise_year": evaluation.promise_year,
        "gross_at_promise": _decimal(evaluation.gross_at_promise),
    }


def evaluation_from_json(data: Json) -> Evaluation:
    def floats3(values: Json) -> tuple[float, float, float]:
        a, b, c = (float(v) for v in values)
        return a, b, c

    return Evaluation(
        available=data["available"],
        computed_at=_read_moment(data["computed_at"]),
        seconds=data["seconds"],
        n_treated=data["n_treated"],
        n_control=data["n_control"],
        per_firm=_read_interval(data["per_firm"]),
        attributable=_read_interval(data["attributable"]),
        at_horizon=_read_interval(data["at_horizon"]),
        at_horizon_total=_read_interval(data["at_horizon_total"]),
        event_study=[(k, *floats3(rest)) for k, *rest in data["event_study"]],
        pretrend_p_value=_read_float(data["pretrend_p_value"]),
        awarded=_read_decimal(data["awarded"]) or Decimal("0"),
        cost_per_job=_read_cost(data["cost_per_job"]),
        warnings=list(data["warnings"]),
        discontinuities=[_read_discontinuity(d) for d in data["discontinuities"]],
        forecast=_read_forecast(data["forecast"]),
        by_calendar_year={int(y): floats3(v) for y, v in data["by_calendar_year"].items()},
        treated_by_year={int(y): n for y, n in data["treated_by_year"].items()},
        promise=data["promise"],
        promise_year=data["promise_year"],
        gross_at_promise=_read_decimal(data["gross_at_promise"]),
    )


def public_evaluation(evaluation: Evaluation) -> Evaluation:
    """What a programme's public page may show of an evaluation, before it is stored: nothing
    but the counts when it rests on fewer than three funded or rejected firms, no effect at a
    call's cut-off under that threshold, no forecast of fewer than three firms, no promise text
    (the page shows the programme's own)."""
    if not evaluation.available or not evaluation.publishable:
        return Evaluation(
            available=evaluation.available,
            computed_at=evaluation.computed_at,
            seconds=evaluation.seconds,
            n_treated=evaluation.n_treated,
            n_control=evaluation.n_control,
        )
    public = evaluation_from_json(evaluation_to_json(evaluation))
    public.promise = ""
    for d in public.discontinuities:
        if not d.publishable:
            d.effect, d.bandwidth = None, None
    if public.forecast is not None and public.forecast.n_firms < 3:
        public.forecast = None
    return public
