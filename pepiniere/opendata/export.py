"""What each funder publishes as open data, and the two files it is published in.

One *line* is one funder's part of one award (a co-funded award has one line per co-funder). A
line is published once its agreement is fully signed (décret n° 2017-779 asks within three months
of signature; the platform publishes at signature, from live data), unless the funder's officers
withheld it, or its agreement is under 23 000 € and the funder did not choose to publish those
(PublicationPolicy). Outcomes: published, withheld, too_small, not_signed.

- SCDL « subventions » v2.1.1 (CSV, `,`-separated, UTF-8, `.` as decimal mark): one row per
  beneficiary per agreement and per funder; `montant` is the agreement's amount, the funder's part
  is `pourcentageSubvention` (share ÷ amount, 4 decimals).
- 360Giving 1.4.3 (JSON package): one grant per award, its id the lead funder's org-id and the
  agreement's reference; the co-funders listed in fundingOrganization."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from pepiniere.agreements.models import Agreement, AgreementVersion, Trigger
from pepiniere.grants.models import Award, AwardShare
from pepiniere.lib.spreadsheet import SafeCsvWriter
from pepiniere.opendata.models import PublicationPolicy, Withholding
from pepiniere.programmes.models import Funder

THRESHOLD = Decimal("23000")
PARIS = ZoneInfo("Europe/Paris")
CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")

PUBLISHED = "published"
WITHHELD = "withheld"
TOO_SMALL = "too_small"
NOT_SIGNED = "not_signed"
OUTCOMES = (PUBLISHED, WITHHELD, TOO_SMALL, NOT_SIGNED)

SCDL_FIELDS = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]


@dataclass(frozen=True)
class Line:
    award: Award
    share: AwardShare
    outcome: str
    withholding: Withholding | None = None

    @property
    def funder(self) -> Funder:
        return self.share.funder

    @property
    def agreement(self) -> Agreement | None:
        return getattr(self.award, "agreement", None)

    @property
    def version(self) -> AgreementVersion | None:
        agreement = self.agreement
        return agreement.current_version if agreement is not None else None


def awards(funder: Funder | None = None) -> QuerySet[Award]:
    """The awards with everything a line reads, in a fixed number of queries."""
    queryset = Award.objects.select_related(
        "application", "application__organisation", "application__call__funder", "agreement"
    ).prefetch_related(
        Prefetch("shares", queryset=AwardShare.objects.select_related("funder")),
        Prefetch(
            "agreement__versions",
            queryset=AgreementVersion.objects.prefetch_related("schedule").order_by("number"),
        ),
        "open_data_withholdings",
    )
    if funder is not None:
        queryset = queryset.filter(shares__funder=funder)
    return queryset.order_by("decision_date", "id")


def lines(funder: Funder | None = None) -> list[Line]:
    """Every funder's line of every award (only `funder`'s when given), with its outcome."""
    below = set(
        PublicationPolicy.objects.filter(publish_below_threshold=True).values_list(
            "funder_id", flat=True
        )
    )
    found: list[Line] = []
    for award in awards(funder):
        withheld = {w.funder_id: w for w in award.open_data_withholdings.all()}
        agreement = getattr(award, "agreement", None)
        version = agreement.current_version if agreement is not None else None
        for share in award.shares.all():
            if funder is not None and share.funder_id != funder.pk:
                continue
            if version is None:
                outcome = NOT_SIGNED
            elif share.funder_id in withheld:
                outcome = WITHHELD
            elif version.amount < THRESHOLD and share.funder_id not in below:
                outcome = TOO_SMALL
            else:
                outcome = PUBLISHED
            found.append(Line(award, share, outcome, withheld.get(share.funder_id)))
    return found


def count_outcomes(found: Iterable[Line]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for line in found:
        counts[line.outcome] += 1
    return counts


def decimal_text(value: Decimal, places: Decimal = CENT) -> str:
    """A Decimal as the schemas read numbers: `.` as decimal mark, no grouping, no exponent."""
    return f"{value.quantize(places, rounding=ROUND_HALF_UP):f}"


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(PARIS).date()


def signature_date(agreement: Agreement) -> datetime.date:
    """The date the initial agreement was signed by both parties (amendments keep it)."""
    first = next(v for v in agreement.versions.all() if v.signed_at is not None)
    assert first.signed_at is not None
    return local_date(first.signed_at)


def payment_terms(version: AgreementVersion) -> tuple[str, str]:
    """conditionsVersement and datesPeriodeVersement from the version's schedule: one instalment
    paid at signature is « unique » on the signature date; otherwise the period runs from the
    signature to the end of the project (the later instalments follow its reports)."""
    assert version.signed_at is not None
    signed = local_date(version.signed_at)
    steps = list(version.schedule.all())
    end = max(version.end_date, signed)
    if len(steps) <= 1:
        if not steps or steps[0].trigger == Trigger.SIGNATURE:
            return "unique", signed.isoformat()
        return "unique", f"{signed.isoformat()}/{end.isoformat()}"
    return "échelonné", f"{signed.isoformat()}/{end.isoformat()}"


def share_fraction(share: AwardShare, award: Award) -> Decimal:
    fraction = (share.amount / award.amount).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)
    return max(fraction, CENT)  # the schema's minimum is 0.01


def objet(award: Award) -> str:
    application = award.application
    return (application.title or application.call.title or str(application))[:256]


def scdl_row(line: Line) -> dict[str, str]:
    award, share, agreement, version = line.award, line.share, line.agreement, line.version
    assert agreement is not None and version is not None
    organisation = award.application.organisation
    conditions, period = payment_terms(version)
    rna = organisation.rna if organisation.rna.startswith("W") else ""
    return {
        "nomAttribuant": share.funder.name,
        "idAttribuant": share.funder.siret,
        "dateConvention": signature_date(agreement).isoformat(),
        "referenceDecision": award.decision_reference,
        "nomBeneficiaire": organisation.name,
        "idBeneficiaire": organisation.siret,
        "rnaBeneficiaire": rna,
        "objet": objet(award),
        "montant": decimal_text(version.amount),
        "nature": "aide en numéraire",
        "conditionsVersement": conditions,
        "datesPeriodeVersement": period,
        "idRAE": "",
        # The field reads « au titre d'une aide de minimis notifiée à la Commission » (SCDL 2.1.1):
        # the platform's aid regime is de minimis or not (Award.de_minimis).
        "notificationUE": "oui" if award.de_minimis else "non",
        "pourcentageSubvention": f"{share_fraction(share, award).normalize():f}",
        "dispositifAide": "",
    }


def scdl_csv(found: Iterable[Line]) -> str:
    """The CSV (`,`, UTF-8 without BOM as the SCDL asks); text cells go through the spreadsheet
    helper so a name starting with « = » cannot run as a formula."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\r\n")
    writer.writerow(SCDL_FIELDS)
    for line in found:
        if line.outcome == PUBLISHED:
            row = scdl_row(line)
            writer.writerow([row[name] for name in SCDL_FIELDS])
    return buffer.getvalue()


def funder_org_id(funder: Funder) -> str:
    """org-id.guide identifier of a French funder: FR-SIRET when it has one, else a local id."""
    if funder.siret:
        return f"FR-SIRET-{funder.siret}"
    return f"XI-PEPINIERE-{funder.slug}"


def recipient_org_id(organisation: Any) -> str:
    if organisation.siren or organisation.siret:
        return f"FR-SIREN-{organisation.siren or organisation.siret[:9]}"
    if organisation.rna:
        return f"FR-RNA-{organisation.rna}"
    return f"XI-PEPINIERE-ORG-{organisation.pk}"


def grant(award: Award, funders: list[Funder]) -> dict[str, Any]:
    agreement = award.agreement
    version = agreement.current_version
    assert version is not None
    organisation = award.application.organisation
    lead = award.application.call.funder
    recipient: dict[str, Any] = {"id": recipient_org_id(organisation), "name": organisation.name}
    if organisation.siren or organisation.siret:
        recipient["companyNumber"] = organisation.siren or organisation.siret[:9]
    recipient["addressCountry"] = "FR"
    result: dict[str, Any] = {
        "id": f"{funder_org_id(lead)}-{agreement.reference}",
        "title": objet(award),
        "description": (award.application.summary or objet(award)),
        "currency": "EUR",
        "amountAwarded": _json_number(version.amount),
        "awardDate": award.decision_date.isoformat(),
        "plannedDates": [
            {"startDate": version.start_date.isoformat(), "endDate": version.end_date.isoformat()}
        ],
        "recipientOrganization": [recipient],
        "fundingOrganization": [{"id": funder_org_id(f), "name": f.name} for f in funders],
        "grantProgramme": [{"title": award.application.call.title}],
    }
    if version.signed_at is not None:
        result["dateModified"] = version.signed_at.astimezone(PARIS).isoformat(timespec="seconds")
    return result


class _ExactNumber(float):
    """A number the encoder below writes from its Decimal text, so cents never go through a
    float's formatting."""

    text: str

    def __new__(cls, text: str) -> _ExactNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _json_number(value: Decimal) -> _ExactNumber:
    return _ExactNumber(decimal_text(value))


def giving_package(found: Iterable[Line], *, issued: datetime.date) -> dict[str, Any]:
    published: dict[int, tuple[Award, list[Funder]]] = {}
    for line in found:
        if line.outcome == PUBLISHED:
            published.setdefault(line.award.pk, (line.award, []))[1].append(line.funder)
    return {
        "version": "1.4",
        "title": "Aides attribuées — Pépinière",
        "issued": issued.isoformat(),
        "grants": [grant(award, funders) for award, funders in published.values()],
    }


def giving_json(found: Iterable[Line], *, issued: datetime.date) -> str:
    return _dumps(giving_package(found, issued=issued))


def _dumps(package: dict[str, Any]) -> str:
    """JSON with each amount written from its Decimal text (json's pure-Python encoder, given
    a float formatter that reads the exact text back)."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
    chunks = json.encoder._make_iterencode(  # type: ignore[attr-defined]
        {},
        encoder.default,
        json.encoder.py_encode_basestring,
        encoder.indent,
        lambda o: o.text if isinstance(o, _ExactNumber) else float.__repr__(o),
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        True,
    )(package, 0)
    return "".join(chunks) + "\n"
