"""Decision letters to selected, awarded, reserve and rejected applicants: the content is frozen
when the officer sends them (reason from the selection or the jury, and, as the call's policy
says, the scores per criterion and the experts' comments), then emailed with the PDF attached."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.grants import letter_templates
from pepiniere.grants.models import CallPolicy, DecisionLetter, LetterTemplate, Outcome
from pepiniere.grants.permissions import can_set_policy
from pepiniere.grants.services import AwardError, policy_for
from pepiniere.lib.dates import long_date
from pepiniere.lib.htmlpdf import font_face_css, html_to_pdf
from pepiniere.lib.money import format_eur

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
    from pepiniere.reviews.ranking import ranking_for

    criteria = list(call.criteria.all())
    out = {}
    for row in ranking_for(call).rows:
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
    from pepiniere.reviews.models import Review

    out: dict[int, list[str]] = {}
    reviews = (
        Review.objects.counted()
        .filter(assignment__application_id__in=ids)
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
    wordings = wordings_of(call)
    layout = layout_of(policy)
    letters = []
    for application, outcome in pending:
        award = awards.get(application.pk)
        letter = DecisionLetter(
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
            layout=layout,
        )
        wording = wordings.get(outcome) or letter_templates.default_wording(outcome)
        context = context_of(letter)
        letter.subject = letter_templates.render(wording.subject, context)[:300]
        letter.body_html = letter_templates.render(wording.body, context)
        letters.append(letter)
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
    values = {
        "call": letter_templates.call_designation(call.title),
        "project": application.title,
        "ref": application.reference,
    }
    if letter.outcome == Outcome.AWARDED:
        return _(
            "Nous avons le plaisir de vous informer qu'une aide de %(amount)s est attribuée à votre "
            "projet « %(project)s » (dossier %(ref)s), présenté à l'%(call)s, "
            "par la décision %(decision)s du %(date)s."
        ) % {
            **values,
            "amount": format_eur(letter.amount),
            "decision": letter.decision_reference,
            "date": long_date(letter.decision_date) if letter.decision_date else "",
        }
    if letter.outcome == Outcome.SELECTED:
        return (
            _(
                "Nous avons le plaisir de vous informer que le jury a retenu votre projet « %(project)s » "
                "(dossier %(ref)s), présenté à l'%(call)s. Le montant de l'aide sera "
                "fixé par la décision d'attribution, qui vous sera notifiée."
            )
            % values
        )
    if letter.outcome == Outcome.RESERVE:
        return (
            _(
                "Le jury a inscrit votre projet « %(project)s » (dossier %(ref)s), présenté à "
                "l'%(call)s, sur la liste complémentaire : il pourra être financé si des crédits "
                "se libèrent. Nous vous tiendrons informé·e."
            )
            % values
        )
    return (
        _(
            "Nous avons le regret de vous informer que votre projet « %(project)s » (dossier %(ref)s), "
            "présenté à l'%(call)s, n'a pas été retenu."
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


def wordings_of(call: Call) -> dict[str, letter_templates.Wording]:
    """The call's own templates, by decision kind (kinds without one use the default)."""
    return {
        t.outcome: letter_templates.Wording(subject=t.subject, body=t.body)
        for t in LetterTemplate.objects.filter(call=call)
    }


def layout_of(policy: CallPolicy) -> dict[str, str]:
    return {
        "place": policy.letter_place,
        "contact": policy.letter_contact,
        "signatory_title": policy.signatory_title,
    }


def context_of(letter: DecisionLetter) -> dict[str, Any]:
    application = letter.application
    return letter_templates.letter_context(
        organisation=application.organisation.name,
        project=application.title,
        reference=application.reference or "",
        call_title=application.call.title,
        funder=application.call.funder.name,
        outcome=letter.outcome,
        reason=letter.reason,
        amount=letter.amount,
        decision_reference=letter.decision_reference,
        decision_date=letter.decision_date,
        scores=letter.scores,
        comments=letter.comments,
    )


# French typography: no line break inside « … » nor before : ; ? ! (no stray « at a line end).
_SPACING = [
    ("« ", "«\u00a0"),
    (" »", "\u00a0»"),
    (" :", "\u00a0:"),
    (" ;", "\u202f;"),
    (" ?", "\u202f?"),
    (" !", "\u202f!"),
]


def french_spacing(text: str) -> str:
    for plain_space, tied in _SPACING:
        text = text.replace(plain_space, tied)
    return text


def render_letter_pdf(
    *,
    funder: str,
    reference: str,
    address: list[str],
    sent_on: datetime.date,
    subject: str,
    body_html: str,
    signatory: str,
    layout: dict[str, str],
    decision_reference: str = "",
) -> bytes:
    """The letter's layout (letterhead, references, address in the envelope window, place and
    date, object, body, signature) around a body already rendered by `letter_templates`."""
    place = layout.get("place", "")
    date = long_date(sent_on)
    html = render_to_string(
        "grants/letters/letter.html",
        {
            "title": french_spacing(_("Décision — %(ref)s") % {"ref": reference}),
            "font_face": mark_safe(font_face_css()),  # noqa: S308 - our own CSS, no user input
            "funder": funder,
            "reference": reference,
            "decision_reference": decision_reference,
            "contact": layout.get("contact", ""),
            "address": [line for line in address if line],
            "place_date": _("%(place)s, le %(date)s") % {"place": place, "date": date}
            if place
            else _("Le %(date)s") % {"date": date},
            "subject": french_spacing(subject),
            "body": mark_safe(french_spacing(body_html)),  # noqa: S308 - autoescaped by letter_templates
            "signatory": signatory or _("Pour %(f)s") % {"f": funder},
            "signatory_title": layout.get("signatory_title", ""),
            "labels": {
                "refs": _("Nos réf. :"),
                "decision": _("Décision :"),
                "contact": _("Affaire suivie par :"),
                "subject": _("Objet :"),
            },
        },
    )
    return html_to_pdf(html)


def _address(application: Application) -> list[str]:
    organisation = application.organisation
    return [
        organisation.name,
        _("SIRET %(s)s") % {"s": organisation.siret} if organisation.siret else "",
        organisation.commune_name.upper(),
    ]


def letter_pdf(letter: DecisionLetter) -> bytes:
    """The PDF of a sent letter, from its frozen wording (letters sent before templates existed
    are worded by the default template of their kind)."""
    application = letter.application
    subject, body = letter.subject, letter.body_html
    if not body:
        wording = letter_templates.default_wording(letter.outcome)
        context = context_of(letter)
        subject = letter_templates.render(wording.subject, context)
        body = letter_templates.render(wording.body, context)
    return render_letter_pdf(
        funder=application.call.funder.name,
        reference=application.reference or "",
        address=_address(application),
        sent_on=timezone.localtime(letter.sent_at).date(),
        subject=subject,
        body_html=body,
        signatory=letter.signatory,
        layout=letter.layout or {},
        decision_reference=letter.decision_reference,
    )


def preview_pdf(*, call: Call, outcome: str, subject: str, body: str) -> bytes:
    """A fictional letter of the kind, worded by the (checked) template being edited."""
    policy = policy_for(call)
    context = letter_templates.sample_context(
        outcome, call_title=call.title, funder=call.funder.name
    )
    return render_letter_pdf(
        funder=call.funder.name,
        reference=context["dossier"],
        address=[context["organisation"], "SIRET 000 000 000 00000", "BORDEAUX"],
        sent_on=timezone.localdate(),
        subject=letter_templates.render(subject, context),
        body_html=letter_templates.render(body, context),
        signatory=policy.signatory,
        layout=layout_of(policy),
        decision_reference=context["reference_decision"],
    )


@transaction.atomic
def save_letter_template(
    *, call: Call, outcome: str, subject: str, body: str, actor: Any
) -> LetterTemplate:
    """The officers' wording of one kind of letter for the call, checked before it is saved; the
    letters sent from then on use it (those already sent keep theirs)."""
    verdict = can_set_policy(actor, call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    if outcome not in Outcome.values:
        raise AwardError(_("Type de courrier inconnu."))
    subject, body = " ".join(subject.split()), body.strip()
    if not subject or not body:
        raise AwardError(_("L'objet et le corps du courrier sont obligatoires."))
    try:
        letter_templates.check_template(subject, label=_("Objet"), outcome=outcome)
        letter_templates.check_template(body, label=_("Corps du courrier"), outcome=outcome)
    except letter_templates.TemplateRefused as refused:
        raise AwardError(refused.message) from None
    template, created = LetterTemplate.objects.update_or_create(
        call=call,
        outcome=outcome,
        defaults={
            "subject": subject[:300],
            "body": body,
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    record(
        actor=actor,
        obj=call,
        action="set_letter_template",
        reason=str(Outcome(outcome).label),
        public=False,
    )
    return template


@transaction.atomic
def reset_letter_template(*, call: Call, outcome: str, actor: Any) -> None:
    """Back to the default wording of the kind."""
    verdict = can_set_policy(actor, call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    deleted, _rows = LetterTemplate.objects.filter(call=call, outcome=outcome).delete()
    if deleted:
        record(
            actor=actor,
            obj=call,
            action="reset_letter_template",
            reason=str(Outcome(outcome).label),
            public=False,
        )
