"""The submission receipt (récépissé de dépôt) as a real PDF."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application, ApplicationVersion
from pepiniere.lib.dates import long_date
from pepiniere.lib.money import format_eur
from pepiniere.lib.pdf import FAMILY, new_pdf


def receipt_pdf(application: Application, version: ApplicationVersion) -> bytes:
    call = application.call
    pdf = new_pdf(title=_("Récépissé de dépôt %(ref)s") % {"ref": application.reference})
    pdf.set_creation_date(version.submitted_at)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.cell(0, 10, _("Récépissé de dépôt"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    pdf.multi_cell(0, 6, call.funder.name + " - " + call.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    submitted = timezone.localtime(version.submitted_at)
    rows = [
        (_("Référence"), application.reference or ""),
        (_("Version"), str(version.number)),
        (_("Structure"), application.organisation.name),
        (_("Identifiant"), application.organisation.identifier),
        (_("Projet"), version.title),
        (
            _("Montant demandé"),
            format_eur(version.requested_amount) if version.requested_amount else "-",
        ),
        (
            _("Budget du projet"),
            format_eur(version.project_budget) if version.project_budget else "-",
        ),
        (
            _("Déposé le"),
            _("%(date)s à %(time)s (heure de Paris)")
            % {
                "date": long_date(submitted),
                "time": submitted.strftime("%H:%M:%S"),
            },
        ),
        (_("Déposé par"), f"{version.submitted_by.full_name} <{version.submitted_by.email}>"),
        (_("Pièces jointes"), str(len(version.attachments))),
    ]
    for label, value in rows:
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(50, 7, label)
        pdf.set_font(FAMILY, "", 11)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(
        0,
        5,
        _(
            "Ce récépissé atteste le dépôt du dossier avant la date limite de l'appel. Il ne vaut pas "
            "décision d'attribution. Empreinte des réponses déposées : %(digest)s"
        )
        % {"digest": version_digest(version)},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for attachment in version.attachments:
        pdf.multi_cell(
            0,
            5,
            f"- {attachment['name']} (SHA-256 {attachment['sha256'][:16]}...)",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def version_digest(version: ApplicationVersion) -> str:
    import hashlib
    import json

    payload = json.dumps(
        {"answers": version.answers, "attachments": version.attachments},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]
