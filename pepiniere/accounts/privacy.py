"""Personal data (GDPR): a person's data export, closing an account, anonymising applications and
the retention policy applied by `pepiniere apply_retention` (README "Personal data").

Anonymising keeps what the impact evaluation counts (the organisation and its figures: size band,
département, legal form; amounts, numbers, dates, choices, scores, statuses) and drops what
identifies a person (names, e-mail addresses, phone numbers, free text, attached files). Rows are
kept (other rows point at them); only their identifying fields are emptied.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from pepiniere.accounts.models import User
from pepiniere.applications.models import (
    Application,
    Attachment,
    Export,
    InformationRequest,
    InternalNote,
    Status,
)
from pepiniere.audit.models import AuditEntry
from pepiniere.audit.services import record
from pepiniere.calls.models import FieldKind, FormField

DAY = datetime.timedelta(days=1)
# The policy (README "Personal data"): how long each kind of record keeps identities.
DRAFT_RETENTION = 365 * DAY  # drafts never submitted, after the call's deadline: deleted
REFUSED_RETENTION = 5 * 365 * DAY  # ineligible, rejected, withdrawn, after the deadline: anonymised
REVIEW_COMMENT_RETENTION = 5 * 365 * DAY  # experts' comments, after the deadline (scores kept)
LOGIN_LOG_RETENTION = 183 * DAY  # failed logins (django-axes)
EXPORT_RETENTION = 30 * DAY  # back-office export files (IBANs, SIRETs, every answer)
INACTIVE_ACCOUNT_RETENTION = 3 * 365 * DAY  # accounts unused and without a current application
AUDIT_RETENTION = 10 * 365 * DAY  # audit rows (public aid controls: 10 years)

REFUSED = [Status.INELIGIBLE, Status.REJECTED, Status.WITHDRAWN]
# Answers that are figures or closed choices, kept by anonymisation; everything else is dropped.
KEPT_KINDS = {
    FieldKind.NUMBER,
    FieldKind.AMOUNT,
    FieldKind.DATE,
    FieldKind.CHOICE,
    FieldKind.MULTI_CHOICE,
    FieldKind.YES_NO,
}
CURRENT = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.INCOMPLETE,
    Status.ELIGIBLE,
    Status.IN_REVIEW,
    Status.REVIEWED,
    Status.SELECTED,
    Status.RESERVE,
    Status.AWARDED,
    Status.CONTRACTED,
]
CLOSED_ACCOUNT_NAME = "Compte supprimé"


# --- export --------------------------------------------------------------------------------------


def _when(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def export_personal_data(*, user: User) -> dict[str, Any]:
    """Everything the platform holds about the person, as JSON-ready data (GDPR art. 15 & 20)."""
    from axes.models import AccessFailureLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pepiniere.organisations.models import Membership
    from pepiniere.reviews.models import Review

    applications = (
        Application.objects.filter(created_by=user).select_related("call", "organisation")
    ).order_by("created_at")
    reviews = (
        Review.objects.filter(assignment__reviewer=user)
        .select_related("assignment__application")
        .prefetch_related("scores__criterion")
    )
    return {
        "format": "pepiniere-personal-data-1",
        "exported_at": _when(timezone.now()),
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "roles": sorted(user.role_set),
            "second_factor": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
        "memberships": [
            {"organisation": m.organisation.name, "role": m.role}
            for m in Membership.objects.filter(user=user).select_related("organisation")
        ],
        "applications_created": [
            {
                "reference": a.reference,
                "call": a.call.title,
                "organisation": a.organisation.name,
                "status": a.status,
                "title": a.title,
                "summary": a.summary,
                "answers": a.answers,
                "created_at": _when(a.created_at),
                "submitted_at": _when(a.submitted_at),
            }
            for a in applications
        ],
        "files_uploaded": [
            {
                "application": f.application.reference or f.application_id,
                "name": f.original_name,
                "sha256": f.sha256,
                "uploaded_at": _when(f.uploaded_at),
            }
            for f in Attachment.objects.filter(uploaded_by=user).select_related("application")
        ],
        "reviews_written": [
            {
                "application": r.assignment.application.reference,
                "status": r.status,
                "overall_comment": r.overall_comment,
                "scores": [
                    {
                        "criterion": s.criterion.title,
                        "score": str(s.score) if s.score is not None else None,
                        "comment": s.comment,
                    }
                    for s in r.scores.all()
                ],
                "submitted_at": _when(r.submitted_at),
            }
            for r in reviews
        ],
        "actions": [
            {"at": _when(e.at), "action": e.action, "object": e.object_repr}
            for e in AuditEntry.objects.filter(actor=user).order_by("at")
        ],
        "failed_logins": [
            {"at": _when(f.attempt_time), "ip_address": f.ip_address}
            for f in AccessFailureLog.objects.filter(username=user.email).order_by("attempt_time")
        ],
    }


# --- closing an account --------------------------------------------------------------------------


@transaction.atomic
def close_account(*, user: User, actor: User | None = None) -> None:
    """Close the account and drop the person's identity. The row stays (applications, reviews
    and audit rows point at it) under a placeholder name and an address that cannot receive mail."""
    from axes.models import AccessAttempt, AccessFailureLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pepiniere.api.models import ApiToken
    from pepiniere.organisations.models import MemberInvitation, Membership
    from pepiniere.reviews.models import Invitation, ReviewerProfile

    user = User.objects.select_for_update().get(pk=user.pk)
    old_email = user.email
    for model in (TOTPDevice, StaticDevice, ApiToken, ReviewerProfile, Membership):
        model.objects.filter(user=user).delete()
    user.role_grants.all().delete()
    Invitation.objects.filter(email__iexact=old_email).delete()
    MemberInvitation.objects.filter(email__iexact=old_email, accepted_at__isnull=True).delete()
    AccessAttempt.objects.filter(username=old_email).delete()
    AccessFailureLog.objects.filter(username=old_email).delete()
    AuditEntry.objects.filter(reason__icontains=old_email).update(reason="[adresse supprimée]")
    user.email = f"compte-supprime-{user.pk}@anonyme.invalid"
    user.full_name = CLOSED_ACCOUNT_NAME
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.mfa_required = False
    user.save()
    AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=user.pk
    ).update(object_repr=CLOSED_ACCOUNT_NAME)
    record(actor=actor or user, obj=user, action="account_closed")


# --- anonymising an application ------------------------------------------------------------------


def _kept_keys(application: Application) -> tuple[set[str], dict[str, set[str]]]:
    fields = list(FormField.objects.filter(call_id=application.call_id))
    kept = {f.key for f in fields if f.kind in KEPT_KINDS and not f.group_id}
    groups: dict[str, set[str]] = {}
    by_id = {f.pk: f for f in fields}
    for field in fields:
        if field.group_id and field.kind in KEPT_KINDS:
            groups.setdefault(by_id[field.group_id].key, set()).add(field.key)
    return kept, groups


def _figures_only(answers: Any, kept: set[str], groups: dict[str, set[str]]) -> dict[str, Any]:
    if not isinstance(answers, dict):
        return {}
    result: dict[str, Any] = {k: v for k, v in answers.items() if k in kept}
    core = answers.get("_core")
    if isinstance(core, dict):  # the amounts of the project (title and summary are text)
        result["_core"] = {
            k: v for k, v in core.items() if k in ("requested_amount", "project_budget")
        }
    for group, columns in groups.items():
        rows = answers.get(group)
        if isinstance(rows, list):
            result[group] = [
                {k: v for k, v in row.items() if k in columns}
                for row in rows
                if isinstance(row, dict)
            ]
    return result


@transaction.atomic
def anonymise_application(*, application: Application) -> None:
    """Drop the identifying content of an application, keep its figures (see module docstring)."""
    from pepiniere.reviews.models import CriterionScore, Review

    application = Application.objects.select_for_update().get(pk=application.pk)
    kept, groups = _kept_keys(application)
    for attachment in Attachment.objects.filter(application=application):
        attachment.file.delete(save=False)
        attachment.delete()
    for version in application.versions.all():
        version.title = ""
        version.summary = ""
        version.answers = _figures_only(version.answers, kept, groups)
        version.attachments = []
        version.save(update_fields=["title", "summary", "answers", "attachments"])
    application.title = ""
    application.summary = ""
    application.decision_reason = ""
    application.search_text = application.reference or ""
    application.answers = _figures_only(application.answers, kept, groups)
    application.save(
        update_fields=["title", "summary", "decision_reason", "search_text", "answers"]
    )
    InformationRequest.objects.filter(application=application).update(message="")
    InternalNote.objects.filter(application=application).update(text="")
    Review.objects.filter(assignment__application=application).update(overall_comment="")
    CriterionScore.objects.filter(review__assignment__application=application).update(comment="")
    AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    ).update(object_repr=application.reference or f"dossier {application.pk}", reason="")


# --- the retention policy ------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str
    action: str
    count: int

    def line(self, *, dry_run: bool) -> str:
        verb = f"would be {self.action}" if dry_run else self.action
        return f"{self.kind}: {self.count} {verb}"


def _delete_drafts(now: datetime.datetime, dry_run: bool) -> int:
    drafts = Application.objects.filter(
        status=Status.DRAFT, call__closes_at__lt=now - DRAFT_RETENTION
    )
    if dry_run:
        return drafts.count()
    deleted = 0
    for draft in drafts.iterator():
        with transaction.atomic():
            for attachment in Attachment.objects.filter(application=draft):
                attachment.file.delete(save=False)
            try:
                draft.delete()
            except ProtectedError:
                continue
            deleted += 1
    return deleted


def _anonymise_refused(now: datetime.datetime, dry_run: bool) -> int:
    refused = Application.objects.filter(
        status__in=REFUSED, call__closes_at__lt=now - REFUSED_RETENTION
    ).exclude(Q(title="") & Q(summary="") & Q(decision_reason="") & Q(attachment_set__isnull=True))
    refused = refused.distinct()
    if dry_run:
        return refused.count()
    count = 0
    for application in refused.iterator():
        anonymise_application(application=application)
        count += 1
    return count


def _clear_review_comments(now: datetime.datetime, dry_run: bool) -> int:
    from pepiniere.reviews.models import CriterionScore, Review

    old = Q(assignment__application__call__closes_at__lt=now - REVIEW_COMMENT_RETENTION)
    reviews = Review.objects.filter(old).filter(~Q(overall_comment="") | Q(scores__comment__gt=""))
    reviews = reviews.distinct()
    if dry_run:
        return reviews.count()
    ids = list(reviews.values_list("pk", flat=True))
    Review.objects.filter(pk__in=ids).update(overall_comment="")
    CriterionScore.objects.filter(review_id__in=ids).update(comment="")
    return len(ids)


def _delete_login_logs(now: datetime.datetime, dry_run: bool) -> int:
    from axes.models import AccessAttempt, AccessFailureLog

    limit = now - LOGIN_LOG_RETENTION
    querysets = [
        AccessFailureLog.objects.filter(attempt_time__lt=limit),
        AccessAttempt.objects.filter(attempt_time__lt=limit),
    ]
    if dry_run:
        return sum(q.count() for q in querysets)
    return sum(q.delete()[0] for q in querysets)


def _delete_exports(now: datetime.datetime, dry_run: bool) -> int:
    exports = Export.objects.filter(created_at__lt=now - EXPORT_RETENTION)
    if dry_run:
        return exports.count()
    count = 0
    for export in exports.iterator():
        if export.file:
            export.file.delete(save=False)
        export.delete()
        count += 1
    return count


def _close_inactive_accounts(now: datetime.datetime, dry_run: bool) -> int:
    limit = now - INACTIVE_ACCOUNT_RETENTION
    idle = (
        User.objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .filter(Q(last_login__lt=limit) | Q(last_login__isnull=True, date_joined__lt=limit))
        .exclude(role_grants__role__in=["officer", "jury", "finance", "admin"])
        .exclude(
            memberships__organisation__applications__status__in=CURRENT,
        )
        .distinct()
    )
    if dry_run:
        return idle.count()
    count = 0
    for user in idle.iterator():
        close_account(user=user)
        count += 1
    return count


def _delete_old_audit_rows(now: datetime.datetime, dry_run: bool) -> int:
    old = AuditEntry.objects.filter(at__lt=now - AUDIT_RETENTION)
    return old.count() if dry_run else int(old.delete()[0])


POLICY: list[tuple[str, str, Any]] = [
    ("drafts never submitted", "deleted", _delete_drafts),
    ("ineligible, rejected and withdrawn applications", "anonymised", _anonymise_refused),
    ("expert review comments", "cleared", _clear_review_comments),
    ("failed-login records", "deleted", _delete_login_logs),
    ("back-office export files", "deleted", _delete_exports),
    ("inactive accounts", "closed", _close_inactive_accounts),
    ("audit rows", "deleted", _delete_old_audit_rows),
]


def apply_retention(
    *, now: datetime.datetime | None = None, dry_run: bool = False
) -> Iterable[Outcome]:
    now = now or timezone.now()
    for kind, action, apply in POLICY:
        yield Outcome(kind=kind, action=action, count=apply(now, dry_run))
