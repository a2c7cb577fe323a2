"""Requests to join an organisation (a second claim of its SIREN/RNA) and member invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.forms import InvitedSignupForm
from pepiniere.accounts.models import User
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.organisations.models import JoinRequest, MemberInvitation
from pepiniere.organisations.permissions import can_decide_join_request
from pepiniere.organisations.selectors import pending_join_requests_for
from pepiniere.organisations.services import (
    OrganisationError,
    accept_invitation,
    accept_invitation_with_new_account,
    decide_join_request,
)


@login_required
def join_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "organisations/join_requests.html",
        {"join_requests": list(pending_join_requests_for(request.user))},
    )


@login_required
def join_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The claimant's status page; members and officers who may decide see the buttons."""
    item = get_object_or_404(JoinRequest.objects.select_related("organisation", "user"), pk=pk)
    can_decide = can_decide_join_request(request.user, item)
    if item.user_id != request.user.pk and not can_decide:
        raise Http404
    return render(
        request,
        "organisations/join_request.html",
        {"join_request": item, "can_decide": bool(can_decide)},
    )


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(JoinRequest.objects.select_related("organisation"), pk=pk)
    if not can_decide_join_request(request.user, item):
        raise Http404
    decision = request.POST.get("decision")
    if decision not in ("accept", "refuse"):
        messages.error(request, _("Choisissez d'accepter ou de refuser la demande."))
        return redirect("organisations:join_request", item.pk)
    try:
        decide_join_request(join_request=item, actor=request.user, accept=decision == "accept")
    except OrganisationError as error:
        messages.error(request, str(error))
    else:
        if decision == "accept":
            messages.success(
                request,
                _("%(person)s est maintenant membre de « %(organisation)s ».")
                % {"person": item.user.get_full_name(), "organisation": item.organisation.name},
            )
        else:
            messages.success(request, _("La demande est refusée."))
    return redirect("organisations:join_requests")


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    item = get_object_or_404(MemberInvitation.objects.select_related("organisation"), token=token)
    context: dict[str, object] = {"invitation": item, "open": item.is_open(timezone.now())}
    if not context["open"]:
        return render(request, "organisations/invitation.html", context)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                accept_invitation(invitation=item, actor=request.user)
            except OrganisationError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("Vous avez rejoint « %(name)s ».") % {"name": item.organisation.name},
                )
                return redirect("organisations:detail", item.organisation_id)
        context["wrong_account"] = request.user.email.lower() != item.email.lower()
        return render(request, "organisations/invitation.html", context)
    # Whoever holds the link reads the invited mailbox: telling them whether it has an account
    # reveals nothing to anyone else.
    existing = User.objects.filter(email__iexact=item.email).first()
    if existing is not None and existing.is_active:
        return redirect_to_login(request.get_full_path())
    if existing is not None:
        # Signed up, never activated: the sign-up link (or a new sign-up) comes first.
        context["inactive"] = True
        return render(request, "organisations/invitation.html", context)
    form = InvitedSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = accept_invitation_with_new_account(
            invitation=item,
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Votre compte est créé et vous avez rejoint « %(name)s ».")
            % {"name": item.organisation.name},
        )
        return redirect("organisations:detail", item.organisation_id)
    context["form"] = form
    return render(request, "organisations/invitation.html", context)
