"""KPI pages: an organisation's report form, the officers' campaigns, review and indicators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.portfolio.models import KpiReport
from pepiniere.portfolio.permissions import can_see_report


@login_required
def report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(KpiReport.objects.select_related("organisation", "campaign"), pk=pk)
    if not can_see_report(request.user, report):
        raise Http404
    return render(request, "portfolio/report.html", {"report": report})
