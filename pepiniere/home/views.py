"""The home dispatcher: after login each person lands on their work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.home import menu, selectors
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.organisations.selectors import bank_accounts_to_validate
from pepiniere.portfolio.selectors import open_reports_of_member


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One section per role the person holds. An applicant (only) is sent to Mes dossiers and an
    expert (only) to Mes évaluations: that page is their work."""
    user = request.user
    if not menu.has_home_page(user):
        return redirect(menu.landing_url(user))
    sections = menu.home_sections(user)
    context: dict[str, object] = {"sections": sections}
    if menu.OFFICER in sections:
        shown, quiet = selectors.split_quiet(selectors.officer_calls(user))
        context["officer_calls"], context["officer_quiet_calls"] = shown, len(quiet)
        if user.funder_ids(Role.OFFICER):
            context["officer_funders"] = True
            context["officer_bank_changes"] = bank_accounts_to_validate(user).count()
    if menu.JURY in sections:
        context["jury_calls"] = selectors.jury_calls(user)
    if menu.FINANCE in sections:
        funders = user.funder_ids(Role.FINANCE)
        ledger = selectors.finance_ledger(funders)
        context["ledger"] = ledger
        context["waiting"] = selectors.finance_waiting(funders)
        context["payments_waiting"] = selectors.payments_waiting(funders)
        context["chart_data"] = {
            "labels": [row.label for row in ledger.calls],
            "envelope": [str(row.envelope) for row in ledger.calls],
            "committed": [str(row.committed) for row in ledger.calls],
            "names": [_("Enveloppe"), _("Engagé")],
        }
    if menu.REVIEWER in sections:
        context["assignments"] = selectors.expert_assignments(user)
    if menu.APPLICANT in sections:
        context["applications"] = selectors.applicant_applications(user)
        context["kpi_reports"] = open_reports_of_member(user)
    return render(request, "home/index.html", context)
