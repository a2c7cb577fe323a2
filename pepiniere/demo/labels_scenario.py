"""The French Tech label and the State's national envelopes, as the founding case tells them.

- The label « French Tech », awarded by the State (« État — Mission French Tech »), held by
  Bordeaux Métropole through its 28 communes from 12 November 2014, the day the first
  metropolises were labelled (Bordeaux among them).
- The State's programme « French Tech » with its two envelopes: 200 000 000 € for acceleration,
  15 000 000 € for international attractiveness.
- The State's upcoming call (scenario._upcoming_call) moves into that programme and requires the
  label; a second State call, open today, requires it too: two start-ups of the metropolis
  (Bordeaux, Mérignac, Pessac, Talence…) have filed and are declared admissible; Paula's start-up,
  outside the metropolis, has a draft whose pre-check says it cannot be filed.

Deterministic: its own random generator, and organisations chosen by name."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pepiniere.accounts.models import User
from pepiniere.applications import services as application_services
from pepiniere.calls.models import Call, Sector
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.programmes import services as label_services
from pepiniere.programmes.models import Axis, Funder, LabelKind, Programme

PARIS = ZoneInfo("Europe/Paris")
SEED = 2014

# Bordeaux Métropole's 28 communes (INSEE codes).
BORDEAUX_METROPOLE = {
    "33003": "Ambarès-et-Lagrave",
    "33004": "Ambès",
    "33013": "Artigues-près-Bordeaux",
    "33032": "Bassens",
    "33039": "Bègles",
    "33056": "Blanquefort",
    "33063": "Bordeaux",
    "33065": "Bouliac",
    "33069": "Le Bouscat",
    "33075": "Bruges",
    "33096": "Carbon-Blanc",
    "33119": "Cenon",
    "33162": "Eysines",
    "33167": "Floirac",
    "33192": "Gradignan",
    "33200": "Le Haillan",
    "33249": "Lormont",
    "33273": "Martignas-sur-Jalle",
    "33281": "Mérignac",
    "33312": "Parempuyre",
    "33318": "Pessac",
    "33376": "Saint-Aubin-de-Médoc",
    "33434": "Saint-Louis-de-Montferrand",
    "33449": "Saint-Médard-en-Jalles",
    "33487": "Saint-Vincent-de-Paul",
    "33519": "Le Taillan-Médoc",
    "33522": "Talence",
    "33550": "Villenave-d'Ornon",
}
LABELLED_ON = datetime.date(2014, 11, 12)
UPCOMING_CALL = "french-tech-acceleration-internationale"


def build_labels(
    *, state: Funder, admin: User, paula: User, today: datetime.date
) -> dict[str, Any]:
    from pepiniere.demo.scenario import _standard_form, _standard_grid, _submit

    rng = random.Random(SEED)
    label = label_services.create_label(
        actor=admin,
        name="French Tech",
        kind=LabelKind.TERRITORY,
        awarding_funder=state,
        description="Le label des métropoles French Tech, décerné par l'État (Mission French Tech) "
        "aux écosystèmes de start-up les plus dynamiques. Les structures situées dans une "
        "métropole labellisée accèdent aux appels réservés.",
    )
    label_services.grant_label(
        actor=admin,
        label=label,
        territory_name="Bordeaux Métropole",
        communes=list(BORDEAUX_METROPOLE),
        start_date=LABELLED_ON,
        decision_reference="Labellisation « Métropole French Tech » du 12 novembre 2014",
    )

    programme = Programme.objects.create(
        funder=state,
        title="French Tech — programme national",
        slug="french-tech",
        description="L'initiative nationale French Tech : 200 M€ pour l'accélération des start-up "
        "(fonds French Tech Accélération, opéré par Bpifrance) et 15 M€ pour l'attractivité "
        "internationale des métropoles labellisées.",
        start_date=datetime.date(2014, 1, 1),
        end_date=datetime.date(2030, 12, 31),
    )
    acceleration = Axis.objects.create(
        programme=programme,
        code="acceleration",
        title="Accélération",
        budget=Decimal("200000000"),
        position=0,
    )
    attractiveness = Axis.objects.create(
        programme=programme,
        code="attractivite-internationale",
        title="Attractivité internationale",
        budget=Decimal("15000000"),
        position=1,
    )

    # The State's call of the 2026 roadmap belongs to the State's own programme, and asks for
    # the label its title names.
    upcoming = Call.objects.get(slug=UPCOMING_CALL)
    upcoming.programme, upcoming.axis = programme, acceleration
    upcoming.save(update_fields=["programme", "axis", "search_text"])
    upcoming.required_labels.set([label])

    open_call = Call.objects.create(
        funder=state,
        programme=programme,
        axis=attractiveness,
        code="ftattract",
        slug="french-tech-attractivite-internationale",
        title="French Tech — attractivité internationale",
        summary="Salons, missions et accueil de talents étrangers pour les start-up des "
        "métropoles labellisées French Tech.",
        description="L'État finance la présence internationale des start-up des métropoles "
        "French Tech : stands sur les salons, missions d'affaires, accueil de talents (French "
        "Tech Visa). Réservé aux structures situées dans une métropole labellisée à la date du "
        "dépôt. Subvention de 10 000 € à 50 000 €.",
        envelope=Decimal("2000000"),
        opens_at=datetime.datetime.combine(
            today - datetime.timedelta(days=15), datetime.time(9), PARIS
        ),
        closes_at=datetime.datetime.combine(
            today + datetime.timedelta(days=75), datetime.time(12), PARIS
        ),
        is_published=True,
        contact_email="french-tech@pepiniere.test",
        eligible_kinds=[OrganisationKind.STARTUP, OrganisationKind.SME],
        max_requested_amount=Decimal("50000"),
        overall_threshold=Decimal("10"),
    )
    open_call.required_labels.set([label])
    open_call.sectors.set(Sector.objects.filter(code__in=["logiciel-libre", "donnees-ia"]))
    _standard_form(open_call, with_iban=False)
    _standard_grid(open_call)

    # Two start-ups of the metropolis file and are admissible (the label's rule is met).
    inside = list(
        Organisation.objects.filter(
            kind=OrganisationKind.STARTUP,
            commune_code__in=list(BORDEAUX_METROPOLE),
            memberships__isnull=False,
        )
        .distinct()
        .order_by("name")[:2]
    )
    now = datetime.datetime.combine(today, datetime.time(8), PARIS)
    filed = []
    for index, organisation in enumerate(inside):
        contact = organisation.members.order_by("pk")[0]
        application = _submit(
            open_call,
            organisation,
            contact,
            rng,
            now - datetime.timedelta(days=12 - index),
            now - datetime.timedelta(days=6 - index),
            f"{organisation.name} à l'international",
            "export",
            max_amount=Decimal("50000"),
            rate_choices=["0.5", "0.6"],
        )
        application_services.mark_eligible(application=application, actor=admin)
        filed.append(application.reference)

    # Paula's start-up is outside the metropolis: her draft's pre-check explains the refusal.
    outside = (
        Organisation.objects.filter(members=paula, kind=OrganisationKind.STARTUP)
        .exclude(commune_code__in=list(BORDEAUX_METROPOLE))
        .order_by("name")
        .first()
    )
    if outside is not None:
        draft = application_services.start_application(
            call=open_call, organisation=outside, actor=paula, now=now
        )
        application_services.save_draft(
            application=draft,
            actor=paula,
            answers={
                "_core": {
                    "title": f"{outside.name} au salon nautique de Düsseldorf",
                    "summary": "",
                    "requested_amount": "",
                    "project_budget": "",
                }
            },
        )
    labelled = Organisation.objects.filter(commune_code__in=list(BORDEAUX_METROPOLE)).count()
    return {
        "french_tech_label": label.slug,
        "french_tech_programme": programme.slug,
        "french_tech_calls": [upcoming.slug, open_call.slug],
        "french_tech_filed": filed,
        "french_tech_refused_draft": outside.name if outside is not None else "",
        "labelled_organisations": labelled,
    }
