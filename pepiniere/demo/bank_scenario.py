"""Demo bank details.

- The funders get a SIRET and the account payments leave from (the Région's Treasury account at
  the Banque de France, BIC derived from the IBAN).
- Every organisation awarded aid on the 2015 call has bank details with a RIB (a small PDF made
  here), submitted by its contact in July 2015 and validated by agent@pepiniere.test a few days
  later: payments can go to them.
- `build_bank_change` (called at the end of the demo, after the payments of 2015–2017) leaves one
  change waiting: the second awarded organisation (by reference) asks to move its payments to an
  account held by a person, not by the organisation. agent@ sees it in
  « Coordonnées bancaires à valider » (`/structures/coordonnees-bancaires/`) with the warning that
  the holder is not the organisation; its payments are held until then.

Deterministic: IBANs are made from the organisation's position, never at random.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from pepiniere.demo.identifiers import luhn_complete
from pepiniere.grants.models import Award
from pepiniere.organisations.bank_services import submit_bank_details, validate_bank_details
from pepiniere.organisations.models import BankAccountStatus
from pepiniere.programmes.models import Funder

PARIS = ZoneInfo("Europe/Paris")
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
    from pepiniere.lib.pdf import new_pdf
    from pepiniere.organisations.identifiers import grouped_iban

    pdf = new_pdf(title=f"RIB — {holder}", author=bank)
    pdf.add_page()
    pdf.set_font_size(16)
    pdf.cell(0, 12, "Relevé d'identité bancaire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(11)
    for label, value in (
        ("Titulaire", holder),
        ("Banque", bank),
        ("IBAN", grouped_iban(iban)),
        ("Document de démonstration", "ce RIB est fictif"),
    ):
        pdf.cell(0, 8, f"{label} : {value}", new_x="LMARGIN", new_y="NEXT")
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
        .select_related("application__organisation", "application__created_by")
        .order_by("application__reference")
    )
    validated = 0
    for position, award in enumerate(awards):
        organisation = award.application.organisation
        if organisation.bank_accounts.exists():
            continue
        bank, branch = BANKS[position % len(BANKS)]
        submitted = datetime.datetime(2015, 7, 13, 9, position % 60, tzinfo=PARIS)
        account = _submit(
            organisation,
            award.application.created_by,
            holder=organisation.name,
            iban=french_iban(bank, branch, f"{4_000_000 + position * 7919:011d}"),
            at=submitted,
        )
        validate_bank_details(
            account=account, actor=officer, now=submitted + datetime.timedelta(days=3)
        )
        validated += 1
    return {"bank_accounts_validated": validated}


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
