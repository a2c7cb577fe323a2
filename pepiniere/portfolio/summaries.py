"""The support summaries (models.SupportSummary): one row per funder and organisation it
supported, and one per organisation for every funder together, with the awards' number, total
and first and last decision, as the portfolio list sorts and counts them; and their awards
(models.SupportedAward) with the call and date the list's award filters read.

One function writes them, from the awards, for a few organisations (an award made or amended:
the grants hooks, inside the award's transaction) or for all (the migration that created the
table, the demo and the benchmark, which write their awards in bulk). The database computes the
rows (INSERT … SELECT … GROUP BY): the same grouping whatever the number of organisations."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.apps import apps as installed_apps
from django.db import connections, router
from django.db.models import Count, IntegerField, Max, Min, QuerySet, Sum, Value


def write_summaries(
    organisation_ids: Collection[int] | None = None, *, apps: Any = installed_apps
) -> int:
    """Rewrite the summaries of these organisations (None: of every organisation) from their
    awards and the funders' shares; returns how many rows it wrote. `apps`: the migration's
    historical models (the same fields), the installed ones otherwise."""
    summary = apps.get_model("portfolio", "SupportSummary")
    line = apps.get_model("portfolio", "SupportedAward")
    share = apps.get_model("grants", "AwardShare")
    award = apps.get_model("grants", "Award")
    organisation = apps.get_model("organisations", "Organisation")
    using = router.db_for_write(summary)
    summaries = summary.objects.using(using)
    lines = line.objects.using(using)
    shares = share.objects.using(using)
    awards = award.objects.using(using)
    if organisation_ids is not None:
        ids = sorted(set(organisation_ids))
        if not ids:
            return 0
        # Two awards to one organisation at once: the second waits for the first to commit,
        # then reads both (each rewrite starts from the committed awards).
        list(
            organisation.objects.using(using)
            .select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        summaries = summaries.filter(organisation_id__in=ids)
        lines = lines.filter(organisation_id__in=ids)
        shares = shares.filter(award__application__organisation_id__in=ids)
        awards = awards.filter(application__organisation_id__in=ids)
    summaries.delete()
    lines.delete()
    # Each award as each funder paying a share of it counts it, and once for every funder.
    written = _insert(
        line,
        using,
        ["funder_id", "award_id", "organisation_id", "call_id", "decision_date", "amount"],
        shares.order_by().values(
            "funder_id",
            "award_id",
            "award__application__organisation_id",
            "award__application__call_id",
            "award__decision_date",
            "award__amount",
        ),
    )
    written += _insert(
        line,
        using,
        ["award_id", "organisation_id", "call_id", "decision_date", "amount", "funder_id"],
        awards.order_by()
        .values(
            "pk", "application__organisation_id", "application__call_id", "decision_date", "amount"
        )
        .annotate(funder=Value(None, output_field=IntegerField())),
    )
    # One funder's figures: the awards it pays a share of (one share per award and funder).
    per_funder = (
        shares.order_by()
        .values("funder_id", "award__application__organisation_id")
        .annotate(
            awards=Count("award_id"),
            total=Sum("award__amount"),
            first=Min("award__decision_date"),
            last=Max("award__decision_date"),
        )
    )
    # Every funder together: each award once, whoever pays it.
    every_funder = (
        awards.order_by()
        .values("application__organisation_id")
        .annotate(
            funder=Value(None, output_field=IntegerField()),
            awards=Count("pk"),
            total=Sum("amount"),
            first=Min("decision_date"),
            last=Max("decision_date"),
        )
    )
    columns = ["funder_id", "organisation_id", "awards", "total", "first_award", "last_award"]
    written += _insert(summary, using, columns, per_funder)
    written += _insert(summary, using, [columns[1], columns[0], *columns[2:]], every_funder)
    return written


def _insert(model: Any, using: str, columns: list[str], rows: QuerySet[Any]) -> int:
    """INSERT INTO model (columns) SELECT … (the query's columns in the same order: its grouping
    fields, then its annotations as declared)."""
    connection = connections[using]
    select, params = rows.query.get_compiler(using).as_sql()
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c.removesuffix("_id")).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) {select}",  # noqa: S608 (our names)
            params,
        )
        return int(cursor.rowcount)


def award_made(*, award: Any, actor: Any) -> None:
    """Registered on grants.hooks.award_made."""
    write_summaries([award.application.organisation_id])


def award_amended(*, award: Any, actor: Any, old_amount: Any) -> None:
    """Registered on grants.hooks.award_amended (a new amount; the shares followed)."""
    write_summaries([award.application.organisation_id])
