"""Imported grants as the earlier stages read them: the funders that supported an organisation
(organisations.selectors.supporting_funders) and the organisation's follow-up timeline
(portfolio.hooks.other_support); both registered in OpendataConfig.ready().

Only the platform funder that granted the aid (its SIRET is the file's idAttribuant) supports
the organisation: a funder that imports another's published file for de minimis checks does not
become its supporter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from pepiniere.lib.dates import long_date
from pepiniere.lib.money import format_eur
from pepiniere.opendata.models import ImportedGrant

if TYPE_CHECKING:
    from pepiniere.portfolio.selectors_organisation import TimelineEvent

TIMELINE_CAP = 200


def funders_of_imported_grants() -> QuerySet[ImportedGrant]:
    return ImportedGrant.objects.filter(funder__isnull=False, organisation__isnull=False).annotate(
        supported_organisation=F("organisation_id"), supporting_funder=F("funder_id")
    )


def imported_support(organisation_id: int, funder_ids: set[int] | None) -> list[TimelineEvent]:
    """The organisation's imported grants, of these funders (None: all), as timeline events."""
    from pepiniere.portfolio.selectors_organisation import TimelineEvent

    grants = ImportedGrant.objects.filter(organisation_id=organisation_id)
    if funder_ids is not None:
        if not funder_ids:
            return []
        grants = grants.filter(funder_id__in=funder_ids)
    rows = grants.select_related("batch").order_by("agreement_date", "pk")[:TIMELINE_CAP]
    events = []
    for grant in rows:
        amount = (
            format_eur(grant.amount)
            if grant.currency == "EUR"
            else f"{grant.amount} {grant.currency}"
        )
        detail = _("%(object)s — importée du fichier « %(file)s » le %(day)s") % {
            "object": grant.object or _("objet non précisé"),
            "file": grant.batch.file_name,
            "day": long_date(grant.batch.confirmed_at or grant.batch.uploaded_at),
        }
        if grant.de_minimis:
            detail += _(" ; aide de minimis")
        events.append(
            TimelineEvent(
                date=grant.agreement_date,
                kind="imported",
                title=_("Aide historique de %(funder)s : %(amount)s")
                % {"funder": grant.funder_name or grant.funder_siret, "amount": amount},
                detail=detail,
                amount=grant.amount if grant.currency == "EUR" else None,
            )
        )
    return events
