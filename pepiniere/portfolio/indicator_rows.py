"""The RCO/RCR figures as flat rows (indicator, breakdown, year, value as exact text, unit,
unvalidated): what `pepiniere indicators` prints and the API's /indicators returns."""

from __future__ import annotations

from typing import Any

from pepiniere.portfolio import indicators, indicators_results


def summary_rows(summary: indicators.Summary) -> list[dict[str, Any]]:
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


UNITS = {"count": "enterprises", "money": "EUR", "percent": "%"}


def result_rows(
    results: dict[str, dict[str, indicators_results.Cell]], year: int
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for code, indicator in indicators_results.INDICATORS.items():
        for measure in indicator.measures:
            cell = results[code][measure.key]
            rows.append(
                {
                    "indicator": code,
                    "breakdown": measure.key,
                    "year": year,
                    "value": None if cell.value is None else str(cell.value),
                    "unit": UNITS[measure.kind],
                    "unvalidated": 0,
                }
            )
    return rows
