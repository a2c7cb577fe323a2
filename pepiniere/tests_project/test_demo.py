"""`pepiniere demo` builds the founding case, from scratch and identically every time."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from pepiniere.demo.scenario import ACCOUNTS, PASSWORD


def _build_demo(var_dir):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL"))
    }
    env["PEPINIERE_VAR_DIR"] = str(var_dir)
    result = subprocess.run(
        [sys.executable, "-m", "pepiniere.manage", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for email, _name, _role in ACCOUNTS:
        assert email in result.stdout
    return sqlite3.connect(var_dir / "demo.sqlite3")


def _snapshot(db):
    return {
        "applications": db.execute(
            "SELECT reference, title, requested_amount, status, submitted_at FROM applications_application ORDER BY id"
        ).fetchall(),
        "reviews": db.execute(
            "SELECT a.application_id, a.reviewer_id, s.criterion_id, s.score FROM reviews_criterionscore s "
            "JOIN reviews_review r ON r.id = s.review_id JOIN reviews_assignment a ON a.id = r.assignment_id "
            "ORDER BY 1, 2, 3"
        ).fetchall(),
        # The conflict an expert signalled after submitting, waiting for the officer.
        "conflict_requests": db.execute(
            "SELECT a.application_id, u.email, q.status, q.note FROM reviews_conflictrequest q "
            "JOIN reviews_assignment a ON a.id = q.assignment_id "
            "JOIN accounts_user u ON u.id = a.reviewer_id ORDER BY q.id"
        ).fetchall(),
    }


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the demo always builds on its embedded SQLite, whatever DATABASE_URL says: its two "
    "builds from scratch (a few minutes of CI) are checked once, on the SQLite run",
)
def test_demo_is_the_founding_case_and_is_rebuilt_identically(tmp_path):
    with _build_demo(tmp_path) as db:
        first = _snapshot(db)
        envelope, closes = db.execute(
            "SELECT envelope, closes_at FROM calls_call WHERE slug = 'economie-collaborative-2015'"
        ).fetchone()
        per_departement = dict(
            db.execute(
                "SELECT o.departement_id, COUNT(*) FROM applications_application a "
                "JOIN calls_call c ON c.id = a.call_id JOIN organisations_organisation o ON o.id = a.organisation_id "
                "WHERE c.slug = 'economie-collaborative-2015' AND a.status != 'draft' GROUP BY 1"
            ).fetchall()
        )
        hashes = dict(db.execute("SELECT email, password FROM accounts_user").fetchall())
        experts = db.execute("SELECT COUNT(*) FROM reviews_callreviewer").fetchone()[0]
        waiting = db.execute(
            "SELECT COUNT(*) FROM reviews_assignment a JOIN accounts_user u ON u.id = a.reviewer_id "
            "WHERE u.email = 'expert@pepiniere.test' AND a.status = 'assigned'"
        ).fetchone()[0]
        decisions = db.execute("SELECT COUNT(*) FROM reviews_jurydecision").fetchone()[0]
        # The roadmap's 2016 grants ran to their end: every award signed, paid in full and closed,
        # and the ledger's « versé » of those calls equals what they committed.
        history = db.execute(
            "SELECT a.status, g.status, p.paid = w.amount FROM grants_award w "
            "JOIN applications_application a ON a.id = w.application_id "
            "JOIN calls_call c ON c.id = a.call_id "
            "JOIN agreements_agreement g ON g.award_id = w.id "
            "JOIN payments_grantaccount p ON p.award_id = w.id "
            "WHERE c.slug LIKE '%-2016'"
        ).fetchall()
        unpaid_2016 = db.execute(
            "SELECT COUNT(*) FROM grants_budgetline l JOIN calls_call c ON c.id = l.call_id "
            "WHERE c.slug LIKE '%-2016' AND l.paid != l.committed"
        ).fetchone()[0]
        # The portfolio's summaries hold what each funder gave each organisation, bulk-written
        # roadmap awards and amended ones included.
        summaries = db.execute(
            "SELECT funder_id, organisation_id, awards, total, first_award, last_award "
            "FROM portfolio_supportsummary WHERE funder_id IS NOT NULL ORDER BY 1, 2"
        ).fetchall()
        from_awards = db.execute(
            "SELECT s.funder_id, a.organisation_id, COUNT(*), SUM(w.amount), "
            "MIN(w.decision_date), MAX(w.decision_date) FROM grants_awardshare s "
            "JOIN grants_award w ON w.id = s.award_id "
            "JOIN applications_application a ON a.id = w.application_id GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    assert len(summaries) >= 250 and summaries == from_awards
    assert len(history) >= 50 and set(history) == {("closed", "closed", 1)}
    assert unpaid_2016 == 0
    assert str(envelope).startswith("550000")
    assert closes.startswith("2015-05-29 10:00")  # noon, Paris summer time
    assert set(per_departement) == {"24", "33", "40", "47", "64"}
    assert sum(per_departement.values()) >= 40
    for email, _name, _role in ACCOUNTS:
        # The suite uses a fast hasher; the demo uses the real one.
        assert PBKDF2PasswordHasher().verify(PASSWORD, hashes[email]), email
    assert experts >= 12 and waiting >= 1 and decisions >= 20
    assert first["applications"][0][0] == "AAP-2015-ECOCOLLAB-0001"
    [(_application, email, status, _note)] = first["conflict_requests"]
    assert status == "pending" and email != "expert@pepiniere.test"

    with _build_demo(tmp_path) as db:  # rebuilt from scratch over the previous one
        assert _snapshot(db) == first


def test_demo_links_in_e_mails_use_the_port_it_is_served_on(monkeypatch):
    from pepiniere import manage

    seen: dict[str, object] = {}
    monkeypatch.delenv("SITE_URL", raising=False)
    for name in ("DATABASE_URL", "DEBUG", "MEDIA_ROOT"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line",
        lambda argv: seen.update(site_url=os.environ["SITE_URL"], argv=argv),
    )
    for argv, url in (
        (["pepiniere", "demo", "--port", "8123"], "http://127.0.0.1:8123"),
        (["pepiniere", "demo", "--port=8124", "--no-serve"], "http://127.0.0.1:8124"),
        (["pepiniere", "demo"], "http://127.0.0.1:8000"),
    ):
        monkeypatch.delenv("SITE_URL", raising=False)
        monkeypatch.setattr(sys, "argv", argv)
        manage.main()
        assert seen["site_url"] == url


def test_serving_the_demo_again_needs_a_built_demo(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL"))
    }
    env["PEPINIERE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pepiniere.manage", "demo", "--serve-only", "--port", "8125"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "build it first with `make demo`" in result.stderr
