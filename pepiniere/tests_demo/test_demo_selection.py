import random

from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call
from pepiniere.demo.selection_scenario import build_selection
from pepiniere.grants import budget
from pepiniere.grants.models import BudgetLine
from pepiniere.lib.testing.factories import page_text, plain
from pepiniere.selection.models import Scenario
from pepiniere.tests_demo.conftest import DEMO

pytestmark = DEMO


def test_demo_selection_awards_within_the_envelope_and_one_de_minimis_refusal(demo, client):
    facts = demo
    users = facts["users"]
    eco = Call.objects.get(slug="economie-collaborative-2015")
    if not Scenario.objects.filter(call=eco).exists():  # until scenario.py calls it
        result = build_selection(
            eco=eco,
            officer=users[Role.OFFICER],
            jury_member=users[Role.JURY],
            finance=users[Role.FINANCE],
            rng=random.Random(2015),
        )
    else:
        result = facts
    assert Scenario.objects.filter(call=eco).count() >= 2
    assert Scenario.objects.get(call=eco, sent_to_jury_at__isnull=False).name == "Classement simple"
    ledger = {row.scope: row for row in budget.call_ledger(eco)}
    call_line = ledger["appel à projets"]
    assert 0 < call_line.committed <= call_line.envelope == 550000
    # The axis and the programme carry every call of the roadmap (the demo has several a year):
    # each commits exactly the sum of its calls' lines.
    calls = BudgetLine.objects.filter(scope="call", call__programme=eco.programme)
    assert ledger["axe prioritaire"].committed == sum(
        line.committed for line in calls.filter(call__axis=eco.axis)
    )
    assert ledger["programme"].committed == sum(line.committed for line in calls)
    refused = Application.objects.get(reference=result["de_minimis_refused"])
    assert refused.status == Status.SELECTED
    client.force_login(users[Role.FINANCE])
    page = plain(page_text(client.get(reverse("grants:award", args=[eco.slug, refused.pk]))))
    assert "Bpifrance" in page and "280 000,00 €" in page
    client.force_login(users[Role.OFFICER])
    compare = Scenario.objects.filter(call=eco).values_list("pk", flat=True)[:2]
    page = plain(
        page_text(client.get(reverse("selection:compare", args=[eco.slug]), {"s": list(compare)}))
    )
    assert "Équilibre territorial" in page and "dont le sort change" in page
