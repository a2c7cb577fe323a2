"""Applicant pages: the organisation's de minimis ledger and declarations, decision letters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application
from pepiniere.grants import deminimis, services
from pepiniere.grants.forms import AidDeclarationForm, LinkForm, link_decision
from pepiniere.grants.letters import letter_paragraphs, letter_pdf
from pepiniere.grants.models import DecisionLetter, LinkedUndertaking, LinkStatus
from pepiniere.grants.permissions import can_declare_aid, can_read_decision
from pepiniere.lib.params import parse_int_id
from pepiniere.organisations.models import Organisation


@login_required
def minimis(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    if not can_declare_aid(request.user, organisation):
        raise Http404
    links = list(LinkedUndertaking.objects.filter(organisation=organisation))
    aid_form = AidDeclarationForm(organisation=organisation, links=links)
    link_form = LinkForm()
    if request.method == "POST":
        try:
            if "decide_link" in request.POST:
                # Only links declared *towards* this organisation are decided here.
                link = get_object_or_404(
                    LinkedUndertaking,
                    pk=parse_int_id(request.POST["decide_link"], label=_("Lien")),
                    linked_organisation=organisation,
                )
                confirm = link_decision(request.POST.get("decision"))
                services.decide_linked_undertaking(link=link, actor=request.user, confirm=confirm)
                messages.success(
                    request,
                    _("Lien confirmé : vos aides et les siennes sont comptées ensemble.")
                    if confirm
                    else _("Lien contesté : il n'est pas pris en compte."),
                )
                return redirect("aid:minimis", organisation.pk)
            if "declare_link" in request.POST:
                link_form = LinkForm(request.POST)
                if link_form.is_valid():
                    services.declare_linked_undertaking(
                        organisation=organisation, actor=request.user, **link_form.cleaned_data
                    )
                    messages.success(request, _("Entreprise liée déclarée."))
                    return redirect("aid:minimis", organisation.pk)
            else:
                aid_form = AidDeclarationForm(request.POST, organisation=organisation, links=links)
                if aid_form.is_valid():
                    services.declare_aid(
                        organisation=organisation, actor=request.user, **aid_form.cleaned_data
                    )
                    messages.success(
                        request,
                        _("Aide déclarée : elle est comptée dans votre plafond de minimis."),
                    )
                    return redirect("aid:minimis", organisation.pk)
        except services.AwardError as error:
            messages.error(request, error.message)
    return render(
        request,
        "grants/minimis.html",
        {
            "organisation": organisation,
            "links": links,
            "claims": LinkedUndertaking.objects.filter(
                linked_organisation=organisation, status=LinkStatus.DECLARED
            ).select_related("organisation"),
            "ledger": deminimis.ledger(organisation, timezone.localdate(), for_officer=False),
            "aid_form": aid_form,
            "link_form": link_form,
        },
        status=422
        if (aid_form.is_bound and aid_form.errors) or (link_form.is_bound and link_form.errors)
        else 200,
    )


@login_required
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        Application.objects.select_related("call", "call__funder", "organisation"), pk=pk
    )
    if not can_read_decision(request.user, application):
        raise Http404
    letters = list(
        DecisionLetter.objects.filter(application=application).select_related("application")
    )
    for letter in letters:
        letter.application = application
    return render(
        request,
        "grants/decision.html",
        {
            "application": application,
            "letters": [(letter, letter_paragraphs(letter)) for letter in letters],
        },
    )


@login_required
def letter_download(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(
        DecisionLetter.objects.select_related(
            "application",
            "application__call",
            "application__call__funder",
            "application__organisation",
        ),
        pk=pk,
    )
    if not can_read_decision(request.user, letter.application):
        raise Http404
    response = HttpResponse(letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="decision-{letter.application.reference}.pdf"'
    )
    return response
