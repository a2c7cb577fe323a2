"""Award workflows: the award (with its co-funding shares, budget commitment and de minimis check),
call policy, co-funders' contributions, and the de minimis declarations of applicants."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.fr import siren as siren_number

from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application, Status
from pepiniere.applications.permissions import is_member
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import funder_ids_of_call
from pepiniere.grants import budget, deminimis, hooks
from pepiniere.grants.models import (
    AidRecord,
    AidSource,
    Award,
    AwardShare,
    BudgetLine,
    BudgetScope,
    CallPolicy,
    LinkedUndertaking,
    LinkRelation,
    LinkStatus,
)
from pepiniere.grants.permissions import (
    can_award,
    can_confirm_link,
    can_declare_aid,
    can_set_policy,
)
from pepiniere.lib.dates import long_date
from pepiniere.lib.money import CENT, format_eur, from_cents
from pepiniere.organisations.models import Organisation
from pepiniere.programmes.models import Funder


class AwardError(Exception):
    def __init__(self, message: str, *, kind: str = "invalid", figures: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # "invalid", "budget", "de_minimis", "forbidden"
        self.figures = figures


def policy_for(call: Call) -> CallPolicy:
    """The call's policy, defaults when none was saved (read only: nothing is written)."""
    try:
        return call.grant_policy
    except CallPolicy.DoesNotExist:
        return CallPolicy(call=call)


def suggested_amount(application: Application) -> Decimal:
    """The amount the scenario sent to the jury funds, else the amount requested."""
    from pepiniere.selection.selectors import sent_scenario

    scenario = sent_scenario(application.call_id)
    if scenario is not None and application.pk in scenario.funded:
        return from_cents(scenario.funded[application.pk])
    return application.requested_amount or Decimal("0")


def _check_shares(call: Call, amount: Decimal, shares: dict[int, Decimal]) -> dict[int, Decimal]:
    allowed = funder_ids_of_call(call)
    cleaned = {}
    for funder_id, part in shares.items():
        if funder_id not in allowed:
            raise AwardError(_("Ce financeur ne cofinance pas cet appel."))
        if part < 0 or part != part.quantize(CENT):
            raise AwardError(_("Chaque part est un montant positif, au centime près."))
        if part:
            cleaned[funder_id] = part
    total = sum(cleaned.values(), Decimal("0"))
    if total != amount:
        raise AwardError(
            _(
                "La somme des parts des financeurs (%(total)s) doit être égale au montant de l'aide "
                "(%(amount)s) : écart de %(gap)s."
            )
            % {
                "total": format_eur(total),
                "amount": format_eur(amount),
                "gap": format_eur(amount - total),
            }
        )
    return cleaned


@transaction.atomic
def award_grant(
    *,
    application: Application,
    actor: Any,
    amount: Decimal,
    decision_reference: str,
    decision_date: datetime.date,
    shares: dict[int, Decimal] | None = None,
    now: datetime.datetime | None = None,
) -> Award:
    """Award a selected application: check the amount, the co-funding shares and the de minimis
    ceiling, commit the budget lines (refused by the database beyond an envelope), record the
    award and its de minimis aid, move the application to "awarded". All or nothing."""
    now = now or timezone.now()
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "call__funder", "call__programme", "call__axis", "organisation")
        .get(pk=application.pk)
    )
    call = application.call
    verdict = can_award(actor, call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    if application.status != Status.SELECTED:
        raise AwardError(
            _("Seul un dossier retenu par le jury reçoit une aide ; ce dossier est « %(s)s ».")
            % {"s": application.get_status_display()}
        )
    if amount <= 0 or amount != amount.quantize(CENT):
        raise AwardError(_("Le montant de l'aide est un montant positif, au centime près."))
    if application.requested_amount is not None and amount > application.requested_amount:
        raise AwardError(
            _("L'aide (%(amount)s) ne peut pas dépasser le montant demandé (%(requested)s).")
            % {"amount": format_eur(amount), "requested": format_eur(application.requested_amount)}
        )
    reference = decision_reference.strip()
    if not reference:
        raise AwardError(_("Indiquez la référence de la décision (délibération, arrêté)."))
    if decision_date > timezone.localdate(now):
        raise AwardError(_("La date de la décision ne peut pas être dans le futur."))
    parts = _check_shares(call, amount, shares if shares is not None else {call.funder_id: amount})
    policy = policy_for(call)
    if policy.de_minimis:
        ids = deminimis.lock_undertaking(application.organisation)
        check = deminimis.check_ceiling(
            ids[0], amount, decision_date, records=deminimis.records_of(ids)
        )
        if not check.allowed:
            raise AwardError(
                deminimis.refusal_message(check, application.organisation.name),
                kind="de_minimis",
                figures=check,
            )
    try:
        budget.commit(call=call, amount=amount, shares=parts)
    except budget.BudgetExceeded as exc:
        raise AwardError(exc.message, kind="budget", figures=exc.line) from None
    from pepiniere.selection.selectors import sent_scenario

    award = Award.objects.create(
        application=application,
        amount=amount,
        decision_reference=reference,
        decision_date=decision_date,
        scenario=sent_scenario(call),
        de_minimis=policy.de_minimis,
        awarded_by=actor,
        awarded_at=now,
    )
    funders = Funder.objects.in_bulk(parts)
    AwardShare.objects.bulk_create(
        [AwardShare(award=award, funder=funders[f], amount=a) for f, a in parts.items()]
    )
    if policy.de_minimis:
        AidRecord.objects.create(
            organisation=application.organisation,
            source=AidSource.AWARD,
            award=award,
            funder_name=", ".join(funders[f].name for f in parts),
            amount=amount,
            granted_on=decision_date,
            reference=reference,
            recorded_by=actor,
            recorded_at=now,
        )
    reason = _("Décision %(ref)s du %(date)s : %(amount)s (%(shares)s).") % {
        "ref": reference,
        "date": long_date(decision_date),
        "amount": format_eur(amount),
        "shares": ", ".join(f"{funders[f].name} {format_eur(a)}" for f, a in parts.items()),
    }
    application_services.award_application(
        application=application, actor=actor, reason=reason, now=now
    )
    hooks.announce_award(award=award, actor=actor)
    return award


@transaction.atomic
def set_call_policy(
    *,
    call: Call,
    actor: Any,
    letters_show_scores: bool,
    letters_show_comments: bool,
    de_minimis: bool,
    signatory: str = "",
    signatory_title: str | None = None,
    letter_place: str | None = None,
    letter_contact: str | None = None,
) -> CallPolicy:
    verdict = can_set_policy(actor, call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    if not de_minimis and Award.objects.filter(application__call=call, de_minimis=True).exists():
        raise AwardError(
            _(
                "Des aides de minimis ont déjà été attribuées sur cet appel : le régime ne peut plus changer."
            )
        )
    policy, _created = CallPolicy.objects.update_or_create(
        call=call,
        defaults={
            "letters_show_scores": letters_show_scores,
            "letters_show_comments": letters_show_comments,
            "de_minimis": de_minimis,
            "signatory": signatory.strip()[:200],
            # None: left as it is (callers that do not show these fields).
            **{
                name: value.strip()[:limit]
                for name, value, limit in (
                    ("signatory_title", signatory_title, 200),
                    ("letter_place", letter_place, 100),
                    ("letter_contact", letter_contact, 200),
                )
                if value is not None
            },
        },
    )
    record(
        actor=actor,
        obj=call,
        action="set_grant_policy",
        reason=_("notes : %(s)s ; avis : %(c)s ; de minimis : %(d)s")
        % {
            "s": _("oui") if letters_show_scores else _("non"),
            "c": _("oui") if letters_show_comments else _("non"),
            "d": _("oui") if de_minimis else _("non"),
        },
        public=False,
    )
    return policy


@transaction.atomic
def set_co_funding(*, call: Call, funder: Funder, amount: Decimal, actor: Any) -> BudgetLine:
    """A co-funder's contribution to the call's envelope (the lead funder brings the rest)."""
    verdict = can_award(actor, call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    if funder.pk == call.funder_id or funder.pk not in funder_ids_of_call(call):
        raise AwardError(_("Ce financeur n'est pas cofinanceur de cet appel."))
    if amount < 0:
        raise AwardError(_("Un apport est un montant positif."))
    others = sum((v for k, v in budget.co_funding(call).items() if k != funder.pk), Decimal("0"))
    if others + amount > call.envelope:
        raise AwardError(
            _(
                "Les apports des cofinanceurs (%(total)s) dépasseraient l'enveloppe de l'appel (%(envelope)s)."
            )
            % {"total": format_eur(others + amount), "envelope": format_eur(call.envelope)}
        )
    line, created = BudgetLine.objects.get_or_create(
        scope=BudgetScope.FUNDER, funder=funder, call=call, defaults={"envelope": amount}
    )
    if not created:
        line.envelope = amount
        try:
            with transaction.atomic():
                BudgetLine.objects.filter(pk=line.pk).update(envelope=amount)
        except IntegrityError:
            line.refresh_from_db()
            raise AwardError(
                _(
                    "L'apport de %(f)s (%(amount)s) serait inférieur à ce qu'il a déjà engagé (%(c)s)."
                )
                % {"f": funder.name, "amount": format_eur(amount), "c": format_eur(line.committed)}
            ) from None
    try:
        budget.ensure_lines(call)
    except budget.BudgetExceeded as exc:
        raise AwardError(exc.message, kind="budget") from None
    record(
        actor=actor,
        obj=call,
        action="set_co_funding",
        reason=f"{funder.name}: {format_eur(amount)}",
        public=False,
    )
    return line


def _check_siren(text: str) -> str:
    value = "".join(text.split())
    if not value:
        return ""
    try:
        return siren_number.validate(value)
    except Exception:
        raise AwardError(
            _(
                "SIREN invalide : 9 chiffres dont le dernier est une clé de contrôle (formule de Luhn)."
            )
        ) from None


@transaction.atomic
def declare_linked_undertaking(
    *, organisation: Organisation, actor: Any, name: str, relation: str, siren: str = ""
) -> LinkedUndertaking:
    verdict = can_declare_aid(actor, organisation)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    if not name.strip():
        raise AwardError(_("Indiquez la raison sociale de l'entreprise liée."))
    if relation not in LinkRelation.values:
        raise AwardError(_("Choisissez la nature du lien."))
    siren = _check_siren(siren)
    if siren and siren == organisation.siren:
        raise AwardError(_("Une structure n'est pas liée à elle-même."))
    linked = (
        Organisation.objects.filter(siren=siren).exclude(pk=organisation.pk).first()
        if siren
        else None
    )
    if LinkedUndertaking.objects.filter(organisation=organisation, name=name.strip()).exists():
        raise AwardError(_("Cette entreprise liée est déjà déclarée."))
    now = timezone.now()
    # The linked organisation already declared this organisation as linked to it: this
    # declaration, by a member of the other side, confirms that one, and is itself confirmed.
    reverse = (
        LinkedUndertaking.objects.select_for_update()
        .filter(organisation=linked, linked_organisation=organisation, status=LinkStatus.DECLARED)
        .first()
        if linked is not None
        else None
    )
    link = LinkedUndertaking.objects.create(
        organisation=organisation,
        name=name.strip()[:200],
        siren=siren,
        linked_organisation=linked,
        relation=relation,
        declared_by=actor,
        declared_at=now,
        status=LinkStatus.CONFIRMED if reverse else LinkStatus.DECLARED,
        confirmed_by=actor if reverse else None,
        confirmed_at=now if reverse else None,
    )
    record(actor=actor, obj=organisation, action="declare_linked_undertaking", reason=link.name)
    if reverse is not None:
        _decide_link(link=reverse, actor=actor, confirm=True, now=now)
    return link


def _decide_link(
    *, link: LinkedUndertaking, actor: Any, confirm: bool, now: datetime.datetime
) -> LinkedUndertaking:
    before = link.status
    link.status = LinkStatus.CONFIRMED if confirm else LinkStatus.REFUSED
    link.confirmed_by = actor
    link.confirmed_at = now
    link.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    assert link.linked_organisation is not None
    for organisation in (link.organisation, link.linked_organisation):
        record(
            actor=actor,
            obj=organisation,
            action="confirm_linked_undertaking" if confirm else "contest_linked_undertaking",
            from_state=before,
            to_state=link.status,
            reason=f"{link.organisation.name} ↔ {link.linked_organisation.name}",
            public=False,
        )
    return link


@transaction.atomic
def decide_linked_undertaking(
    *, link: LinkedUndertaking, actor: Any, confirm: bool, call: Call | None = None
) -> LinkedUndertaking:
    """The linked organisation (a member) or an officer (acting from `call`) confirms a declared
    link, which then joins the two ledgers both ways, or contests it, which keeps them apart.
    An officer may also undo a confirmation (contest a confirmed link); a member only decides a
    link still awaiting confirmation."""
    link = (
        LinkedUndertaking.objects.select_for_update(of=("self",))
        .select_related("organisation", "linked_organisation")
        .get(pk=link.pk)
    )
    verdict = can_confirm_link(actor, link, call=call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    officer = call is not None and not is_member(actor, link.linked_organisation_id or 0)
    if link.status != LinkStatus.DECLARED and not officer:
        raise AwardError(
            _("Ce lien a déjà été %(s)s.") % {"s": link.get_status_display()}, kind="invalid"
        )
    target = LinkStatus.CONFIRMED if confirm else LinkStatus.REFUSED
    if link.status == target:
        return link
    return _decide_link(link=link, actor=actor, confirm=confirm, now=timezone.now())


def _new_aid(
    *,
    organisation: Organisation,
    source: str,
    funder_name: str,
    amount: Decimal,
    granted_on: datetime.date,
    actor: Any,
    beneficiary_name: str = "",
    reference: str = "",
) -> AidRecord:
    if not funder_name.strip():
        raise AwardError(_("Indiquez le financeur qui a accordé l'aide."))
    if amount <= 0 or amount != amount.quantize(CENT):
        raise AwardError(_("Le montant de l'aide est un montant positif, au centime près."))
    if granted_on > timezone.localdate():
        raise AwardError(_("La date d'octroi ne peut pas être dans le futur."))
    if (
        beneficiary_name
        and not LinkedUndertaking.objects.filter(
            organisation=organisation, name=beneficiary_name
        ).exists()
    ):
        raise AwardError(_("Déclarez d'abord cette entreprise liée."))
    aid = AidRecord.objects.create(
        organisation=organisation,
        beneficiary_name=beneficiary_name,
        source=source,
        funder_name=funder_name.strip()[:200],
        amount=amount,
        granted_on=granted_on,
        reference=reference.strip()[:100],
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    record(
        actor=actor,
        obj=organisation,
        action=f"{source}_aid",
        reason=f"{aid.funder_name} {format_eur(amount)} {long_date(granted_on)}",
        public=source == AidSource.DECLARED,
    )
    return aid


@transaction.atomic
def declare_aid(
    *,
    organisation: Organisation,
    actor: Any,
    funder_name: str,
    amount: Decimal,
    granted_on: datetime.date,
    beneficiary_name: str = "",
    reference: str = "",
) -> AidRecord:
    """De minimis aid from another funder, declared by a member of the organisation."""
    verdict = can_declare_aid(actor, organisation)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    return _new_aid(
        organisation=organisation,
        source=AidSource.DECLARED,
        funder_name=funder_name,
        amount=amount,
        granted_on=granted_on,
        actor=actor,
        beneficiary_name=beneficiary_name,
        reference=reference,
    )


@transaction.atomic
def import_aid(
    *,
    organisation: Organisation,
    funder_name: str,
    amount: Decimal,
    granted_on: datetime.date,
    reference: str = "",
    actor: Any = None,
) -> AidRecord:
    """Aid known from another register (e.g. an export of a State aid register), by a trusted
    import run by staff or a command: no member permission involved."""
    return _new_aid(
        organisation=organisation,
        source=AidSource.IMPORTED,
        funder_name=funder_name,
        amount=amount,
        granted_on=granted_on,
        actor=actor,
        reference=reference,
    )


def _share_changes(shares: list[AwardShare], old: Decimal, new: Decimal) -> dict[int, Decimal]:
    """Each funder's new part when the award goes from `old` to `new`: pro rata of its part, in
    whole cents, the rounding left on the largest part (shares are ordered largest first)."""
    new_cents = round(new * 100)
    old_cents = round(old * 100)
    parts = {s.funder_id: round(s.amount * 100) * new_cents // old_cents for s in shares}
    parts[shares[0].funder_id] += new_cents - sum(parts.values())
    return {funder_id: Decimal(cents) / 100 for funder_id, cents in parts.items()}


@transaction.atomic
def amend_award_amount(
    *, award: Award, amount: Decimal, actor: Any, now: datetime.datetime | None = None
) -> Award:
    """An amendment (avenant) changes the aid's amount. A higher amount commits the difference on
    every budget line (refused by the database beyond an envelope) and passes the de minimis
    ceiling again, counted at the date of the amendment; a lower amount releases the difference.
    The co-funders' shares follow pro rata; the de minimis record carries the new amount. All or
    nothing, in the caller's transaction (the amendment's full signature)."""
    now = now or timezone.now()
    award = (
        Award.objects.select_for_update(of=("self",))
        .select_related("application__call", "application__organisation")
        .get(pk=award.pk)
    )
    application = award.application
    call = application.call
    verdict = can_award(actor, call)
    if not verdict:
        raise AwardError(verdict.reason, kind="forbidden")
    if amount <= 0 or amount != amount.quantize(CENT):
        raise AwardError(_("Le montant de l'aide est un montant positif, au centime près."))
    old = award.amount
    if amount == old:
        return award
    shares = list(award.shares.order_by("-amount", "funder_id"))
    parts = _share_changes(shares, old, amount)
    moves = {s.funder_id: abs(parts[s.funder_id] - s.amount) for s in shares}
    difference = amount - old
    if difference > 0:
        if award.de_minimis:
            ids = deminimis.lock_undertaking(application.organisation)
            check = deminimis.check_ceiling(
                ids[0], difference, timezone.localdate(now), records=deminimis.records_of(ids)
            )
            if not check.allowed:
                raise AwardError(
                    deminimis.refusal_message(check, application.organisation.name),
                    kind="de_minimis",
                    figures=check,
                )
        try:
            budget.commit(call=call, amount=difference, shares=moves)
        except budget.BudgetExceeded as exc:
            raise AwardError(exc.message, kind="budget", figures=exc.line) from None
    else:
        try:
            budget.release_commitment(call=call, amount=-difference, shares=moves)
        except budget.LedgerRefused as exc:
            raise AwardError(exc.message, kind="budget") from None
    award.amount = amount
    award.save(update_fields=["amount"])
    for share in shares:
        share.amount = parts[share.funder_id]
    AwardShare.objects.bulk_update(shares, ["amount"])
    AidRecord.objects.filter(award=award).update(amount=amount)
    record(
        actor=actor,
        obj=application,
        action="amend_award",
        reason=_("Aide modifiée par avenant : %(old)s → %(new)s.")
        % {"old": format_eur(old), "new": format_eur(amount)},
        at=now,
    )
    hooks.announce_amendment(award=award, actor=actor, old_amount=old)
    return award


class _DryRun(Exception):
    pass


def check_award_amount(
    *, award: Award, amount: Decimal, actor: Any, now: datetime.datetime | None = None
) -> None:
    """Whether `amend_award_amount` would accept this amount now (AwardError with the figures
    otherwise): it is run in a savepoint that is always rolled back."""
    try:
        with transaction.atomic():
            amend_award_amount(award=award, amount=amount, actor=actor, now=now)
            raise _DryRun
    except _DryRun:
        pass
