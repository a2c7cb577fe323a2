"""Demo: the Région's « Accélérateur open source », run with a fictional partner cluster.

- Its intake call (an ordinary call of the roadmap's innovation axis, no money: the support is
  the stay), whose jury selected eighteen start-ups over 2015–2017.
- Cohorts 2015, 2016 and 2017 of six start-ups each, formed through the services (so every
  capacity rule is checked): three start on the first Monday of January, three in July, never
  more than four at a time, even with the renewals (one per cohort).
- Six fictional mentors matched by the assignment engine, each start-up with its mentor,
  sessions and milestones (reached with evidence, missed, planned).
- Two graduations and one start-up that left (with its reason); the other stays still wait for
  the officer to record their end (their planned end has passed: the programme page says so).
- Two demo accounts besides agent@pepiniere.test (who runs the programme):
  startup@pepiniere.test, a founder of a 2017 start-up, and mentor@pepiniere.test, its mentor.

Deterministic: no clock (every date is written), no random draw, the engine is deterministic."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from pepiniere.accelerator import matching
from pepiniere.accelerator import services as accelerator
from pepiniere.accelerator.models import AcceleratorProgramme, Stay
from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.applications.models import Application, ApplicationVersion, Status
from pepiniere.calls.models import Call, Sector
from pepiniere.demo.identifiers import luhn_complete
from pepiniere.organisations.models import LegalForm, MemberRole, Membership, Organisation
from pepiniere.programmes.models import Axis, Funder, Programme
from pepiniere.territories.models import Departement

DEMO_ACCELERATOR_ACCOUNTS = [
    ("startup@pepiniere.test", "Sofia Fondatrice", "a start-up in the accelerator's 2017 cohort"),
    ("mentor@pepiniere.test", "Marc Mentor", "a mentor of the accelerator"),
]

# (name, commune code, commune, département, sectors, project title, project summary)
STARTUPS = [
    # 2015
    (
        "Libre Logistique",
        "33063",
        "Bordeaux",
        "33",
        ["logiciel-libre", "mobilite"],
        "Tournées de livraison optimisées",
        "Logiciel libre d'optimisation des tournées pour les transporteurs régionaux.",
    ),
    (
        "Cadastre Ouvert",
        "64445",
        "Pau",
        "64",
        ["logiciel-libre", "smart-city"],
        "Cartographie libre des communes",
        "Outil libre de cartographie et de données foncières pour les petites communes.",
    ),
    (
        "Forge Garonne",
        "47001",
        "Agen",
        "47",
        ["logiciel-libre", "services-entreprises"],
        "Forge logicielle hébergée",
        "Forge de code source libre hébergée en France pour les PME.",
    ),
    (
        "Santé Commune",
        "33318",
        "Pessac",
        "33",
        ["logiciel-libre", "e-sante"],
        "Dossier de soins libre",
        "Dossier de soins infirmiers libre pour les centres de santé et les hôpitaux.",
    ),
    (
        "Compta Libre",
        "40088",
        "Dax",
        "40",
        ["logiciel-libre", "fintech"],
        "Comptabilité libre des associations",
        "Comptabilité et paiements libres pour associations et coopératives.",
    ),
    (
        "Vigne Numérique",
        "24037",
        "Bergerac",
        "24",
        ["logiciel-libre", "agritech"],
        "Suivi libre des parcelles",
        "Capteurs et logiciel libre pour le suivi des parcelles viticoles.",
    ),
    # 2016
    (
        "Chiffre Clair",
        "33522",
        "Talence",
        "33",
        ["logiciel-libre", "cybersecurite"],
        "Chiffrement libre des échanges",
        "Messagerie chiffrée libre pour les collectivités et les hôpitaux.",
    ),
    (
        "Données Partagées",
        "64102",
        "Bayonne",
        "64",
        ["logiciel-libre", "donnees-ia"],
        "Portail libre de données ouvertes",
        "Portail de données ouvertes libre pour les intercommunalités.",
    ),
    (
        "Atelier Éducatif Libre",
        "24322",
        "Périgueux",
        "24",
        ["logiciel-libre", "edtech"],
        "Environnement numérique de travail libre",
        "Espace numérique de travail libre pour les collèges et les lycées.",
    ),
    (
        "Robotique Ouverte",
        "33281",
        "Mérignac",
        "33",
        ["logiciel-libre", "industrie-4-0"],
        "Pilotage libre des machines",
        "Logiciel libre de pilotage des machines-outils pour les ateliers.",
    ),
    (
        "Tourisme Libre",
        "64122",
        "Biarritz",
        "64",
        ["logiciel-libre", "tourisme-numerique"],
        "Réservation libre des hébergements",
        "Réservation en ligne libre pour les gîtes et les offices de tourisme.",
    ),
    (
        "Énergie Commune",
        "40192",
        "Mont-de-Marsan",
        "40",
        ["logiciel-libre", "greentech"],
        "Supervision libre des réseaux de chaleur",
        "Supervision libre des réseaux de chaleur et des centrales solaires.",
    ),
    # 2017
    (
        "Paye Ouverte",
        "33063",
        "Bordeaux",
        "33",
        ["logiciel-libre", "services-entreprises"],
        "Paie libre des TPE",
        "Logiciel libre de paie et de déclarations sociales pour les très petites entreprises.",
    ),
    (
        "Archives Libres",
        "47157",
        "Marmande",
        "47",
        ["logiciel-libre", "medias-culture"],
        "Archivage libre des médias",
        "Archivage et diffusion libres des fonds audiovisuels des médias locaux.",
    ),
    (
        "Mobilité Partagée",
        "64024",
        "Anglet",
        "64",
        ["logiciel-libre", "mobilite"],
        "Covoiturage libre",
        "Plateforme libre de covoiturage domicile-travail pour les zones d'activités.",
    ),
    (
        "Jeux Ouverts",
        "33318",
        "Pessac",
        "33",
        ["logiciel-libre", "jeux-video"],
        "Moteur de jeu libre",
        "Moteur de jeu vidéo libre pour les studios indépendants.",
    ),
    (
        "Commerce Local Libre",
        "24520",
        "Sarlat-la-Canéda",
        "24",
        ["logiciel-libre", "e-commerce"],
        "Boutique en ligne libre",
        "Boutique en ligne libre et mutualisée pour les commerçants de centre-bourg.",
    ),
    (
        "Bateau Connecté",
        "33009",
        "Arcachon",
        "33",
        ["logiciel-libre", "nautisme"],
        "Entretien libre des bateaux",
        "Carnet d'entretien libre des bateaux pour les chantiers navals.",
    ),
]

# (name, e-mail, sectors, expertise, languages, capacity)
MENTORS = [
    (
        "Marc Mentor",
        "mentor@pepiniere.test",
        ["logiciel-libre", "services-entreprises"],
        "Modèles économiques du logiciel libre, licences, paie et services aux entreprises",
        "français, anglais",
        4,
    ),
    (
        "Inès Santé-Numérique",
        "ines.mentor@cluster-libre.test",
        ["e-sante", "cybersecurite"],
        "Hôpitaux, dossier de soins, sécurité et chiffrement des données de santé",
        "français, espagnol",
        3,
    ),
    (
        "Hugo Territoires",
        "hugo.mentor@cluster-libre.test",
        ["smart-city", "donnees-ia", "mobilite"],
        "Collectivités, données ouvertes, cartographie, mobilité et covoiturage",
        "français",
        3,
    ),
    (
        "Claire Finance",
        "claire.mentor@cluster-libre.test",
        ["fintech", "e-commerce"],
        "Levée de fonds, comptabilité, paiements en ligne et commerce",
        "français, anglais",
        3,
    ),
    (
        "Yann Industrie",
        "yann.mentor@cluster-libre.test",
        ["industrie-4-0", "greentech", "agritech"],
        "Capteurs, machines-outils, énergie, réseaux de chaleur, viticulture",
        "français, occitan",
        3,
    ),
    (
        "Léa Contenus",
        "lea.mentor@cluster-libre.test",
        ["edtech", "medias-culture", "jeux-video", "tourisme-numerique"],
        "Éducation, médias, archives, jeux vidéo et tourisme",
        "français, anglais",
        3,
    ),
]

# Starts (year → the two waves of three) and what happens to whom (index in STARTUPS).
WAVES = {
    2015: (datetime.date(2015, 1, 5), datetime.date(2015, 7, 6)),
    2016: (datetime.date(2016, 1, 11), datetime.date(2016, 7, 11)),
    2017: (datetime.date(2017, 1, 16), datetime.date(2017, 7, 17)),
}
RENEWED = {0, 7, 12}  # one January stay per cohort, renewed to the next January
GRADUATED = {0: datetime.date(2016, 1, 5), 3: datetime.date(2016, 1, 6)}
LEFT = {
    10: (
        datetime.date(2016, 10, 14),
        "Rachat par un éditeur national : l'équipe a rejoint le groupe à Paris.",
    )
}
STARTUP_ACCOUNT = 12  # Paye Ouverte: startup@pepiniere.test is its founder


def _paris(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), timezone.get_current_timezone())


def build_accelerator(
    *, region: Funder, programme: Programme, axis: Axis, officer: User
) -> dict[str, Any]:
    """Build the accelerator; returns the demo facts it adds."""
    password = officer.password  # the demo accounts' shared hash (password « demo »)
    bordeaux = Departement.objects.get(code="33")
    cluster = Organisation.objects.create(
        name="Cluster Logiciel Libre Aquitain",
        kind="association",
        rna="W332015017",
        legal_form=LegalForm.objects.get(code="9220"),
        naf_code="94.99Z",
        commune_code="33063",
        commune_name="Bordeaux",
        departement=bordeaux,
        creation_date=datetime.date(2009, 3, 12),
    )
    call = Call.objects.create(
        funder=region,
        programme=programme,
        axis=axis,
        code="accelos",
        slug="accelerateur-open-source-2015",
        title="Accélérateur open source — candidatures 2015–2017",
        summary="Six start-ups du logiciel libre par an accompagnées six mois (renouvelables une "
        "fois) avec le Cluster Logiciel Libre Aquitain : mentors, séances, jalons.",
        description="Un accompagnement sans subvention : un séjour de six mois dans l'accélérateur, "
        "renouvelable une fois, avec un·e mentor du cluster, des séances régulières et des jalons. "
        "Le jury retient six start-ups par an ; quatre au plus sont accompagnées en même temps.",
        envelope=0,
        opens_at=_paris(datetime.date(2014, 11, 3), 9),
        closes_at=_paris(datetime.date(2016, 12, 16), 12),
        is_published=True,
        contact_email="accelerateur@pepiniere.test",
        eligible_kinds=["startup"],
    )
    call.sectors.set(Sector.objects.filter(code="logiciel-libre"))
    accelerator_programme = AcceleratorProgramme.objects.create(
        funder=region,
        partner=cluster,
        call=call,
        name="Accélérateur open source",
        description="L'accélérateur de start-ups du logiciel libre de la Région Aquitaine, animé "
        "avec le Cluster Logiciel Libre Aquitain.",
    )

    mentors = []
    for name, email, sectors, expertise, languages, capacity in MENTORS:
        user = User.objects.create_user(email=email, password=None, full_name=name)
        if email == "mentor@pepiniere.test":
            user.password = password
            user.save(update_fields=["password"])
            RoleGrant.objects.create(user=user, role=Role.APPLICANT)
        mentors.append(
            accelerator.add_mentor(
                programme=accelerator_programme,
                user=user,
                actor=officer,
                expertise=expertise,
                languages=languages,
                capacity=capacity,
                sectors=Sector.objects.filter(code__in=sectors),
            )
        )

    startup_forms = {f.code: f for f in LegalForm.objects.filter(code__in=["5710", "5499"])}
    departements = {
        d.code: d for d in Departement.objects.filter(code__in=["24", "33", "40", "47", "64"])
    }
    applications = []
    for index, (name, commune_code, commune, departement, _sectors, title, summary) in enumerate(
        STARTUPS
    ):
        year = 2015 + index // 6
        if index == STARTUP_ACCOUNT:
            founder = User.objects.create_user(
                email="startup@pepiniere.test", password=None, full_name="Sofia Fondatrice"
            )
            founder.password = password
            founder.save(update_fields=["password"])
            RoleGrant.objects.create(user=founder, role=Role.APPLICANT)
        else:
            founder = User.objects.create_user(
                email=f"fondateur{index + 1:02d}@accelerateur-libre.test",
                password=None,
                full_name=f"Fondateur·rice de {name}",
            )
        siren = luhn_complete(f"8{index + 10:02d}{year % 100:02d}017")
        organisation = Organisation.objects.create(
            name=name,
            kind="startup",
            siren=siren,
            siret=luhn_complete(f"{siren}0001"),
            legal_form=startup_forms["5710" if index % 3 else "5499"],
            naf_code="58.29C",
            commune_code=commune_code,
            commune_name=commune,
            departement=departements[departement],
            creation_date=datetime.date(year - 1 - index % 2, 1 + index % 12, 1 + index % 27),
        )
        Membership.objects.create(user=founder, organisation=organisation, role=MemberRole.OWNER)
        submitted_at = _paris(datetime.date(year - 1, 10, 1 + index % 28))
        number = index + 1
        application = Application.objects.create(
            call=call,
            organisation=organisation,
            created_by=founder,
            status=Status.SELECTED,
            number=number,
            reference=f"AAP-{year - 1}-ACCELOS-{number:04d}",
            title=title,
            summary=summary,
            answers={"_core": {"title": title, "summary": summary}},
            submitted_at=submitted_at,
            decision_reason="Retenue par le jury de l'accélérateur.",
        )
        ApplicationVersion.objects.create(
            application=application,
            number=1,
            title=title,
            summary=summary,
            answers=application.answers,
            submitted_at=submitted_at,
            submitted_by=founder,
            draft_revision=0,
        )
        applications.append(application)
    call.last_application_number = len(applications)
    call.save(update_fields=["last_application_number"])

    stays: list[Stay] = []
    for year, (january, july) in WAVES.items():
        first = (year - 2015) * 6
        starts = [(applications[first + i], january if i < 3 else july) for i in range(6)]
        cohort = accelerator.form_cohort(
            programme=accelerator_programme, year=year, starts=starts, actor=officer
        )
        cohort_stays = list(cohort.stays.order_by("application__number"))
        for index, stay in enumerate(cohort_stays, start=first):
            stay.sectors.set(Sector.objects.filter(code__in=STARTUPS[index][4]))
        proposal = matching.propose_mentors(cohort=cohort, actor=officer)
        assert not proposal.problems, proposal.problems
        matching.confirm_mentors(proposal=proposal, actor=officer)
        for index, stay in enumerate(cohort_stays, start=first):
            _follow(stay, index, officer)
            if index in RENEWED:
                accelerator.renew_stay(stay=stay, actor=officer)
            if index in GRADUATED:
                accelerator.graduate_stay(stay=stay, actor=officer, on=GRADUATED[index])
            if index in LEFT:
                day, reason = LEFT[index]
                accelerator.leave_stay(stay=stay, actor=officer, reason=reason, on=day)
        stays += cohort_stays
    return {
        "accelerator": accelerator_programme,
        "accelerator_stays": len(stays),
        "accelerator_mentors": len(mentors),
    }


def _follow(stay: Stay, index: int, officer: User) -> None:
    """Two sessions with the stay's mentor and three milestones: one reached with its
    evidence, one missed or reached, one still planned."""
    mentoring = stay.mentorings.select_related("mentor").get()
    mentor = mentoring.mentor
    start = stay.start_date
    topics = [
        ("Feuille de route produit", "Priorités des six mois, premiers clients visés."),
        ("Licence et modèle économique", "Double licence ou services : hypothèses à vérifier."),
    ]
    for month, (topic, notes) in enumerate(topics, start=1):
        accelerator.record_session(
            stay=stay,
            mentor=mentor,
            held_on=start + datetime.timedelta(days=30 * month),
            topic=topic,
            notes=notes,
            actor=officer,
        )
    name = STARTUPS[index][0]
    published = accelerator.plan_milestone(
        stay=stay,
        title="Première version publiée sous licence libre",
        due_date=start + datetime.timedelta(days=60),
        actor=officer,
    )
    accelerator.reach_milestone(
        milestone=published,
        actor=officer,
        evidence=f"Version 1.0 de {name} publiée sur la forge publique.",
        on=start + datetime.timedelta(days=55),
    )
    client = accelerator.plan_milestone(
        stay=stay,
        title="Premier client payant",
        due_date=start + datetime.timedelta(days=120),
        actor=officer,
    )
    if index % 3 == 1:
        accelerator.miss_milestone(
            milestone=client,
            actor=officer,
            on=start + datetime.timedelta(days=125),
            reason="Le premier contrat est reporté au trimestre suivant.",
        )
    else:
        accelerator.reach_milestone(
            milestone=client,
            actor=officer,
            evidence="Bon de commande signé.",
            on=start + datetime.timedelta(days=110),
        )
    accelerator.plan_milestone(
        stay=stay,
        title="Levée de fonds ou financement bancaire",
        due_date=start + datetime.timedelta(days=170),
        actor=officer,
    )
