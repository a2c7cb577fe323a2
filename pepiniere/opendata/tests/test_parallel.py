"""A large export split across processes writes the same bytes as one process, counts the same,
and leaves nothing behind when a helper process fails."""

from __future__ import annotations

import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pepiniere.opendata import parallel, services
from pepiniere.opendata.tests.helpers import OpenWorld

# Helper processes open the database themselves: it must be committed (a transactional test)
# and reachable from another process (the SQLite test database lives in memory).
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a database another process can open (PostgreSQL; SQLite tests run in memory)",
    ),
]


@pytest.fixture
def portfolio():
    worlds = [OpenWorld(str(23000 + 1000 * n)) for n in range(5)]
    for world in worlds:
        world.signed()
    OpenWorld("40000", state_part="10000.01").signed()
    OpenWorld("30000").send()  # not signed yet
    services.withhold(
        award=worlds[2].award,
        funder=worlds[2].call.funder,
        actor=worlds[2].officer,
        reason="Secret des affaires",
    )
    return worlds


def test_three_processes_write_the_same_files_as_one_and_none_when_a_helper_fails(
    portfolio, tmp_path, capsys, monkeypatch
):
    # One test: each transactional test costs a flush and a reload of the reference data.
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    for fmt in ("scdl", "360giving"):
        one, three = tmp_path / f"one-{fmt}", tmp_path / f"three-{fmt}"
        call_command("export_opendata", "--format", fmt, "--jobs", "1", "--out", str(one))
        alone = capsys.readouterr().out
        call_command(
            "export_opendata", "--format", fmt, "--jobs", "3", "-v", "2", "--out", str(three)
        )
        split = capsys.readouterr().out
        assert three.read_bytes() == one.read_bytes()
        assert "Processus : 3" in split
        assert split.splitlines()[:4] == alone.splitlines()[:4]  # the same count of each outcome
        assert "publiée(s) : 6 ligne(s)" in split  # 4 signed + 2 shares of the co-funded award
        assert "retirée(s) par le financeur (exception légale) : 1 ligne(s)" in split
    assert list(tmp_path.glob(".export_opendata*")) == []  # no part left behind

    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(CommandError, match="processus auxiliaire"):
        call_command(
            "export_opendata", "--format", "scdl", "--jobs", "2", "--out", str(tmp_path / "s")
        )
    assert not (tmp_path / "s").exists()
    assert list(tmp_path.glob(".export_opendata*")) == []
