"""What a call still lacks before it can be published: blocking items and warnings, in French."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.calls.models import Call, FieldKind
from pepiniere.lib.templatetags.money import eur


@dataclass(frozen=True)
class Item:
    message: str
    step: str  # the builder step where it is fixed


@dataclass
class Checklist:
    blocking: list[Item] = field(default_factory=list)
    warnings: list[Item] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blocking


def axis_remaining(call: Call) -> Decimal | None:
    """What the call's axis has left once the other calls on it have their envelopes."""
    if call.axis is None:
        return None
    others = Call.objects.filter(axis=call.axis).exclude(pk=call.pk).aggregate(
        total=Sum("envelope")
    )["total"] or Decimal("0")
    return call.axis.budget - others


def publication_checklist(call: Call, *, now: datetime.datetime | None = None) -> Checklist:
    now = now or timezone.now()
    result = Checklist()
    block, warn = result.blocking.append, result.warnings.append
    if not call.summary.strip():
        block(Item(_("Écrivez le résumé de l'appel (il apparaît au catalogue)."), "general"))
    if not call.description.strip():
        block(Item(_("Écrivez la description de l'appel."), "general"))
    if call.closes_at <= call.opens_at:
        block(Item(_("La date limite de dépôt précède la date d'ouverture."), "general"))
    elif call.closes_at <= now:
        block(Item(_("La date limite de dépôt est déjà passée."), "general"))
    if call.envelope <= 0:
        block(Item(_("Indiquez l'enveloppe de l'appel."), "general"))
    fields: list[Any] = list(call.form_fields.all())
    top = [f for f in fields if f.group_id is None]
    if not top:
        block(
            Item(
                _(
                    "Le formulaire n'a aucune question (en plus du titre, du résumé et des montants)."
                ),
                "form",
            )
        )
    for f in top:
        if f.kind in (FieldKind.CHOICE, FieldKind.MULTI_CHOICE) and len(f.choices) < 2:
            block(
                Item(
                    _("La question « %(label)s » propose moins de deux options.")
                    % {"label": f.label},
                    "form",
                )
            )
        if f.kind == FieldKind.GROUP and not any(c.group_id == f.pk for c in fields):
            block(
                Item(_("Le groupe « %(label)s » n'a aucune colonne.") % {"label": f.label}, "form")
            )
        if f.kind == FieldKind.FILE and not f.extensions:
            block(
                Item(
                    _("La question « %(label)s » n'accepte aucun format de fichier.")
                    % {"label": f.label},
                    "form",
                )
            )
        if f.min_value is not None and f.max_value is not None and f.min_value > f.max_value:
            block(
                Item(
                    _("« %(label)s » : le minimum dépasse le maximum.") % {"label": f.label}, "form"
                )
            )
    criteria = list(call.criteria.all())
    if not criteria:
        block(Item(_("La grille d'évaluation n'a aucun critère."), "grid"))
    for c in criteria:
        if c.threshold is not None and not (c.scale_min <= c.threshold <= c.scale_max):
            block(
                Item(
                    _("Le seuil du critère « %(title)s » sort de son échelle.")
                    % {"title": c.title},
                    "grid",
                )
            )
    if criteria and call.overall_threshold is not None:
        maximum = sum((c.scale_max for c in criteria), Decimal("0"))
        if call.overall_threshold > maximum:
            block(
                Item(
                    _("Le seuil global dépasse la note maximale de la grille (%(max)s).")
                    % {"max": f"{maximum.normalize():f}".replace(".", ",")},
                    "grid",
                )
            )
    if (
        call.min_age_years is not None
        and call.max_age_years is not None
        and call.min_age_years > call.max_age_years
    ):
        block(Item(_("L'ancienneté minimale dépasse l'ancienneté maximale."), "eligibility"))
    if call.max_requested_amount is not None and call.max_requested_amount > call.envelope:
        warn(Item(_("Le montant maximal demandé dépasse l'enveloppe de l'appel."), "eligibility"))
    remaining = axis_remaining(call)
    if remaining is not None and call.envelope > remaining:
        warn(
            Item(
                _(
                    "L'enveloppe (%(envelope)s) dépasse ce qui reste sur l'axe « %(axis)s » (%(remaining)s)."
                )
                % {
                    "envelope": eur(call.envelope),
                    "axis": call.axis.title if call.axis else "",
                    "remaining": eur(remaining),
                },
                "general",
            )
        )
    if call.review_deadline is not None and call.review_deadline <= call.closes_at:
        warn(Item(_("La date limite des évaluations précède la clôture des dépôts."), "review"))
    if call.reviews_per_application < 1:
        block(Item(_("Il faut au moins une évaluation par dossier."), "review"))
    if not call.contact_email:
        warn(Item(_("Aucune adresse de contact n'est indiquée aux porteurs de projet."), "general"))
    return result
