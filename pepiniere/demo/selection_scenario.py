"""Demo: selection, awards, budgets and de minimis on the 2015 call, after its jury.

- Three scenarios: the plain ranking (the one the officer sent to the jury on 1 July 2015, which
  the jury followed on 2 July), "territorial balance" (at least 20 % of the envelope outside
  Gironde, at most 40 000 € per project) and "Gironde at most 30 %" (one Gironde project drops
  out, with the reason).
- Awards by the finance department on 10 July 2015 for every application the jury selected, within
  the 550 000 € envelope: the ledgers of the call, its axis, the programme and the Region move.
- One selected applicant had declared 280 000 € of de minimis aid from Bpifrance two years
  before: its award is refused by the ceiling (the award page shows the figures).
- Decision letters (with the scores per criterion, as the call's policy says) to every applicant.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.grants import letters, services
from pepiniere.grants.models import Award
from pepiniere.reviews.ranking import ranking_for
from pepiniere.selection import services as selection_services
from pepiniere.selection.constraints import ConstraintSpec
from pepiniere.selection.models import Scenario

PARIS = ZoneInfo("Europe/Paris")
OUTSIDE_GIRONDE = ["24", "40", "47", "64"]
DECISION_DATE = datetime.date(2015, 7, 10)
DECISION_REFERENCE = "CP n° 15.0712"


def _at(month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2015, month, day, hour, 0, tzinfo=PARIS)


def build_selection(
    *, eco: Call, officer: Any, jury_member: Any, finance: Any, rng: random.Random
) -> dict[str, Any]:
    ranking = ranking_for(eco)
    territorial = [ConstraintSpec("departement", OUTSIDE_GIRONDE, "min_share", "0.2")]
    plain = selection_services.create_scenario(
        call=eco, actor=officer, name="Classement simple", ranking=ranking, now=_at(6, 29)
    )
    selection_services.create_scenario(
        call=eco,
        actor=officer,
        name="Équilibre territorial",
        constraints=territorial,
        project_cap=Decimal("40000"),
        ranking=ranking,
        now=_at(6, 30),
    )
    selection_services.create_scenario(
        call=eco,
        actor=officer,
        name="Gironde au plus 30 %",
        constraints=[ConstraintSpec("departement", "33", "max_share", "0.3")],
        ranking=ranking,
        now=_at(6, 30, 11),
    )
    # History: the plain ranking went to the jury the day before its session (held by the
    # reviews demo, which followed the ranking's proposals, i.e. this scenario's).
    sent_at = _at(7, 1, 17)
    Scenario.objects.filter(pk=plain.pk).update(sent_to_jury_at=sent_at, sent_to_jury_by=officer)
    record(
        actor=officer,
        obj=eco,
        action="send_scenario_to_jury",
        reason=plain.name,
        public=False,
        at=sent_at,
    )

    services.set_call_policy(
        call=eco,
        actor=officer,
        letters_show_scores=True,
        letters_show_comments=False,
        de_minimis=True,
        signatory="Pour le Président du Conseil régional d'Aquitaine, la directrice du numérique",
        signatory_title="Direction du numérique",
        letter_place="Bordeaux",
        letter_contact="Service économie numérique, 05 57 57 80 00",
    )
    selected = list(
        Application.objects.filter(call=eco, status=Status.SELECTED)
        .select_related("organisation")
        .order_by("number")
    )
    # The applicant with aid from another funder: the best-ranked selected one.
    order = {row.application.pk: row.rank for row in ranking.rows}
    over_ceiling = min(selected, key=lambda a: order[a.pk]) if selected else None
    refused = ""
    if over_ceiling is not None:
        services.declare_aid(
            organisation=over_ceiling.organisation,
            actor=over_ceiling.organisation.members.first(),
            funder_name="Bpifrance",
            amount=Decimal("280000"),
            granted_on=DECISION_DATE.replace(year=2013),
            reference="Prêt d'amorçage — équivalent-subvention brut",
        )
    for application in selected:
        try:
            services.award_grant(
                application=application,
                actor=finance,
                amount=services.suggested_amount(application),
                decision_reference=DECISION_REFERENCE,
                decision_date=DECISION_DATE,
                now=_at(7, 10, 15),
            )
        except services.AwardError as error:
            if error.kind != "de_minimis":
                raise
            refused = application.reference or ""
    letters.send_decision_letters(call=eco, actor=officer, now=_at(7, 15))
    awards = Award.objects.filter(application__call=eco)
    return {
        "scenarios": Scenario.objects.filter(call=eco).count(),
        "awards": awards.count(),
        "awarded_total": sum((a.amount for a in awards), Decimal("0")),
        "de_minimis_refused": refused,
    }
