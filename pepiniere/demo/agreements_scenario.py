"""Demo: agreements (conventions) after the awards.

- The 2015 call « Économie collaborative »: every award gets its agreement, prepared and sent by
  the officer in July 2015, signed by the beneficiary's legal representative, then by the Region's
  finance department (finance@), sealed (PAdES). One amendment (avenant n° 1, March 2016)
  prolongs a project by six months and raises its aid by 5 000 € (committed on the budget lines
  at its full signature).
- A call of the 2026–2028 roadmap now past its award stage, « Inclusion numérique — session de
  printemps » (closed three months ago, awarded forty days ago): three agreements signed by both
  parties (payments build on them, see payments_scenario.py) and the agreement of Paula's
  association « Numérique en Partage », sent three days ago and waiting for porteur@'s signature.

Build time: every PDF to sign is rendered for real with WeasyPrint (about 0.4 s each), and
reused from var/cache/agreement-pdfs/ when the same text was rendered by an earlier build (the
2015 history is the same every time: `rendering.pdf_cache`); the PDFs the parties signed, and
their SHA-256, exist at once. Sealing (signatures page + PAdES, about 1 s each) is left to the
first download of each signed PDF (the services' ``seal=False``, then `sealed_pdf_of`)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from pepiniere.agreements import call_services, rendering, services, signature_services, templating
from pepiniere.agreements.models import Agreement
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application
from pepiniere.calls.models import Call
from pepiniere.demo.identifiers import fictional_rna
from pepiniere.grants import services as grant_services
from pepiniere.grants.models import Award
from pepiniere.organisations.models import MemberRole, Membership, Organisation
from pepiniere.programmes.models import Axis

PARIS = ZoneInfo("Europe/Paris")
REGION_ADDRESS = "14 rue François de Sourdis, 33077 Bordeaux Cedex"
STREETS = [
    "rue Sainte-Catherine",
    "cours de la Libération",
    "avenue Thiers",
    "rue du Palais",
    "place de la République",
    "quai Richelieu",
    "rue des Remparts",
    "boulevard Alsace-Lorraine",
]
FIRST_NAMES = ["Camille", "Louis", "Inès", "Hugo", "Léa", "Nathan", "Chloé", "Jules", "Manon"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Laurent", "Lefebvre", "Garcia", "Roux", "Fournier"]
CURRENT_PROJECTS = [
    ("Numérique en Partage", "Ateliers numériques pour les habitants de la Bastide"),
    ("Les Connecteurs du Médoc", "Permanences numériques itinérantes en Médoc"),
    ("Tiers-Lieu des Chartrons", "Équipement d'un espace public numérique"),
    ("Béarn Solidaire Numérique", "Reconditionnement d'ordinateurs pour les familles"),
]


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), PARIS)


def _postal_code(organisation: Organisation) -> str:
    """A plausible postal code: the main towns' own, otherwise the département's « xx000 »."""
    known = {"Bordeaux": "33000", "Mérignac": "33700", "Pessac": "33600", "Talence": "33400"}
    known.update({"Pau": "64000", "Bayonne": "64100", "Biarritz": "64200", "Agen": "47000"})
    known.update({"Périgueux": "24000", "Dax": "40100", "Mont-de-Marsan": "40000"})
    return known.get(organisation.commune_name, f"{organisation.departement_id}000")


def _complete_parties(organisations: list[Organisation], rng: random.Random) -> None:
    for index, organisation in enumerate(organisations):
        changed = []
        if not organisation.street_address:
            organisation.street_address = f"{rng.randint(1, 120)} {STREETS[index % len(STREETS)]}"
            changed.append("street_address")
        if not organisation.postal_code:
            organisation.postal_code = _postal_code(organisation)
            changed.append("postal_code")
        if not organisation.representative_name:
            organisation.representative_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            organisation.representative_title = (
                "Président·e" if organisation.kind == "association" else "Gérant·e"
            )
            changed += ["representative_name", "representative_title"]
        if changed:
            organisation.save(update_fields=changed)


def _sign_both(
    agreement: Agreement,
    *,
    beneficiary: Any,
    funder_signatory: Any,
    beneficiary_at: datetime.datetime,
    funder_at: datetime.datetime,
    seal: bool,
) -> None:
    organisation = agreement.award.application.organisation
    sha = agreement.versions.order_by("-number").values_list("sha256", flat=True)[0]
    signature_services.sign_as_beneficiary(
        agreement=agreement,
        actor=beneficiary,
        consent=True,
        name=organisation.representative_name,
        title=organisation.representative_title,
        shown_sha256=sha,
        ip_address=f"192.0.2.{10 + agreement.pk % 200}",
        user_agent="Mozilla/5.0 (démonstration)",
        now=beneficiary_at,
    )
    signature_services.sign_as_funder(
        agreement=agreement,
        actor=funder_signatory,
        consent=True,
        name=funder_signatory.full_name,
        title="Responsable du service financier, par délégation du Président",
        shown_sha256=sha,
        ip_address="198.51.100.20",
        user_agent="Mozilla/5.0 (démonstration)",
        now=funder_at,
        seal=seal,
    )


def _signer_of(organisation: Organisation) -> Any:
    membership = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    assert membership is not None
    return membership.user


def _agreements_2015(
    eco: Call, *, officer: Any, finance: Any, rng: random.Random
) -> list[Agreement]:
    awards = list(
        Award.objects.filter(application__call=eco)
        .select_related("application__organisation")
        .order_by("application__number")
    )
    _complete_parties([a.application.organisation for a in awards], rng)
    call_services.save_agreement_template(
        call=eco,
        actor=officer,
        body=templating.default_template(),
        funder_address=REGION_ADDRESS,
    )
    agreements = []
    for index, award in enumerate(awards):
        prepared = _at(datetime.date(2015, 7, 20), 9)
        agreement = services.prepare_agreement(award=award, actor=officer, now=prepared)
        services.send_agreement(
            agreement=agreement, actor=officer, now=_at(datetime.date(2015, 7, 21))
        )
        day = datetime.date(2015, 7, 23) + datetime.timedelta(days=index % 6)
        _sign_both(
            agreement,
            beneficiary=_signer_of(award.application.organisation),
            funder_signatory=finance,
            beneficiary_at=_at(day, 11),
            funder_at=_at(day + datetime.timedelta(days=5), 15),
            seal=False,
        )
        agreements.append(agreement)
    if agreements:
        _amend(agreements[0], officer=officer, finance=finance)
    return agreements


def _amend(agreement: Agreement, *, officer: Any, finance: Any) -> None:
    current = agreement.versions.order_by("-number").first()
    assert current is not None
    amount = current.amount + Decimal("5000")
    budget = max(
        current.eligible_budget, (amount * 100 / current.aid_rate).quantize(Decimal("0.01"))
    )
    try:
        services.create_amendment(
            agreement=agreement,
            actor=officer,
            purpose=(
                "le projet est prolongé de six mois et l'aide est portée à "
                f"{amount:,.0f} €".replace(",", " ")
                + " pour financer le déploiement dans deux communes supplémentaires."
            ),
            amount=amount,
            aid_rate=current.aid_rate,
            eligible_budget=budget,
            start_date=current.start_date,
            end_date=current.end_date + datetime.timedelta(days=182),
            now=_at(datetime.date(2016, 3, 14)),
        )
    except services.AgreementError:
        # Beyond the envelope or the ceiling: the amendment only prolongs the project.
        services.create_amendment(
            agreement=agreement,
            actor=officer,
            purpose="le projet est prolongé de six mois.",
            amount=current.amount,
            aid_rate=current.aid_rate,
            eligible_budget=current.eligible_budget,
            start_date=current.start_date,
            end_date=current.end_date + datetime.timedelta(days=182),
            now=_at(datetime.date(2016, 3, 14)),
        )
    services.send_agreement(agreement=agreement, actor=officer, now=_at(datetime.date(2016, 3, 15)))
    _sign_both(
        agreement,
        beneficiary=_signer_of(agreement.award.application.organisation),
        funder_signatory=finance,
        beneficiary_at=_at(datetime.date(2016, 3, 18), 10),
        funder_at=_at(datetime.date(2016, 3, 22), 16),
        seal=False,
    )


def _current_call(
    *,
    base: Any,
    open_call: Call,
    users: dict[Any, Any],
    today: datetime.date,
    rng: random.Random,
) -> tuple[Call, list[Application]]:
    """A call of the current roadmap whose awards were made forty days ago."""
    from pepiniere.accounts.models import Role, User

    officer, jury, finance = users[Role.OFFICER], users[Role.JURY], users[Role.FINANCE]
    axis = Axis.objects.get(programme=open_call.programme, code="inclusion")
    call = Call.objects.create(
        funder=open_call.funder,
        programme=open_call.programme,
        axis=axis,
        code="inclusion",
        slug="inclusion-numerique-printemps",
        title="Inclusion numérique — session de printemps",
        summary="200 000 € pour la médiation numérique des associations de Nouvelle-Aquitaine.",
        description="Première session de l'appel inclusion numérique de la feuille de route "
        "2026–2028 : médiation, équipement et reconditionnement. Subvention de 5 000 € à 40 000 €, "
        "80 % des dépenses au plus.",
        envelope=Decimal("200000"),
        opens_at=_at(today - datetime.timedelta(days=150), 9),
        closes_at=_at(today - datetime.timedelta(days=90), 12),
        is_published=True,
        contact_email="inclusion@pepiniere.test",
        eligible_kinds=["association", "sme", "startup"],
        max_requested_amount=Decimal("40000"),
        max_aid_rate=Decimal("80"),
        overall_threshold=Decimal("10"),
    )
    call.eligible_departements.set(open_call.eligible_departements.all())
    call.sectors.set(open_call.sectors.all())
    base._standard_form(call, with_iban=False)
    base._standard_grid(call)
    paula = users[Role.APPLICANT]
    asso = Organisation.objects.get(name="Numérique en Partage")
    organisations = [asso]
    contacts = [paula]
    for index, (name, _title) in enumerate(CURRENT_PROJECTS[1:], start=1):
        commune_code, commune_name = [
            ("33314", "Pauillac"),
            ("33063", "Bordeaux"),
            ("64445", "Pau"),
        ][index - 1]
        organisation = Organisation.objects.create(
            name=name,
            kind="association",
            rna=fictional_rna(rng, commune_code[:2]),
            legal_form=asso.legal_form,
            naf_code="94.99Z",
            commune_code=commune_code,
            commune_name=commune_name,
            departement_id=commune_code[:2],
            creation_date=datetime.date(2018 + index, 5, 2),
            size_band=asso.size_band,
        )
        contact = User.objects.create_user(
            email=f"contact-in{index:02d}@{base._slug(name)}.test",
            password=None,
            full_name=f"Contact {name}",
        )
        Membership.objects.create(user=contact, organisation=organisation, role=MemberRole.OWNER)
        organisations.append(organisation)
        contacts.append(contact)
    asso.representative_name = paula.full_name
    asso.representative_title = "Présidente"
    asso.save(update_fields=["representative_name", "representative_title"])
    _complete_parties(organisations, rng)
    applications = []
    for index, (organisation, contact) in enumerate(zip(organisations, contacts, strict=True)):
        started = _at(today - datetime.timedelta(days=140 - index), 10)
        applications.append(
            base._submit(
                call,
                organisation,
                contact,
                rng,
                started,
                started + datetime.timedelta(days=20),
                CURRENT_PROJECTS[index][1],
                "skills",
                max_amount=Decimal("40000"),
                rate_choices=["0.6", "0.7", "0.8"],
            )
        )
    screened = _at(today - datetime.timedelta(days=85))
    decided = _at(today - datetime.timedelta(days=45), 15)
    grant_services.set_call_policy(
        call=call,
        actor=officer,
        letters_show_scores=False,
        letters_show_comments=False,
        de_minimis=False,
        signatory="Pour le Président du Conseil régional, la directrice du numérique",
        signatory_title="Direction du numérique",
        letter_place="Bordeaux",
    )
    for application in applications:
        application_services.mark_eligible(application=application, actor=officer, now=screened)
        application_services.open_review(application=application, actor=officer, now=screened)
        application_services.close_review(
            application=application, actor=officer, now=screened + datetime.timedelta(days=20)
        )
        application_services.record_jury_decision(
            application=application,
            actor=jury,
            decision="select",
            reason="Retenu par le comité de sélection.",
            now=decided,
        )
        grant_services.award_grant(
            application=application,
            actor=finance,
            amount=application.requested_amount or Decimal("10000"),
            decision_reference="CP n° 26.0415",
            decision_date=(today - datetime.timedelta(days=40)),
            now=decided + datetime.timedelta(days=5),
        )
    _bank_details(organisations, officer=officer, at=decided)
    return call, applications


def _bank_details(
    organisations: list[Organisation], *, officer: Any, at: datetime.datetime
) -> None:
    """Validated bank details for the current call's beneficiaries (payments go to them)."""
    from pepiniere.demo.bank_scenario import _bulk_validated, french_iban

    rows = [
        (
            organisation,
            _signer_of(organisation),
            french_iban("30004", "00822", f"{7_100_000 + index * 6133:011d}"),
            at + datetime.timedelta(days=index),
        )
        for index, organisation in enumerate(organisations)
        if not organisation.bank_accounts.exists()
    ]
    _bulk_validated(rows, officer=officer)


def build_agreements(
    *, eco: Call, open_call: Call, users: dict[Any, Any], today: datetime.date
) -> dict[str, Any]:
    rng = random.Random(1107)
    with rendering.pdf_cache(Path(settings.VAR_DIR) / "cache" / "agreement-pdfs"):
        return _build(eco=eco, open_call=open_call, users=users, today=today, rng=rng)


def _build(
    *, eco: Call, open_call: Call, users: dict[Any, Any], today: datetime.date, rng: random.Random
) -> dict[str, Any]:
    from pepiniere.accounts.models import Role
    from pepiniere.demo import scenario as base

    officer, finance = users[Role.OFFICER], users[Role.FINANCE]
    signed_2015 = _agreements_2015(eco, officer=officer, finance=finance, rng=rng)
    call, applications = _current_call(
        base=base, open_call=open_call, users=users, today=today, rng=rng
    )
    call_services.save_agreement_template(
        call=call,
        actor=officer,
        body=templating.default_template(),
        funder_address=REGION_ADDRESS,
    )
    current = []
    waiting: Agreement | None = None
    for index, application in enumerate(applications):
        award = Award.objects.get(application=application)
        agreement = services.prepare_agreement(
            award=award, actor=officer, now=_at(today - datetime.timedelta(days=38))
        )
        if index == 0:  # Paula's association: sent, waiting for her signature
            services.send_agreement(
                agreement=agreement, actor=officer, now=_at(today - datetime.timedelta(days=3))
            )
            waiting = agreement
            continue
        services.send_agreement(
            agreement=agreement, actor=officer, now=_at(today - datetime.timedelta(days=36))
        )
        _sign_both(
            agreement,
            beneficiary=_signer_of(application.organisation),
            funder_signatory=finance,
            beneficiary_at=_at(today - datetime.timedelta(days=33 - index), 11),
            funder_at=_at(today - datetime.timedelta(days=30 - index), 15),
            seal=False,
        )
        current.append(agreement)
    return {
        "agreements_2015": signed_2015,
        "agreement_call": call,
        "agreements_signed_now": current,
        "agreement_waiting": waiting,
    }
