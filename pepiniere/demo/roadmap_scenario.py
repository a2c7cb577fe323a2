"""Demo: the rest of the 2015–2017 roadmap at its real scale, around the detailed 550 000 € call.

- Eleven more calls over three years and the three axes (innovation, formation, consolidation
  financière), each reviewed by three of eight fictional experts on the standard grid, ranked, and
  funded in score order within its envelope (above the thresholds: 3/5 per criterion, 10/15
  overall): the last funded score is the call's cut-off, the rejected applicants sit below it
  (just below for most, which is what a regression-discontinuity evaluation needs).
- About 620 fictional organisations of the five départements of former Aquitaine (valid SIRENs by
  Luhn, legal forms, size bands), some applying twice, some funded twice.
- One fictional cloud company, Altocumulus (Mérignac), funded in 2015 and 2016, that grew from
  16 employees to more than 400 on 12 sites with 70 M€ of revenue by 2025.

History is written with bulk_create (not thousands of service calls) but stays consistent with
what the services would have written: every award has its co-funding share and de minimis record,
and the budget lines are committed through grants.budget.commit (committed = sum of the awards,
checked by the database). Deterministic: its own seeded random generator, no clock."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.text import slugify

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.applications.models import Application, ApplicationVersion, Status
from pepiniere.calls.models import Call, Criterion, Sector, call_slug, fold
from pepiniere.demo.identifiers import luhn_complete
from pepiniere.grants import budget
from pepiniere.grants.models import AidRecord, AidSource, Award, AwardShare
from pepiniere.organisations.models import (
    LegalForm,
    MemberRole,
    Membership,
    Organisation,
    SizeBand,
)
from pepiniere.portfolio.summaries import write_summaries
from pepiniere.programmes.models import Axis, Funder, Programme
from pepiniere.reviews.models import (
    Assignment,
    AssignmentStatus,
    CallReviewer,
    CriterionScore,
    Recommendation,
    Review,
    ReviewStatus,
)
from pepiniere.territories.models import Departement

PARIS = ZoneInfo("Europe/Paris")
SEED = 20152017
UNUSABLE_PASSWORD = "!demo-historique"  # noqa: S105 (Django reads a leading "!" as no password)


@dataclass(frozen=True)
class CallSpec:
    year: int
    code: str
    title: str
    axis: str
    envelope: int
    opens: tuple[int, int]
    closes: tuple[int, int]
    decided: tuple[int, int]
    kinds: tuple[str, ...]
    sectors: tuple[str, ...]
    amounts: tuple[int, int]  # requested amounts drawn in this range (€)
    summary: str


ALL_KINDS = ("startup", "sme", "association")
COMPANIES = ("startup", "sme")

CALLS = [
    CallSpec(2015, "innov15", "Innovation numérique 2015", "innovation", 700_000, (1, 12), (3, 13), (5, 21), COMPANIES, ("logiciel-libre", "donnees-ia", "e-sante"), (8_000, 40_000), "Aide à l'innovation des start-up et PME du numérique : prototype, premier produit, premiers clients."),
    CallSpec(2015, "form15", "Formation aux métiers du numérique 2015", "formation", 350_000, (2, 2), (4, 3), (6, 11), ALL_KINDS, ("edtech",), (4_000, 20_000), "Former demandeurs d'emploi et salariés aux métiers du développement, de la donnée et du web."),
    CallSpec(2015, "conso15", "Consolidation financière des jeunes entreprises 2015", "consolidation", 600_000, (4, 7), (6, 19), (9, 24), COMPANIES, ("services-entreprises", "fintech"), (6_000, 30_000), "Avances remboursables et subventions pour renforcer les fonds propres avant une levée de fonds."),
    CallSpec(2016, "innov16", "Innovation numérique 2016", "innovation", 800_000, (1, 11), (3, 11), (5, 19), COMPANIES, ("logiciel-libre", "donnees-ia", "cybersecurite"), (8_000, 40_000), "Deuxième édition : innovation de produit et de service dans le numérique."),
    CallSpec(2016, "pme16", "Transformation numérique des PME 2016", "innovation", 500_000, (3, 1), (5, 13), (7, 7), ("sme",), ("industrie-4-0", "e-commerce", "agritech"), (8_000, 36_000), "Accompagner les PME industrielles et agricoles dans leurs projets numériques."),
    CallSpec(2016, "form16", "Formation aux métiers du numérique 2016", "formation", 400_000, (2, 1), (4, 1), (6, 9), ALL_KINDS, ("edtech", "ess"), (4_000, 20_000), "Écoles du code, formations qualifiantes et médiation numérique."),
    CallSpec(2016, "conso16", "Consolidation financière des jeunes entreprises 2016", "consolidation", 700_000, (4, 4), (6, 17), (9, 22), COMPANIES, ("services-entreprises", "fintech"), (6_000, 30_000), "Renforcer les fonds propres des jeunes entreprises en croissance."),
    CallSpec(2017, "innov17", "Innovation numérique 2017", "innovation", 900_000, (1, 9), (3, 10), (5, 18), COMPANIES, ("logiciel-libre", "donnees-ia", "e-sante", "greentech"), (8_000, 40_000), "Troisième édition : innovation numérique, logiciel libre et santé."),
    CallSpec(2017, "data17", "Données et intelligence artificielle 2017", "innovation", 400_000, (3, 6), (5, 12), (7, 6), COMPANIES, ("donnees-ia",), (8_000, 36_000), "Valoriser les données publiques et industrielles, premiers projets d'intelligence artificielle."),
    CallSpec(2017, "form17", "Formation aux métiers du numérique 2017", "formation", 450_000, (2, 6), (4, 7), (6, 15), ALL_KINDS, ("edtech", "ess"), (4_000, 20_000), "Former aux métiers en tension : développement, cybersécurité, données."),
    CallSpec(2017, "conso17", "Consolidation financière des jeunes entreprises 2017", "consolidation", 700_000, (4, 3), (6, 16), (9, 21), COMPANIES, ("services-entreprises", "fintech"), (6_000, 30_000), "Dernière édition de la feuille de route : consolidation avant levée de fonds."),
]  # fmt: skip

# Organisation names: invented words, no place names (tests_project/test_demo_places.py).
FIRST = [
    "Alto",
    "Nova",
    "Vigie",
    "Océa",
    "Pixel",
    "Lumen",
    "Terra",
    "Hélio",
    "Kéra",
    "Sylva",
    "Datalys",
    "Numéa",
    "Cybel",
    "Ondine",
    "Azur",
    "Brume",
    "Zéphyr",
    "Écume",
    "Sépia",
    "Garance",
    "Myrtille",
    "Castor",
    "Héron",
    "Loutre",
    "Martinet",
    "Pignon",
    "Chêne",
    "Sarment",
    "Galet",
    "Dune",
    "Estran",
    "Marée",
    "Résine",
    "Vendange",
    "Piment",
    "Cèpe",
    "Grive",
    "Mouette",
    "Albatros",
    "Pélican",
    "Bruyère",
    "Airial",
    "Palombe",
    "Tilleul",
    "Colibri",
    "Lynx",
    "Orque",
    "Fougère",
]
SECOND = [
    "Numérique",
    "Data",
    "Labs",
    "Logiciels",
    "Studio",
    "Systèmes",
    "Conseil",
    "Connect",
    "Robotique",
    "Réseaux",
    "Solutions",
    "Technologies",
    "Interactive",
    "Mobilité",
    "Santé",
    "Éducation",
    "Énergie",
    "Agritech",
    "Web",
    "Cloud",
]
ASSOCIATION_FIRST = ["Collectif", "Fabrique", "Maison", "Réseau", "Atelier", "Café"]
ASSOCIATION_SECOND = ["du code", "numérique", "des communs", "des savoirs", "libre", "solidaire"]
NAF = {
    "startup": ["62.01Z", "62.02A", "63.11Z", "58.29C", "72.19Z"],
    "sme": ["62.01Z", "62.02A", "70.22Z", "63.11Z", "47.91B", "28.99B"],
    "association": ["85.59A", "94.99Z"],
}
TITLES = {
    "innovation": [
        "Plateforme de {x}",
        "Application mobile de {x}",
        "Logiciel libre de {x}",
        "Service en ligne de {x}",
    ],
    "formation": [
        "École du code : {x}",
        "Formation qualifiante en {x}",
        "Parcours de reconversion vers {x}",
    ],
    "consolidation": [
        "Renforcement des fonds propres pour {x}",
        "Changement d'échelle : {x}",
        "Préparation d'une levée de fonds ({x})",
    ],
}
TOPICS = {
    "innovation": [
        "gestion des tournées",
        "suivi des patients",
        "traçabilité des vendanges",
        "maintenance prédictive",
        "réservation touristique",
        "billetterie culturelle",
        "analyse des données agricoles",
        "cybersécurité des TPE",
        "visioconférence souveraine",
        "cartographie collaborative",
    ],
    "formation": [
        "développement web",
        "science des données",
        "cybersécurité",
        "administration système",
        "médiation numérique",
        "conception d'interfaces",
    ],
    "consolidation": [
        "l'hébergement en nuage",
        "la place de marché",
        "l'offre logicielle",
        "l'export",
        "le service client",
        "la production",
    ],
}
EXPERTS = [
    ("Agnès Delorme", 0.0),
    ("Bruno Castaing", -0.4),
    ("Claire Lasserre", 0.3),
    ("Damien Etcheverry", 0.0),
    ("Élodie Darrieux", -0.2),
    ("Fabien Labat", 0.4),
    ("Gaëlle Ducasse", 0.1),
    ("Henri Lacoste", -0.3),
]
CLOUD_NAME = "Altocumulus"


@dataclass
class Applicant:
    organisation: Organisation
    contact: User
    quality: float  # latent quality on the 0–5 scale, persistent across calls
    funded: list[int] = field(default_factory=list)  # years of awards


def _paris(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=PARIS)


def _names(rng: random.Random, count: int, kinds: Sequence[str]) -> list[str]:
    companies = [f"{a} {b}" for a in FIRST for b in SECOND if f"{a} {b}" != "Alto Cloud"]
    associations = [f"{a} {b}" for a in ASSOCIATION_FIRST for b in ASSOCIATION_SECOND] + [
        f"{a} {b}" for a in ASSOCIATION_FIRST for b in FIRST
    ]
    rng.shuffle(companies)
    rng.shuffle(associations)
    return [associations.pop() if kind == "association" else companies.pop() for kind in kinds]


def _siren(rng: random.Random, used: set[str]) -> str:
    while True:
        siren = luhn_complete("98" + "".join(rng.choice("0123456789") for _ in range(6)))
        if siren not in used:
            used.add(siren)
            return siren


def _rna(rng: random.Random, departement: str, used: set[str]) -> str:
    while True:
        rna = "W" + departement + "".join(rng.choice("0123456789") for _ in range(7))
        if rna not in used:
            used.add(rna)
            return rna


def _company_form(rng: random.Random, *, flagship: bool) -> str:
    drawn = rng.choice(["5710", "5720", "5499", "5498"])
    return "5710" if flagship else drawn  # the cloud company is an SAS


def _band_for(headcount: int, bands: dict[str, SizeBand]) -> SizeBand:
    for code, top in (("00", 0), ("01", 2), ("02", 5), ("03", 9), ("11", 19), ("12", 49)):
        if headcount <= top:
            return bands[code]
    for code, top in (("21", 99), ("22", 199), ("31", 249), ("32", 499)):
        if headcount <= top:
            return bands[code]
    return bands["41"]


def build_roadmap(
    *,
    programme: Programme,
    axes: dict[str, Axis],
    funder: Funder,
    officer: User,
    communes: dict[str, list[tuple[str, str]]],
    count: int = 620,
) -> dict[str, Any]:
    rng = random.Random(SEED)
    departements = {d.code: d for d in Departement.objects.filter(code__in=sorted(communes))}
    bands = {b.code: b for b in SizeBand.objects.all()}
    forms = {
        f.code: f
        for f in LegalForm.objects.filter(code__in=["5710", "5720", "5499", "5498", "9220"])
    }
    sectors = {s.code: s for s in Sector.objects.all()}

    # The organisations (and one contact each), written at once.
    kinds = [rng.choices(ALL_KINDS, weights=(45, 35, 20))[0] for _ in range(count)]
    names = _names(rng, count, kinds)
    used_sirens = set(Organisation.objects.exclude(siren="").values_list("siren", flat=True))
    used_rnas = set(Organisation.objects.exclude(rna="").values_list("rna", flat=True))
    organisations = []
    headcounts = []
    for index, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        code = rng.choices(sorted(communes), weights=[15, 45, 12, 10, 18])[0]
        commune_code, commune_name = rng.choice(communes[code])
        if index == 0:
            name, kind, code, commune_code, commune_name = (
                CLOUD_NAME, "startup", "33", "33281", "Mérignac",
            )  # fmt: skip
        headcount = 16 if index == 0 else max(0, int(rng.lognormvariate(1.4, 0.9)) - 1)
        headcounts.append(headcount)
        association = kind == "association"
        siren = "" if association else _siren(rng, used_sirens)
        organisations.append(
            Organisation(
                name=name,
                kind=kind,
                siren=siren,
                siret=luhn_complete(siren + "0001") if siren else "",
                rna=_rna(rng, code, used_rnas) if association else "",
                legal_form=forms["9220"]
                if association
                else forms[_company_form(rng, flagship=index == 0)],
                naf_code=rng.choice(NAF[kind]),
                commune_code=commune_code,
                commune_name=commune_name,
                departement=departements[code],
                creation_date=datetime.date(
                    2011 if index == 0 else rng.randint(1998 if kind == "sme" else 2006, 2014),
                    rng.randint(1, 12),
                    rng.randint(1, 28),
                ),
                size_band=_band_for(headcount, bands),
            )
        )
    Organisation.objects.bulk_create(organisations)
    contacts = User.objects.bulk_create(
        [
            User(
                email=f"contact@{slugify(o.name)}.test",
                full_name=f"Contact {o.name}",
                password=UNUSABLE_PASSWORD,
            )
            for o in organisations
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, organisation=o, role=MemberRole.OWNER)
            for u, o in zip(contacts, organisations, strict=True)
        ]
    )
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role=Role.APPLICANT) for u in contacts])
    applicants = [
        Applicant(o, u, quality=min(4.8, max(1.5, rng.gauss(3.3, 0.7))))
        for o, u in zip(organisations, contacts, strict=True)
    ]
    applicants[0].quality = 4.9  # the cloud company: the best-rated file of its calls

    experts = User.objects.bulk_create(
        [
            User(
                email=f"{slugify(name)}@expertise.pepiniere.test",
                full_name=name,
                password=UNUSABLE_PASSWORD,
            )
            for name, _bias in EXPERTS
        ]
    )
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role=Role.REVIEWER) for u in experts])
    bias = {u.pk: b for u, (_n, b) in zip(experts, EXPERTS, strict=True)}

    fresh = list(range(1, len(applicants)))
    rng.shuffle(fresh)
    applied: list[int] = []
    facts: dict[str, Any] = {"roadmap_calls": [], "roadmap_awards": 0, "roadmap_rejected": 0}
    award_seq = {2015: 100, 2016: 0, 2017: 0}
    for spec in CALLS:
        call = _call(spec, programme, axes, funder, sectors)
        pool = _applicants_for(spec, applicants, fresh, applied, rng)
        awards, rejected = _run_call(
            call=call,
            spec=spec,
            pool=pool,
            experts=experts,
            bias=bias,
            officer=officer,
            funder=funder,
            rng=rng,
            award_seq=award_seq,
        )
        facts["roadmap_calls"].append(call)
        facts["roadmap_awards"] += awards
        facts["roadmap_rejected"] += rejected
    # The awards above are written in bulk, past the award hooks: the portfolio's summaries of
    # what the Région gave each organisation, written once for all of them.
    write_summaries()
    facts["roadmap_applicants"] = applicants
    facts["cloud"] = applicants[0].organisation
    return facts


def _call(
    spec: CallSpec,
    programme: Programme,
    axes: dict[str, Axis],
    funder: Funder,
    sectors: dict[str, Sector],
) -> Call:
    call = Call.objects.create(
        funder=funder,
        programme=programme,
        axis=axes[spec.axis],
        code=spec.code,
        slug=call_slug(spec.title, spec.year),
        title=spec.title,
        summary=spec.summary,
        description=spec.summary
        + "\n\nAppel de la feuille de route numérique 2015–2017 de la Région Aquitaine, clos.",
        envelope=Decimal(spec.envelope),
        opens_at=_paris(spec.year, *spec.opens, 9),
        closes_at=_paris(spec.year, *spec.closes, 12),
        is_published=True,
        contact_email="feuille-de-route@pepiniere.test",
        eligible_kinds=list(spec.kinds),
        max_requested_amount=Decimal(spec.amounts[1]),
        overall_threshold=Decimal("10"),
    )
    call.sectors.set([sectors[c] for c in spec.sectors])
    Criterion.objects.bulk_create(
        [
            Criterion(
                call=call,
                position=position,
                title=title,
                weight=Decimal(weight),
                scale_min=0,
                scale_max=5,
                threshold=Decimal("3"),
            )
            for position, (title, weight) in enumerate(
                [
                    ("Caractère innovant", "2"),
                    ("Impact sur l'emploi et le territoire", "2"),
                    ("Faisabilité", "1"),
                ]
            )
        ]
    )
    return call


def _applicants_for(
    spec: CallSpec,
    applicants: list[Applicant],
    fresh: list[int],
    applied: list[int],
    rng: random.Random,
) -> list[Applicant]:
    """About 1.6 applicants per award the envelope allows: mostly first-time applicants, a sixth
    coming back (rejected before, or funded before and growing)."""
    mean_amount = (spec.amounts[0] + spec.amounts[1]) / 2 * 0.8
    wanted = int(spec.envelope / mean_amount * 1.6)
    chosen: list[int] = []
    if spec.code in ("innov15", "conso16"):
        chosen.append(0)  # the cloud company
    returning = [i for i in applied if applicants[i].organisation.kind in spec.kinds and i != 0]
    rng.shuffle(returning)
    chosen += returning[: wanted // 6]
    index = 0
    while len(chosen) < wanted and index < len(fresh):
        candidate = fresh[index]
        if applicants[candidate].organisation.kind in spec.kinds:
            chosen.append(fresh.pop(index))
        else:
            index += 1
    for i in chosen:
        if i not in applied:
            applied.append(i)
    return [applicants[i] for i in chosen]


def _run_call(
    *,
    call: Call,
    spec: CallSpec,
    pool: list[Applicant],
    experts: list[User],
    bias: dict[int, float],
    officer: User,
    funder: Funder,
    rng: random.Random,
    award_seq: dict[int, int],
) -> tuple[int, int]:
    """Applications, three reviews each, the ranking within the envelope, awards. Returns the
    number of awards and of rejections."""
    criteria = list(call.criteria.order_by("position"))
    weights = [float(c.weight) for c in criteria]
    prefix = call.reference_prefix
    closes = call.closes_at
    topics = TOPICS[spec.axis]
    applications = []
    for number, applicant in enumerate(pool, start=1):
        organisation = applicant.organisation
        low, high = spec.amounts
        requested = Decimal(rng.randrange(low, high + 1, 500))
        if organisation.name == CLOUD_NAME:
            requested = Decimal(high)  # the flagship asks for the most the call gives
        budget_total = (requested / Decimal(rng.choice(["0.5", "0.6", "0.7"]))).quantize(
            Decimal("1")
        )
        title = rng.choice(TITLES[spec.axis]).format(x=rng.choice(topics))
        summary = f"{title}, porté par {organisation.name} ({organisation.commune_name})."
        reference = f"{prefix}-{number:04d}"
        submitted = closes - datetime.timedelta(hours=rng.randint(2, 24 * 40))
        applications.append(
            Application(
                call=call,
                organisation=organisation,
                created_by=applicant.contact,
                status=Status.REJECTED,
                number=number,
                reference=reference,
                title=title,
                summary=summary,
                requested_amount=requested,
                project_budget=budget_total,
                submitted_at=submitted,
                search_text=fold(
                    " ".join(
                        p
                        for p in (
                            reference,
                            title,
                            summary,
                            organisation.name,
                            organisation.siret,
                            organisation.rna,
                        )
                        if p
                    )
                ),
            )
        )
    Application.objects.bulk_create(applications)
    Call.objects.filter(pk=call.pk).update(last_application_number=len(applications))
    ApplicationVersion.objects.bulk_create(
        [
            ApplicationVersion(
                application=a,
                number=1,
                title=a.title,
                summary=a.summary,
                requested_amount=a.requested_amount,
                project_budget=a.project_budget,
                answers={},
                attachments=[],
                submitted_at=a.submitted_at or closes,
                submitted_by=a.created_by,
                draft_revision=0,
            )
            for a in applications
        ]
    )

    # Three reviews per application, integer marks around the file's quality (and the expert's
    # bias); the consensus is the mean of each criterion.
    CallReviewer.objects.bulk_create([CallReviewer(call=call, reviewer=e) for e in experts])
    reviewed_at = closes + datetime.timedelta(days=21)
    assignments: list[Assignment] = []
    marks: list[list[int]] = []
    consensus: dict[int, list[float]] = {}
    for position, (application, applicant) in enumerate(zip(applications, pool, strict=True)):
        target = applicant.quality + rng.gauss(0, 0.35)
        chosen = [experts[(position + k * 3) % len(experts)] for k in range(3)]
        sums = [0.0] * len(criteria)
        for expert in chosen:
            row = [
                int(min(5, max(0, round(target + bias[expert.pk] + rng.gauss(0, 0.6)))))
                for _c in criteria
            ]
            marks.append(row)
            sums = [s + m for s, m in zip(sums, row, strict=True)]
            assignments.append(
                Assignment(
                    application=application,
                    reviewer=expert,
                    status=AssignmentStatus.SUBMITTED,
                    assigned_at=closes + datetime.timedelta(days=3),
                    assigned_by=officer,
                )
            )
        consensus[application.pk] = [s / 3 for s in sums]
    Assignment.objects.bulk_create(assignments)
    reviews = Review.objects.bulk_create(
        [
            Review(
                assignment=a,
                status=ReviewStatus.SUBMITTED,
                recommendation=Recommendation.FUND
                if sum(row) >= 11
                else (Recommendation.FUND_IF if sum(row) >= 9 else Recommendation.DO_NOT_FUND),
                overall_comment="",
                submitted_at=reviewed_at,
            )
            for a, row in zip(assignments, marks, strict=True)
        ]
    )
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(review=review, criterion=criterion, score=Decimal(mark))
            for review, row in zip(reviews, marks, strict=True)
            for criterion, mark in zip(criteria, row, strict=True)
        ]
    )

    # Funded in score order (weighted, for ranking) while the envelope lasts, above thresholds.
    def weighted(application: Application) -> float:
        means = consensus[application.pk]
        return sum(m * w for m, w in zip(means, weights, strict=True)) / sum(weights)

    ranked = sorted(applications, key=lambda a: (-weighted(a), a.number or 0))
    remaining = Decimal(spec.envelope)
    decided = datetime.date(spec.year, *spec.decided)
    decided_at = _paris(spec.year, *spec.decided, 15)
    funded: list[Application] = []
    by_pk = {a.pk: applicant for a, applicant in zip(applications, pool, strict=True)}
    for rank, application in enumerate(ranked, start=1):
        means = consensus[application.pk]
        amount = application.requested_amount or Decimal("0")
        if min(means) < 3 or sum(means) < 10:
            application.decision_reason = (
                "Note inférieure au seuil de la grille (3/5 par critère, 10/15 au total)."
            )
        elif amount > remaining:
            application.decision_reason = (
                f"Enveloppe épuisée au rang {rank} : le dossier est au-dessus des seuils mais "
                "l'enveloppe restante ne couvre pas le montant demandé."
            )
        else:
            remaining -= amount
            application.status = Status.AWARDED
            application.decision_reason = ""
            funded.append(application)
            by_pk[application.pk].funded.append(spec.year)
    Application.objects.bulk_update(applications, ["status", "decision_reason"])

    awards = []
    for application in sorted(funded, key=lambda a: a.number or 0):
        award_seq[spec.year] += 1
        awards.append(
            Award(
                application=application,
                amount=application.requested_amount or Decimal("0"),
                decision_reference=f"CP n° {spec.year % 100}.{award_seq[spec.year]:04d}",
                decision_date=decided,
                de_minimis=True,
                awarded_by=officer,
                awarded_at=decided_at,
            )
        )
    Award.objects.bulk_create(awards)
    AwardShare.objects.bulk_create(
        [AwardShare(award=a, funder=funder, amount=a.amount) for a in awards]
    )
    AidRecord.objects.bulk_create(
        [
            AidRecord(
                organisation_id=a.application.organisation_id,
                source=AidSource.AWARD,
                award=a,
                funder_name=funder.name,
                amount=a.amount,
                granted_on=a.decision_date,
                reference=a.decision_reference,
                recorded_by=officer,
                recorded_at=decided_at,
            )
            for a in awards
        ]
    )
    total = sum((a.amount for a in awards), Decimal("0"))
    # The ledger as the award service leaves it: every line of the call (call, axis, programme,
    # the Région's contribution) committed by the sum of the awards, within its envelope.
    budget.commit(call=call, amount=total, shares={funder.pk: total})
    return len(awards), len(applications) - len(awards)
