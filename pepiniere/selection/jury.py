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
from django.utils.translation import gettext_lazy

from pepiniere.applications import services as application_services
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.reviews.models import JuryDecision, JurySession
from pepiniere.reviews.permissions import can_decide_as_jury
from pepiniere.reviews.ranking import Ranking, ranking_for
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
    proposed."""
    if scenario is None and use_sent_scenario:
        scenario = sent_scenario(ranking.call)
    if scenario is not None:
        return jury_proposals(scenario, [row.application.pk for row in ranking.rows], reserve_size)
    remaining = envelope
    proposals: dict[int, tuple[str, str]] = {}
    reserve = 0
    for row in ranking.rows:
        application = row.application
        if not row.fundable:
            proposals[application.pk] = (
                "reject",
                _("Sous un seuil : %(what)s.")
                % {
                    "what": ", ".join(
                        _("seuil global") if f == "overall" else f for f in row.failed_thresholds
                    )
                    or _("aucune évaluation")
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


@transaction.atomic
def open_session(
    *, call: Call, actor: Any, held_on: datetime.date, members: list[Any]
) -> JurySession:
    if not can_decide_as_jury(actor, call):
        raise JuryError(can_decide_as_jury(actor, call).reason)
    session = JurySession.objects.create(call=call, held_on=held_on)
    session.members.set(members or [actor])
    record(actor=actor, obj=call, action="open_jury_session", reason=str(held_on), public=False)
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
    proposed, why = proposed_decisions(ranking, session.call.envelope)[application_id]
    if decision != proposed and not justification.strip():
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
    if decision != proposed:
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
    verdict = can_decide_as_jury(actor, session.call)
    if not verdict:
        raise JuryError(verdict.reason)
    session.closed_at = timezone.now()
    session.minutes = minutes
    session.save()
    record(actor=actor, obj=session.call, action="close_jury_session", public=False)
    return session
