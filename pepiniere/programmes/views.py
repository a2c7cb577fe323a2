"""A programme's public page (its axes and their envelopes, the calls drawing on them), a label's
public page, and the labels' management pages (administrators and officers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.models import Role
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.programmes import services
from pepiniere.programmes.forms import EndHoldingForm, HoldingForm, LabelForm
from pepiniere.programmes.models import Axis, Funder, Label, LabelHolding, LabelKind, Programme
from pepiniere.programmes.permissions import can_manage_label, can_view_labels


def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone: the roadmap's axes with their envelopes and the published calls drawing on each
    (the same figures as the public API's programme)."""
    programme = get_object_or_404(Programme.objects.select_related("funder"), slug=slug)
    published = Q(calls__is_published=True)
    axes = list(
        Axis.objects.filter(programme=programme)
        .annotate(drawn=Sum("calls__envelope", filter=published, default=Decimal("0")))
        .order_by("position", "pk")
    )
    calls = list(
        programme.calls.filter(is_published=True)
        .select_related("axis")
        .order_by("axis__position", "opens_at", "pk")
    )
    budget = sum((a.budget for a in axes), Decimal("0"))
    drawn = sum((a.drawn for a in axes), Decimal("0"))
    return render(
        request,
        "programmes/programme.html",
        {
            "programme": programme,
            "axes": [{"axis": a, "drawn": a.drawn, "remaining": a.budget - a.drawn} for a in axes],
            "budget": budget,
            "drawn": drawn,
            "calls": calls,
            "now": timezone.now(),
        },
    )


def _current(holdings: list[LabelHolding]) -> list[LabelHolding]:
    today = timezone.localdate()
    return [h for h in holdings if h.is_valid_on(today)]


def label_public(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone: the label, who awards it, and the territories that hold it. Organisations that
    hold one are counted, not named (a structure's labels are on its own follow-up page)."""
    label = get_object_or_404(Label.objects.select_related("awarding_funder"), slug=slug)
    holdings = list(label.holdings.select_related("departement").order_by("start_date", "pk"))
    calls = list(label.calls_requiring.filter(is_published=True).order_by("-closes_at", "pk"))
    current = _current(holdings)
    return render(
        request,
        "programmes/label_public.html",
        {
            "label": label,
            "territories": holdings if label.kind == LabelKind.TERRITORY else [],
            "organisations_now": len(current) if label.kind == LabelKind.ORGANISATION else 0,
            "calls": calls,
            "today": timezone.localdate(),
        },
    )


def _funders_for(user: Any) -> Any:
    if user.has_role(Role.ADMIN):
        return Funder.objects.all()
    return Funder.objects.filter(pk__in=user.funder_ids(Role.OFFICER))


@login_required
def label_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Administrators and officers: every label, its holders now, and a form for a new one."""
    can_view_labels(request.user).enforce()
    funders = _funders_for(request.user)
    form = LabelForm(request.POST or None, funders=funders)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            label = services.create_label(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                awarding_funder=data["awarding_funder"],
                awarding_body=data["awarding_body"],
                description=data["description"],
            )
        except services.LabelError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Label « %(name)s » créé.") % {"name": label.name})
            return redirect("programmes:label_manage", label.slug)
    labels = list(
        Label.objects.select_related("awarding_funder").prefetch_related(
            Prefetch(
                "holdings",
                queryset=LabelHolding.objects.select_related("organisation").order_by(
                    "start_date", "pk"
                ),
            )
        )
    )
    rows = [
        {
            "label": label,
            "current": _current(list(label.holdings.all())),
            "total": len(label.holdings.all()),
        }
        for label in labels
    ]
    return render(
        request,
        "programmes/labels.html",
        {"rows": rows, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def label_manage(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """One label's holdings with their dates; its awarding funder's officers grant and end them."""
    can_view_labels(request.user).enforce()
    label = get_object_or_404(Label.objects.select_related("awarding_funder"), slug=slug)
    verdict = can_manage_label(request.user, label)
    form = HoldingForm(request.POST or None, label=label)
    if request.method == "POST":
        verdict.enforce()
        if form.is_valid():
            data = form.cleaned_data
            try:
                holding = services.grant_label(
                    actor=request.user,
                    label=label,
                    organisation=data.get("identifier"),
                    territory_name=data.get("territory_name", ""),
                    departement=data.get("departement"),
                    communes=data.get("communes", []),
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    decision_reference=data["decision_reference"],
                )
            except services.LabelError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Label attribué à %(holder)s.") % {"holder": holding.holder_name},
                )
                return redirect("programmes:label_manage", label.slug)
    holdings = list(
        label.holdings.select_related("organisation", "departement").order_by("-start_date", "-pk")
    )
    today = timezone.localdate()
    return render(
        request,
        "programmes/label_manage.html",
        {
            "label": label,
            "holdings": [{"holding": h, "current": h.is_valid_on(today)} for h in holdings],
            "form": form,
            "today_iso": today.isoformat(),  # the date input's value
            "can_manage": bool(verdict),
            "reason": verdict.reason,
            "calls": list(label.calls_requiring.order_by("-closes_at", "pk")),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def end_holding(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    label = get_object_or_404(Label.objects.select_related("awarding_funder"), slug=slug)
    if not can_view_labels(request.user):
        raise Http404
    can_manage_label(request.user, label).enforce()
    holding = get_object_or_404(LabelHolding, pk=pk, label=label)
    form = EndHoldingForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("end_date", []):
            messages.error(request, str(error))
        return redirect("programmes:label_manage", label.slug)
    try:
        services.end_label_holding(
            actor=request.user,
            holding=holding,
            end_date=form.cleaned_data["end_date"],
            reason=form.cleaned_data["reason"],
        )
    except services.LabelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Fin de détention enregistrée."))
    return redirect("programmes:label_manage", label.slug)
