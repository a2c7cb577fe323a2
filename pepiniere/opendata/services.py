"""Publishing a funder's open data, and the officers' withholding and restoring of a line.

Publication is automatic: when an agreement becomes fully signed, the `publish_open_data` task
is queued after the commit (agreements.hooks.version_signed, registered in apps.py) and freezes
a new Publication of every funder of the award whose files changed; `pepiniere
publish_opendata`, run daily from cron, does the same for every funder (what became publishable
by other routes: a policy changed, a line restored). Both are far within the three months of
décret n° 2017-779. Withholding or restoring a line republishes its funder at once."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.grants.models import Award
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.opendata import export
from pepiniere.opendata.models import Publication, Withholding
from pepiniere.portfolio.permissions import staff_funder_ids
from pepiniere.programmes.models import Funder


class OpenDataError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def can_manage(user: Any, funder: Funder) -> Verdict:
    """The funder's officers (and administrators) withhold and restore its lines."""
    ids = staff_funder_ids(user)
    if ids is None or funder.pk in ids:
        return allow()
    return deny(_("Seul·es les chargé·es de mission de ce financeur gèrent ses données ouvertes."))


def latest_publication(funder: Funder) -> Publication | None:
    return Publication.objects.filter(funder=funder).order_by("-published_at", "-id").first()


def publish(funder: Funder, *, now: datetime.datetime | None = None) -> Publication | None:
    """A new Publication of the funder's files when they differ from the latest; None when
    nothing changed (or the funder has no SIRET: the SCDL file needs it)."""
    if not funder.siret:
        return None
    now = now or timezone.now()
    found = export.lines(funder)
    scdl = export.scdl_csv(found)
    latest = latest_publication(funder)
    if latest is not None and latest.scdl == scdl:
        return None
    return Publication.objects.create(
        funder=funder,
        published_at=now,
        scdl=scdl,
        giving=export.giving_json(found, issued=timezone.localdate(now)),
        lines=export.count_outcomes(found)[export.PUBLISHED],
    )


def publish_all(*, now: datetime.datetime | None = None) -> list[Publication]:
    made = []
    for funder in Funder.objects.exclude(siret="").order_by("name"):
        publication = publish(funder, now=now)
        if publication is not None:
            made.append(publication)
    return made


@transaction.atomic
def withhold(*, award: Award, funder: Funder, actor: Any, reason: str) -> Withholding:
    can_manage(actor, funder).enforce()
    reason = reason.strip()
    if not reason:
        raise OpenDataError(_("Indiquez l'exception légale qui justifie de retirer cette ligne."))
    if not award.shares.filter(funder=funder).exists():
        raise OpenDataError(_("Ce financeur ne finance pas cette aide."))
    if Withholding.objects.filter(award=award, funder=funder).exists():
        raise OpenDataError(_("Cette ligne est déjà retirée des données ouvertes."))
    now = timezone.now()
    withholding = Withholding.objects.create(
        award=award, funder=funder, reason=reason, withheld_by=actor, withheld_at=now
    )
    record(
        actor=actor,
        obj=award,
        action="withhold_open_data",
        reason=f"{funder.name} : {reason}",
        public=False,
        at=now,
    )
    publish(funder, now=now)
    return withholding


@transaction.atomic
def restore(*, award: Award, funder: Funder, actor: Any) -> None:
    can_manage(actor, funder).enforce()
    deleted, _rows = Withholding.objects.filter(award=award, funder=funder).delete()
    if not deleted:
        raise OpenDataError(_("Cette ligne n'est pas retirée des données ouvertes."))
    now = timezone.now()
    record(
        actor=actor,
        obj=award,
        action="restore_open_data",
        reason=funder.name,
        public=False,
        at=now,
    )
    publish(funder, now=now)
