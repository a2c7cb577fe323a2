"""Demo bank details.

- The funders get a SIRET and the account payments leave from (the Région's Treasury account at
  the Banque de France, BIC derived from the IBAN).
- Every organisation awarded aid by the Région has validated bank details: those of the 2015
  call through the services (a RIB made here, submitted by its contact after the award, validated
  by agent@pepiniere.test three days later, audited); the hundreds of the roadmap's other calls
  in a few queries with one shared demo RIB. Payments can go to all of them.
- `build_bank_change` (called at the end of the demo, after the payments of 2015–2017) leaves one
  change waiting: the second awarded organisation (by reference) asks to move its payments to an
  account held by a person, not by the organisation. agent@ sees it in
  « Coordonnées bancaires à valider » (`/structures/coordonnees-bancaires/`) with the warning that
  the holder is not the organisation; its payments are held until then.

Deterministic: IBANs are made from the organisation's position, never at random.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from pepiniere.demo.identifiers import luhn_complete
from pepiniere.grants.models import Award
from pepiniere.organisations.bank_services import submit_bank_details, validate_bank_details
from pepiniere.organisations.models import BankAccount, BankAccountStatus
from pepiniere.programmes.models import Funder

PARIS = ZoneInfo("Europe/Paris")
SHOWN_CALL = "economie-collaborative-2015"
# (bank code, branch) of French banks schwifty's registry knows, so the BIC is derived.
BANKS = [
    ("30006", "00001"),  # Crédit Agricole
    ("30004", "00822"),  # BNP Paribas
    ("30003", "03310"),  # Société Générale
    ("20041", "01001"),  # La Banque Postale
    ("10278", "02200"),  # Crédit Mutuel
    ("13335", "00040"),  # Caisse d'Épargne Aquitaine Poitou-Charentes
]


def french_iban(bank: str, branch: str, account: str) -> str:
    """A valid French IBAN: clé RIB, then the IBAN check digits (ISO 7064 mod 97-10)."""
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(digits) % 97:02d}{bban}"


def rib_pdf(*, holder: str, iban: str, bank: str) -> SimpleUploadedFile:
    """A one-page RIB. Core Helvetica, not the vendored DejaVu: embedding a TrueType font costs
    a tenth of a second per PDF, and the demo makes hundreds (names are Latin-1 here)."""
    from fpdf import FPDF

    from pepiniere.organisations.identifiers import grouped_iban

    pdf = FPDF(format="A4")
    pdf.set_title("Relevé d'identité bancaire")
    pdf.set_author(bank)
    pdf.set_font("helvetica", size=16)
    pdf.add_page()
    pdf.cell(0, 12, "Relevé d'identité bancaire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(11)
    for label, value in (
        ("Titulaire", holder),
        ("Banque", bank),
        ("IBAN", grouped_iban(iban)),
        ("Document de démonstration", "ce RIB est fictif"),
    ):
        line = f"{label} : {value}".encode("latin-1", "replace").decode("latin-1")
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return SimpleUploadedFile("RIB.pdf", bytes(pdf.output()), "application/pdf")


def _submit(organisation: Any, actor: Any, *, holder: str, iban: str, at: datetime.datetime) -> Any:
    from pepiniere.organisations.identifiers import bank_of_iban

    _bic, bank = bank_of_iban(iban)
    return submit_bank_details(
        organisation=organisation,
        actor=actor,
        holder=holder,
        iban=iban,
        rib=rib_pdf(holder=holder, iban=iban, bank=bank),
        now=at,
    )


def build_bank_details(*, region: Funder, state: Funder, officer: Any) -> dict[str, Any]:
    region.siret = luhn_complete("2333" + "00019" + "0002")  # a fictional SIRET of the Région
    region.iban = french_iban("30001", "00064", "00000012345")  # Treasury, Banque de France
    region.bic = "BDFEFRPPCCT"
    region.save(update_fields=["siret", "iban", "bic"])
    state.siret = luhn_complete("1100" + "00015" + "0001")
    state.iban = french_iban("30001", "00075", "00000067890")
    state.bic = "BDFEFRPPCCT"
    state.save(update_fields=["siret", "iban", "bic"])

    awards = (
        Award.objects.filter(application__call__funder=region)
        .select_related("application__organisation", "application__created_by", "application__call")
        .order_by("application__reference")
    )
    through_services, bulk, seen = 0, [], set()
    for position, award in enumerate(awards):
        organisation = award.application.organisation
        if organisation.pk in seen:
            continue
        seen.add(organisation.pk)
        bank, branch = BANKS[position % len(BANKS)]
        iban = french_iban(bank, branch, f"{4_000_000 + position * 7919:011d}")
        submitted = datetime.datetime(
            award.decision_date.year, award.decision_date.month, 1, 9, position % 60, tzinfo=PARIS
        ) + datetime.timedelta(days=position % 20)
        if award.application.call.slug == SHOWN_CALL:
            # What people look at goes through the services: RIB checked, audited, e-mails.
            account = _submit(
                organisation,
                award.application.created_by,
                holder=organisation.name,
                iban=iban,
                at=submitted,
            )
            validate_bank_details(
                account=account, actor=officer, now=submitted + datetime.timedelta(days=3)
            )
            through_services += 1
        else:
            bulk.append((organisation, award.application.created_by, iban, submitted))
    _bulk_validated(bulk, officer=officer)
    return {"bank_accounts_validated": through_services + len(bulk)}


def _bulk_validated(rows: list[tuple[Any, Any, str, datetime.datetime]], *, officer: Any) -> None:
    """The other awarded organisations of the roadmap (hundreds) get validated details in a few
    queries, sharing one demo RIB file: making and checking hundreds of PDFs would cost the
    demo seconds for pages nobody opens one by one."""
    from pepiniere.organisations.identifiers import bank_of_iban

    if not rows:
        return
    content = rib_pdf(holder="Structure de démonstration", iban=rows[0][2], bank="Démonstration")
    data = content.read()
    name = default_storage.save("bank/demo/rib-demo", ContentFile(data))
    digest = hashlib.sha256(data).hexdigest()
    accounts = []
    for organisation, member, iban, submitted in rows:
        bic, bank = bank_of_iban(iban)
        accounts.append(
            BankAccount(
                organisation=organisation,
                holder=organisation.name,
                iban=iban,
                bic=bic,
                bank_name=bank,
                token=secrets.token_hex(16),
                rib=name,
                rib_name="RIB.pdf",
                rib_content_type="application/pdf",
                rib_size=len(data),
                rib_sha256=digest,
                status=BankAccountStatus.VALIDATED,
                submitted_by=member,
                submitted_at=submitted,
                decided_by=officer,
                decided_at=submitted + datetime.timedelta(days=3),
            )
        )
    BankAccount.objects.bulk_create(accounts)


def build_bank_change(*, region: Funder, today: datetime.date) -> dict[str, Any]:
    """One change of bank details waiting for agent@: its holder is a person, not the
    organisation (the warning the officer reads)."""
    award = (
        Award.objects.filter(
            application__call__funder=region,
            application__organisation__bank_accounts__status=BankAccountStatus.VALIDATED,
        )
        .select_related("application__organisation", "application__created_by")
        .order_by("application__reference")[1:2]
        .first()
    )
    if award is None:
        return {"bank_change_waiting": ""}
    organisation = award.application.organisation
    member = award.application.created_by
    at = datetime.datetime.combine(
        today - datetime.timedelta(days=1), datetime.time(16, 42), tzinfo=PARIS
    )
    _submit(
        organisation,
        member,
        holder="M. Julien Marchal",
        iban=french_iban("20041", "01005", "07713591234"),
        at=at,
    )
    return {"bank_change_waiting": organisation.name}
