"""Demo: ten years of KPI reports (2014–2025) for every organisation that applied to the 2015–2017
roadmap, funded or not (the counterfactual of the impact evaluation needs the rejected ones too).

Each organisation follows a log-normal growth path with its own trend and yearly shocks; once
funded, its headcount grows about 5 % a year faster (the effect an evaluation should find again,
up to noise). Funded organisations report through the Région's yearly campaigns (baseline: the
year before the award, asked at the award); most reports are validated, some were late, some are
still missing or returned, a few were corrected by an officer. Figures of the years before the
award, and of organisations never funded, are imported from their published accounts (fictional).
Altocumulus, the cloud company, grows from 16 employees in 2014 to 412 on 12 sites with 70.4 M€
of revenue in 2025.

Written with bulk_create; reports that already exist (the baselines the award service asked for
the detailed 2015 call) are left as they are. Deterministic: its own seeded generator."""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pepiniere.applications.models import Application, Status
from pepiniere.grants.models import Award
from pepiniere.organisations.models import Organisation, SizeBand
from pepiniere.portfolio.models import (
    CampaignStatus,
    KpiCampaign,
    KpiCorrection,
    KpiReport,
    ReportSource,
    ReportStatus,
)
from pepiniere.programmes.models import Funder, Programme

PARIS = ZoneInfo("Europe/Paris")
SEED = 2025
FIRST_YEAR, LAST_YEAR = 2014, 2025
FIGURES = [
    "headcount",
    "fte",
    "research_fte",
    "revenue",
    "equity_raised",
    "loans_raised",
    "sites",
    "export_share",
]
TREATMENT_EFFECT = 0.05  # extra yearly log-growth of headcount once funded

CLOUD = {  # year: (headcount, sites, revenue in M€, equity raised M€, loans M€)
    2014: (16, 1, "1.10", "0", "0"),
    2015: (22, 1, "1.60", "0", "0.15"),
    2016: (31, 2, "2.40", "1.5", "0"),
    2017: (45, 2, "3.60", "0", "0.5"),
    2018: (68, 3, "5.50", "8", "0"),
    2019: (95, 4, "8.20", "0", "2"),
    2020: (130, 5, "12.00", "0", "0"),
    2021: (175, 6, "18.00", "25", "0"),
    2022: (230, 8, "27.00", "0", "3"),
    2023: (290, 9, "38.00", "40", "0"),
    2024: (350, 11, "52.00", "0", "0"),
    2025: (412, 12, "70.40", "0", "5"),
}
RETURN_REASONS = [
    "Les ETP déclarés dépassent l'effectif : merci de vérifier (ETP annuels, pas effectif).",
    "Le chiffre d'affaires semble exprimé en milliers d'euros : merci de le saisir en euros.",
    "Merci de joindre la liasse fiscale qui justifie le chiffre d'affaires déclaré.",
]


RECENT_BASELINE = 2020  # the roadmap's baselines (2014–2016) are history; later ones may be open


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=PARIS)


def _money(value: float) -> Decimal:
    return Decimal(max(0, round(value))).quantize(Decimal("1"))


def _band(headcount: int, bands: list[SizeBand]) -> SizeBand | None:
    for band in bands:
        if band.min_employees is None or band.code == "NN":
            continue
        top = band.max_employees if band.max_employees is not None else 10**9
        if band.min_employees <= headcount <= top:
            return band
    return None


def build_kpi_history(
    *, funder: Funder, programme: Programme, officer: Any, cloud: Organisation
) -> dict[str, Any]:
    rng = random.Random(SEED)
    applications = (
        Application.objects.filter(call__programme=programme)
        .exclude(status__in=[Status.DRAFT, Status.WITHDRAWN])
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    organisations = list(
        Organisation.objects.filter(pk__in=applications).select_related("size_band").order_by("pk")
    )
    awards_by_org: dict[int, list[Award]] = defaultdict(list)
    for award in Award.objects.filter(application__call__programme=programme).order_by(
        "decision_date", "pk"
    ):
        awards_by_org[award.application.organisation_id].append(award)
    # The baselines the award service asked for the 2015 call are history by now: filled in and
    # validated, porteur@'s too; only a recent one of the demo applicant's organisations stays to
    # fill in (the KPI journey's: Numérique en Partage's 2025 baseline).
    demo_orgs = set(
        Organisation.objects.filter(members__email="porteur@pepiniere.test").values_list(
            "pk", flat=True
        )
    )
    asked = {
        (r.organisation_id, r.period_year): r
        for r in KpiReport.objects.filter(
            organisation__in=organisations, is_baseline=True, status=ReportStatus.DUE
        ).exclude(organisation_id__in=demo_orgs, period_year__gte=RECENT_BASELINE)
    }
    existing = set(
        KpiReport.objects.filter(organisation__in=organisations)
        .exclude(pk__in=[r.pk for r in asked.values()])
        .values_list("organisation_id", "period_year", "is_baseline")
    )
    campaigns = {
        year: KpiCampaign(
            funder=funder,
            programme=programme,
            title=f"Indicateurs {year} — feuille de route numérique 2015–2017",
            period_year=year,
            due_date=datetime.date(year + 1, 4, 30),
            status=CampaignStatus.CLOSED,
            launched_by=officer,
            launched_at=_at(year + 1, 2, 15),
            closed_at=_at(year + 1, 10, 31),
        )
        for year in range(2015, LAST_YEAR + 1)
    }
    KpiCampaign.objects.bulk_create(campaigns.values())
    bands = list(SizeBand.objects.order_by("position"))

    reports: list[KpiReport] = []
    filled: list[KpiReport] = []
    corrections: list[tuple[KpiReport, str, str, str]] = []
    latest_headcount: dict[int, int] = {}
    for organisation in organisations:
        awards = awards_by_org.get(organisation.pk, [])
        first_award_year = awards[0].decision_date.year if awards else None
        baselines: dict[int, Award] = {}
        for award in awards:
            baselines.setdefault(award.decision_date.year - 1, award)
        series = _series(rng, organisation, first_award_year, is_cloud=organisation.pk == cloud.pk)
        base_fte: Decimal | None = None
        start = max(
            FIRST_YEAR, organisation.creation_date.year if organisation.creation_date else 0
        )
        for year in range(start, LAST_YEAR + 1):
            figures = series[year]
            if year in baselines and (organisation.pk, year, True) not in existing:
                baseline = _report(
                    organisation,
                    year,
                    figures,
                    baseline=baselines[year],
                    status=ReportStatus.VALIDATED,
                    source=ReportSource.BASELINE,
                    submitted=_at(year + 1, rng.randint(2, 5), rng.randint(1, 28)),
                    officer=officer,
                )
                if (organisation.pk, year) in asked:
                    baseline.pk = asked[(organisation.pk, year)].pk
                    filled.append(baseline)
                else:
                    reports.append(baseline)
            if year in baselines and base_fte is None:
                base_fte = figures["fte"]
            if (organisation.pk, year, False) in existing:
                continue
            if first_award_year is None or year < first_award_year:
                # Before the award, or never funded: the published accounts, imported.
                if first_award_year is not None and year in baselines:
                    continue  # the baseline report already holds that year
                reports.append(
                    _report(
                        organisation,
                        year,
                        figures,
                        status=ReportStatus.VALIDATED,
                        source=ReportSource.IMPORT,
                        submitted=_at(year + 1, 9, 15),
                        officer=officer,
                    )
                )
                continue
            report = _campaign_report(
                rng,
                organisation,
                year,
                figures,
                campaigns[year],
                base_fte,
                officer,
                corrections,
                flagship=organisation.pk == cloud.pk,
            )
            reports.append(report)
        latest_headcount[organisation.pk] = series[LAST_YEAR]["headcount"]
    KpiReport.objects.bulk_create(reports, batch_size=2000)
    KpiReport.objects.bulk_update(
        filled,
        ["status", "submitted_at", "validated_by", "validated_at", "updated_at", *FIGURES],
    )
    KpiCorrection.objects.bulk_create(
        [
            KpiCorrection(
                report=report,
                field=field,
                old_value=old,
                new_value=new,
                reason="Erreur de saisie relevée au contrôle : ETP déclarés à la place de "
                "l'effectif, corrigés d'après le registre du personnel.",
                corrected_by=officer,
                corrected_at=(report.validated_at or _at(report.period_year + 1, 6, 1))
                + datetime.timedelta(days=3),
            )
            for report, field, old, new in corrections
        ]
    )
    # The size band each organisation declares today follows its 2025 headcount.
    for organisation in organisations:
        organisation.size_band = _band(latest_headcount[organisation.pk], bands)
    Organisation.objects.bulk_update(organisations, ["size_band"], batch_size=500)
    return {"kpi_reports": len(reports), "kpi_campaigns": len(campaigns)}


def _series(
    rng: random.Random,
    organisation: Organisation,
    first_award_year: int | None,
    *,
    is_cloud: bool,
) -> dict[int, dict[str, Any]]:
    """Figures per year: headcount, FTE, revenue, funds raised, sites, export share."""
    out: dict[int, dict[str, Any]] = {}
    if is_cloud:
        for year, (headcount, sites, revenue, equity, loans) in CLOUD.items():
            fte = Decimal(headcount) * Decimal("0.94")
            out[year] = {
                "headcount": headcount,
                "fte": fte.quantize(Decimal("0.01")),
                "research_fte": (fte * Decimal("0.18")).quantize(Decimal("0.01")),
                "revenue": Decimal(revenue) * 1_000_000,
                "equity_raised": Decimal(equity) * 1_000_000,
                "loans_raised": Decimal(loans) * 1_000_000,
                "sites": sites,
                "export_share": Decimal(min(45, 5 + (year - 2014) * 4)),
            }
        return out
    band = organisation.size_band
    low = band.min_employees or 0 if band else 0
    high = band.max_employees if band and band.max_employees is not None else low + 5
    level = math.log(rng.randint(low, max(low, high)) + 1)
    trend = rng.gauss(0.04, 0.08)
    productivity = rng.uniform(45_000, 95_000)
    association = organisation.kind == "association"
    export = 0.0 if association else max(0.0, rng.gauss(8, 8))
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        if year > FIRST_YEAR:
            level += trend + rng.gauss(0, 0.07)
            if first_award_year is not None and year >= first_award_year:
                level += TREATMENT_EFFECT
        headcount = max(0, round(math.exp(level) - 1))
        ratio = rng.uniform(0.78, 0.95)
        fte = Decimal(headcount * ratio).quantize(Decimal("0.01"))
        out[year] = {
            "headcount": headcount,
            "fte": fte,
            "research_fte": (fte * Decimal("0.1")).quantize(Decimal("0.01"))
            if not association
            else Decimal("0"),
            "revenue": _money(max(headcount, 0.5) * productivity * rng.uniform(0.85, 1.15)),
            "equity_raised": _money(rng.choice([0] * 9 + [rng.uniform(50_000, 600_000)]))
            if not association
            else Decimal("0"),
            "loans_raised": _money(rng.choice([0] * 6 + [rng.uniform(10_000, 150_000)])),
            "sites": 1 + headcount // 40,
            "export_share": Decimal(round(export, 1)).quantize(Decimal("0.1")),
        }
    return out


def _report(
    organisation: Organisation,
    year: int,
    figures: dict[str, Any],
    *,
    status: str,
    source: str,
    submitted: datetime.datetime,
    officer: Any,
    baseline: Award | None = None,
    campaign: KpiCampaign | None = None,
    base_fte: Decimal | None = None,
) -> KpiReport:
    validated = status == ReportStatus.VALIDATED
    has_figures = status != ReportStatus.DUE
    values = dict(figures) if has_figures else {}
    if has_figures and base_fte is not None:
        values["fte_created"] = max(Decimal("0"), figures["fte"] - base_fte)
        values["fte_maintained"] = min(figures["fte"], base_fte)
    due = campaign.due_date if campaign else None
    return KpiReport(
        organisation=organisation,
        campaign=campaign,
        award=baseline,
        period_year=year,
        is_baseline=baseline is not None,
        status=status,
        source=source,
        due_date=due,
        created_at=campaign.launched_at if campaign else submitted,
        updated_at=submitted,
        submitted_at=submitted
        if status in (ReportStatus.SUBMITTED, ReportStatus.VALIDATED)
        else None,
        submitted_by=None,
        validated_by=officer if validated and source != ReportSource.IMPORT else None,
        validated_at=submitted + datetime.timedelta(days=12) if validated else None,
        **values,
    )


def _campaign_report(
    rng: random.Random,
    organisation: Organisation,
    year: int,
    figures: dict[str, Any],
    campaign: KpiCampaign,
    base_fte: Decimal | None,
    officer: Any,
    corrections: list[tuple[KpiReport, str, str, str]],
    *,
    flagship: bool = False,
) -> KpiReport:
    """A funded organisation's report for one campaign: mostly validated on time; some late,
    returned, missing, or corrected (recent years are still being checked). The flagship
    company's are all validated on time (drawn anyway: the other draws stay the same)."""
    roll = rng.random()
    if flagship:
        roll = 0.5
    recent = year == LAST_YEAR
    on_time = _at(year + 1, rng.randint(3, 4), rng.randint(1, 28))
    late = _at(year + 1, rng.randint(5, 9), rng.randint(1, 28))
    common = {"source": ReportSource.CAMPAIGN, "officer": officer, "campaign": campaign}
    if roll < (0.08 if recent else 0.03):
        return _report(
            organisation, year, figures, status=ReportStatus.DUE, submitted=on_time, **common
        )
    if roll < (0.30 if recent else 0.05):
        return _report(
            organisation,
            year,
            figures,
            status=ReportStatus.SUBMITTED,
            submitted=late if roll < 0.12 else on_time,
            base_fte=base_fte,
            **common,
        )
    if roll < (0.34 if recent else 0.08):
        report = _report(
            organisation,
            year,
            figures,
            status=ReportStatus.DRAFT,
            submitted=on_time,
            base_fte=base_fte,
            **common,
        )
        report.returned_reason = rng.choice(RETURN_REASONS)
        report.submitted_at = None
        return report
    report = _report(
        organisation,
        year,
        figures,
        status=ReportStatus.VALIDATED,
        submitted=late if roll < 0.18 else on_time,
        base_fte=base_fte,
        **common,
    )
    if roll > 0.98 and report.headcount:
        # Declared FTE as headcount at first; the officer corrected it with a reason.
        corrections.append((report, "headcount", str(report.fte), str(report.headcount)))
    return report
