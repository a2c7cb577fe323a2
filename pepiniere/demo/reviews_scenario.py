"""Demo: the expert review of the 2015 call (12 fictional experts, a few clearly harsh or lenient,
three reviews per eligible application, ranking, a held jury session) and assignments waiting on
the call open today for expert@pepiniere.test, where another expert signalled a conflict after
submitting (waiting for the officer's decision on « Avancement »)."""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call, Sector
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment, ReviewerProfile
from pepiniere.reviews.ranking import ranking_for
from pepiniere.selection import jury

PARIS = ZoneInfo("Europe/Paris")

# (name, expertise, bias on the 0–5 scale): invented people.
EXPERTS = [
    (
        "Emma Experte",
        "Plateformes de partage entre particuliers, location de biens, assurance des usages.",
        0.0,
    ),
    (
        "Hugo Sévère",
        "Financement participatif, finance solidaire, modèles économiques des associations.",
        -1.2,
    ),
    ("Inès Stricte", "Mobilité partagée, covoiturage, stationnement intelligent.", -0.9),
    ("Léo Indulgent", "Économie sociale et solidaire, tiers-lieux, médiation numérique.", 1.1),
    ("Maya Bienveillante", "Start-up du numérique, applications mobiles, croissance.", 0.9),
    ("Nathan Moreau", "Logiciel libre, communs numériques, gouvernance ouverte.", 0.0),
    ("Olivia Garnier", "Tourisme, nautisme, location de bateaux et d'équipements de loisirs.", 0.2),
    ("Paul Lefèvre", "Circuits courts, alimentation durable, lutte contre le gaspillage.", -0.1),
    ("Quentin Roux", "Énergie citoyenne, autoconsommation, transition écologique.", 0.1),
    ("Rose Fabre", "Habitat partagé, colocation, services de proximité.", -0.2),
    ("Samuel Petit", "Industrie, location de matériel professionnel, artisanat.", 0.0),
    ("Théa Vidal", "Données, intelligence artificielle, cybersécurité des plateformes.", 0.1),
]


def _expert(
    index: int, name: str, expertise: str, password_hash: str, sectors: list[Sector]
) -> User:
    email = "expert@pepiniere.test" if index == 0 else f"expert{index:02d}@pepiniere.test"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, full_name=name)
        user.password = password_hash
        user.save(update_fields=["password"])
        RoleGrant.objects.create(user=user, role=Role.REVIEWER)
    profile, _created = ReviewerProfile.objects.get_or_create(user=user)
    profile.expertise = expertise
    profile.max_load = 15
    profile.save()
    profile.sectors.set(sectors)
    return user


def build_reviews(
    *,
    eco: Call,
    open_call: Call,
    officer: User,
    jury_member: User,
    password_hash: str,
    rng: random.Random,
) -> dict[str, int]:
    sectors = list(Sector.objects.filter(code__in=["eco-collaborative", "mobilite", "ess"]))
    experts = [
        _expert(i, name, text, password_hash, sectors[: 1 + i % 3])
        for i, (name, text, _b) in enumerate(EXPERTS)
    ]
    bias = {expert.pk: EXPERTS[i][2] for i, expert in enumerate(experts)}
    for expert in experts:
        services.add_to_pool(call=eco, reviewer=expert)
    services.detect_conflicts(call=eco)
    run = services.propose_assignment(call=eco, actor=officer)
    if run.problems:
        raise RuntimeError("; ".join(run.problems))
    services.confirm_assignment(run=run, actor=officer)

    criteria = list(eco.criteria.all())
    quality = {
        a.pk: rng.uniform(1.8, 4.6)
        for a in Application.objects.filter(call=eco, status=Status.IN_REVIEW)
    }
    reviews = 0
    for assignment in (
        Assignment.objects.filter(application__call=eco)
        .select_related("application")
        .order_by("pk")
    ):
        scores = {}
        for criterion in criteria:
            value = (
                quality[assignment.application_id]
                + bias[assignment.reviewer_id]
                + rng.gauss(0, 0.5)
            )
            scores[criterion.pk] = (
                str(int(min(5, max(0, round(value))))),
                "Analyse du critère : points forts et limites.",
            )
        recommendation = (
            "fund"
            if quality[assignment.application_id] + bias[assignment.reviewer_id] > 3.2
            else "do_not_fund"
        )
        services.save_review(
            assignment=assignment,
            actor=assignment.reviewer,
            scores=scores,
            overall="Projet utile au territoire ; le modèle économique reste à consolider.",
            recommendation=recommendation,
            submit=True,
        )
        reviews += 1
    services.close_reviews(call=eco, actor=officer)

    session = jury.open_session(
        call=eco, actor=jury_member, held_on=datetime.date(2015, 7, 2), members=[jury_member]
    )
    ranking = ranking_for(eco)
    proposals = jury.proposed_decisions(ranking, eco.envelope)
    decided_at = datetime.datetime(2015, 7, 2, 16, 0, tzinfo=PARIS)
    for row in ranking.rows:
        decision, _why = proposals[row.application.pk]
        jury.decide(
            session=session,
            application_id=row.application.pk,
            decision=decision,
            justification="",
            actor=jury_member,
            ranking=ranking,
            now=decided_at,
        )
    jury.close_session(
        session=session,
        actor=jury_member,
        minutes="Le jury retient les projets proposés par le classement, dans l'enveloppe de 550 000 €.",
    )

    # The call open today: a few applications already screened, assignments waiting for experts.
    for expert in experts[:5]:
        services.add_to_pool(call=open_call, reviewer=expert)
    waiting = Application.objects.filter(call=open_call, status=Status.ELIGIBLE).count()
    if waiting:
        run = services.propose_assignment(call=open_call, actor=officer)
        if not run.problems:
            services.confirm_assignment(run=run, actor=officer)
    pending_conflicts = _conflict_signalled_after_submitting(open_call)
    return {
        "experts": len(experts),
        "reviews": reviews,
        "decided": len(ranking.rows),
        "open_assignments": Assignment.objects.filter(application__call=open_call).count(),
        "pending_conflicts": pending_conflicts,
    }


def _conflict_signalled_after_submitting(call: Call) -> int:
    """On the call open today, an expert other than expert@ remits a review and then signals a
    conflict of interest: it waits for the officer's decision on the call's « Avancement » page."""
    assignment = (
        Assignment.objects.filter(application__call=call)
        .exclude(reviewer__email="expert@pepiniere.test")
        .select_related("reviewer")
        .order_by("pk")
        .first()
    )
    if assignment is None:
        return 0
    services.save_review(
        assignment=assignment,
        actor=assignment.reviewer,
        scores={
            c.pk: ("3", "Projet solide, plan de financement à préciser.")
            for c in call.criteria.all()
        },
        overall="Projet pertinent pour le territoire ; le plan de financement reste à préciser.",
        recommendation="fund_if",
        submit=True,
    )
    services.declare_conflict_on_assignment(
        assignment=assignment,
        actor=assignment.reviewer,
        note="J'apprends que mon ancien associé siège au bureau de cette structure.",
    )
    return 1
