"""The officers' import page: upload, preview (the report, capped, with its CSV), confirm or
cancel; permissions and a pinned query count."""

from __future__ import annotations

import csv
import io
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.audit.models import AuditEntry
from pepiniere.demo.identifiers import fictional_siret
from pepiniere.lib.testing.factories import make_funder, make_user, page_text, plain
from pepiniere.opendata import import_views
from pepiniere.opendata.models import ImportBatch, ImportedGrant, ImportStatus

pytestmark = pytest.mark.django_db

FUNDER_SIRET = "22440002800011"  # Département de Loire-Atlantique
HEADER = "nomAttribuant;idAttribuant;dateConvention;nomBeneficiaire;idBeneficiaire;objet;montant"


def scdl(rows: int, *, broken: int = 0) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        siret = fictional_siret(random.Random(n))
        if n < broken:
            siret = siret[:-1] + str((int(siret[-1]) + 1) % 10)
        lines.append(
            f"Département de Loire-Atlantique;{FUNDER_SIRET};0{n % 9 + 1}/03/2019;"
            f"ASSOCIATION NUMÉRO {n};{siret};Projet {n};{1000 + n} 000,50"
        )
    lines.append("Département;;;;;;")  # no beneficiary, no amount: rejected
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
def funder():
    funder = make_funder("Département de Loire-Atlantique")
    funder.siret = FUNDER_SIRET
    funder.save(update_fields=["siret"])
    return funder


@pytest.fixture
def officer(funder):
    return make_user(role=Role.OFFICER, funder=funder)


def seen(response) -> str:
    """The page's text without its tags."""
    return plain(re.sub(r"<[^>]+>", "", page_text(response)))


def upload(client, funder, content: bytes, name: str = "subventions.csv"):
    return client.post(
        reverse("opendata:imports", args=[funder.siret]),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "format": "auto"},
    )


def test_upload_preview_then_confirm_imports_exactly_what_was_previewed(client, funder, officer):
    client.force_login(officer)
    manage = client.get(reverse("opendata:manage", args=[funder.siret]))
    assert reverse("opendata:imports", args=[funder.siret]) in manage.content.decode()
    response = upload(client, funder, scdl(5, broken=2))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("opendata:import_preview", args=[funder.siret, batch.pk])
    page = seen(client.get(response["Location"]))
    assert "6 enregistrements lus dans le fichier" in page
    assert "importée : 3" in page and "importée avec une alerte : 2" in page
    assert "refusée : 1" in page and "doublon, déjà importée : 0" in page
    assert "Association Numéro 0" in page and "1 000 000,50 €" in page
    assert "clé de Luhn fausse" in page and "bénéficiaire absent" in page, page[-3000:]
    assert not ImportedGrant.objects.exists()  # a preview imports nothing

    confirmed = client.post(reverse("opendata:import_confirm", args=[funder.siret, batch.pk]))
    assert confirmed.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED and batch.uploaded_by == officer
    assert ImportedGrant.objects.filter(batch=batch).count() == 5
    assert AuditEntry.objects.filter(action="import_grants", object_id=batch.pk).exists()
    page = seen(client.get(confirmed["Location"]))
    assert "Import terminé : 5 subvention(s) importée(s), dont 2 avec une alerte" in page
    again = client.post(
        reverse("opendata:import_confirm", args=[funder.siret, batch.pk]), follow=True
    )
    assert "ne peut plus être confirmé" in seen(again)
    assert ImportedGrant.objects.count() == 5

    report = client.get(reverse("opendata:import_report", args=[funder.siret, batch.pk]))
    rows = list(csv.reader(io.StringIO(report.content.decode())))
    assert report["Content-Type"].startswith("text/csv") and len(rows) == 1 + 6
    assert [r[1] for r in rows[1:]].count("flagged") == 2


def test_the_same_file_again_previews_as_duplicates(client, funder, officer):
    client.force_login(officer)
    upload(client, funder, scdl(3))
    first = ImportBatch.objects.get()
    client.post(reverse("opendata:import_confirm", args=[funder.siret, first.pk]))
    upload(client, funder, scdl(3))
    second = ImportBatch.objects.exclude(pk=first.pk).get()
    assert (second.imported, second.flagged, second.duplicate) == (0, 0, 3)


def test_cancel_imports_nothing_and_forgets_the_file(
    client, funder, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    upload(client, funder, scdl(3))
    batch = ImportBatch.objects.get()
    stored = batch.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("opendata:import_cancel", args=[funder.siret, batch.pk]))
    assert response["Location"] == reverse("opendata:imports", args=[funder.siret])
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED and not ImportedGrant.objects.exists()
    import os

    assert not os.path.exists(stored)
    again = client.post(
        reverse("opendata:import_confirm", args=[funder.siret, batch.pk]), follow=True
    )
    assert "ne peut plus être confirmé" in seen(again)


def test_a_file_that_cannot_be_read_is_refused_with_its_reason(client, funder, officer):
    client.force_login(officer)
    response = upload(client, funder, b"nom,adresse\r\nA,B\r\n")
    page = seen(client.get(response["Location"]))
    assert (
        "Le fichier ne peut pas être lu : Colonnes introuvables : nomBeneficiaire, montant" in page
    )
    assert "Confirmer l'import" not in page


def test_a_file_over_the_limit_is_refused_with_a_clear_message(
    client, funder, officer, monkeypatch
):
    monkeypatch.setattr(import_views, "MAX_BYTES", 2 * 1024 * 1024)
    client.force_login(officer)
    response = upload(client, funder, b"x" * (2 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert "Fichier refusé : il dépasse 2 Mo." in seen(response)
    assert not ImportBatch.objects.exists()


def test_only_the_funders_officers_see_its_imports(client, funder, officer):
    client.force_login(officer)
    upload(client, funder, scdl(2))
    batch = ImportBatch.objects.get()
    other = make_funder("Région")
    other.siret = "23750007900312"
    other.save(update_fields=["siret"])
    outsider = make_user(role=Role.OFFICER, funder=other)
    finance = make_user(role=Role.FINANCE, funder=funder)
    for user in (outsider, finance):
        client.force_login(user)
        for name in ("import_preview", "import_report"):
            assert (
                client.get(reverse(f"opendata:{name}", args=[funder.siret, batch.pk])).status_code
                == 403
            )
        assert (
            client.post(
                reverse("opendata:import_confirm", args=[funder.siret, batch.pk])
            ).status_code
            == 403
        )
    # The other funder's officer, on their own funder's page, does not find this batch.
    client.force_login(outsider)
    assert (
        client.get(reverse("opendata:import_preview", args=[other.siret, batch.pk])).status_code
        == 404
    )
    assert not ImportedGrant.objects.exists()


def test_the_preview_page_costs_the_same_queries_whatever_the_file(
    client, funder, officer, django_assert_num_queries
):
    client.force_login(officer)
    upload(client, funder, scdl(3))
    upload(client, funder, scdl(400))
    small, large = ImportBatch.objects.order_by("pk")
    response = client.get(reverse("opendata:import_preview", args=[funder.siret, small.pk]))
    for batch in (small, large):
        with django_assert_num_queries(6):  # session, user, its roles (2), funder, batch
            response = client.get(reverse("opendata:import_preview", args=[funder.siret, batch.pk]))
        assert response.status_code == 200
    page = seen(response)
    assert "Les 200 premières lignes sur 401 (toutes dans le rapport CSV)" in page
    flagged = client.get(
        reverse("opendata:import_preview", args=[funder.siret, large.pk]), {"resultat": "rejected"}
    )
    shown = seen(flagged)
    assert "bénéficiaire absent" in shown and "Association Numéro 5" not in shown
    with django_assert_num_queries(6):  # session, user, funder, its batches with their uploaders
        client.get(reverse("opendata:imports", args=[funder.siret]))


def test_imported_grants_appear_on_the_organisations_follow_up_page(client, funder, officer):
    from pepiniere.lib.testing.factories import make_organisation
    from pepiniere.organisations.selectors import funders_supporting

    organisation = make_organisation(siret=fictional_siret(random.Random(77)))
    content = (
        f"{HEADER}\r\nDépartement de Loire-Atlantique;{FUNDER_SIRET};15/06/2016;"
        f"{organisation.name};{organisation.siret};Aide de minimis au démarrage;20 000,00\r\n"
    ).encode("cp1252")
    # A region imports the département's file (for its de minimis checks): it supports no one.
    region = make_funder("Région")
    region.siret = "23750007900312"
    region.save(update_fields=["siret"])
    region_officer = make_user(role=Role.OFFICER, funder=region)
    client.force_login(region_officer)
    upload(client, region, content)
    batch = ImportBatch.objects.get()
    client.post(reverse("opendata:import_confirm", args=[region.siret, batch.pk]))
    assert ImportedGrant.objects.get().organisation == organisation
    page = reverse("portfolio:organisation", args=[organisation.pk])
    assert client.get(page).status_code == 404
    # The département granted it (its SIRET is the file's idAttribuant): its officers follow it.
    assert funders_supporting(organisation) == {funder.pk}
    client.force_login(officer)
    text = seen(client.get(page))
    assert "Aide historique de Département de Loire-Atlantique : 20 000,00 €" in text
    assert "Aide de minimis au démarrage — importée du fichier « subventions.csv »" in text


def _stored_files(settings) -> list[str]:
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_failure_while_importing_leaves_no_file_behind(
    client, funder, officer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The upload and its report are stored inside the transaction: when the import fails, the
    rows are rolled back and the files that only they named are deleted, upload and confirm
    alike; the officer can upload again."""
    from pepiniere.opendata import importing

    client.force_login(officer)

    def broken_preview(*args, **kwargs):
        raise RuntimeError("panne pendant l'aperçu")

    with monkeypatch.context() as patched:
        patched.setattr(importing, "_save_report", lambda *a, **k: broken_preview())
        with pytest.raises(RuntimeError):
            importing.stage_import(data=scdl(3), file_name="s.csv", funder=funder, actor=officer)
    assert not ImportBatch.objects.exists() and _stored_files(settings) == []

    upload(client, funder, scdl(3))
    batch = ImportBatch.objects.get()
    staged = _stored_files(settings)
    assert len(staged) == 2  # the upload and its preview report
    with monkeypatch.context() as patched:
        patched.setattr(importing, "_write", lambda *a, **k: broken_preview())
        with pytest.raises(RuntimeError):
            importing.confirm_import(batch=batch, actor=officer)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEW and not ImportedGrant.objects.exists()
    assert _stored_files(settings) == staged  # the preview is kept, for a confirmation later

    with monkeypatch.context() as patched:
        patched.setattr(importing, "audit", lambda *a, **k: broken_preview())
        with pytest.raises(RuntimeError):
            importing.import_file(data=scdl(4), file_name="t.csv", funder=funder, actor=officer)
    assert ImportBatch.objects.count() == 1 and _stored_files(settings) == staged

    with django_capture_on_commit_callbacks(execute=True):
        importing.confirm_import(batch=batch, actor=officer)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    # The upload and the import's report; the preview's report made way for it.
    assert _stored_files(settings) == sorted([str(batch.file.name), str(batch.report.name)])
