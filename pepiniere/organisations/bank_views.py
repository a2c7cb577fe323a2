"""Bank details pages: the members' « Coordonnées bancaires », the officers' list of changes to
validate, the decision page with the RIB, and the RIB itself (streamed after a permission check)."""

from __future__ import annotations

import re
import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.audit.labels import action_label
from pepiniere.audit.services import trail_for
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.uploads import sanitise_filename
from pepiniere.organisations.bank_services import (
    BankDetailsError,
    reject_bank_details,
    submit_bank_details,
    validate_bank_details,
)
from pepiniere.organisations.forms import BankDecisionForm, BankDetailsForm
from pepiniere.organisations.models import BankAccount, BankAccountStatus, Organisation
from pepiniere.organisations.permissions import (
    can_decide_bank_account,
    can_see_bank_account,
    can_submit_bank_details,
    can_view_organisation,
)
from pepiniere.organisations.selectors import bank_accounts_to_validate, funders_supporting


@login_required
def bank_details(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The members' page: the account in force (masked), the change waiting, the history, and
    the form to submit a change with its RIB."""
    organisation = get_object_or_404(Organisation, pk=pk)
    if not can_view_organisation(request.user, organisation):
        raise Http404
    form = BankDetailsForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        can_submit_bank_details(request.user, organisation).enforce()
        if form.is_valid():
            data = form.cleaned_data
            try:
                submit_bank_details(
                    organisation=organisation,
                    actor=request.user,
                    holder=data["holder"],
                    iban=data["iban"],
                    bic=data["bic"],
                    rib=data["rib"],
                )
            except BankDetailsError as error:
                for field, message in error.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _(
                        "Les coordonnées bancaires sont transmises. Un·e chargé·e de mission va "
                        "les vérifier avec le RIB ; les versements sont suspendus jusque-là."
                    ),
                )
                return redirect("organisations:bank_details", organisation.pk)
    accounts = list(organisation.bank_accounts.select_related("submitted_by", "decided_by"))
    current = next((a for a in accounts if a.status == BankAccountStatus.VALIDATED), None)
    pending = next((a for a in accounts if a.status == BankAccountStatus.PENDING), None)
    return render(
        request,
        "organisations/bank_details.html",
        {
            "organisation": organisation,
            "current": current,
            "pending": pending,
            "history": [a for a in accounts if a not in (current, pending)],
            "form": form,
            "supported": bool(funders_supporting(organisation)),
        },
    )


@login_required
def bank_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The officer's list of bank details to validate."""
    if not request.user.funder_ids(Role.OFFICER):
        raise PermissionDenied(_("Cette liste est celle des chargé·es de mission d'un financeur."))
    return render(
        request,
        "organisations/bank_queue.html",
        {"accounts": list(bank_accounts_to_validate(request.user))},
    )


def _staff_account(request: AuthenticatedHttpRequest, pk: int) -> BankAccount:
    account = get_object_or_404(
        BankAccount.objects.select_related("organisation", "submitted_by", "decided_by"), pk=pk
    )
    funders = request.user.funder_ids(Role.OFFICER) | request.user.funder_ids(Role.FINANCE)
    if not funders & funders_supporting(account.organisation):
        raise Http404
    return account


@login_required
def bank_decision(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The officer compares the details with the RIB and validates or rejects them."""
    account = _staff_account(request, pk)
    form = BankDecisionForm(request.POST or None)
    verdict = can_decide_bank_account(request.user, account)
    if request.method == "POST":
        verdict.enforce()
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "validate":
                    validate_bank_details(account=account, actor=request.user)
                    messages.success(request, _("Coordonnées bancaires validées."))
                else:
                    reject_bank_details(
                        account=account, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Coordonnées bancaires refusées."))
            except BankDetailsError as error:
                for message in error.errors.values():
                    form.add_error("reason", message)
            else:
                return redirect("organisations:bank_queue")
    organisation = account.organisation
    previous = (
        organisation.bank_accounts.filter(status=BankAccountStatus.VALIDATED)
        .exclude(pk=account.pk)
        .first()
    )
    holder_differs = _comparable(account.holder) != _comparable(organisation.name)
    return render(
        request,
        "organisations/bank_decision.html",
        {
            "account": account,
            "organisation": organisation,
            "previous": previous,
            "holder_differs": holder_differs,
            "form": form,
            "can_decide": verdict,
            # Finance reads the decision page but the queue is the officers' list.
            "sees_queue": bool(request.user.funder_ids(Role.OFFICER)),
            "trail": [
                (entry, action_label(entry.action))
                for entry in trail_for(organisation).order_by("at", "id")
                if entry.action.endswith("_bank_details")
            ],
        },
    )


_LEGAL_WORDS = {"sas", "sasu", "sarl", "eurl", "sa", "sci", "scop", "scic", "association", "asso"}


def _comparable(name: str) -> frozenset[str]:
    """The words of a name without accents, case, punctuation nor legal form: « SAS Écocollab »
    and « ECOCOLLAB » compare equal."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return frozenset(re.findall(r"[a-z0-9]+", plain)) - _LEGAL_WORDS


@login_required
def bank_rib(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    account = get_object_or_404(BankAccount.objects.select_related("organisation"), pk=pk)
    if not can_see_bank_account(request.user, account):
        raise Http404
    response = FileResponse(
        account.rib.open("rb"),
        as_attachment=True,
        filename=sanitise_filename(account.rib_name),
        content_type=account.rib_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
