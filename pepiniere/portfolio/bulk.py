"""Bulk entry of a campaign's figures: an XLSX template (one row per organisation, SIREN and name
filled in), uploaded back filled, read into a line-by-line preview (accepted, warned, refused with
its reason) and confirmed in one transaction. A file that cannot be read is refused as a whole,
with the reason in French; nothing is ever half-imported."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from pepiniere.audit.services import record
from pepiniere.lib.spreadsheet import SafeXlsxSheet
from pepiniere.portfolio import figures, hooks, services
from pepiniere.portfolio.models import (
    ImportStatus,
    KpiCampaign,
    KpiImport,
    KpiReport,
    ReportSource,
    ReportStatus,
)
from pepiniere.portfolio.permissions import can_manage_campaigns

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
_CAMPAIGN = re.compile(r"campagne n°\s*(\d+)", re.IGNORECASE)
ACCEPTED, WARNED, REFUSED = "accepted", "warned", "refused"


def _columns(campaign: KpiCampaign) -> list[tuple[str, str]]:
    """(key, header) of the template's columns, in order."""
    columns = [("siren", _("SIREN")), ("name", _("Raison sociale"))]
    columns += [(f.name, str(f.label)) for f in figures.FIGURES if f.baseline]
    columns += [(f"extra-{q['key']}", q["label"]) for q in campaign.extra_questions]
    return columns


def template_xlsx(campaign: KpiCampaign) -> bytes:
    """One row per organisation asked by the campaign (open reports first), SIREN and name filled."""
    sheet = SafeXlsxSheet(_("Indicateurs"))
    sheet.append(
        [
            sheet.cell(
                _("%(title)s (campagne n° %(pk)d) — ne modifiez pas cette ligne ni les en-têtes.")
                % {"title": campaign.title, "pk": campaign.pk},
                bold=True,
            )
        ]
    )
    columns = _columns(campaign)
    sheet.append([sheet.cell(header, bold=True) for _key, header in columns])
    reports = campaign.reports.select_related("organisation").order_by("organisation__name", "pk")
    for report in reports:
        row: list[Any] = [report.organisation.siren, report.organisation.name]
        for key, _header in columns[2:]:
            value = getattr(report, key, None) if not key.startswith("extra-") else None
            row.append(value if value is not None else "")
        sheet.append(row)
    out = io.BytesIO()
    sheet.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _refuse(message: str) -> services.KpiError:
    return services.KpiError(_("Fichier refusé : %(reason)s") % {"reason": message})


def read_rows(campaign: KpiCampaign, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column key: text}) of each filled row; KpiError for a file refused whole."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _refuse(
            _("ce n'est pas un classeur XLSX lisible (enregistrez-le au format .xlsx).")
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    match = _CAMPAIGN.search(_text(first[0]) if first else "")
    if match is None:
        raise _refuse(_("la première ligne du modèle manque : partez du modèle de la campagne."))
    if int(match.group(1)) != campaign.pk:
        raise _refuse(
            _("ce modèle est celui de la campagne n° %(other)s, pas de celle-ci (n° %(pk)d).")
            % {"other": match.group(1), "pk": campaign.pk}
        )
    headers = [_text(h).lower() for h in next(rows, ())]
    by_header = {header.lower(): key for key, header in _columns(campaign)}
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = by_header.get(header)
        if key is not None and key not in positions:
            positions[key] = index
    missing = [
        header
        for key, header in _columns(campaign)
        if key not in positions
        and (key == "siren" or (key in figures.BY_NAME and figures.BY_NAME[key].required))
    ]
    if missing:
        raise _refuse(
            _("colonne(s) absente(s) : %(cols)s. Gardez les en-têtes du modèle.")
            % {"cols": ", ".join(f"« {m} »" for m in missing)}
        )
    found: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(rows, start=3):
        values = {key: _text(row[i]) if i < len(row) else "" for key, i in positions.items()}
        if not any(v for v in values.values()):
            continue
        found.append((number, values))
        if len(found) > MAX_ROWS:
            raise _refuse(_("plus de %(n)d lignes.") % {"n": MAX_ROWS})
    if not found:
        raise _refuse(_("aucune ligne remplie."))
    return found


def preview_lines(
    campaign: KpiCampaign, rows: list[tuple[int, dict[str, str]]]
) -> list[dict[str, Any]]:
    reports = {
        r.organisation.siren: r
        for r in campaign.reports.select_related("organisation").exclude(organisation__siren="")
    }
    seen: set[str] = set()
    lines = []
    for number, values in rows:
        siren = re.sub(r"\s", "", values.get("siren", ""))
        line: dict[str, Any] = {
            "line": number,
            "siren": siren,
            "name": values.get("name", ""),
            "values": {k: v for k, v in values.items() if k not in {"siren", "name"}},
            "report": None,
            "messages": [],
        }
        report = reports.get(siren)
        if siren in seen:
            line.update(
                outcome=REFUSED, messages=[_("SIREN déjà présent plus haut dans le fichier.")]
            )
        elif report is None:
            line.update(
                outcome=REFUSED,
                messages=[
                    _("SIREN « %(s)s » : aucune structure de cette campagne ne le porte.")
                    % {"s": siren or "—"}
                ],
            )
        elif report.status not in services.OPEN_STATES:
            line.update(
                outcome=REFUSED,
                report=report.pk,
                messages=[
                    _("Rapport déjà « %(s)s » : corrigez-le depuis sa page.")
                    % {"s": report.get_status_display()}
                ],
            )
        else:
            parsed, warnings = services.check_report(report, line["values"])
            line["report"] = report.pk
            if not parsed.ok:
                labels = {key: header for key, header in _columns(campaign)}
                line.update(
                    outcome=REFUSED,
                    messages=[f"{labels.get(k, k)} : {m}" for k, m in parsed.errors.items()],
                )
            elif warnings:
                line.update(
                    outcome=WARNED,
                    messages=[w.message for w in warnings],
                    codes=[w.code for w in warnings],
                )
            else:
                line["outcome"] = ACCEPTED
        seen.add(siren)
        lines.append(line)
    return lines


@transaction.atomic
def upload_import(
    *,
    campaign: KpiCampaign,
    actor: Any,
    uploaded: UploadedFile,
    now: datetime.datetime | None = None,
) -> KpiImport:
    """Read the filled template into a preview (nothing is imported yet)."""
    now = now or timezone.now()
    verdict = can_manage_campaigns(actor, campaign.funder_id)
    if not verdict:
        raise services.KpiError(verdict.reason)
    if uploaded.size is None or uploaded.size > MAX_BYTES:
        raise _refuse(_("il dépasse 5 Mo."))
    content = uploaded.read()
    if not content:
        raise _refuse(_("il est vide."))
    lines = preview_lines(campaign, read_rows(campaign, content))
    return KpiImport.objects.create(
        campaign=campaign,
        file_name=(uploaded.name or "indicateurs.xlsx")[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        lines=lines,
        uploaded_by=actor,
        uploaded_at=now,
    )


def counts(kpi_import: KpiImport) -> dict[str, int]:
    result = {ACCEPTED: 0, WARNED: 0, REFUSED: 0}
    for line in kpi_import.lines:
        result[line["outcome"]] += 1
    return result


@transaction.atomic
def confirm_import(
    *, kpi_import: KpiImport, actor: Any, now: datetime.datetime | None = None
) -> int:
    """Import every accepted and warned line (the officer saw the warnings): the reports become
    validated figures of source « import ». All or nothing: if any report changed since the
    preview, nothing is imported and the officer uploads again."""
    now = now or timezone.now()
    kpi_import = (
        KpiImport.objects.select_for_update().select_related("campaign").get(pk=kpi_import.pk)
    )
    campaign = kpi_import.campaign
    verdict = can_manage_campaigns(actor, campaign.funder_id)
    if not verdict:
        raise services.KpiError(verdict.reason)
    if kpi_import.status != ImportStatus.PREVIEW:
        raise services.KpiError(_("Cet import a déjà été confirmé ou abandonné."))
    wanted = {line["report"]: line for line in kpi_import.lines if line["outcome"] != REFUSED}
    reports = {
        r.pk: r
        for r in KpiReport.objects.select_for_update(of=("self",))
        .select_related("organisation", "campaign")
        .filter(pk__in=wanted, campaign=campaign)
    }
    for report_id, line in wanted.items():
        report = reports.get(report_id)
        if report is None or report.status not in services.OPEN_STATES:
            raise services.KpiError(
                _(
                    "Ligne %(line)d : le rapport de %(name)s a changé depuis l'aperçu ; rien n'a "
                    "été importé. Déposez le fichier à nouveau."
                )
                % {"line": line["line"], "name": line["name"] or line["siren"]}
            )
        parsed, warnings = services.check_report(report, line["values"])
        if not parsed.ok:
            raise services.KpiError(
                _("Ligne %(line)d : %(msg)s ; rien n'a été importé.")
                % {"line": line["line"], "msg": "; ".join(parsed.errors.values())}
            )
        values = dict(parsed.values)
        services.derive_jobs(report, values)
        for name in figures.BY_NAME:
            setattr(report, name, values.get(name))
        previous = report.status
        report.extra_answers = parsed.extra
        report.warnings_confirmed = sorted(w.code for w in warnings)
        report.status = ReportStatus.VALIDATED
        report.source = ReportSource.IMPORT
        report.submitted_by = actor
        report.submitted_at = now
        report.validated_by = actor
        report.validated_at = now
        report.updated_at = now
        report.draft_values = {}
        report.draft_revision += 1
        report.save()
        record(
            actor=actor,
            obj=report,
            action="import_kpi_reports",
            from_state=previous,
            to_state=ReportStatus.VALIDATED,
            reason=kpi_import.file_name,
            at=now,
        )
    kpi_import.status = ImportStatus.CONFIRMED
    kpi_import.confirmed_at = now
    kpi_import.save(update_fields=["status", "confirmed_at"])
    hooks.announce_figures_changed(report_ids=sorted(wanted))
    return len(wanted)
