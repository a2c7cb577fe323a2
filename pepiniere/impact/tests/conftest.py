import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.agreements.models import Agreement, AgreementVersion
from pepiniere.lib.testing.factories import make_call, make_funder, make_organisation, make_user
from pepiniere.portfolio.tests.factories import award, report

D = datetime.date


def signed(grant, eligible_budget: str) -> None:
    now = timezone.now()
    agreement = Agreement.objects.create(
        award=grant, reference=f"CONV-{grant.pk}", created_by=grant.awarded_by, created_at=now
    )
    AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        amount=grant.amount,
        aid_rate=Decimal("50"),
        eligible_budget=Decimal(eligible_budget),
        start_date=grant.decision_date,
        end_date=grant.decision_date + datetime.timedelta(days=700),
        created_by=grant.awarded_by,
        created_at=now,
        signed_at=now,
    )


@pytest.fixture
def world(db):
    """A programme of two calls: four firms in « Innovation » (2016), each with 6x 000 € of
    co-financing (61 000 … 64 000: 250 000 €), and one firm alone in « Amorçage » (2018) with
    12 345 € of co-financing and 7 FTE created: a cell built on one firm.

    | firm | call | baseline FTE / CA | 2020 FTE / CA | co-financing |
    | F1–F4 | Innovation 2016 | 2015: 10 / 1 000 000 | 12 / 1 100 000 | 61 000 … 64 000 |
    | Solo | Amorçage 2018 | 2017: 3 / 200 000 | 10 / 300 000 | 12 345 |
    Totals 2020: 15 FTE created (5 firms), co-financing 262 345 €."""
    region = make_funder("Région Aquitaine")
    other = make_funder("Département voisin")
    innovation = make_call(funder=region, title="Innovation 2016", code="innov")
    programme = innovation.programme
    programme.title = "Feuille de route numérique"
    programme.slug = "feuille-de-route"
    programme.description = "Des milliers d'emplois en trois ans."
    programme.save()
    seed = make_call(funder=region, title="Amorçage 2018", code="amorce", programme=programme)
    firms = []
    for i in range(1, 5):
        firm = make_organisation(name=f"Firme {i}", creation_date=D(2010, 1, 1))
        signed(award(firm, innovation, D(2016, 3, 1)), str(100000 + i * 1000))
        report(firm, 2015, baseline=True, fte=10, revenue=1000000)
        report(firm, 2020, fte=12, revenue=1100000)
        firms.append(firm)
    solo = make_organisation(name="Solo", creation_date=D(2010, 1, 1))
    signed(award(solo, seed, D(2018, 3, 1)), "52345")
    report(solo, 2017, baseline=True, fte=3, revenue=200000)
    report(solo, 2020, fte=10, revenue=300000)
    other_call = make_call(funder=other, title="Appel du voisin", code="voisin")
    stranger = make_organisation(name="Étrangère", creation_date=D(2010, 1, 1))
    signed(award(stranger, other_call, D(2016, 3, 1)), "999999")
    report(stranger, 2015, baseline=True, fte=1)
    report(stranger, 2020, fte=900)
    return {
        "region": region,
        "other": other,
        "programme": programme,
        "innovation": innovation,
        "seed": seed,
        "other_call": other_call,
        "officer": make_user(role=Role.OFFICER, funder=region),
        "finance": make_user(role=Role.FINANCE, funder=region),
        "other_officer": make_user(role=Role.OFFICER, funder=other),
        "applicant": make_user(role=Role.APPLICANT),
        "admin": make_user(role=Role.ADMIN),
    }


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rejected(world):
    """Two rejected applicants of « Innovation »: one never aided (a control), one aided by the
    neighbouring funder later (neither a control nor treated)."""
    from pepiniere.applications.models import Application, Status

    control = make_organisation(name="Recalée", creation_date=D(2010, 1, 1))
    elsewhere = make_organisation(name="Aidée ailleurs", creation_date=D(2010, 1, 1))
    for organisation in (control, elsewhere):
        Application.objects.create(
            call=world["innovation"],
            organisation=organisation,
            created_by=world["applicant"],
            status=Status.REJECTED,
        )
    award(elsewhere, world["other_call"], D(2017, 3, 1))
    report(control, 2015, fte=4)
    report(control, 2020, fte=5)
    report(elsewhere, 2015, fte=8)
    return {"control": control, "elsewhere": elsewhere}


class FakeEstimate:
    def __init__(self, **values):
        self.std_error = 0.5
        self.bandwidth = None
        self.by_relative_year = {}
        self.warnings = []
        self.pretrend_p_value = None
        self.__dict__.update(values)


@pytest.fixture
def fake_engine(monkeypatch):
    """An engine whose answers are known: 2.5 FTE per firm-year [1.0; 4.0]; 3 years on: 3.0
    [2.0; 4.0]; in 2020, 3.0 [1.0; 5.0] on 5 firms; in 2018, 2.0 [1.0; 3.0] on 5 firms."""
    from types import SimpleNamespace

    from pepiniere.impact import evaluation

    seen = {}

    def estimate_did(rows, *, alpha):
        seen["did"] = sorted(rows)
        return FakeEstimate(
            effect=2.5,
            ci_low=1.0,
            ci_high=4.0,
            n_treated=5,
            n_control=4,
            method="callaway-santanna",
            by_relative_year={-2: (0.1, -0.5, 0.7), -1: (0.0, 0.0, 0.0), 3: (3.0, 2.0, 4.0)},
            by_calendar_year={2018: (2.0, 1.0, 3.0), 2020: (3.0, 1.0, 5.0)},
            n_treated_by_calendar_year={2018: 5, 2020: 5},
            warnings=["Peu de candidats non retenus : l'intervalle est large."],
        )

    def estimate_rdd(rows, *, cutoff, alpha):
        return FakeEstimate(effect=1.0, ci_low=-1.0, ci_high=3.0, n_treated=10, n_control=10)

    engine = SimpleNamespace(estimate_did=estimate_did, estimate_rdd=estimate_rdd)
    monkeypatch.setattr(evaluation, "_engine", lambda: engine)
    return seen
