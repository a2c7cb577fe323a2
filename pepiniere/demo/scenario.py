"""The founding case as demo data: Région Aquitaine's 2015–2017 digital roadmap, its 550 000 € call
for the collaborative economy (closed in 2015, with 45 submitted applications), a call open today and
one upcoming. Every organisation and person is fictional. Deterministic: same day, same data."""

from __future__ import annotations

import datetime
import functools
import io
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application
from pepiniere.calls.models import Call, Criterion, FieldKind, FormField, Sector
from pepiniere.demo.accelerator_scenario import build_accelerator
from pepiniere.demo.agreements_scenario import build_agreements
from pepiniere.demo.bank_scenario import build_bank_change, build_bank_details
from pepiniere.demo.crowdfunding_scenario import build_crowdfunding
from pepiniere.demo.identifiers import fictional_rna, fictional_siret
from pepiniere.demo.labels_scenario import build_labels
from pepiniere.demo.mfa_scenario import build_mfa_accounts
from pepiniere.demo.payments_scenario import build_payments
from pepiniere.demo.reviews_scenario import build_reviews
from pepiniere.demo.roadmap_history import build_roadmap_history
from pepiniere.demo.roadmap_kpis import build_kpi_history
from pepiniere.demo.roadmap_scenario import build_roadmap
from pepiniere.demo.selection_scenario import build_selection
from pepiniere.impact.services import refresh_snapshots
from pepiniere.lib.pdf import new_pdf
from pepiniere.opendata.services import publish_all
from pepiniere.organisations import services as organisation_services
from pepiniere.organisations.models import LegalForm, MemberRole, Membership, Organisation, SizeBand
from pepiniere.programmes.models import Axis, Funder, FunderKind, Programme
from pepiniere.territories.models import Departement

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "demo"  # noqa: S105 (the documented demo password)
ACCOUNTS = [
    ("admin@pepiniere.test", "Alice Administratrice", Role.ADMIN),
    ("agent@pepiniere.test", "Olivier Chargé de mission", Role.OFFICER),
    ("porteur@pepiniere.test", "Paula Porteuse", Role.APPLICANT),
    ("expert@pepiniere.test", "Emma Experte", Role.REVIEWER),
    ("jury@pepiniere.test", "Jules Juré", Role.JURY),
    ("finance@pepiniere.test", "Fanny Finances", Role.FINANCE),
]

COMMUNES = {
    "24": [("24322", "Périgueux"), ("24037", "Bergerac"), ("24520", "Sarlat-la-Canéda")],
    "33": [
        ("33063", "Bordeaux"),
        ("33281", "Mérignac"),
        ("33318", "Pessac"),
        ("33009", "Arcachon"),
        ("33243", "Libourne"),
        ("33522", "Talence"),
    ],
    "40": [("40192", "Mont-de-Marsan"), ("40088", "Dax"), ("40046", "Biscarrosse")],
    "47": [("47001", "Agen"), ("47323", "Villeneuve-sur-Lot"), ("47157", "Marmande")],
    "64": [("64445", "Pau"), ("64102", "Bayonne"), ("64122", "Biarritz"), ("64024", "Anglet")],
}

# An organisation whose name says where it is lives there (in the département the round-robin
# below gives it): a reader who sees « Parking Malin Agen » filed under Marmande, or a « Pau »
# structure filed under Gironde, stops trusting the demo. tests_project/test_demo.py checks it.
HOME_COMMUNES = {"Parking Malin Agen": ("47001", "Agen")}

# (name, kind, project title, one-line idea) — all invented.
PROJECTS_2015 = [
    (
        "Les Voiles Partagées",
        "startup",
        "Location de bateaux entre particuliers sur le bassin d'Arcachon",
        "boat",
    ),
    ("ParkVoisin", "startup", "Partage de places de parking résidentielles", "parking"),
    (
        "Coup de Pouce Asso",
        "association",
        "Financement participatif des associations de quartier",
        "crowdfunding",
    ),
    (
        "OutilThèque Gasconne",
        "association",
        "Bibliothèque d'outils partagée entre voisins",
        "tools",
    ),
    ("Covoit'Béarn", "startup", "Covoiturage domicile-travail en zone rurale", "carpool"),
    ("Marmite Solidaire", "association", "Plateforme de dons d'invendus alimentaires", "food"),
    ("BureauPartagé Talence", "sme", "Réseau de bureaux partagés chez l'habitant", "coworking"),
    ("Récolte Commune", "association", "Cueillette partagée des fruits des jardins privés", "food"),
    ("Kayak&Co", "startup", "Location de kayaks entre particuliers sur la Dordogne", "boat"),
    ("TousÉlectriques", "startup", "Partage de bornes de recharge entre particuliers", "parking"),
    ("Don d'Heures", "association", "Banque de temps entre habitants", "time"),
    ("CaravaneShare", "startup", "Location de vans aménagés entre particuliers", "vehicles"),
    ("AtelierVélo Mobile", "association", "Réparation participative de vélos", "repair"),
    (
        "Jardins Prêtés",
        "association",
        "Mise en relation de jardins inutilisés et de jardiniers",
        "garden",
    ),
    (
        "FinanceLocale 64",
        "startup",
        "Prêt participatif aux commerces de centre-bourg",
        "crowdfunding",
    ),
    ("Co-Habiter", "association", "Colocation intergénérationnelle", "housing"),
    ("SurfBoard Swap", "startup", "Échange et location de planches de surf", "sport"),
    ("Cuisine Ouverte", "sme", "Cuisines professionnelles partagées pour traiteurs", "coworking"),
    ("AgriPartage", "sme", "Location de matériel agricole entre exploitations", "tools"),
    ("Bateau-Stop Garonne", "startup", "Covoiturage fluvial sur la Garonne", "boat"),
    ("Place Libre", "startup", "Parkings d'entreprise ouverts le week-end", "parking"),
    (
        "Entraide Numérique 33",
        "association",
        "Ateliers numériques partagés en milieu rural",
        "skills",
    ),
    ("Troc'Jouets", "association", "Échange de jouets entre familles", "exchange"),
    ("LocaMatos Pro", "sme", "Location d'outillage professionnel entre artisans", "tools"),
    (
        "Ruche Collective",
        "association",
        "Financement participatif de ruchers pédagogiques",
        "crowdfunding",
    ),
    ("VoisinsVolants", "startup", "Livraison collaborative entre voisins", "delivery"),
    ("Pyrénées Partage", "association", "Covoiturage vers les stations de montagne", "carpool"),
    ("Chambres d'Hôtes Solidaires", "sme", "Hébergement chez l'habitant pour soignants", "housing"),
    ("Basket Commun", "association", "Mutualisation d'équipements sportifs associatifs", "sport"),
    ("Circuit Court Connect", "startup", "Commandes groupées chez les producteurs locaux", "food"),
    ("Les Ports Ouverts", "startup", "Partage d'anneaux de port inoccupés", "boat"),
    ("StockVoisin", "startup", "Garde-meubles entre particuliers", "storage"),
    ("Savoirs Croisés", "association", "Échange de savoirs entre générations", "skills"),
    (
        "Cagnotte Village",
        "association",
        "Financement participatif de projets communaux",
        "crowdfunding",
    ),
    ("VéloCargo Partagé", "association", "Vélos-cargos en libre partage pour familles", "vehicles"),
    ("TiersLieu Bergeracois", "sme", "Tiers-lieu numérique et atelier partagé", "coworking"),
    ("Repair Café Bordeaux", "association", "Réseau de cafés-réparation", "repair"),
    ("Loc'Ski", "startup", "Location de matériel de ski entre particuliers", "sport"),
    ("Parking Malin Agen", "startup", "Réservation de parkings de gare partagés", "parking"),
    ("ÉnergieVoisine", "startup", "Autoconsommation collective d'énergie solaire", "energy"),
    ("Marché des Créateurs", "sme", "Boutique partagée pour créateurs locaux", "exchange"),
    (
        "Les Amis du Canal",
        "association",
        "Location participative de bateaux électriques sur le canal",
        "boat",
    ),
    ("CoLab Dax", "sme", "Laboratoire de fabrication partagé", "coworking"),
    (
        "Garde Partagée Marmandaise",
        "association",
        "Garde d'enfants partagée entre familles",
        "childcare",
    ),
    ("ToitPartagé", "startup", "Location de toitures pour le solaire citoyen", "energy"),
]

INNOVATION_TEXTS = {
    "boat": "Une plateforme de réservation qui assure les locations entre particuliers et vérifie les permis.",
    "parking": "Une application qui ouvre les places privées vacantes aux voisins, avec badge connecté.",
    "crowdfunding": "Une plateforme de dons et de prêts adaptée aux petites associations, sans commission.",
}


@functools.cache
def _pdf_bytes(title: str) -> bytes:
    pdf = new_pdf(title=title)
    pdf.add_page()
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0, 8, "Document fictif de démonstration : dépenses, recettes et cofinancements du projet."
    )
    return bytes(pdf.output())


def _paris(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def build(
    *, today: datetime.date | None = None, stdout: io.TextIOBase | None = None
) -> dict[str, Any]:
    rng = random.Random(2015)
    today = today or timezone.localdate()

    users = {}
    # One slow PBKDF2 hash shared by the demo accounts (they share the password anyway).
    password_hash = make_password(PASSWORD)
    for email, name, role in ACCOUNTS:
        user = User.objects.create_user(email=email, password=None, full_name=name)
        user.password = password_hash
        user.save(update_fields=["password"])
        if role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
            user.save()
        users[role] = user

    region = Funder.objects.create(
        name="Région Aquitaine", slug="region-aquitaine", kind=FunderKind.REGION
    )
    state = Funder.objects.create(
        name="État — Mission French Tech", slug="etat-french-tech", kind=FunderKind.STATE
    )
    for role in (Role.OFFICER, Role.JURY, Role.FINANCE):
        RoleGrant.objects.create(user=users[role], role=role, funder=region)
    RoleGrant.objects.create(user=users[Role.REVIEWER], role=Role.REVIEWER)
    RoleGrant.objects.create(user=users[Role.APPLICANT], role=Role.APPLICANT)
    build_mfa_accounts(password_hash=password_hash, funder=region)
    users[Role.OFFICER].is_staff = True
    users[Role.OFFICER].save()

    roadmap = Programme.objects.create(
        funder=region,
        title="Feuille de route numérique 2015–2017",
        slug="feuille-de-route-numerique-2015-2017",
        description="Faire de l'Aquitaine une terre d'innovation numérique : soutenir l'innovation, la "
        "formation et la consolidation financière des jeunes entreprises et associations du numérique. "
        "Promesse de la Région : « des milliers d'emplois en trois ans ».",
        start_date=datetime.date(2015, 1, 1),
        end_date=datetime.date(2017, 12, 31),
    )
    axes = {
        code: Axis.objects.create(
            programme=roadmap, code=code, title=title, budget=Decimal(budget), position=i
        )
        for i, (code, title, budget) in enumerate(
            [
                ("innovation", "Innovation", "4000000"),
                ("formation", "Formation", "1500000"),
                ("consolidation", "Consolidation financière", "2500000"),
            ]
        )
    }
    aquitaine = list(Departement.objects.filter(code__in=["24", "33", "40", "47", "64"]))
    nouvelle_aquitaine = list(Departement.objects.filter(region_id="75"))
    startup_forms = list(LegalForm.objects.filter(code__in=["5710", "5720", "5499", "5498"]))
    association_form = LegalForm.objects.get(code="9220")
    bands = {b.code: b for b in SizeBand.objects.all()}

    eco = Call.objects.create(
        funder=region,
        programme=roadmap,
        axis=axes["innovation"],
        code="ecocollab",
        slug="economie-collaborative-2015",
        title="Appel à projets « Économie collaborative »",
        summary="550 000 € pour les projets de l'économie collaborative en Aquitaine : financement "
        "participatif, partage de biens, mobilité partagée.",
        description="La Région Aquitaine soutient les start-up, PME et associations qui développent des "
        "services numériques de partage entre particuliers et entre organisations : plateformes de "
        "financement participatif pour les associations, location de bateaux entre particuliers, partage de "
        "places de parking, mutualisation d'outils et d'espaces.\n\nL'aide prend la forme d'une subvention "
        "d'au plus 60 000 € et 70 % des dépenses du projet.",
        envelope=Decimal("550000"),
        opens_at=_paris(2015, 3, 2, 9),
        closes_at=_paris(2015, 5, 29, 12),
        is_published=True,
        contact_email="economie-collaborative@pepiniere.test",
        eligible_kinds=["startup", "sme", "association"],
        max_requested_amount=Decimal("60000"),
        max_aid_rate=Decimal("70"),
        overall_threshold=Decimal("10"),
    )
    eco.eligible_departements.set(aquitaine)
    eco.sectors.set(Sector.objects.filter(code__in=["eco-collaborative", "fintech", "mobilite"]))
    _standard_form(eco, with_iban=True)
    _standard_grid(eco)

    # The roadmap after 2017, with a call open today and one upcoming.
    roadmap_2026 = Programme.objects.create(
        funder=region,
        title="Feuille de route numérique 2026–2028",
        slug="feuille-de-route-numerique-2026-2028",
        description="Suite de la feuille de route : associations, tiers-lieux et accélération.",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2028, 12, 31),
    )
    axis_2026 = Axis.objects.create(
        programme=roadmap_2026,
        code="inclusion",
        title="Inclusion numérique",
        budget=Decimal("1200000"),
    )
    axis_accel = Axis.objects.create(
        programme=roadmap_2026,
        code="acceleration",
        title="Accélération",
        budget=Decimal("3000000"),
        position=1,
    )
    open_call = Call.objects.create(
        funder=region,
        programme=roadmap_2026,
        axis=axis_2026,
        code="tierslieux",
        slug="tiers-lieux-numeriques",
        title="Tiers-lieux et associations numériques",
        summary="300 000 € pour les associations et tiers-lieux qui accompagnent les habitants vers le numérique.",
        description="Cet appel finance l'équipement, la médiation numérique et les services partagés des "
        "tiers-lieux et associations de Nouvelle-Aquitaine. Subvention de 5 000 € à 40 000 €.",
        envelope=Decimal("300000"),
        opens_at=datetime.datetime.combine(
            today - datetime.timedelta(days=20), datetime.time(9), PARIS
        ),
        closes_at=datetime.datetime.combine(
            today + datetime.timedelta(days=45), datetime.time(12), PARIS
        ),
        is_published=True,
        contact_email="tiers-lieux@pepiniere.test",
        eligible_kinds=["association", "sme", "startup"],
        max_requested_amount=Decimal("40000"),
        max_aid_rate=Decimal("80"),
        overall_threshold=Decimal("10"),
    )
    open_call.eligible_departements.set(nouvelle_aquitaine)
    open_call.sectors.set(Sector.objects.filter(code__in=["ess", "edtech", "smart-city"]))
    _standard_form(open_call, with_iban=False)
    _standard_grid(open_call)

    _upcoming_call(state, roadmap_2026, axis_accel, today)

    # Organisations and their 2015 applications.
    applicant_users = []
    organisations = []
    for index, (name, kind, _title, _theme) in enumerate(PROJECTS_2015):
        departement = aquitaine[index % len(aquitaine)]
        commune_code, commune_name = rng.choice(COMMUNES[departement.code])
        # Drawn anyway, so that every later draw (and the demo's outcome) stays the same.
        commune_code, commune_name = HOME_COMMUNES.get(name, (commune_code, commune_name))
        is_association = kind == "association"
        organisation = Organisation.objects.create(
            name=name,
            kind=kind,
            siret="" if is_association else fictional_siret(rng),
            rna=fictional_rna(rng, departement.code) if is_association else "",
            legal_form=association_form if is_association else rng.choice(startup_forms),
            naf_code="94.99Z"
            if is_association
            else rng.choice(["62.01Z", "63.12Z", "77.39Z", "52.21Z"]),
            commune_code=commune_code,
            commune_name=commune_name,
            departement=departement,
            creation_date=datetime.date(
                rng.randint(2008, 2014), rng.randint(1, 12), rng.randint(1, 28)
            ),
            size_band=bands[rng.choice(["00", "01", "02", "03", "11"])],
        )
        if index == 0:
            contact = users[Role.APPLICANT]
        else:
            contact = User.objects.create_user(
                email=f"contact{index:02d}@{_slug(name)}.test",
                password=None,
                full_name=f"Contact {name}",
            )
        Membership.objects.create(user=contact, organisation=organisation, role=MemberRole.OWNER)
        applicant_users.append(contact)
        organisations.append(organisation)

    submitted = []
    for index, organisation in enumerate(organisations):
        name, kind, title, theme = PROJECTS_2015[index]
        started = _paris(2015, 3, 2, 10) + datetime.timedelta(hours=rng.randint(0, 24 * 60))
        submitted_at = min(
            started + datetime.timedelta(days=rng.randint(1, 40)), _paris(2015, 5, 29, 11, 30)
        )
        submitted.append(
            _submit(
                eco,
                organisation,
                applicant_users[index],
                rng,
                started,
                submitted_at,
                title,
                theme,
                max_amount=Decimal("60000"),
                rate_choices=["0.4", "0.5", "0.6", "0.7"],
            )
        )

    # Screening, as the officer did it in June 2015.
    officer = users[Role.OFFICER]
    screened_at = _paris(2015, 6, 8, 10)
    for index, application in enumerate(submitted):
        if index in (7, 19, 33):
            application_services.mark_ineligible(
                application=application,
                actor=officer,
                now=screened_at,
                reason="Le projet relève de l'économie sociale classique et non d'un service numérique de partage.",
            )
        elif index in (12, 27):
            application_services.request_information(
                application=application,
                actor=officer,
                now=screened_at,
                message="Merci de joindre le plan de financement signé et de préciser les cofinancements obtenus.",
            )
        elif index % 5 != 4:
            application_services.mark_eligible(
                application=application, actor=officer, now=screened_at
            )

    # A few applications already submitted and screened on the call open today.
    # Anchored on the day, not the clock: the same day gives the same database.
    now = datetime.datetime.combine(today, datetime.time(8), PARIS)
    for index, (name, commune_code, commune_name, title) in enumerate(OPEN_CALL_PROJECTS):
        departement = Departement.objects.get(code=commune_code[:2])
        organisation = Organisation.objects.create(
            name=name,
            kind="association",
            rna=fictional_rna(rng, departement.code),
            legal_form=association_form,
            naf_code="94.99Z",
            commune_code=commune_code,
            commune_name=commune_name,
            departement=departement,
            creation_date=datetime.date(2016 + index, 3, 1),
            size_band=bands["01"],
        )
        contact = User.objects.create_user(
            email=f"contact-tl{index:02d}@{_slug(name)}.test",
            password=None,
            full_name=f"Contact {name}",
        )
        Membership.objects.create(user=contact, organisation=organisation, role=MemberRole.OWNER)
        application = _submit(
            open_call,
            organisation,
            contact,
            rng,
            now - datetime.timedelta(days=10 - index),
            now - datetime.timedelta(days=5 - index // 2, hours=index),
            title,
            "skills",
            max_amount=Decimal("40000"),
            rate_choices=["0.5", "0.6", "0.7", "0.8"],
        )
        application_services.mark_eligible(application=application, actor=officer)

    facts = build_reviews(
        eco=eco,
        open_call=open_call,
        officer=officer,
        jury_member=users[Role.JURY],
        password_hash=password_hash,
        rng=rng,
    )

    # Paula's association starts a draft on the call open today.
    asso = Organisation.objects.create(
        name="Numérique en Partage",
        kind="association",
        rna="W332004242",
        legal_form=association_form,
        naf_code="94.99Z",
        commune_code="33063",
        commune_name="Bordeaux",
        departement=Departement.objects.get(code="33"),
        creation_date=datetime.date(2019, 9, 14),
        size_band=bands["01"],
    )
    Membership.objects.create(user=users[Role.APPLICANT], organisation=asso, role=MemberRole.OWNER)
    # Someone else declared the association's RNA: a request to join that Paula accepts or refuses
    # on the association's page (the claimant sees nothing of it meanwhile).
    claimant = User.objects.create_user(
        email="nouveau-benevole@pepiniere.test", password=None, full_name="Marc Dubreuil"
    )
    claimant.password = password_hash
    claimant.save(update_fields=["password"])
    RoleGrant.objects.create(user=claimant, role=Role.APPLICANT)
    organisation_services.request_to_join(organisation=asso, actor=claimant, identifier=asso.rna)
    draft = application_services.start_application(
        call=open_call, organisation=asso, actor=users[Role.APPLICANT]
    )
    application_services.save_draft(
        application=draft,
        actor=users[Role.APPLICANT],
        answers={
            "_core": {
                "title": "Tiers-lieu numérique de la Bastide",
                "summary": "",
                "requested_amount": "",
                "project_budget": "",
            }
        },
    )
    facts.update(
        build_selection(
            eco=eco,
            officer=officer,
            jury_member=users[Role.JURY],
            finance=users[Role.FINANCE],
            rng=rng,
        )
    )
    roadmap_facts = build_roadmap(
        programme=roadmap, axes=axes, funder=region, officer=officer, communes=COMMUNES
    )
    roadmap_facts.update(
        build_kpi_history(
            funder=region, programme=roadmap, officer=officer, cloud=roadmap_facts["cloud"]
        )
    )
    facts.update(roadmap_facts)
    facts.update(build_bank_details(region=region, state=state, officer=officer))
    facts.update(
        build_roadmap_history(
            calls=roadmap_facts["roadmap_calls"],
            funder=region,
            officer=officer,
            finance=users[Role.FINANCE],
        )
    )
    facts.update(build_agreements(eco=eco, open_call=open_call, users=users, today=today))
    facts.update(
        build_payments(eco=eco, officer=officer, finance=users[Role.FINANCE], today=today, rng=rng)
    )
    facts.update(
        build_accelerator(
            region=region, programme=roadmap, axis=axes["innovation"], officer=officer
        )
    )
    facts.update(
        build_labels(state=state, admin=users[Role.ADMIN], paula=users[Role.APPLICANT], today=today)
    )
    facts.update(
        build_crowdfunding(
            funder=region,
            programme=roadmap_2026,
            axis=axis_2026,
            officer=officer,
            paula=users[Role.APPLICANT],
            association=asso,
            today=today,
        )
    )
    # Last: a change of bank details waiting for agent@ holds that organisation's payments.
    facts.update(build_bank_change(region=region, today=today))
    # The open-data page serves publications: publish once what the demo signed (afterwards the
    # signing hook and `pepiniere publish_opendata` keep it up to date).
    facts["open_data_publications"] = len(publish_all())
    # The impact pages read precomputed figures: compute the landing ones once (afterwards the
    # award and KPI hooks queue their refresh, and `pepiniere refresh_impact` does it on demand).
    facts["impact_snapshots"] = refresh_snapshots(landing=True).created
    return {
        **facts,
        "users": users,
        "calls": [eco, open_call],
        "applications": Application.objects.count(),
        "submitted_2015": len(submitted),
    }


OPEN_CALL_PROJECTS = [
    (
        "La Fabrique Numérique Limousine",
        "87085",
        "Limoges",
        "Tiers-lieu numérique et atelier de réparation",
    ),
    ("Clic Solidaire Poitiers", "86194", "Poitiers", "Médiation numérique pour les seniors"),
    (
        "Port Numérique Rochelais",
        "17300",
        "La Rochelle",
        "Espace de travail partagé pour associations",
    ),
    ("Les Ateliers Angoumoisins", "16015", "Angoulême", "Formation au numérique des bénévoles"),
    ("Niort Connectée", "79191", "Niort", "Accès aux démarches en ligne en milieu rural"),
    ("Brive en Réseau", "19031", "Brive-la-Gaillarde", "Réseau d'entraide numérique de quartier"),
]


def _submit(
    call: Call,
    organisation: Organisation,
    contact: User,
    rng: random.Random,
    started: datetime.datetime,
    submitted_at: datetime.datetime,
    title: str,
    theme: str,
    *,
    max_amount: Decimal,
    rate_choices: list[str],
) -> Application:
    application = application_services.start_application(
        call=call, organisation=organisation, actor=contact, now=started
    )
    budget = Decimal(rng.randrange(20000, 120000, 500))
    requested = min(max_amount, (budget * Decimal(rng.choice(rate_choices))).quantize(Decimal("1")))
    answers = {
        "_core": {
            "title": title,
            "summary": f"{title}. {INNOVATION_TEXTS.get(theme, 'Un service numérique de partage de proximité, ouvert à tous les habitants.')} "
            f"Le projet est porté par {organisation.name}, implanté à {organisation.commune_name}.",
            "requested_amount": str(requested),
            "project_budget": str(budget),
        },
        "innovation": INNOVATION_TEXTS.get(
            theme,
            "Un service de partage entre habitants, simple et local, "
            "qui s'appuie sur une application mobile et un réseau de relais.",
        ),
        "emplois": str(rng.randint(1, 12)),
        "modele": rng.choice(MODELS),
        "publics": rng.sample(PUBLICS, rng.randint(1, 3)),
        "open_source": rng.choice(["yes", "no"]),
        "demarrage": f"{started.year}-{rng.randint(6, 12):02d}-01",
        "iban": "FR7630006000011234567890189",
        "equipe": [
            {"nom": f"Personne {i + 1}", "role": r, "etp": str(rng.choice([0.5, 1, 1]))}
            for i, r in enumerate(
                rng.sample(["Direction", "Développement", "Animation", "Commercial"], 2)
            )
        ],
    }
    application = application_services.save_draft(
        application=application, actor=contact, answers=answers
    )
    application_services.upload_attachment(
        application=application,
        actor=contact,
        field_key="plan_financement",
        uploaded=SimpleUploadedFile(
            "plan-de-financement.pdf",
            _pdf_bytes("Plan de financement"),
            content_type="application/pdf",
        ),
    )
    application_services.submit_application(
        application=application, actor=contact, now=submitted_at
    )
    application.refresh_from_db()
    return application


MODELS = ["Commission sur transactions", "Abonnement", "Dons et adhésions", "Publicité", "Mixte"]
PUBLICS = ["Particuliers", "Associations", "Entreprises", "Collectivités"]


def _slug(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text)[:30] or "structure"


def _upcoming_call(funder: Funder, programme: Programme, axis: Axis, today: datetime.date) -> Call:
    call = Call.objects.create(
        funder=funder,
        programme=programme,
        axis=axis,
        code="frenchtech",
        slug="french-tech-acceleration-internationale",
        title="French Tech — accélération internationale",
        summary="Accompagner les start-up de la métropole vers l'international (label French Tech).",
        description="Programme d'accélération de six mois avec un cluster partenaire : mentorat, salons "
        "internationaux, mise en relation avec des investisseurs.",
        envelope=Decimal("1500000"),
        opens_at=datetime.datetime.combine(
            today + datetime.timedelta(days=60), datetime.time(9), PARIS
        ),
        closes_at=datetime.datetime.combine(
            today + datetime.timedelta(days=150), datetime.time(12), PARIS
        ),
        is_published=True,
        eligible_kinds=["startup"],
        max_age_years=8,
    )
    call.sectors.set(Sector.objects.filter(code__in=["logiciel-libre", "donnees-ia", "fintech"]))
    _standard_form(call, with_iban=False)
    _standard_grid(call)
    return call


def _standard_form(call: Call, *, with_iban: bool) -> None:
    position = 0

    def add(key: str, label: str, kind: str, **extra: object) -> FormField:
        nonlocal position
        position += 1
        return FormField.objects.create(
            call=call, key=key, label=label, kind=kind, position=position, **extra
        )

    add(
        "innovation",
        "En quoi votre projet est-il innovant ?",
        FieldKind.LONG_TEXT,
        word_limit=300,
        help_text="Décrivez le service, ses utilisateurs et ce qui le distingue de l'existant.",
    )
    add(
        "emplois",
        "Emplois créés prévus à trois ans (ETP)",
        FieldKind.NUMBER,
        min_value=0,
        max_value=500,
    )
    add("modele", "Modèle économique", FieldKind.CHOICE, choices=MODELS)
    add("publics", "Publics visés", FieldKind.MULTI_CHOICE, choices=PUBLICS)
    add("open_source", "Le code sera-t-il publié sous licence libre ?", FieldKind.YES_NO)
    add("demarrage", "Date de démarrage du projet", FieldKind.DATE)
    group = add(
        "equipe",
        "Équipe du projet",
        FieldKind.GROUP,
        max_rows=10,
        help_text="Une ligne par personne impliquée.",
    )
    for i, (key, label, kind) in enumerate(
        [
            ("nom", "Nom", FieldKind.SHORT_TEXT),
            ("role", "Rôle", FieldKind.SHORT_TEXT),
            ("etp", "ETP", FieldKind.NUMBER),
        ]
    ):
        FormField.objects.create(
            call=call, group=group, key=key, label=label, kind=kind, position=i
        )
    if with_iban:
        add("iban", "IBAN du compte qui recevra l'aide", FieldKind.IBAN, required=False)
    add(
        "plan_financement",
        "Plan de financement",
        FieldKind.FILE,
        allowed_extensions="pdf,xlsx,ods",
        help_text="Dépenses et recettes du projet, cofinancements compris.",
    )
    add("statuts", "Statuts ou extrait Kbis", FieldKind.FILE, required=False)


def _standard_grid(call: Call) -> None:
    for position, (title, weight) in enumerate(
        [
            ("Caractère innovant", "2"),
            ("Impact sur l'emploi et le territoire", "2"),
            ("Faisabilité", "1"),
        ]
    ):
        Criterion.objects.create(
            call=call,
            position=position,
            title=title,
            weight=Decimal(weight),
            scale_min=0,
            scale_max=5,
            threshold=Decimal("3"),
        )
