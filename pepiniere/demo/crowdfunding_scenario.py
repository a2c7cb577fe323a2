"""Match-funded crowdfunding in the demo: 20 association campaigns under three rules (standard
1 € for 1 € up to 5 000 €, flagship 3 € for 1 € up to 15 000 €, tiers-lieu 1 € for 1 € up to
10 000 €, investment spending only, all or nothing at 100 %).

Two waves, each a match-funding call of the 2026–2028 roadmap whose envelope is its pool:
- the first wave (closed): eleven campaigns that ended and were closed by the rule, in end order:
  nine topped up (awards exist; one paid with what was left of the pool), one that missed its
  target (84 %), and the last one that found the pool exhausted;
- the second wave (open): nine live campaigns on the public page, Paula's association
  (porteur@pepiniere.test, « Numérique en Partage ») among them, at 66 % of its target.

Everything is anchored on the demo's day, so the same day builds the same database."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Sum

from pepiniere.accounts.models import User
from pepiniere.calls.models import Call
from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.models import (
    Campaign,
    MatchRule,
    Pledge,
    PledgeSource,
    PledgeStatus,
    ProjectType,
)
from pepiniere.demo.identifiers import fictional_rna
from pepiniere.grants.models import CallPolicy
from pepiniere.organisations.models import (
    LegalForm,
    MemberRole,
    Membership,
    Organisation,
    OrganisationKind,
    SizeBand,
)
from pepiniere.programmes.models import Axis, Funder, Programme
from pepiniere.territories.models import Departement

PARIS = ZoneInfo("Europe/Paris")

STANDARD, FLAGSHIP, THIRD_PLACE = (
    ProjectType.STANDARD,
    ProjectType.FLAGSHIP,
    ProjectType.THIRD_PLACE,
)
RULES = [  # (type, region €, for € raised, cap)
    (STANDARD, 1, 1, "5000"),
    (FLAGSHIP, 3, 1, "15000"),
    (THIRD_PLACE, 1, 1, "10000"),
]
POOL_WAVE_1 = Decimal("60000")

# (association, commune (code, name), project type, title, target, raised, investment,
#  ends days before today). The first wave, in end order; the top-ups the rule gives are in the
# comments (the pool: 60 000 €).
ENDED = [
    (
        "Les Petits Débrouillards du Numérique",
        ("33063", "Bordeaux"),
        STANDARD,
        "Un atelier de réparation d'ordinateurs",
        6000,
        6400,
        8000,
        150,
    ),  # 5 000 (cap)
    (
        "Fabrique des Communs",
        ("33318", "Pessac"),
        FLAGSHIP,
        "Un fablab ouvert aux écoles",
        5000,
        5200,
        20000,
        140,
    ),  # 15 000 (cap)
    (
        "La Ruche Partagée",
        ("24322", "Périgueux"),
        THIRD_PLACE,
        "Équiper le tiers-lieu de la gare",
        8000,
        8600,
        12000,
        130,
    ),  # 8 600
    (
        "Code et Partage",
        ("64445", "Pau"),
        STANDARD,
        "Des tablettes pour l'aide aux devoirs",
        3000,
        3150,
        2500,
        120,
    ),  # 2 500 (investment)
    (
        "Ondes Solidaires",
        ("40192", "Mont-de-Marsan"),
        STANDARD,
        "Une radio associative en ligne",
        10000,
        8450,
        9000,
        110,
    ),  # refused: 84 %
    (
        "Le Grenier Numérique",
        ("47001", "Agen"),
        THIRD_PLACE,
        "Un espace de coworking associatif",
        9000,
        9800,
        15000,
        100,
    ),  # 9 800
    (
        "Culture Libre en Réseau",
        ("33243", "Libourne"),
        STANDARD,
        "Numériser les archives du club",
        4000,
        4100,
        6000,
        90,
    ),  # 4 100
    (
        "Makers Solidaires",
        ("64102", "Bayonne"),
        FLAGSHIP,
        "Une imprimante 3D pour les prothèses",
        3000,
        3000,
        9000,
        80,
    ),  # 9 000 (investment)
    (
        "Clés du Numérique",
        ("24037", "Bergerac"),
        STANDARD,
        "Des ordinateurs reconditionnés pour les familles",
        5000,
        5400,
        7000,
        70,
    ),  # 5 000 (cap)
    (
        "L'Établi Collectif",
        ("40088", "Dax"),
        THIRD_PLACE,
        "Le mobilier du tiers-lieu",
        2000,
        2300,
        5000,
        60,
    ),  # 1 000 (what the pool held)
    (
        "Écrans Ouverts",
        ("47157", "Marmande"),
        STANDARD,
        "Un ciné-club numérique itinérant",
        4500,
        4800,
        6000,
        50,
    ),  # refused: pool exhausted
]
# The second wave, live: (…, starts days before today, ends days after today).
LIVE = [
    (
        "Partage Numérique des Aînés",
        ("33281", "Mérignac"),
        STANDARD,
        "Des ateliers numériques pour les aînés",
        3000,
        3300,
        4000,
        25,
        6,
    ),
    (
        "Le Hangar Connecté",
        ("33522", "Talence"),
        THIRD_PLACE,
        "Un tiers-lieu dans l'ancien hangar",
        12000,
        7300,
        18000,
        30,
        21,
    ),
    (
        "Robots et Savoirs",
        ("64122", "Biarritz"),
        FLAGSHIP,
        "Un club de robotique pour les collégiens",
        4000,
        4400,
        16000,
        20,
        9,
    ),
    (
        "Voix des Quartiers",
        ("24520", "Sarlat-la-Canéda"),
        STANDARD,
        "Un studio de podcast partagé",
        2500,
        900,
        3000,
        10,
        35,
    ),
    (
        "Terre et Pixels",
        ("40046", "Biscarrosse"),
        STANDARD,
        "Une carte participative des sentiers",
        1500,
        1620,
        1200,
        18,
        4,
    ),
    (
        "Le Lien Numérique",
        ("47323", "Villeneuve-sur-Lot"),
        THIRD_PLACE,
        "Un point d'accès aux démarches en ligne",
        6000,
        2400,
        8000,
        8,
        40,
    ),
    (
        "Atelier des Possibles",
        ("64024", "Anglet"),
        FLAGSHIP,
        "Une salle immersive pour les musées",
        5000,
        3100,
        25000,
        14,
        18,
    ),
    (
        "Écoles Connectées",
        ("33009", "Arcachon"),
        STANDARD,
        "Du matériel pour l'école du numérique",
        5000,
        5050,
        7000,
        22,
        2,
    ),
]
PAULA = (
    "Numérique en Partage",
    STANDARD,
    "Un espace de médiation numérique à la Bastide",
    4000,
    2650,
    6000,
    16,
    12,
)

PAYERS = ["Camille", "Louis", "Inès", "Hugo", "Chloé", "Jules", "Léa", "Gabriel", "Manon", "Arthur"]
FAMILIES = ["Martin", "Bernard", "Dubois", "Laurent", "Lefèvre", "Moreau", "Garcia", "Roux"]


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), PARIS)


def _match_call(
    *,
    funder: Funder,
    programme: Programme,
    axis: Axis,
    code: str,
    title: str,
    envelope: Decimal,
    opens: datetime.datetime,
    closes: datetime.datetime,
    officer: User,
) -> Call:
    call = Call.objects.create(
        funder=funder,
        programme=programme,
        axis=axis,
        code=code,
        slug=code,
        title=title,
        summary="La Région complète les campagnes de financement participatif des associations qui "
        "atteignent leur objectif : 1 € pour 1 € collecté (3 € pour 1 € pour les projets phares).",
        description="Une association lance sa campagne sur la plateforme de son choix et la déclare "
        "ici ; si la collecte atteint 100 % de son objectif, la Région verse un abondement selon le "
        "type de projet, dans la limite d'un plafond par projet, des dépenses d'investissement "
        "prévues et de l'enveloppe.",
        envelope=envelope,
        opens_at=opens,
        closes_at=closes,
        is_published=True,
        contact_email="abondement@pepiniere.test",
        eligible_kinds=["association"],
    )
    call.eligible_departements.set(Departement.objects.filter(region_id="75"))
    # Associations' non-economic activities: not aid under the de minimis regulation.
    CallPolicy.objects.create(call=call, de_minimis=False)
    for project_type, region, raised, cap in RULES:
        MatchRule.objects.create(
            call=call,
            project_type=project_type,
            ratio_region=region,
            ratio_raised=raised,
            cap=Decimal(cap),
            decision_reference="Délibération 2026.0412.SP",
            officer=officer,
        )
    return call


def _association(
    name: str, commune: tuple[str, str], rng: random.Random
) -> tuple[Organisation, User]:
    code, commune_name = commune
    departement = Departement.objects.get(code=code[:2])
    organisation = Organisation.objects.create(
        name=name,
        kind=OrganisationKind.ASSOCIATION,
        rna=fictional_rna(rng, departement.code),
        legal_form=LegalForm.objects.get(code="9220"),
        naf_code="94.99Z",
        commune_code=code,
        commune_name=commune_name,
        departement=departement,
        creation_date=datetime.date(
            rng.randint(2005, 2020), rng.randint(1, 12), rng.randint(1, 28)
        ),
        size_band=SizeBand.objects.get(code="01"),
    )
    slug = "".join(c for c in name.lower() if c.isalnum())[:20]
    member = User.objects.create_user(
        email=f"benevole@{slug}.test", password=None, full_name=f"Bénévole {name}"
    )
    Membership.objects.create(user=member, organisation=organisation, role=MemberRole.OWNER)
    return organisation, member


def _pledges(
    campaign: Campaign, member: User, raised: int, rng: random.Random, *, until: datetime.datetime
) -> None:
    """Contributions summing to `raised` euros, spread over the collection, plus one refunded."""
    left = Decimal(raised)
    amounts = []
    while left > 0:
        amount = min(left, Decimal(rng.choice([10, 20, 25, 30, 50, 50, 80, 100, 150, 200, 500])))
        amounts.append(amount)
        left -= amount
    start = campaign.starts_at
    span = max(1, int((until - start).total_seconds()))
    pledges = [
        Pledge(
            campaign=campaign,
            amount=amount,
            pledged_at=start + datetime.timedelta(seconds=span * (i + 1) // (len(amounts) + 2)),
            payer_name=f"{rng.choice(PAYERS)} {rng.choice(FAMILIES)}",
            reference=f"HA-{campaign.pk:03d}-{i + 1:04d}",
            status=PledgeStatus.COUNTED,
            source=PledgeSource.IMPORTED,
            recorded_by=member,
            recorded_at=until,
        )
        for i, amount in enumerate(amounts)
    ]
    pledges.append(
        Pledge(
            campaign=campaign,
            amount=Decimal("40"),
            pledged_at=start + datetime.timedelta(seconds=span // 3),
            payer_name=f"{rng.choice(PAYERS)} {rng.choice(FAMILIES)}",
            reference=f"HA-{campaign.pk:03d}-R001",
            status=PledgeStatus.REFUNDED,
            source=PledgeSource.IMPORTED,
            recorded_by=member,
            recorded_at=until,
        )
    )
    Pledge.objects.bulk_create(pledges)


def _campaign(
    *,
    call: Call,
    organisation: Organisation,
    member: User,
    project_type: str,
    title: str,
    target: int,
    investment: int,
    starts: datetime.datetime,
    ends: datetime.datetime,
    launched: datetime.datetime,
) -> Campaign:
    slug = "".join(c for c in organisation.name.lower() if c.isalnum())[:30]
    campaign = services.create_campaign(
        organisation=organisation,
        actor=member,
        data=services.CampaignData(
            call=call,
            project_type=project_type,
            title=title,
            description=f"{title} : {organisation.name} collecte pour s'équiper.",
            target=Decimal(target),
            starts_at=starts,
            ends_at=ends,
            platform_name="HelloAsso" if len(slug) % 2 else "Ulule",
            platform_url=f"https://financement.example.test/{slug}",
            investment_expenses=Decimal(investment),
        ),
    )
    return services.launch_campaign(campaign=campaign, actor=member, now=launched)


def build_crowdfunding(
    *,
    funder: Funder,
    programme: Programme,
    axis: Axis,
    officer: User,
    paula: User,
    association: Organisation,
    today: datetime.date,
) -> dict[str, Any]:
    rng = random.Random(1412)
    first_day = today - datetime.timedelta(days=200)
    wave_1 = _match_call(
        funder=funder,
        programme=programme,
        axis=axis,
        code="abondement-2026-1",
        title="Abondement des campagnes de financement participatif — 1re vague",
        envelope=POOL_WAVE_1,
        opens=_at(first_day, 9),
        closes=_at(today - datetime.timedelta(days=40), 12),
        officer=officer,
    )
    wave_2 = _match_call(
        funder=funder,
        programme=programme,
        axis=axis,
        code="abondement-2026-2",
        title="Abondement des campagnes de financement participatif — 2e vague",
        envelope=Decimal("80000"),
        opens=_at(today - datetime.timedelta(days=45), 9),
        closes=_at(today + datetime.timedelta(days=300), 12),
        officer=officer,
    )
    closed = []
    for name, commune, project_type, title, target, raised, investment, ended in ENDED:
        organisation, member = _association(name, commune, rng)
        ends = _at(today - datetime.timedelta(days=ended), 23)
        starts = ends - datetime.timedelta(days=45)
        campaign = _campaign(
            call=wave_1,
            organisation=organisation,
            member=member,
            project_type=project_type,
            title=title,
            target=target,
            investment=investment,
            starts=starts,
            ends=ends,
            launched=starts,
        )
        _pledges(campaign, member, raised, rng, until=ends)
        closed.append(campaign)
    # The scheduled close, run the day after each end (earliest first, as the task does).
    for campaign in closed:
        services.close_ended_campaigns(now=campaign.ends_at + datetime.timedelta(hours=2))
    live = []
    for name, commune, project_type, title, target, raised, investment, began, left in LIVE:
        organisation, member = _association(name, commune, rng)
        starts = _at(today - datetime.timedelta(days=began), 9)
        campaign = _campaign(
            call=wave_2,
            organisation=organisation,
            member=member,
            project_type=project_type,
            title=title,
            target=target,
            investment=investment,
            starts=starts,
            ends=_at(today + datetime.timedelta(days=left), 23),
            launched=starts,
        )
        _pledges(campaign, member, raised, rng, until=_at(today, 7))
        live.append(campaign)
    _name, project_type, title, target, raised, investment, began, left = PAULA
    starts = _at(today - datetime.timedelta(days=began), 9)
    paulas = _campaign(
        call=wave_2,
        organisation=association,
        member=paula,
        project_type=project_type,
        title=title,
        target=target,
        investment=investment,
        starts=starts,
        ends=_at(today + datetime.timedelta(days=left), 23),
        launched=starts,
    )
    _pledges(paulas, paula, raised, rng, until=_at(today, 7))
    topped = Campaign.objects.filter(call=wave_1, status="topped_up")
    return {
        "crowdfunding_campaigns": Campaign.objects.count(),
        "crowdfunding_topped_up": topped.count(),
        "crowdfunding_top_ups": topped.aggregate(s=Sum("top_up"))["s"],
        "crowdfunding_paula": paulas.pk,
    }
