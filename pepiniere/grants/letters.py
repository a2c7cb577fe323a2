"""Decision letters to selected, awarded, reserve and rejected applicants: the content is frozen
when the officer sends them (reason from the selection or the jury, and, as the call's policy
says, the scores per criterion and the experts' comments), then emailed with the PDF attached."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.grants.models import DecisionLetter, Outcome
from pepiniere.grants.permissions import can_set_policy
from pepiniere.grants.services import AwardError, policy_for
from pepiniere.lib.money import format_eur
from pepiniere.lib.pdf import FAMILY, new_pdf

# Keyed by the stored status string (Status members are str).
OUTCOME_BY_STATUS: dict[str, Outcome] = {
    Status.AWARDED: Outcome.AWARDED,
    Status.CONTRACTED: Outcome.AWARDED,
    Status.SELECTED: Outcome.SELECTED,
    Status.RESERVE: Outcome.RESERVE,
    Status.REJECTED: Outcome.REJECTED,
}


def pending_letters(call: Call) -> list[tuple[Application, str]]:
    """Decided applications whose current decision has no letter yet."""
    sent = set(
        DecisionLetter.objects.filter(application__call=call).values_list(
            "application_id", "outcome"
        )
    )
    applications = (
        Application.objects.filter(call=call, status__in=list(OUTCOME_BY_STATUS))
        .select_related("organisation")
        .order_by("number")
    )
    return [
        (a, OUTCOME_BY_STATUS[a.status])
        for a in applications
        if (a.pk, OUTCOME_BY_STATUS[a.status]) not in sent
    ]


def _scores(call: Call, ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    from pepiniere.reviews.ranking import compute_ranking

    criteria = list(call.criteria.all())
    out = {}
    for row in compute_ranking(call).rows:
        if row.application.pk in ids:
            out[row.application.pk] = [
                {
                    "criterion": c.title,
                    "mean": round(row.criterion_means[c.pk], 2),
                    "max": float(c.scale_max),
                }
                for c in criteria
                if c.pk in row.criterion_means
            ]
    return out


def _comments(ids: set[int]) -> dict[int, list[str]]:
    from pepiniere.reviews.models import Review, ReviewStatus

    out: dict[int, list[str]] = {}
    reviews = (
        Review.objects.filter(assignment__application_id__in=ids, status=ReviewStatus.SUBMITTED)
        .exclude(overall_comment="")
        .order_by("assignment__application_id", "submitted_at", "pk")
        .values_list("assignment__application_id", "overall_comment")
    )
    for application_id, comment in reviews:
        out.setdefault(application_id, []).append(comment.strip())
    return out


@transaction.atomic
def send_decision_letters(
    *, call: Call, actor: Any, now: datetime.datetime | None = None
) -> list[DecisionLetter]:
    """One letter per decided application and decision, never twice (sending again only sends
    what is new, e.g. the award letter after the "selected" one)."""
    verdict = can_set_policy(actor, call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    now = now or timezone.now()
    policy = policy_for(call)
    pending = pending_letters(call)
    ids = {a.pk for a, _outcome in pending}
    scores = _scores(call, ids) if policy.letters_show_scores and ids else {}
    comments = _comments(ids) if policy.letters_show_comments and ids else {}
    from pepiniere.grants.models import Award

    awards = {a.application_id: a for a in Award.objects.filter(application_id__in=ids)}
    letters = []
    for application, outcome in pending:
        award = awards.get(application.pk)
        letters.append(
            DecisionLetter(
                application=application,
                outcome=outcome,
                reason=application.decision_reason or "",
                amount=award.amount if award else None,
                decision_reference=award.decision_reference if award else "",
                decision_date=award.decision_date if award else None,
                scores=scores.get(application.pk, []),
                comments=comments.get(application.pk, []),
                signatory=policy.signatory,
                sent_by=actor,
                sent_at=now,
            )
        )
    created = DecisionLetter.objects.bulk_create(letters)
    for letter in created:
        record(
            actor=actor,
            obj=letter.application,
            action="decision_letter",
            reason=str(Outcome(letter.outcome).label),
            at=now,
        )
    letter_ids = [letter.pk for letter in created]

    def enqueue() -> None:
        from pepiniere.grants.tasks import email_decision_letter

        for pk in letter_ids:
            email_decision_letter.enqueue(pk)

    transaction.on_commit(enqueue)
    return created


def _opening(letter: DecisionLetter) -> str:
    application = letter.application
    call = application.call
    values = {"call": call.title, "project": application.title, "ref": application.reference}
    if letter.outcome == Outcome.AWARDED:
        return _(
            "Nous avons le plaisir de vous informer qu'une aide de %(amount)s est attribuée à votre "
            "projet « %(project)s » (dossier %(ref)s), présenté à l'appel à projets « %(call)s », "
            "par la décision %(decision)s du %(date)s."
        ) % {
            **values,
            "amount": format_eur(letter.amount),
            "decision": letter.decision_reference,
            "date": formats.date_format(letter.decision_date, "j F Y")
            if letter.decision_date
            else "",
        }
    if letter.outcome == Outcome.SELECTED:
        return (
            _(
                "Nous avons le plaisir de vous informer que le jury a retenu votre projet « %(project)s » "
                "(dossier %(ref)s), présenté à l'appel à projets « %(call)s ». Le montant de l'aide sera "
                "fixé par la décision d'attribution, qui vous sera notifiée."
            )
            % values
        )
    if letter.outcome == Outcome.RESERVE:
        return (
            _(
                "Le jury a inscrit votre projet « %(project)s » (dossier %(ref)s), présenté à l'appel à "
                "projets « %(call)s », sur la liste complémentaire : il pourra être financé si des crédits "
                "se libèrent. Nous vous tiendrons informé·e."
            )
            % values
        )
    return (
        _(
            "Nous avons le regret de vous informer que votre projet « %(project)s » (dossier %(ref)s), "
            "présenté à l'appel à projets « %(call)s », n'a pas été retenu."
        )
        % values
    )


def letter_paragraphs(letter: DecisionLetter) -> list[tuple[str, str]]:
    """The letter as (heading, text) pairs, shared by the PDF and the email."""
    parts = [("", _opening(letter))]
    if letter.reason:
        parts.append((_("Motif"), letter.reason))
    if letter.scores:
        lines = [
            _("%(c)s : %(m)s / %(x)s")
            % {"c": s["criterion"], "m": _num(s["mean"]), "x": _num(s["max"])}
            for s in letter.scores
        ]
        parts.append((_("Notes moyennes des expert·es par critère"), "\n".join(lines)))
    if letter.comments:
        lines = [
            _("Expert·e %(n)d : %(text)s") % {"n": i, "text": text}
            for i, text in enumerate(letter.comments, start=1)
        ]
        parts.append((_("Avis des expert·es"), "\n".join(lines)))
    if letter.outcome == Outcome.REJECTED:
        parts.append(
            (
                _("Voies de recours"),
                _(
                    "Cette décision peut faire l'objet d'un recours gracieux auprès de %(funder)s, ou d'un "
                    "recours contentieux devant le tribunal administratif compétent, dans un délai de deux "
                    "mois à compter de sa notification."
                )
                % {"funder": letter.application.call.funder.name},
            )
        )
    return parts


def _num(value: float) -> str:
    return formats.number_format(value, decimal_pos=2 if value % 1 else 0)


def letter_pdf(letter: DecisionLetter) -> bytes:
    application = letter.application
    call = application.call
    pdf = new_pdf(
        title=_("Décision — %(ref)s") % {"ref": application.reference}, author=call.funder.name
    )
    pdf.set_creation_date(letter.sent_at)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 13)
    pdf.cell(0, 8, call.funder.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    sent = timezone.localtime(letter.sent_at)
    pdf.cell(
        0,
        6,
        _("Le %(date)s") % {"date": formats.date_format(sent, "j F Y")},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    organisation = application.organisation
    for line in (organisation.name, organisation.commune_name, organisation.identifier):
        if line:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(
        0,
        6,
        _("Objet : appel à projets « %(call)s » — décision : %(outcome)s")
        % {"call": call.title, "outcome": Outcome(letter.outcome).label},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font(FAMILY, "", 11)
    pdf.multi_cell(0, 6, _("Madame, Monsieur,"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for heading, text in letter_paragraphs(letter):
        if heading:
            pdf.set_font(FAMILY, "B", 11)
            pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FAMILY, "", 11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.multi_cell(
        0,
        6,
        _(
            "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.multi_cell(
        0,
        6,
        letter.signatory or _("Pour %(f)s") % {"f": call.funder.name},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
