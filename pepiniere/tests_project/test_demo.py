import os
import sqlite3
import subprocess
import sys

import pytest
from django.db.models import Count
from django.utils import timezone

from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call
from pepiniere.demo.scenario import ACCOUNTS, build


@pytest.mark.django_db
def test_demo_scenario_is_the_founding_case(client):
    build()
    eco = Call.objects.get(slug="economie-collaborative-2015")
    assert eco.envelope == 550000
    assert eco.phase() == "closed"
    submitted = Application.objects.filter(call=eco).exclude(status=Status.DRAFT)
    assert submitted.count() >= 40
    per_departement = dict(
        submitted.values("organisation__departement")
        .annotate(n=Count("id"))
        .values_list("organisation__departement", "n")
    )
    assert set(per_departement) == {"24", "33", "40", "47", "64"}
    assert Call.objects.published().open_at(timezone.now()).exists()
    for email, _name, _role in ACCOUNTS:
        assert client.login(email=email, password="demo"), email


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
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "porteur@pepiniere.test" in result.stdout
    with sqlite3.connect(var_dir / "demo.sqlite3") as db:
        return db.execute(
            "SELECT reference, title, requested_amount, status, submitted_at FROM applications_application ORDER BY id"
        ).fetchall()


def test_demo_command_rebuilds_the_same_database_every_time(tmp_path):
    first = _build_demo(tmp_path / "a")
    second = _build_demo(tmp_path / "a")  # rebuilt from scratch over the previous one
    third = _build_demo(tmp_path / "b")
    assert first == second == third
    assert first[0][0] == "AAP-2015-ECOCOLLAB-0001"
