"""The funder's pages: officers check payment requests line by line; finance authorises
(four-eyes), makes payment runs, downloads their files, confirms them paid, follows recoveries."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.models import Role
from pepiniere.lib.money import AmountError, parse_amount
from pepiniere.lib.params import parse_int_id
from pepiniere.payments import files, runs, selectors, services
from pepiniere.payments.models import Instalment, PaymentRun, Recovery
from pepiniere.payments.permissions import (
    can_authorise,
    can_check,
    can_manage_recoveries,
    can_run_payments,
)
from pepiniere.programmes.models import Funder


def _staff(request: HttpRequest, role: str) -> None:
    user: Any = request.user
    if not (user.has_role(role) or user.has_role(Role.ADMIN)):
        raise Http404


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], **kwargs: Any
) -> HttpResponse:
    """Render a staff page with the tabs this person may open (officer, finance, or both)."""
    user: Any = request.user
    admin = user.has_role(Role.ADMIN)
    tabs = {
        "is_officer": admin or user.has_role(Role.OFFICER),
        "is_finance": admin or user.has_role(Role.FINANCE),
    }
    return render(request, template, {**context, **tabs}, **kwargs)


def _instalment(request: HttpRequest, pk: int) -> Instalment:
    instalment = get_object_or_404(
        Instalment.objects.select_related(
            "award__application__call",
            "award__application__organisation",
            "version__agreement",
            "checked_by",
        ),
        pk=pk,
    )
    call = instalment.award.application.call
    if not (can_check(request.user, call) or can_authorise(request.user, call)):
        raise Http404  # staff of the funder only: the beneficiary has its own pages
    return instalment


@login_required
def to_check(request: HttpRequest) -> HttpResponse:
    _staff(request, Role.OFFICER)
    return _page(
        request, "payments/staff/to_check.html", {"rows": selectors.to_check(request.user)}
    )


def _decisions(
    post: Any, lines: list[Any]
) -> tuple[dict[int, services.LineDecision], dict[int, str]]:
    decisions: dict[int, services.LineDecision] = {}
    errors: dict[int, str] = {}
    for line in lines:
        choice = post.get(f"d-{line.pk}", "")
        reason = str(post.get(f"r-{line.pk}", "")).strip()
        amount_text = str(post.get(f"a-{line.pk}", "")).strip()
        if choice not in ("accept", "refuse"):
            errors[line.pk] = _("Retenez ou refusez cette ligne.")
            continue
        amount: Decimal | None = None
        if choice == "accept" and amount_text:
            try:
                amount = parse_amount(amount_text)
            except AmountError as error:
                errors[line.pk] = error.message
                continue
        decisions[line.pk] = services.LineDecision(
            accepted=choice == "accept", accepted_amount=amount, reason=reason
        )
    return decisions, errors


@login_required
def check(request: HttpRequest, pk: int) -> HttpResponse:
    instalment = _instalment(request, pk)
    call = instalment.award.application.call
    if not can_check(request.user, call):
        raise Http404
    payment_request = services.current_request(instalment)
    if payment_request is None:
        raise Http404
    lines = list(payment_request.lines.order_by("position"))
    line_errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        decisions, line_errors = _decisions(request.POST, lines)
        if not line_errors:
            try:
                services.check_request(
                    instalment=instalment, actor=request.user, decisions=decisions
                )
            except services.PaymentError as error:
                line_errors = error.line_errors
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Demande vérifiée : elle attend l'autorisation des services financiers."),
                )
                return redirect("payments_staff:to_check")
        status = 400
    typed = request.POST if request.method == "POST" else {}
    rows = [
        {
            "line": line,
            "choice": typed.get(f"d-{line.pk}", ""),
            "amount": typed.get(f"a-{line.pk}", ""),
            "reason": typed.get(f"r-{line.pk}", ""),
            "error": line_errors.get(line.pk, ""),
        }
        for line in lines
    ]
    return _page(
        request,
        "payments/staff/check.html",
        {
            "instalment": instalment,
            "payment_request": payment_request,
            "report_lines": list(payment_request.report_lines.order_by("position")),
            "rows": rows,
            "declared": sum((line.amount_excl_vat for line in lines), Decimal("0")),
            "line_errors": bool(line_errors),
        },
        status=status,
    )


@login_required
@require_POST
def return_request(request: HttpRequest, pk: int) -> HttpResponse:
    instalment = _instalment(request, pk)
    try:
        services.return_request(
            instalment=instalment, actor=request.user, reason=request.POST.get("reason", "")
        )
    except services.PaymentError as error:
        if error.kind == "forbidden":
            raise Http404 from None
        messages.error(request, error.message)
        if instalment.status == "requested" and can_check(
            request.user, instalment.award.application.call
        ):
            return redirect("payments_staff:check", pk)
        return redirect("payments_staff:to_authorise")
    messages.success(request, _("Demande renvoyée au bénéficiaire avec votre motif."))
    user: Any = request.user
    if user.has_role(Role.OFFICER):
        return redirect("payments_staff:to_check")
    return redirect("payments_staff:to_authorise")


@login_required
def to_authorise(request: HttpRequest) -> HttpResponse:
    _staff(request, Role.FINANCE)
    ready = selectors.authorised(request.user)
    held = runs.holds(ready)
    return _page(
        request,
        "payments/staff/to_authorise.html",
        {
            "rows": selectors.to_authorise(request.user),
            "ready": [(i, held.get(i.pk, "")) for i in ready],
        },
    )


@login_required
@require_POST
def authorise(request: HttpRequest, pk: int) -> HttpResponse:
    instalment = _instalment(request, pk)
    if not can_authorise(request.user, instalment.award.application.call):
        raise Http404
    try:
        services.authorise_instalment(instalment=instalment, actor=request.user)
    except services.PaymentError as error:
        messages.error(request, error.message)
        return _page(
            request,
            "payments/staff/refused.html",
            {"message": error.message, "back": "payments_staff:to_authorise"},
            status=403 if error.kind == "four_eyes" else 400,
        )
    messages.success(
        request, _("Versement autorisé : il partira dans le prochain lot de paiement.")
    )
    return redirect("payments_staff:to_authorise")


# --- payment runs -------------------------------------------------------------------------


def _finance_funders(request: HttpRequest) -> list[Funder]:
    user: Any = request.user
    if user.has_role(Role.ADMIN):
        return list(Funder.objects.order_by("name"))
    return list(Funder.objects.filter(pk__in=user.funder_ids(Role.FINANCE)).order_by("name"))


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    _staff(request, Role.FINANCE)
    return _page(
        request,
        "payments/staff/runs.html",
        {"runs": selectors.runs(request.user), "funders": _finance_funders(request)},
    )


@login_required
@require_POST
def create_run(request: HttpRequest) -> HttpResponse:
    _staff(request, Role.FINANCE)
    funder_id = parse_int_id(request.POST.get("funder", ""), label=_("Financeur"))
    funder = get_object_or_404(Funder, pk=funder_id)
    if not can_run_payments(request.user, funder):
        raise Http404
    try:
        outcome = runs.make_payment_run(funder=funder, actor=request.user)
    except services.PaymentError as error:
        messages.error(request, error.message)
        return redirect("payments_staff:runs")
    for instalment, reason in outcome.held:
        messages.warning(
            request,
            _("%(app)s — %(label)s : reste autorisée, %(reason)s.")
            % {"app": instalment.award.application, "label": instalment.label, "reason": reason},
        )
    if outcome.run is None:
        messages.info(request, _("Aucune tranche autorisée à mettre en paiement."))
        return redirect("payments_staff:runs")
    messages.success(
        request,
        _("Lot %(ref)s créé : %(n)d ordre(s) de paiement.")
        % {"ref": outcome.run.reference, "n": outcome.ordered},
    )
    return redirect("payments_staff:run", outcome.run.pk)


def _run(request: HttpRequest, pk: int) -> PaymentRun:
    run = get_object_or_404(
        PaymentRun.objects.select_related("funder", "created_by", "confirmed_by"), pk=pk
    )
    if not can_run_payments(request.user, run.funder):
        raise Http404
    return run


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    orders = list(
        run.orders.select_related(
            "instalment__award__application__organisation", "confirmed_by"
        ).order_by("pk")
    )
    return _page(
        request,
        "payments/staff/run.html",
        {
            "run": run,
            "orders": orders,
            "total": sum((o.amount for o in orders if o.status != "cancelled"), Decimal("0")),
            "to_pay": [o for o in orders if o.status == "ordered"],
        },
    )


@login_required
def run_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    run = _run(request, pk)
    lines = runs.order_lines(run)
    out = io.BytesIO()
    payer = runs.payer_of(run.funder)
    try:
        if kind == "mandatement":
            files.write_mandatement(
                lines,
                out,
                run_reference=run.reference,
                payer=payer,
                execution_date=run.execution_date,
            )
            content_type, name = "text/csv; charset=utf-8", f"{run.reference}-mandatement.csv"
        elif kind == "sepa":
            files.write_sepa(
                lines,
                out,
                message_id=run.reference,
                payer=payer,
                execution_date=run.execution_date,
                created_at=timezone.now(),
            )
            content_type, name = "application/xml", f"{run.reference}-sepa.xml"
        else:
            raise Http404
    except files.PaymentFileError as error:
        return _page(
            request,
            "payments/staff/refused.html",
            {"message": str(error), "back": "payments_staff:runs"},
            status=409,
        )
    response = HttpResponse(out.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def confirm_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    chosen = None
    if request.POST.get("scope") == "selected":
        chosen = [parse_int_id(v, label=_("Ordre")) for v in request.POST.getlist("order")]
        if not chosen:
            messages.error(request, _("Cochez les ordres payés."))
            return redirect("payments_staff:run", run.pk)
    try:
        paid = services.confirm_run_paid(run=run, actor=request.user, orders=chosen)
    except services.PaymentError as error:
        messages.error(request, error.message)
    else:
        if paid:
            messages.success(request, _("%(n)d ordre(s) confirmé(s) payé(s).") % {"n": paid})
        else:
            messages.info(
                request, _("Ces ordres étaient déjà confirmés payés : rien de plus n'est payé.")
            )
    return redirect("payments_staff:run", run.pk)


# --- recoveries ---------------------------------------------------------------------------


@login_required
def recovery_list(request: HttpRequest) -> HttpResponse:
    _staff(request, Role.FINANCE)
    return _page(
        request, "payments/staff/recoveries.html", {"rows": selectors.recoveries(request.user)}
    )


@login_required
@require_POST
def recovery_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    recovery = get_object_or_404(Recovery.objects.select_related("award__application__call"), pk=pk)
    if not can_manage_recoveries(request.user, recovery.award.application.call):
        raise Http404
    try:
        if action == "issue":
            services.issue_recovery(
                recovery=recovery,
                actor=request.user,
                title_reference=request.POST.get("title_reference", ""),
            )
        elif action == "recovered":
            services.record_recovered(recovery=recovery, actor=request.user)
        elif action == "write_off":
            services.write_off_recovery(
                recovery=recovery, actor=request.user, reason=request.POST.get("reason", "")
            )
        else:
            raise Http404
    except services.PaymentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Reversement mis à jour."))
    return redirect("payments_staff:recoveries")
