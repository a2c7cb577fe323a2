"""The jury's page: the session, the proposals (from the scenario sent to the jury, else the
ranking), a decision per application, closing the session."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
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
from pepiniere.reviews.models import JurySession
from pepiniere.reviews.permissions import can_decide_as_jury, can_see_ranking
from pepiniere.reviews.ranking import ranking_for
from pepiniere.selection import jury as jury_services


@login_required
def jury(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    if not can_see_ranking(request.user, call):
        raise Http404
    session = JurySession.objects.filter(call=call).prefetch_related("members").first()
    can_decide = bool(can_decide_as_jury(request.user, call))
    if request.method == "POST":
        if not can_decide:
            raise Http404
        try:
            if "open" in request.POST:
                jury_services.open_session(
                    call=call,
                    actor=request.user,
                    held_on=timezone.localdate(),
                    members=list(
                        User.objects.filter(
                            pk__in=parse_int_ids(
                                request.POST.getlist("members"), label=_("Membres du jury")
                            )
                        )
                    )
                    or [request.user],
                )
            elif "close" in request.POST and session:
                jury_services.close_session(
                    session=session, actor=request.user, minutes=request.POST.get("minutes", "")
                )
            elif session:
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
    ]
    jurors = User.objects.filter(
        role_grants__role=Role.JURY, role_grants__funder_id__in=funder_ids_of_call(call)
    ).distinct()
    return render(
        request,
        "selection/jury.html",
        {
            "call": call,
            "session": session,
            "rows": rows,
            "can_decide": can_decide,
            "jurors": jurors,
            "decision_labels": jury_services.DECISIONS,
            "today": datetime.date.today(),
        },
    )
