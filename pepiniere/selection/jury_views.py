"""The jury's page: the session, the proposals (from the scenario sent to the jury, else the
ranking), a decision per application, closing the session."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role, User
from pepiniere.applications.services import ApplicationError
from pepiniere.applications.workflow import IllegalTransition
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import funder_ids_of_call
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.params import parse_int_id, parse_int_ids
from pepiniere.reviews.permissions import can_decide_as_jury, can_manage_reviews, can_see_ranking
from pepiniere.reviews.ranking import ranking_for
from pepiniere.selection import jury as jury_services


def _members(request: AuthenticatedHttpRequest, jurors: QuerySet[User]) -> list[User]:
    """The members ticked on the form, among the call's jurors."""
    ids = parse_int_ids(request.POST.getlist("members"), label=_("Membres du jury"))
    return list(jurors.filter(pk__in=ids))


@login_required
def jury(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    if not can_see_ranking(request.user, call):
        raise Http404
    session = jury_services.latest_session(call)
    can_decide = bool(can_decide_as_jury(request.user, call))
    # Once a session has been held, only an officer opens another one (explicit, with a reason).
    can_open_new = bool(
        session is not None
        and session.closed_at is not None
        and can_manage_reviews(request.user, call)
    )
    jurors = User.objects.filter(
        role_grants__role=Role.JURY, role_grants__funder_id__in=funder_ids_of_call(call)
    ).distinct()
    if request.method == "POST":
        if not (can_open_new if "new_session" in request.POST else can_decide):
            raise Http404
        try:
            if "new_session" in request.POST:
                jury_services.open_new_session(
                    call=call,
                    actor=request.user,
                    held_on=timezone.localdate(),
                    members=_members(request, jurors),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Nouvelle séance ouverte."))
            elif "open" in request.POST:
                jury_services.open_session(
                    call=call,
                    actor=request.user,
                    held_on=timezone.localdate(),
                    members=_members(request, jurors) or [request.user],
                )
            elif session is None:
                messages.error(request, _("La séance du jury n'est pas ouverte."))
            elif "close" in request.POST:
                jury_services.close_session(
                    session=session, actor=request.user, minutes=request.POST.get("minutes", "")
                )
            else:
                jury_services.decide(
                    session=session,
                    application_id=parse_int_id(
                        request.POST.get("application"), label=_("Dossier")
                    ),
                    decision=request.POST.get("decision", ""),
                    justification=request.POST.get("justification", ""),
                    actor=request.user,
                )
                messages.success(request, _("Décision enregistrée."))
        except (jury_services.JuryError, ApplicationError) as error:
            messages.error(request, error.message)
        except IllegalTransition:
            messages.error(
                request, _("Ce dossier n'est plus dans un état où cette décision est possible.")
            )
        return redirect("selection:jury", call.slug)
    result = ranking_for(call)
    proposals = jury_services.proposed_decisions(result, call.envelope)
    decisions = {d.application_id: d for d in session.decisions.all()} if session else {}
    rows = [
        {
            "row": row,
            "proposed": proposals[row.application.pk],
            "decision": decisions.get(row.application.pk),
        }
        for row in result.rows
        if row.n_reviews
    ]
    unreviewed = [
        {"row": row, "decision": decisions.get(row.application.pk)}
        for row in jury_services.unreviewed(result)
    ]
    return render(
        request,
        "selection/jury.html",
        {
            "call": call,
            "session": session,
            "rows": rows,
            "unreviewed": unreviewed,
            "can_decide": can_decide,
            "can_open_new": can_open_new,
            "reviews_still_open": jury_services.reviews_still_open(call) if not session else 0,
            "jurors": jurors,
            "decision_labels": jury_services.DECISIONS,
            "today": datetime.date.today(),
        },
    )
