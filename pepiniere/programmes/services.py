"""Labels: created, granted to a territory or an organisation over dates, ended. Each change is
checked (programmes.permissions), atomic and leaves one audit row."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.lib.dates import long_date
from pepiniere.organisations.models import Organisation
from pepiniere.programmes.models import Funder, Label, LabelHolding, LabelKind
from pepiniere.programmes.permissions import can_create_label, can_manage_label
from pepiniere.territories.models import Departement

COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class LabelError(Exception):
    """A change refused, with the reason to show (French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check(verdict: Any) -> None:
    if not verdict:
        raise LabelError(verdict.reason)


def _period(start: datetime.date, end: datetime.date | None) -> str:
    if end is None:
        return _("depuis le %(start)s") % {"start": long_date(start)}
    return _("du %(start)s au %(end)s") % {"start": long_date(start), "end": long_date(end)}


@transaction.atomic
def create_label(
    *,
    actor: Any,
    name: str,
    kind: str,
    awarding_funder: Funder | None = None,
    awarding_body: str = "",
    description: str = "",
    slug: str = "",
) -> Label:
    name, awarding_body = name.strip(), awarding_body.strip()
    _check(can_create_label(actor, awarding_funder))
    if not name:
        raise LabelError(_("Indiquez le nom du label."))
    if kind not in LabelKind.values:
        raise LabelError(_("Indiquez qui détient le label : un territoire ou une structure."))
    if (awarding_funder is None) == (not awarding_body):
        raise LabelError(
            _(
                "Indiquez qui décerne le label : un financeur de la plateforme ou un autre organisme."
            )
            if awarding_funder is None
            else _("Indiquez un financeur ou un autre organisme, pas les deux.")
        )
    slug = slugify(slug or name)[:50].strip("-")
    if not slug:
        raise LabelError(_("Le nom du label doit contenir des lettres ou des chiffres."))
    if Label.objects.filter(slug=slug).exists():
        raise LabelError(
            _("Un label porte déjà l'identifiant « %(slug)s » ; choisissez un autre nom.")
            % {"slug": slug}
        )
    label = Label.objects.create(
        name=name,
        slug=slug,
        kind=kind,
        awarding_funder=awarding_funder,
        awarding_body=awarding_body,
        description=description.strip(),
    )
    record(
        actor=actor,
        obj=label,
        action="label_create",
        reason=_("Label « %(name)s », décerné par %(body)s, détenu par : %(kind)s.")
        % {"name": name, "body": label.awarded_by, "kind": label.get_kind_display()},
    )
    return label


def clean_communes(codes: Iterable[str]) -> list[str]:
    """INSEE commune codes, deduplicated and sorted; a wrong one is refused by name."""
    cleaned: set[str] = set()
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if not COMMUNE_CODE.match(code):
            raise LabelError(
                _("« %(code)s » n'est pas un code commune INSEE (cinq caractères, ex. 33063).")
                % {"code": raw.strip()}
            )
        cleaned.add(code)
    return sorted(cleaned)


def _overlapping(holding: LabelHolding) -> LabelHolding | None:
    """Another holding of the same label by the same holder whose dates meet this one's."""
    others = LabelHolding.objects.filter(label_id=holding.label_id).exclude(pk=holding.pk)
    if holding.organisation_id is not None:
        others = others.filter(organisation_id=holding.organisation_id)
    else:
        others = others.filter(territory_name__iexact=holding.territory_name)
    for other in others.order_by("start_date"):
        starts_before_other_ends = other.end_date is None or holding.start_date <= other.end_date
        ends_after_other_starts = holding.end_date is None or other.start_date <= holding.end_date
        if starts_before_other_ends and ends_after_other_starts:
            return other
    return None


@transaction.atomic
def grant_label(
    *,
    actor: Any,
    label: Label,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    organisation: Organisation | None = None,
    territory_name: str = "",
    departement: Departement | None = None,
    communes: Iterable[str] = (),
    decision_reference: str = "",
) -> LabelHolding:
    """A new holding: an organisation for an organisation label; a named territory (a
    département and/or communes) for a territory label."""
    label = Label.objects.select_for_update().get(pk=label.pk)
    _check(can_manage_label(actor, label))
    codes = clean_communes(communes)
    territory_name = territory_name.strip()
    if label.kind == LabelKind.ORGANISATION:
        if organisation is None:
            raise LabelError(_("Ce label est détenu par des structures : choisissez la structure."))
        if territory_name or departement is not None or codes:
            raise LabelError(_("Ce label est détenu par des structures, pas par des territoires."))
    else:
        if organisation is not None:
            raise LabelError(
                _(
                    "Ce label est détenu par des territoires : indiquez un territoire, pas une structure."
                )
            )
        if not territory_name:
            raise LabelError(
                _("Indiquez le nom du territoire, par exemple « Bordeaux Métropole ».")
            )
        if departement is None and not codes:
            raise LabelError(
                _(
                    "Indiquez le département du territoire ou la liste de ses communes (codes INSEE)."
                )
            )
    if end_date is not None and end_date < start_date:
        raise LabelError(
            _("La fin (%(end)s) précède le début (%(start)s).")
            % {"end": long_date(end_date), "start": long_date(start_date)}
        )
    holding = LabelHolding(
        label=label,
        holder_kind=label.kind,
        organisation=organisation,
        territory_name=territory_name,
        departement=departement,
        communes=codes,
        start_date=start_date,
        end_date=end_date,
        decision_reference=decision_reference.strip(),
    )
    other = _overlapping(holding)
    if other is not None:
        raise LabelError(
            _("%(holder)s détient déjà ce label %(period)s : terminez d'abord cette période.")
            % {"holder": holding.holder_name, "period": _period(other.start_date, other.end_date)}
        )
    holding.save()
    record(
        actor=actor,
        obj=label,
        action="label_grant",
        reason=_("%(holder)s, %(period)s%(decision)s.")
        % {
            "holder": holding.holder_name,
            "period": _period(start_date, end_date),
            "decision": (_(" (décision %(ref)s)") % {"ref": holding.decision_reference})
            if holding.decision_reference
            else "",
        },
    )
    return holding


@transaction.atomic
def end_label_holding(
    *, actor: Any, holding: LabelHolding, end_date: datetime.date, reason: str = ""
) -> LabelHolding:
    """The holding's last day; a holding already ended may be ended earlier, not later."""
    # Only the holding's row is locked (the organisation is on the nullable side of a join).
    holding = (
        LabelHolding.objects.select_for_update(of=("self",))
        .select_related("label", "organisation")
        .get(pk=holding.pk)
    )
    _check(can_manage_label(actor, holding.label))
    if end_date < holding.start_date:
        raise LabelError(
            _("La fin (%(end)s) ne peut pas précéder le début (%(start)s).")
            % {"end": long_date(end_date), "start": long_date(holding.start_date)}
        )
    if holding.end_date is not None and end_date >= holding.end_date:
        raise LabelError(
            _("Cette détention prend déjà fin le %(end)s.") % {"end": long_date(holding.end_date)}
        )
    holding.end_date = end_date
    holding.end_reason = reason.strip()
    holding.save(update_fields=["end_date", "end_reason"])
    record(
        actor=actor,
        obj=holding.label,
        action="label_end",
        reason=_("%(holder)s : label détenu jusqu'au %(end)s%(why)s.")
        % {
            "holder": holding.holder_name,
            "end": long_date(end_date),
            "why": f" ({holding.end_reason})" if holding.end_reason else "",
        },
    )
    return holding
