from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.organisations.forms import AddMemberForm, OrganisationForm
from pepiniere.organisations.models import JoinRequest, JoinRequestStatus, Organisation
from pepiniere.organisations.permissions import can_manage_organisation, can_view_organisation
from pepiniere.organisations.selectors import pending_join_requests_for
from pepiniere.organisations.services import (
    OrganisationError,
    create_organisation,
    invite_member,
    update_organisation,
)


@login_required
def my_organisations(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisations = (
        Organisation.objects.filter(memberships__user=request.user)
        .select_related("departement", "legal_form", "size_band")
        .order_by("name")
    )
    my_requests = (
        JoinRequest.objects.filter(user=request.user, status=JoinRequestStatus.PENDING)
        .select_related("organisation")
        .order_by("-created_at")
    )
    return render(
        request,
        "organisations/mine.html",
        {"organisations": organisations, "my_requests": my_requests},
    )


@login_required
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            created = create_organisation(actor=request.user, data=form.cleaned_data)
        except OrganisationError as error:
            messages.error(request, str(error))
            return redirect("organisations:mine")
        if isinstance(created, JoinRequest):
            return redirect("organisations:join_request", created.pk)
        organisation = created
        messages.success(
            request, _("La structure « %(name)s » est enregistrée.") % {"name": organisation.name}
        )
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}
        ):
            return redirect(next_url)
        return redirect("organisations:detail", organisation.pk)
    return render(
        request, "organisations/form.html", {"form": form, "next": next_url, "creating": True}
    )


@login_required
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(
        Organisation.objects.select_related("departement", "legal_form", "size_band"), pk=pk
    )
    if not can_view_organisation(request.user, organisation):
        raise Http404
    member_form = AddMemberForm(request.POST or None)
    can_manage = can_manage_organisation(request.user, organisation)
    if request.method == "POST":
        can_manage.enforce()
        if member_form.is_valid():
            try:
                invitation = invite_member(
                    organisation=organisation,
                    actor=request.user,
                    email=member_form.cleaned_data["email"],
                )
            except OrganisationError as error:
                member_form.add_error("email", str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Une invitation est envoyée à %(email)s. La personne rejoindra la "
                        "structure en l'acceptant (avec son compte, ou en en créant un)."
                    )
                    % {"email": invitation.email},
                )
                return redirect("organisations:detail", organisation.pk)
    memberships = organisation.memberships.select_related("user").order_by("user__email")
    applications = organisation.applications.select_related("call").order_by("-created_at")
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "memberships": memberships,
            "applications": applications,
            "member_form": member_form,
            "can_manage": bool(can_manage),
            "join_requests": pending_join_requests_for(request.user, organisation=organisation),
            "invitations": organisation.invitations.filter(
                accepted_at__isnull=True, expires_at__gt=timezone.now()
            ).order_by("-created_at")
            if can_manage
            else [],
        },
    )


@login_required
def edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    if not can_view_organisation(request.user, organisation):
        raise Http404
    can_manage_organisation(request.user, organisation).enforce()
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            update_organisation(
                organisation=Organisation.objects.get(pk=organisation.pk),
                actor=request.user,
                data=form.cleaned_data,
            )
        except OrganisationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Modifications enregistrées."))
            return redirect("organisations:detail", organisation.pk)
    return render(request, "organisations/form.html", {"form": form, "organisation": organisation})
