"""Backtest of the jobs forecast: forecast made with the data up to a year (default 2018)
against what the following years recorded, for a programme, a call or every funded firm:

    pepiniere impact_backtest [--programme SLUG | --call SLUG] [--origin 2018] [--horizon 3]

Prints one line per forecast year (recorded, forecast, 80 % and 95 % intervals, inside or not)
and the coverage; exits non-zero when there is nothing to test."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pepiniere.calls.models import Call
from pepiniere.engine import forecast
from pepiniere.impact.evaluation import forecast_rows
from pepiniere.portfolio.indicators import Scope
from pepiniere.programmes.models import Programme


class Command(BaseCommand):
    help = "Backtest the jobs forecast: data up to --origin against the years after it."

    def add_arguments(self, parser: Any) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--programme", help="slug of a programme")
        scope.add_argument("--call", help="slug of a call for projects")
        parser.add_argument("--origin", type=int, default=2018, help="last year the forecast sees")
        parser.add_argument("--horizon", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        scope = Scope()
        if options["programme"]:
            programme = Programme.objects.filter(slug=options["programme"]).first()
            if programme is None:
                raise CommandError(f"unknown programme {options['programme']!r}")
            scope = Scope(programme_id=programme.pk)
        elif options["call"]:
            call = Call.objects.filter(slug=options["call"]).first()
            if call is None:
                raise CommandError(f"unknown call {options['call']!r}")
            scope = Scope(call_id=call.pk)
        started = time.perf_counter()
        rows = forecast_rows(scope)
        if not rows:
            raise CommandError("no KPI report of a funded organisation: nothing to forecast")
        try:
            result = forecast.backtest(
                rows, origin_year=options["origin"], horizon=options["horizon"]
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not result.years:
            raise CommandError(f"no year after {options['origin']} recorded: nothing to compare")
        f = result.forecast
        self.stdout.write(
            f"forecast from {result.origin_year}: {f.n_firms} firms, {f.observed:.1f} FTE recorded, "
            f"history years {f.history_years[0] if f.history_years else '-'}–"
            f"{f.history_years[-1] if f.history_years else '-'}, {f.draws} draws"
        )
        for year in result.years:
            p = year.forecast
            self.stdout.write(
                f"{year.year}: recorded {year.actual:.1f} FTE ({year.reported} firms reporting), "
                f"forecast {p.point:.1f}, 80 % [{p.low_80:.1f}; {p.high_80:.1f}] "
                f"{'inside' if year.inside_80 else 'OUTSIDE'}, 95 % [{p.low_95:.1f}; {p.high_95:.1f}] "
                f"{'inside' if year.inside_95 else 'OUTSIDE'}"
            )
        self.stdout.write(
            f"coverage: 80 % interval {result.coverage_80:.0%}, 95 % interval "
            f"{result.coverage_95:.0%} of {len(result.years)} year(s) "
            f"({time.perf_counter() - started:.2f} s)"
        )
        for warning in f.warnings:
            self.stdout.write(f"warning: {warning}")
