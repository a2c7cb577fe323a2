"""The jury session: the ranked list, decisions proposed from the scenario the officers sent (else
from the ranking), the jury's decisions (any departure from the proposal needs a written
justification and is audited). The decision stage: it reads the reviews' ranking and the selection,
so it lives here; its models (JurySession, JuryDecision) stay in reviews/ where their migrations are."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application, Status
from pepiniere.applications.workflow import TRANSITIONS
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.lib.dates import long_date
from pepiniere.reviews.models import JuryDecision, JurySession
from pepiniere.reviews.permissions import can_decide_as_jury, can_manage_reviews
from pepiniere.reviews.ranking import RankedApplication, Ranking, ranking_for
from pepiniere.selection.selectors import jury_proposals, sent_scenario
from pepiniere.selection.services import SelectionError


class JuryError(SelectionError):
    """A jury action that is not allowed; its message is shown to the jury as is."""


DECISIONS = {
    "select": gettext_lazy("retenu"),
    "put_in_reserve": gettext_lazy("liste complémentaire"),
    "reject": gettext_lazy("non retenu"),
}
RESERVE_SIZE = 5
# The states a jury decides on: reviews closed, no decision yet (or in the reserve list).
DECIDABLE = (Status.REVIEWED, Status.RESERVE)


def proposed_decisions(
    ranking: Ranking,
    envelope: Decimal,
    reserve_size: int = RESERVE_SIZE,
    scenario: Any = None,
    *,
    use_sent_scenario: bool = True,
) -> dict[int, tuple[str, str]]:
    """{application id: (decision, why)}.

    From `scenario` when given, else from the selection scenario the officers sent to the jury
    (pepiniere.selection), else plain rank order within the envelope (greedy: each fundable
    application that still fits), then a reserve list; below-threshold applications are never
    proposed. Applications without a counted review get no proposal: the jury page shows them
    apart, « sans évaluation » (see ``unreviewed``)."""
    reviewed = [row for row in ranking.rows if row.n_reviews]
    if scenario is None and use_sent_scenario:
        scenario = sent_scenario(ranking.call)
    if scenario is not None:
        return jury_proposals(scenario, [row.application.pk for row in reviewed], reserve_size)
    remaining = envelope
    proposals: dict[int, tuple[str, str]] = {}
    reserve = 0
    for row in reviewed:
        application = row.application
        if not row.fundable:
            proposals[application.pk] = (
                "reject",
                _("Sous un seuil : %(what)s.")
                % {
                    "what": ", ".join(
                        _("seuil global") if f == "overall" else f for f in row.failed_thresholds
                    )
                },
            )
            continue
        amount = application.requested_amount or Decimal(0)
        if amount <= remaining:
            remaining -= amount
            proposals[application.pk] = (
                "select",
                _("Rang %(rank)d, dans l'enveloppe.") % {"rank": row.rank},
            )
        elif reserve < reserve_size:
            reserve += 1
            proposals[application.pk] = (
                "put_in_reserve",
                _("Rang %(rank)d : enveloppe épuisée, liste complémentaire n° %(n)d.")
                % {"rank": row.rank, "n": reserve},
            )
        else:
            proposals[application.pk] = (
                "reject",
                _("Rang %(rank)d : enveloppe épuisée.") % {"rank": row.rank},
            )
    return proposals


def unreviewed(ranking: Ranking) -> list[RankedApplication]:
    """The ranked applications without a counted review: no proposal, shown apart."""
    return [row for row in ranking.rows if not row.n_reviews]


def latest_session(call: Call) -> JurySession | None:
    return (
        JurySession.objects.filter(call=call)
        .order_by("-held_on", "-pk")
        .prefetch_related("members")
        .first()
    )


def reviews_still_open(call: Call) -> int:
    """How many of the call's applications are still « en expertise » (0: reviews are closed)."""
    return Application.objects.filter(call=call, status=Status.IN_REVIEW).count()


def _check_reviews_closed(call: Call) -> None:
    still_open = reviews_still_open(call)
    if still_open:
        raise JuryError(
            ngettext(
                "Les évaluations de cet appel ne sont pas closes : %(n)d dossier est encore en "
                "expertise. La séance s'ouvre une fois les évaluations closes (page « Avancement »).",
                "Les évaluations de cet appel ne sont pas closes : %(n)d dossiers sont encore en "
                "expertise. La séance s'ouvre une fois les évaluations closes (page « Avancement »).",
                still_open,
            )
            % {"n": still_open}
        )
    if not Application.objects.filter(call=call, status__in=DECIDABLE).exists():
        raise JuryError(_("Aucun dossier de cet appel n'attend la décision du jury."))


@transaction.atomic
def open_session(
    *, call: Call, actor: Any, held_on: datetime.date, members: list[Any]
) -> JurySession:
    """The jury opens the call's session, once the reviews are closed. Only the first one: once a
    session has been held, a new one is an officer's decision (``open_new_session``)."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    verdict = can_decide_as_jury(actor, call)
    if not verdict:
        raise JuryError(verdict.reason)
    if JurySession.objects.filter(call=call).exists():
        raise JuryError(
            _(
                "La séance du jury de cet appel a déjà été ouverte. Une nouvelle séance ne peut être "
                "ouverte que par un·e chargé·e de mission, avec son motif."
            )
        )
    _check_reviews_closed(call)
    session = JurySession.objects.create(call=call, held_on=held_on)
    session.members.set(members or [actor])
    record(
        actor=actor, obj=call, action="open_jury_session", reason=long_date(held_on), public=False
    )
    return session


@transaction.atomic
def open_new_session(
    *, call: Call, actor: Any, held_on: datetime.date, members: list[Any], reason: str
) -> JurySession:
    """An officer of the call opens a new session after the last one was closed (a session
    adjourned, decisions to take again): explicit, with its reason, audited."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    verdict = can_manage_reviews(actor, call)
    if not verdict:
        raise JuryError(
            _("Seul·es les chargé·es de mission du financeur ouvrent une nouvelle séance.")
        )
    latest = latest_session(call)
    if latest is not None and latest.closed_at is None:
        raise JuryError(_("La séance du jury est encore ouverte : clôturez-la d'abord."))
    if not reason.strip():
        raise JuryError(_("Donnez le motif de la nouvelle séance."))
    _check_reviews_closed(call)
    if not members:
        raise JuryError(_("Choisissez les membres présents."))
    session = JurySession.objects.create(call=call, held_on=held_on)
    session.members.set(members)
    record(
        actor=actor,
        obj=call,
        action="open_new_jury_session",
        reason=reason.strip(),
        public=False,
    )
    return session


@transaction.atomic
def decide(
    *,
    session: JurySession,
    application_id: int,
    decision: str,
    justification: str,
    actor: Any,
    ranking: Ranking | None = None,
    now: datetime.datetime | None = None,
) -> JuryDecision:
    session = JurySession.objects.select_for_update().select_related("call").get(pk=session.pk)
    verdict = can_decide_as_jury(actor, session.call)
    if not verdict:
        raise JuryError(verdict.reason)
    if session.closed_at is not None:
        raise JuryError(_("La séance est close : ses décisions ne peuvent plus changer."))
    if decision not in DECISIONS:
        raise JuryError(_("Décision inconnue."))
    ranking = ranking or ranking_for(session.call)
    row = next((r for r in ranking.rows if r.application.pk == application_id), None)
    if row is None:
        raise JuryError(_("Ce dossier n'est pas au classement de l'appel."))
    status = row.application.status
    if status not in TRANSITIONS[decision].sources:
        raise JuryError(
            _("Ce dossier est « %(status)s » : le jury ne peut pas le dire « %(decision)s ».")
            % {"status": Status(status).label, "decision": DECISIONS[decision]}
        )
    if not row.n_reviews:
        if decision == "select":
            raise JuryError(_("Ce dossier n'a aucune évaluation : il ne peut pas être retenu."))
        if not justification.strip():
            raise JuryError(_("Ce dossier n'a aucune évaluation : justifiez la décision."))
    proposed, why = proposed_decisions(ranking, session.call.envelope).get(application_id, ("", ""))
    if proposed and decision != proposed and not justification.strip():
        raise JuryError(
            _(
                "Cette décision s'écarte de la proposition issue du classement (%(p)s) : justifiez-la."
            )
            % {"p": DECISIONS[proposed]}
        )
    if decision == "select" and not row.fundable:
        raise JuryError(
            _("Ce dossier est sous un seuil d'évaluation : il ne peut pas être retenu.")
        )
    reason = justification.strip() or why
    application = row.application
    application_services.record_jury_decision(
        application=application, actor=actor, decision=decision, reason=reason, now=now
    )
    jury_decision, _created = JuryDecision.objects.update_or_create(
        session=session,
        application=application,
        defaults={
            "rank": row.rank,
            "proposed": proposed,
            "decision": decision,
            "justification": justification.strip(),
            "decided_by": actor,
            "decided_at": now or timezone.now(),
        },
    )
    if proposed and decision != proposed:
        record(
            actor=actor,
            obj=application,
            action="jury_override",
            from_state=proposed,
            to_state=decision,
            reason=justification,
            public=False,
        )
    return jury_decision


@transaction.atomic
def close_session(*, session: JurySession, actor: Any, minutes: str = "") -> JurySession:
    """Once closed, a session stays closed: its decisions and minutes no longer change."""
    session = JurySession.objects.select_for_update().select_related("call").get(pk=session.pk)
    verdict = can_decide_as_jury(actor, session.call)
    if not verdict:
        raise JuryError(verdict.reason)
    if session.closed_at is not None:
        raise JuryError(_("La séance est déjà close."))
    session.closed_at = timezone.now()
    session.minutes = minutes
    session.save()
    record(actor=actor, obj=session.call, action="close_jury_session", public=False)
    return session
