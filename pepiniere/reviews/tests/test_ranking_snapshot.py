"""The ranking is computed once per change of what it depends on, and read from its snapshot by
every other page: the ranking, the jury, the selection and the letters."""

import dataclasses
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_user
from pepiniere.reviews import ranking as ranking_module
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment, Conflict, ConflictSource, RankingSnapshot
from pepiniere.reviews.ranking import compute_ranking, ranking_for
from pepiniere.reviews.tests.factories import reviewed_call, submit_review
from pepiniere.selection import jury

pytestmark = pytest.mark.django_db


@pytest.fixture
def computations(monkeypatch):
    """How many times the ranking was computed (REML + Monte-Carlo), through any page."""
    calls = []
    real = ranking_module.compute_ranking

    def counting(call, **kwargs):
        calls.append(call.pk)
        return real(call, **kwargs)

    monkeypatch.setattr(ranking_module, "compute_ranking", counting)
    return calls


def reviewed(n_applications=5, n_reviewers=4, k=2, leave_one=False):
    call, officer, applications, reviewers = reviewed_call(n_applications, n_reviewers, k)
    assignments = list(Assignment.objects.filter(application__call=call).order_by("pk"))
    for i, assignment in enumerate(assignments[:-1] if leave_one else assignments):
        submit_review(assignment, 1 + (i * 7) % 5)
    return call, officer, applications, assignments


def table(response):
    """The ranking page's tables (the page around them carries a per-request CSRF token)."""
    text = response.content.decode()
    return text[text.index("<table") : text.rindex("</table>")]


def same_figures(a, b):
    def rows(ranking):
        return [
            {
                **{f.name: getattr(r, f.name) for f in dataclasses.fields(r)},
                "application": r.application.pk,
            }
            for r in ranking.rows
        ]

    assert rows(a) == rows(b)
    for f in dataclasses.fields(a.calibration):
        left, right = getattr(a.calibration, f.name), getattr(b.calibration, f.name)
        assert left == right, f.name
        if isinstance(left, dict):
            assert list(left.items()) == list(right.items()), f.name  # same order too
    assert [(u.pk, b, n) for u, b, n in a.reviewer_bias] == [
        (u.pk, b, n) for u, b, n in b.reviewer_bias
    ]


def test_two_ranking_page_loads_compute_once_and_a_submitted_review_computes_again(
    client, computations
):
    call, officer, _applications, assignments = reviewed(leave_one=True)
    client.force_login(officer)
    url = reverse("reviews:ranking", args=[call.slug])
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert computations == [call.pk]
    assert table(first) == table(second)

    submit_review(assignments[-1], 5)
    client.get(url)
    assert computations == [call.pk, call.pk]
    client.get(url)
    assert computations == [call.pk, call.pk]


def test_the_stored_ranking_has_exactly_the_figures_of_a_fresh_computation():
    call, *_rest = reviewed(n_applications=8, n_reviewers=5, k=3)
    ranking_for(call)
    assert RankingSnapshot.objects.filter(call=call).exists()
    stored = ranking_for(call)
    same_figures(stored, compute_ranking(call))
    assert any(r.interval for r in stored.rows) and stored.reviewer_bias


def test_jury_selection_and_letters_pages_read_the_same_snapshot(client, computations):
    call, officer, applications, _assignments = reviewed()
    services.close_reviews(call=call, actor=officer)
    member = make_user(role=Role.JURY, funder=call.funder)
    session = jury.open_session(
        call=call, actor=member, held_on=datetime.date(2026, 1, 5), members=[member]
    )
    client.force_login(officer)
    assert client.get(reverse("reviews:ranking", args=[call.slug])).status_code == 200
    assert client.get(reverse("selection:scenarios", args=[call.slug])).status_code == 200
    client.force_login(member)
    assert client.get(reverse("selection:jury", args=[call.slug])).status_code == 200
    # A jury decision moves the application between ranked states: no new computation.
    proposed = jury.proposed_decisions(ranking_for(call), call.envelope)
    for application in applications[:3]:
        decision, _why = proposed[application.pk]
        jury.decide(
            session=session,
            application_id=application.pk,
            decision=decision,
            justification="",
            actor=member,
        )
    assert client.get(reverse("selection:jury", args=[call.slug])).status_code == 200
    assert computations == [call.pk]


def test_reopening_a_review_or_a_conflict_computes_again(computations):
    call, officer, _applications, assignments = reviewed()
    ranking_for(call)
    review = assignments[0].review
    services.reopen_review(review=review, actor=officer, reason="Note à revoir")
    reopened = ranking_for(call)
    assert computations == [call.pk, call.pk]
    same_figures(reopened, compute_ranking(call))
    ranking_for(call)
    assert len(computations) == 2
    # A conflict found later: that expert's review no longer counts.
    other = assignments[1]
    Conflict.objects.create(
        reviewer=other.reviewer,
        organisation=other.application.organisation,
        source=ConflictSource.DECLARED,
        declared_at=timezone.now(),
    )
    after_conflict = ranking_for(call)
    assert len(computations) == 3
    same_figures(after_conflict, compute_ranking(call))
