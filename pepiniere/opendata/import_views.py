"""The officers' import of historical grants: upload a funder's published file (SCDL CSV or
360Giving JSON), read the preview report (the same as `pepiniere import_grants --dry-run`),
confirm or cancel. The file is kept on its ImportBatch between the preview and the
confirmation, so what is imported is what was previewed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.opendata import import_report, importing, services
from pepiniere.opendata.models import ImportBatch, ImportOutcome, ImportStatus
from pepiniere.opendata.views import _funder
from pepiniere.programmes.models import Funder

# A département's ten years of grants is a few megabytes; 100 000 records about 20 Mo.
MAX_BYTES: int = getattr(settings, "GRANT_IMPORT_MAX_BYTES", 30 * 1024 * 1024)
SHOWN = 200  # lines of the report shown on the page; the CSV has them all


def _allowed(request: AuthenticatedHttpRequest, siret: str) -> Funder:
    funder = _funder(siret)
    services.can_manage(request.user, funder).enforce()
    return funder


def _batch(funder: Funder, batch_id: int) -> ImportBatch:
    return get_object_or_404(ImportBatch, pk=batch_id, funder=funder)


@login_required
def imports(request: AuthenticatedHttpRequest, siret: str) -> HttpResponse:
    """The upload form and the funder's previous imports."""
    funder = _allowed(request, siret)
    error = ""
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            error = _("Choisissez un fichier avant de cliquer sur « Voir l'aperçu ».")
        elif uploaded.size is None or uploaded.size > MAX_BYTES:
            error = _(
                "Fichier refusé : il dépasse %(max)s Mo. Découpez-le en plusieurs fichiers ou "
                "importez-le avec la commande « pepiniere import_grants »."
            ) % {"max": MAX_BYTES // (1024 * 1024)}
        else:
            fmt = request.POST.get("format", "auto")
            batch = importing.stage_import(
                data=uploaded.read(),
                file_name=uploaded.name or "subventions.csv",
                funder=funder,
                actor=request.user,
                format=fmt if fmt in ("scdl", "360giving") else "auto",
            )
            return redirect("opendata:import_preview", siret, batch.pk)
    batches = ImportBatch.objects.filter(funder=funder).select_related("uploaded_by")[:20]
    return render(
        request,
        "opendata/imports.html",
        {"funder": funder, "batches": batches, "error": error, "max_mb": MAX_BYTES // 2**20},
        status=400 if error else 200,
    )


@login_required
def preview(request: AuthenticatedHttpRequest, siret: str, batch_id: int) -> HttpResponse:
    """Counts per outcome and the report's first lines (of one outcome when asked)."""
    funder = _allowed(request, siret)
    batch = _batch(funder, batch_id)
    outcome = request.GET.get("resultat", "")
    if outcome not in ImportOutcome.values:
        outcome = ""
    lines = import_report.read_report(batch)
    if outcome:
        lines = [line for line in lines if line.outcome == outcome]
    labels = dict(ImportOutcome.choices)
    return render(
        request,
        "opendata/import_preview.html",
        {
            "funder": funder,
            "batch": batch,
            "counts": [(code, labels[code], n) for code, n in batch.counts().items()],
            "lines": [(line, labels.get(line.outcome, line.outcome)) for line in lines[:SHOWN]],
            "total": len(lines),
            "shown": min(len(lines), SHOWN),
            "outcome": outcome,
            "is_preview": batch.status == ImportStatus.PREVIEW,
        },
    )


@login_required
@require_POST
def confirm(request: AuthenticatedHttpRequest, siret: str, batch_id: int) -> HttpResponse:
    funder = _allowed(request, siret)
    batch = _batch(funder, batch_id)
    try:
        batch = importing.confirm_import(batch=batch, actor=request.user)
    except importing.ImportError_ as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Import terminé : %(i)s subvention(s) importée(s), dont %(f)s avec une alerte ; "
                "%(r)s refusée(s), %(d)s doublon(s)."
            )
            % {
                "i": batch.imported + batch.flagged,
                "f": batch.flagged,
                "r": batch.rejected,
                "d": batch.duplicate,
            },
        )
    return redirect("opendata:import_preview", siret, batch.pk)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, siret: str, batch_id: int) -> HttpResponse:
    funder = _allowed(request, siret)
    batch = _batch(funder, batch_id)
    try:
        importing.cancel_import(batch=batch, actor=request.user)
    except importing.ImportError_ as error:
        messages.error(request, error.message)
        return redirect("opendata:import_preview", siret, batch.pk)
    messages.success(request, _("Import annulé : rien n'a été importé, le fichier est supprimé."))
    return redirect("opendata:imports", siret)


@login_required
def report(request: AuthenticatedHttpRequest, siret: str, batch_id: int) -> HttpResponse:
    funder = _allowed(request, siret)
    batch = _batch(funder, batch_id)
    lines = import_report.read_report(batch)
    if not lines:
        raise Http404
    response = HttpResponse(import_report.report_csv(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rapport-import-{batch.pk}.csv"'
    return response
