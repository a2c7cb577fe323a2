"""`pepiniere payment_run`: one new run of the authorised instalments, nothing new the second
time, `--run ID` rewrites an existing run in either format, failures exit non-zero."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pepiniere.payments import files, runs, services
from pepiniere.payments.models import Instalment, PaymentRun
from pepiniere.payments.tests.factories import signed_award

pytestmark = pytest.mark.django_db

FUNDER_SIRET = "21330063500017"  # fictional, Luhn-valid


def _authorised_world():
    world = signed_award()
    funder = world.call.funder
    funder.siret, funder.iban, funder.bic = (
        FUNDER_SIRET,
        "FR1420041010050500013M02606",
        "PSSTFRPPPAR",
    )
    funder.save()
    first = world.instalments()[0]
    services.request_instalment(instalment=first, actor=world.member)
    services.check_request(instalment=first, actor=world.officer, decisions={})
    services.authorise_instalment(instalment=first, actor=world.finance)
    return world, first


def _run(*args):
    out = StringIO()
    call_command("payment_run", *args, stdout=out)
    return out.getvalue()


def test_a_run_is_made_written_and_the_second_time_exports_nothing_new(tmp_path):
    world, first = _authorised_world()
    target = tmp_path / "lot.csv"
    printed = _run("--funder", FUNDER_SIRET, "--out", str(target))
    run = PaymentRun.objects.get()
    assert f"{run.reference} : nouveau lot de 1 tranche(s)." in printed
    assert "1 ordre(s) de paiement" in printed
    content = target.read_bytes().decode("utf-8-sig")
    assert "20000,00" in content and world.agreement.reference in content
    assert Instalment.objects.get(pk=first.pk).status == "ordered"
    again = tmp_path / "again.csv"
    printed = _run("--funder", FUNDER_SIRET, "--out", str(again))
    assert "0 nouvelle tranche autorisée hors lot : aucun fichier écrit." in printed
    assert not again.exists() and PaymentRun.objects.count() == 1


def test_run_id_rewrites_an_existing_run_in_sepa_and_the_file_is_valid(tmp_path):
    _world, _first = _authorised_world()
    _run("--funder", FUNDER_SIRET, "--out", str(tmp_path / "lot.csv"))
    run = PaymentRun.objects.get()
    target = tmp_path / "lot.xml"
    printed = _run(
        "--funder", FUNDER_SIRET, "--format", "sepa", "--run", str(run.pk), "--out", str(target)
    )
    assert "lot existant réécrit" in printed
    assert files.sepa_errors(target.read_bytes()) == []
    assert PaymentRun.objects.count() == 1


def test_an_unknown_funder_or_run_fails_with_a_non_zero_exit(tmp_path):
    with pytest.raises(CommandError, match="Aucun financeur"):
        _run("--funder", "00000000000000", "--out", str(tmp_path / "x.csv"))
    _authorised_world()
    with pytest.raises(CommandError, match="n'existe pas"):
        _run("--funder", FUNDER_SIRET, "--run", "999", "--out", str(tmp_path / "x.csv"))


def test_a_file_the_writer_refuses_keeps_nothing(tmp_path, monkeypatch):
    _world, first = _authorised_world()
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(
        runs,
        "payer_of",
        lambda funder: files.Payer(name=funder.name, siret="", iban="", bic=""),
    )
    with pytest.raises(CommandError, match="rien n'est enregistré"):
        _run("--funder", FUNDER_SIRET, "--format", "sepa", "--out", str(folder / "x.xml"))
    assert PaymentRun.objects.count() == 0
    assert Instalment.objects.get(pk=first.pk).status == "authorised"
    assert list(folder.iterdir()) == []
