"""Print the EU common indicators of the portfolio (RCO01, RCO02, RCO05, RCR01 with created,
maintained and research jobs kept apart), for a programme, a call or everything:

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
from pepiniere.portfolio import indicators
from pepiniere.programmes.models import Programme


class Command(BaseCommand):
    help = "Print the RCO01, RCO02, RCO05 and RCR01 indicators (JSON or CSV)."

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
        rows = _rows(summary)
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
        ):
            print(line, file=sys.stderr)


def _rows(summary: indicators.Summary) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for jobs in summary.series:
        for breakdown, value in (
            ("created", jobs.created),
            ("maintained", jobs.maintained),
            ("research_created", jobs.research),
        ):
            rows.append(
                {
                    "indicator": "RCR01",
                    "breakdown": breakdown,
                    "year": jobs.year,
                    "value": str(value),
                    "unit": "FTE",
                    "unvalidated": jobs.unvalidated,
                }
            )
    for size, n in summary.rco01.items():
        rows.append(
            {
                "indicator": "RCO01",
                "breakdown": size,
                "year": None,
                "value": str(n),
                "unit": "enterprises",
                "unvalidated": 0,
            }
        )
    rows.append(
        {
            "indicator": "RCO02",
            "breakdown": "",
            "year": None,
            "value": str(summary.rco02),
            "unit": "enterprises",
            "unvalidated": 0,
        }
    )
    rows.append(
        {
            "indicator": "RCO05",
            "breakdown": "",
            "year": None,
            "value": str(summary.rco05),
            "unit": "enterprises",
            "unvalidated": 0,
        }
    )
    return rows
