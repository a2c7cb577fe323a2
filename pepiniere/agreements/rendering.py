"""An agreement version as a document: the call's template filled with the award's fields, laid
out as an A4 PDF/A-3b (WeasyPrint, the letters' machinery); once fully signed, the same text with
the signatures page, the exact PDF both parties signed embedded as an attachment (PDF/A-3 allows
it), then sealed (pepiniere.agreements.signing)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from pepiniere.agreements import templating
from pepiniere.agreements.models import AgreementTemplate, AgreementVersion, Signature, Trigger
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award
from pepiniere.grants.services import policy_for
from pepiniere.lib.dates import long_datetime
from pepiniere.lib.htmlpdf import font_face_css, html_to_pdf

PDF_VARIANT = "pdf/a-3b"
_CACHE: ContextVar[Path | None] = ContextVar("agreement_pdf_cache", default=None)


@contextlib.contextmanager
def pdf_cache(folder: Path) -> Iterator[None]:
    """Within the block, a PDF to sign whose exact HTML was rendered before is read back from
    `folder` instead of being laid out again (the demo's 2015 history: the same text every
    build, about 0.4 s of WeasyPrint each). The bytes reused are the ones stored and hashed."""
    token = _CACHE.set(folder)
    try:
        yield
    finally:
        _CACHE.reset(token)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def template_of(call: Call) -> tuple[str, str]:
    """The call's template text and the funder's address printed in the parties."""
    try:
        saved = call.agreement_template
    except AgreementTemplate.DoesNotExist:
        return templating.default_template(), ""
    return saved.body, saved.funder_address


def context_for(
    *,
    award: Award,
    reference: str,
    number: int,
    purpose: str,
    amount: Any,
    aid_rate: Any,
    eligible_budget: Any,
    start_date: Any,
    end_date: Any,
    steps: list[templating.Step],
    funder_address: str,
) -> dict[str, Any]:
    application = award.application
    organisation = application.organisation
    call = application.call
    policy = policy_for(call)
    legal_form = organisation.legal_form.label if organisation.legal_form else ""
    return templating.agreement_context(
        beneficiary={
            "name": organisation.name,
            "legal_form": legal_form,
            "siret": organisation.siret,
            "rna": organisation.rna,
            "address": organisation.postal_address,
            "representative": organisation.representative_name,
            "representative_title": organisation.representative_title,
            "association": organisation.kind == "association",
        },
        funder={
            "name": call.funder.name,
            "siret": call.funder.siret,
            "address": funder_address,
            "signatory": policy.signatory,
            "signatory_title": policy.signatory_title,
        },
        reference=reference,
        number=number,
        purpose=purpose,
        start_date=start_date,
        end_date=end_date,
        project={
            "title": application.title,
            "summary": application.summary,
            "reference": application.reference or "",
        },
        call={"title": call.title, "programme": call.programme.title},
        amount=amount,
        aid_rate=aid_rate,
        eligible_budget=eligible_budget,
        decision_reference=award.decision_reference,
        decision_date=award.decision_date,
        de_minimis=award.de_minimis,
        schedule=steps,
        place=policy.letter_place,
    )


def steps_of(version: AgreementVersion) -> list[templating.Step]:
    return [
        templating.Step(s.percent, str(Trigger(s.trigger).label), s.label)
        for s in version.schedule.all()
    ]


def body_for(version: AgreementVersion) -> str:
    """The version's text from the call's current template (frozen in body_html when sent)."""
    agreement = version.agreement
    text, funder_address = template_of(agreement.award.application.call)
    context = context_for(
        award=agreement.award,
        reference=agreement.reference,
        number=version.number,
        purpose=version.purpose,
        amount=version.amount,
        aid_rate=version.aid_rate,
        eligible_budget=version.eligible_budget,
        start_date=version.start_date,
        end_date=version.end_date,
        steps=steps_of(version),
        funder_address=funder_address,
    )
    return templating.render(text, context)


def _document(
    version: AgreementVersion, body_html: str, signatures: list[dict[str, str]], digest: str
) -> str:
    agreement = version.agreement
    funder = agreement.award.application.call.funder.name
    return render_to_string(
        "agreements/pdf/document.html",
        {
            "title": f"{agreement.reference} — {version.label}",
            "font_face": mark_safe(font_face_css()),  # noqa: S308 - our own CSS, no user input
            "funder": funder,
            "reference": agreement.reference,
            "version_label": version.label,
            "body": mark_safe(body_html),  # noqa: S308 - autoescaped by the sandboxed engine
            "signatures": signatures,
            "document_sha256": digest,
            "labels": {
                "signatures": _("Page des signatures"),
                "intro": _(
                    "Les parties ont signé électroniquement, sur la plateforme Pépinière, le "
                    "document PDF joint à ce fichier (« convention-signee.pdf »), dont "
                    "l'empreinte est :"
                ),
                "document_hash": _("SHA-256 du document signé :"),
                "side": _("Partie"),
                "signer": _("Signataire"),
                "when": _("Date et heure (Paris)"),
                "how": _("Procédé"),
                "seal": _(
                    "Ce fichier est scellé par une signature électronique au format PAdES : un "
                    "lecteur PDF indique qu'il n'a pas été modifié depuis son scellement."
                ),
            },
        },
    )


def render_pdf(version: AgreementVersion, body_html: str) -> bytes:
    """The PDF to sign (what each signatory is shown and whose SHA-256 they sign)."""
    html = _document(version, body_html, [], "")
    folder = _CACHE.get()
    if folder is None:
        return html_to_pdf(html, variant=PDF_VARIANT)
    path = folder / f"{sha256(html.encode())}.pdf"
    if path.exists():
        return path.read_bytes()
    pdf = html_to_pdf(html, variant=PDF_VARIANT)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(pdf)
    temporary.replace(path)
    return pdf


def _signature_rows(signatures: list[Signature]) -> list[dict[str, str]]:
    return [
        {
            "side": str(s.get_side_display()).capitalize(),
            "name": s.signer_name,
            "title": s.signer_title,
            "account": s.signer.email,
            "when": long_datetime(s.signed_at, seconds=True),
            "how": (
                _(
                    "signature électronique sur la plateforme, consentement exprès, adresse IP %(ip)s"
                )
                % {"ip": s.ip_address or "—"}
                if s.method == "platform"
                else s.method
            ),
            "sha256": s.sha256,
        }
        for s in signatures
    ]


def render_signed_pdf(version: AgreementVersion, signed_pdf: bytes) -> bytes:
    """The fully signed document before sealing: the text, the signatures page listing both
    signatures with the SHA-256 they signed, and the signed PDF itself attached."""
    signatures = list(version.signatures.select_related("signer").order_by("signed_at"))
    html = _document(version, version.body_html, _signature_rows(signatures), sha256(signed_pdf))
    return html_to_pdf(
        html,
        variant=PDF_VARIANT,
        attachments=[
            (
                "convention-signee.pdf",
                signed_pdf,
                _("Le document signé par les parties (SHA-256 %(h)s)") % {"h": sha256(signed_pdf)},
            )
        ],
    )
