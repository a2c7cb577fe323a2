"""Print the EU common indicators of the portfolio (RCO01, RCO02, RCO04, RCO05, RCR01 with created,
maintained and research jobs kept apart, RCR02, RCR17, RCR19), for a programme, a call or
everything:

    pepiniere indicators [--programme SLUG | --call SLUG] [--year YYYY] [--format json|csv]

The figures go to standard output; one line per kind of outcome goes to standard error. An
unknown slug exits non-zero."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pepiniere.calls.models import Call
from pepiniere.lib.spreadsheet import SafeCsvWriter
from pepiniere.portfolio import indicator_rows, indicators, indicators_results
from pepiniere.programmes.models import Programme


class Command(BaseCommand):
    help = "Print the RCO01/02/04/05 and RCR01/02/17/19 indicators (JSON or CSV)."

    def add_arguments(self, parser: Any) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--programme", help="slug of a programme")
        scope.add_argument("--call", help="slug of a call for projects")
        parser.add_argument("--year", type=int, help="year of RCR01 (default: the latest reported)")
        parser.add_argument("--since", type=int, help="first year of the RCR01 series")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = indicators.Scope()
        if options["programme"]:
            programme = Programme.objects.filter(slug=options["programme"]).first()
            if programme is None:
                raise CommandError(f"unknown programme {options['programme']!r}")
            scope = indicators.Scope(programme_id=programme.pk)
        elif options["call"]:
            call = Call.objects.filter(slug=options["call"]).first()
            if call is None:
                raise CommandError(f"unknown call {options['call']!r}")
            scope = indicators.Scope(call_id=call.pk)
        year = options["year"] or indicators.latest_year()
        if year is None:
            raise CommandError("no KPI report yet: nothing to count (give --year)")
        since = options["since"] or year
        if since > year:
            raise CommandError("--since comes after --year")
        summary = indicators.summary(scope, year, series_from=since)
        rows = indicator_rows.summary_rows(summary)
        results = indicators_results.totals(scope, year)
        rows += indicator_rows.result_rows(results, year)
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            writer = SafeCsvWriter(self.stdout)  # type: ignore[arg-type]
            writer.writerow(["indicator", "breakdown", "year", "value", "unit", "unvalidated"])
            for row in rows:
                writer.writerow(
                    [
                        row["indicator"],
                        row["breakdown"],
                        row["year"],
                        row["value"],
                        row["unit"],
                        row["unvalidated"],
                    ]
                )
        jobs = summary.rcr01
        for line in (
            f"RCR01 {year}: {jobs.created} FTE created, {jobs.maintained} maintained, "
            f"{jobs.research} research created, over {jobs.organisations} organisation(s)",
            f"RCR01 {year}: {jobs.unvalidated} organisation(s) counted on reports not yet validated",
            f"RCO02: {summary.rco02} enterprise(s) supported by grants",
            f"RCO05: {summary.rco05} new enterprise(s) supported",
            "RCO01: " + ", ".join(f"{n} {size}" for size, n in summary.rco01.items()),
            *_result_lines(results, year),
        ):
            print(line, file=sys.stderr)


def _result_lines(results: dict[str, dict[str, indicators_results.Cell]], year: int) -> list[str]:
    rco04 = results["RCO04"]["supported"].value
    rcr02, rcr17, rcr19 = results["RCR02"], results["RCR17"], results["RCR19"]
    return [
        "RCO04: not applicable (no non-financial support recorded)"
        if rco04 is None
        else f"RCO04: {rco04} enterprise(s) with non-financial support",
        f"RCR02 up to {year}: {rcr02['cofunding'].value} EUR co-financing, "
        f"{rcr02['equity'].value} EUR equity and {rcr02['loans'].value} EUR loans raised",
        f"RCR17 {year}: {rcr17['surviving'].value} of {rcr17['observable'].value} new "
        "enterprise(s) supported at least 3 years ago still active",
        f"RCR19 {year}: {rcr19['higher'].value} of {rcr19['compared'].value} enterprise(s) "
        "with a higher turnover than at the baseline",
    ]
