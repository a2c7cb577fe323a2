"""The version of the data the impact figures are computed from.

The version is the last change of the KPI reports (an index on ``updated_at``: one index seek,
whatever the number of reports), the last award and the last review, read in one query of
scalar subqueries (each a MIN/MAX that both SQLite and PostgreSQL answer from an index). A
snapshot computed from another version is stale: the page says so and a refresh is queued.
An amendment changes an award without a new row: the impact app's award_amended provider marks
the snapshots stale itself (receivers.award_amended)."""

from __future__ import annotations

from django.db import connection

from pepiniere.grants.models import Award
from pepiniere.portfolio.indicators import Scope
from pepiniere.portfolio.models import KpiReport
from pepiniere.reviews.models import Review


def data_version() -> str:
    def latest(model: type, column: str) -> str:
        table = connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]
        return f"(SELECT MAX({connection.ops.quote_name(column)}) FROM {table})"  # noqa: S608 (our own names)

    parts = [
        latest(KpiReport, "updated_at"),
        latest(KpiReport, "id"),
        latest(Award, "id"),
        latest(Review, "updated_at"),
        latest(Review, "id"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))  # our own table and column names
        row = cursor.fetchone()
    return "|".join("" if v is None else str(v) for v in row)


def scope_key(scope: Scope) -> str:
    funders = "*" if scope.funder_ids is None else ",".join(map(str, sorted(scope.funder_ids)))
    return f"{scope.programme_id}:{scope.call_id}:{funders}:{scope.award_years}"
