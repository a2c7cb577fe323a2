"""The beneficiary's pages: « Mes versements » of an award (schedule, account, recoveries) and
the request form with its repeatable statement of expenses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application
from pepiniere.grants.models import Award
from pepiniere.lib.uploads import structure_error
from pepiniere.organisations.models import OrganisationKind
from pepiniere.payments import reminders, selectors, services, statements
from pepiniere.payments.models import Instalment, InstalmentStatus
from pepiniere.payments.permissions import can_request, can_see_payments

BLANK_EXPENSE_ROWS = 3


def _award(request: HttpRequest, application_id: int) -> Award:
    application = get_object_or_404(
        Application.objects.select_related("call", "organisation"), pk=application_id
    )
    if not can_see_payments(
        request.user, organisation_id=application.organisation_id, call=application.call
    ):
        raise Http404
    try:
        return Award.objects.select_related(
            "application__call", "application__organisation", "agreement"
        ).get(application=application)
    except Award.DoesNotExist:
        raise Http404 from None


@login_required
def schedule(request: HttpRequest, application_id: int) -> HttpResponse:
    award = _award(request, application_id)
    data = selectors.schedule(award)
    organisation = award.application.organisation
    member = bool(can_request(request.user, organisation_id=organisation.pk))
    next_one = services.next_requestable(award) if member else None
    final = next((i for i in data.instalments if i.is_final and i.status == "planned"), None)
    due = None
    if final is not None and organisation.kind == OrganisationKind.ASSOCIATION:
        due = reminders.final_report_due(final)
    chart = {
        "labels": [i.label for i in data.instalments if i.status != InstalmentStatus.CANCELLED],
        "planned": [
            str(i.amount) for i in data.instalments if i.status != InstalmentStatus.CANCELLED
        ],
        "paid": [
            str(i.amount if i.status == InstalmentStatus.PAID else 0)
            for i in data.instalments
            if i.status != InstalmentStatus.CANCELLED
        ],
        "names": [_("Prévu"), _("Versé")],
    }
    return render(
        request,
        "payments/schedule.html",
        {
            "award": award,
            "application": award.application,
            "data": data,
            "next_one": next_one,
            "member": member,
            "report_due": due,
            "chart_data": chart,
        },
    )


MAX_REPORT_MB = 20


def _report_file_problem(upload: Any) -> str | None:
    if not upload.name.lower().endswith(".pdf"):
        return _("Le rapport se joint au format PDF.")
    if upload.size > MAX_REPORT_MB * 1024 * 1024:
        return _("Le rapport dépasse %(mb)d Mo.") % {"mb": MAX_REPORT_MB}
    return structure_error("pdf", upload)


def _expense_rows(post: Any) -> list[statements.Row]:
    return statements.read_rows(post, "e", statements.EXPENSE_COLUMNS)


@login_required
def request_form(request: HttpRequest, pk: int) -> HttpResponse:
    instalment = get_object_or_404(
        Instalment.objects.select_related(
            "award__application__organisation", "award__application__call", "version__agreement"
        ),
        pk=pk,
    )
    application = instalment.award.application
    if not can_request(request.user, organisation_id=application.organisation_id):
        raise Http404
    association = application.organisation.kind == OrganisationKind.ASSOCIATION
    wants_report = instalment.is_final and association
    version = instalment.version
    expense_rows = statements.blank_rows("e", statements.EXPENSE_COLUMNS, BLANK_EXPENSE_ROWS)
    report_rows = statements.blank_rows("r", statements.REPORT_COLUMNS, 4) if wants_report else []
    report_text = ""
    errors: list[str] = []
    if request.method == "POST":
        report_text = request.POST.get("report", "")
        expense_rows = _expense_rows(request.POST)
        expenses = statements.validate_expenses(
            expense_rows,
            period_start=version.start_date,
            period_end=version.end_date,
            claimed=services.claimed_invoices(application.organisation_id),
        )
        report_lines: list[statements.ReportLine] = []
        if wants_report:
            report_rows = statements.read_rows(request.POST, "r", statements.REPORT_COLUMNS)
            report_lines = statements.validate_report(report_rows)
        upload = request.FILES.get("report_file")
        if upload is not None:
            problem = _report_file_problem(upload)
            if problem:
                errors.append(problem)
                upload = None
        line_errors = any(r.has_errors for r in expense_rows) or any(
            r.has_errors for r in report_rows
        )
        if line_errors:
            errors.append(
                _("Certaines lignes sont à corriger : voyez les messages sur chaque ligne.")
            )
        if not errors:
            try:
                services.request_instalment(
                    instalment=instalment,
                    actor=request.user,
                    report=report_text,
                    report_file=upload,
                    expenses=expenses,
                    financial_report=report_lines,
                )
            except services.PaymentError as error:
                if error.kind == "forbidden":
                    raise Http404 from None
                errors.append(error.message)
            else:
                messages.success(
                    request,
                    _("Demande de versement envoyée : l'équipe du financeur la vérifie."),
                )
                return redirect("payments:schedule", application.pk)
        # Nothing typed is lost: the rows come back as typed, with a blank one to add to.
        start = max((r.index for r in expense_rows), default=-1) + 1
        expense_rows += statements.blank_rows("e", statements.EXPENSE_COLUMNS, 1, start=start)
    elif instalment.status != InstalmentStatus.PLANNED:
        messages.info(request, _("Cette tranche a déjà été demandée."))
        return redirect("payments:schedule", application.pk)
    return render(
        request,
        "payments/request.html",
        {
            "instalment": instalment,
            "application": application,
            "version": version,
            "expense_rows": expense_rows,
            "expense_columns": statements.EXPENSE_COLUMNS,
            "next_expense_index": max((r.index for r in expense_rows), default=-1) + 1,
            "report_rows": report_rows,
            "report_columns": statements.REPORT_COLUMNS,
            "next_report_index": max((r.index for r in report_rows), default=-1) + 1,
            "wants_report": wants_report,
            "report_text": report_text,
            "errors": errors,
            "report_due": reminders.final_report_due(instalment) if wants_report else None,
        },
        status=400 if errors else 200,
    )
