"""Writing a call's settings: each change locks the call, is checked, and leaves one audit row.

A form change never loses an answer (choice made for the issue): removing a question, changing its
kind, or removing an option that applicants already picked is refused with a message while any
application of the call (draft or submitted) holds an answer to it. Wording, help, limits and order
may change at any time; submitted versions keep the answers exactly as they were given."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application, Attachment
from pepiniere.audit.services import record
from pepiniere.builder.checklist import publication_checklist
from pepiniere.builder.permissions import can_create_call, can_edit_call_settings
from pepiniere.builder.starting_points import STARTING_POINTS, StartingPoint
from pepiniere.calls.models import Call, CallDocument, Criterion, FieldKind, FormField, call_slug
from pepiniere.grants.models import CallPolicy, LetterTemplate
from pepiniere.lib.dates import long_date, long_datetime
from pepiniere.programmes.models import Axis, Funder, Programme
from pepiniere.reviews.models import CriterionScore

COPIED_FIELDS = [
    "summary",
    "description",
    "contact_email",
    "eligible_communes",
    "eligible_kinds",
    "min_age_years",
    "max_age_years",
    "max_requested_amount",
    "max_aid_rate",
    "reviews_per_application",
    "blind_review",
    "blind_hides_commune",
    "reviewer_max_load",
    "allow_half_marks",
    "show_other_reviews",
    "tie_break",
    "overall_threshold",
]
COPIED_M2M = [
    "co_funders",
    "sectors",
    "eligible_departements",
    "eligible_legal_forms",
    "eligible_size_bands",
    "required_labels",
]
POLICY_FIELDS = [
    "letters_show_scores",
    "letters_show_comments",
    "de_minimis",
    "signatory",
    "signatory_title",
    "letter_place",
    "letter_contact",
]


class BuilderError(Exception):
    """A change refused, with the reason to show."""


def _check(verdict: Any) -> None:
    if not verdict:
        raise BuilderError(verdict.reason)


def _locked(call: Call) -> Call:
    return Call.objects.select_for_update().get(pk=call.pk)


def _audit(actor: Any, call: Call, action: str, reason: str = "") -> None:
    record(actor=actor, obj=call, action=action, reason=reason[:2000], public=False)


def _unique(model: type[models.Model], field: str, base: str, max_length: int, **scope: Any) -> str:
    base = (base or "appel")[:max_length].strip("-") or "appel"
    candidate, n = base, 1
    while model._default_manager.filter(**scope, **{field: candidate}).exists():
        n += 1
        suffix = f"-{n}"
        candidate = base[: max_length - len(suffix)].strip("-") + suffix
    return candidate


# --- Creating -----------------------------------------------------------------------------------


@transaction.atomic
def create_call(
    *,
    actor: Any,
    funder: Funder,
    programme: Programme,
    axis: Axis | None,
    title: str,
    envelope: Decimal,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    starting_point: str = "",
    source: Call | None = None,
) -> Call:
    """A new, unpublished call: empty, from a starting point, or a copy of `source` (form, grid,
    eligibility, documents, review settings and letter policy; title, dates and envelope are
    the new ones)."""
    _check(can_create_call(actor, funder))
    if programme.funder_id != funder.pk:
        raise BuilderError(_("Ce programme n'appartient pas à ce financeur."))
    if axis is not None and axis.programme_id != programme.pk:
        raise BuilderError(_("Cet axe n'appartient pas à ce programme."))
    if closes_at <= opens_at:
        raise BuilderError(_("La date limite de dépôt doit suivre la date d'ouverture."))
    base = slugify(title)
    call = Call(
        funder=funder,
        programme=programme,
        axis=axis,
        title=title,
        envelope=envelope,
        opens_at=opens_at,
        closes_at=closes_at,
        is_published=False,
        code=_unique(Call, "code", base.replace("-", "")[:12] or "appel", 20, programme=programme),
        slug=_unique(Call, "slug", call_slug(title, timezone.localtime(opens_at).year), 50),
        summary="",
        description="",
    )
    if source is not None:
        for name in COPIED_FIELDS:
            setattr(call, name, getattr(source, name))
    call.save()
    if source is not None:
        _copy_from(call, source, actor=actor)
        _audit(actor, call, "call_copy", _("Copie de « %(title)s ».") % {"title": source.title})
    else:
        point = STARTING_POINTS.get(starting_point)
        if point is not None:
            _apply_starting_point(call, point)
        _audit(
            actor,
            call,
            "call_create",
            _("Modèle : %(point)s.") % {"point": point.title} if point else _("Appel vierge."),
        )
    return call


def _copy_from(call: Call, source: Call, *, actor: Any) -> None:
    for name in COPIED_M2M:
        getattr(call, name).set(getattr(source, name).all())
    groups: dict[int, FormField] = {}
    fields = list(source.form_fields.order_by("group_id", "position", "id"))
    for original in sorted(fields, key=lambda f: (f.group_id is not None, f.position, f.pk)):
        copy = FormField.objects.get(pk=original.pk)
        copy.pk = None
        copy.call = call
        copy.group = groups.get(original.group_id) if original.group_id else None
        copy.save()
        groups[original.pk] = copy
    for criterion in source.criteria.all():
        criterion.pk = None
        criterion.call = call
        criterion.save()
    for document in source.documents.all():
        document.pk = None
        document.call = call
        document.save()
    policy = CallPolicy.objects.filter(call=source).first()
    if policy is not None:
        CallPolicy.objects.create(call=call, **{n: getattr(policy, n) for n in POLICY_FIELDS})
    # The officers' own wording of the letters comes along; the copy is theirs from now on.
    LetterTemplate.objects.bulk_create(
        LetterTemplate(
            call=call,
            outcome=template.outcome,
            subject=template.subject,
            body=template.body,
            updated_by=actor,
            updated_at=timezone.now(),
        )
        for template in source.letter_templates.all()
    )


def _apply_starting_point(call: Call, point: StartingPoint) -> None:
    call.eligible_kinds = list(point.eligible_kinds)
    call.save(update_fields=["eligible_kinds", "search_text"])
    for position, spec in enumerate(point.questions, start=1):
        spec = dict(spec)
        columns = spec.pop("columns", [])
        group = _new_field(call, position=position, **spec)
        for column_position, column in enumerate(columns, start=1):
            _new_field(call, position=column_position, group=group, **column)
    for position, spec in enumerate(point.criteria, start=1):
        Criterion.objects.create(
            call=call,
            position=position,
            title=str(spec["title"]),
            weight=Decimal(spec["weight"]),
            threshold=Decimal(spec["threshold"]),
        )


def _new_field(call: Call, *, label: Any, kind: str, **settings: Any) -> FormField:
    label = str(label)
    if "help_text" in settings:
        settings["help_text"] = str(settings["help_text"])
    key = _unique(
        FormField, "key", slugify(label)[:40].replace("-", "_") or "question", 50, call=call
    )
    return FormField.objects.create(call=call, key=key, label=label, kind=kind, **settings)


# --- Settings of the call -----------------------------------------------------------------------


def _verbose(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _describe(value: Any) -> str:
    if isinstance(value, (models.QuerySet, list, tuple, set)):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, datetime.datetime):
        text = long_datetime(value)
    elif isinstance(value, datetime.date):
        text = long_date(value)
    elif isinstance(value, bool):
        text = _("oui") if value else _("non")
    else:
        text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 120 else text[:119] + "…"


@transaction.atomic
def update_call_settings(
    *, actor: Any, call: Call, values: dict[str, Any], labels: dict[str, str] | None = None
) -> list[str]:
    """Set the given fields of the call (many-to-many ones too); returns the labels changed."""
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    labels = labels or {}
    changed: list[str] = []
    m2m = {f.name for f in Call._meta.many_to_many}
    for name, value in values.items():
        if name in m2m:
            before = {o.pk for o in getattr(call, name).all()}
            after = {o.pk for o in value}
            if before != after:
                getattr(call, name).set(value)
                changed.append(f"{labels.get(name, name)} : {_describe(value)}")
        elif getattr(call, name) != value:
            setattr(call, name, value)
            changed.append(f"{labels.get(name, name)} : {_describe(value)}")
    if call.closes_at <= call.opens_at:
        raise BuilderError(_("La date limite de dépôt doit suivre la date d'ouverture."))
    if changed:
        call.save()
        _audit(actor, call, "call_update", " ; ".join(changed))
    return changed


# --- Questions ----------------------------------------------------------------------------------


def answered(call: Call) -> dict[str, set[str]]:
    """For each question key that has answers in an application of the call: the values given
    (choices picked, for the choice questions; a marker for the others)."""
    result: dict[str, set[str]] = {}
    for answers in Application.objects.filter(call=call).values_list("answers", flat=True):
        for key, value in (answers or {}).items():
            if key == "_core" or value in (None, "", [], {}):
                continue
            if isinstance(value, list) and value and isinstance(value[0], dict):
                result.setdefault(key, set()).add("*")
                for row in value:
                    for column_key, cell in row.items():
                        if str(cell).strip():
                            result.setdefault(f"{key}.{column_key}", set()).add("*")
            elif isinstance(value, list):
                result.setdefault(key, set()).update(str(v) for v in value)
            elif str(value).strip():
                result.setdefault(key, set()).add(str(value))
    keys = Attachment.objects.filter(application__call=call).values_list("field_key", flat=True)
    for key in keys:
        result.setdefault(key, set()).add("*")
    return result


def _answer_key(field: FormField) -> str:
    return f"{field.group.key}.{field.key}" if field.group_id and field.group else field.key


def _renumber(fields: list[FormField]) -> None:
    for position, f in enumerate(fields, start=1):
        if f.position != position:
            f.position = position
            f.save(update_fields=["position"])


@transaction.atomic
def add_question(
    *, actor: Any, call: Call, kind: str, label: str, group: FormField | None = None
) -> FormField:
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    if kind not in FieldKind.values:
        raise BuilderError(_("Choisissez un type de question."))
    if group is not None and (group.call_id != call.pk or group.kind != FieldKind.GROUP):
        raise BuilderError(_("Ce groupe n'appartient pas à cet appel."))
    if group is not None and kind not in COLUMN_KINDS:
        raise BuilderError(
            _("Une colonne de groupe est un texte court, un nombre, un montant ou une date.")
        )
    siblings = call.form_fields.filter(group=group)
    last = siblings.aggregate(models.Max("position"))["position__max"] or 0
    field = _new_field(call, label=label, kind=kind, position=last + 1, group=group)
    if kind == FieldKind.CHOICE or kind == FieldKind.MULTI_CHOICE:
        field.choices = [_("Option 1"), _("Option 2")]
        field.save(update_fields=["choices"])
    _audit(
        actor,
        call,
        "question_add",
        _("Question « %(label)s » (%(kind)s).") % {"label": label, "kind": FieldKind(kind).label},
    )
    return field


COLUMN_KINDS = [FieldKind.SHORT_TEXT, FieldKind.NUMBER, FieldKind.AMOUNT, FieldKind.DATE]
QUESTION_SETTINGS = [
    "label",
    "help_text",
    "kind",
    "required",
    "word_limit",
    "min_value",
    "max_value",
    "choices",
    "max_rows",
    "allowed_extensions",
    "max_file_mb",
]


@transaction.atomic
def update_question(*, actor: Any, field: FormField, values: dict[str, Any]) -> FormField:
    call = _locked(field.call)
    _check(can_edit_call_settings(actor, call))
    field = FormField.objects.select_related("group").get(pk=field.pk)
    given = answered(call).get(_answer_key(field), set())
    new_kind = values.get("kind", field.kind)
    if new_kind != field.kind and given:
        raise BuilderError(
            _(
                "Des dossiers ont déjà répondu à « %(label)s » : son type ne peut plus changer "
                "(les réponses seraient perdues). Ajoutez plutôt une nouvelle question."
            )
            % {"label": field.label}
        )
    if new_kind in (FieldKind.CHOICE, FieldKind.MULTI_CHOICE) and "choices" in values:
        lost = sorted(given - set(values["choices"]) - {"*"})
        if lost:
            raise BuilderError(
                _(
                    "Des dossiers ont choisi %(choices)s : ces options ne peuvent plus être "
                    "retirées ni renommées (les réponses seraient perdues)."
                )
                % {"choices": ", ".join(f"« {c} »" for c in lost)}
            )
    changed = []
    for name in QUESTION_SETTINGS:
        if name in values and getattr(field, name) != values[name]:
            setattr(field, name, values[name])
            changed.append(name)
    if changed:
        field.save()
        _audit(
            actor,
            call,
            "question_update",
            _("Question « %(label)s » : %(fields)s.")
            % {
                "label": field.label,
                "fields": ", ".join(_verbose(FormField, n) for n in changed),
            },
        )
    return field


@transaction.atomic
def remove_question(*, actor: Any, field: FormField) -> None:
    call = _locked(field.call)
    _check(can_edit_call_settings(actor, call))
    field = FormField.objects.select_related("group").get(pk=field.pk)
    given = answered(call)
    keys = [_answer_key(field)] + [f"{field.key}.{c.key}" for c in field.children.all()]
    if any(given.get(k) for k in keys):
        raise BuilderError(
            _(
                "Des dossiers ont déjà répondu à « %(label)s » : elle ne peut plus être retirée "
                "(les réponses seraient perdues). Rendez-la facultative si elle ne sert plus."
            )
            % {"label": field.label}
        )
    group = field.group
    label = field.label
    field.delete()
    _renumber(list(call.form_fields.filter(group=group).order_by("position", "id")))
    _audit(actor, call, "question_remove", _("Question « %(label)s » retirée.") % {"label": label})


@transaction.atomic
def reorder_questions(
    *, actor: Any, call: Call, ordered_ids: list[int], group: FormField | None = None
) -> None:
    """Put the questions (or a group's columns) in the given order; unknown ids are refused."""
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    fields = list(call.form_fields.filter(group=group).order_by("position", "id"))
    by_id = {f.pk: f for f in fields}
    if sorted(ordered_ids) != sorted(by_id):
        raise BuilderError(
            _("L'ordre envoyé ne correspond pas aux questions de l'appel : rechargez la page.")
        )
    _renumber([by_id[i] for i in ordered_ids])
    _audit(actor, call, "questions_reorder", " → ".join(by_id[i].label[:40] for i in ordered_ids))


def move_question(*, actor: Any, field: FormField, offset: int) -> None:
    """The keyboard alternative to drag and drop: one place up (-1) or down (+1)."""
    ids = list(
        field.call.form_fields.filter(group_id=field.group_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(field.pk)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    reorder_questions(actor=actor, call=field.call, ordered_ids=ids, group=field.group)


# --- Grid ---------------------------------------------------------------------------------------

CRITERION_SETTINGS = ["title", "description", "scale_min", "scale_max", "weight", "threshold"]


@transaction.atomic
def save_grid(
    *,
    actor: Any,
    call: Call,
    rows: list[dict[str, Any]],
    allow_half_marks: bool,
    overall_threshold: Decimal | None,
) -> None:
    """Rows in their new order: {"id": pk or None, "delete": bool, <criterion settings>}. Criteria
    already scored by an expert keep their scale and cannot be removed. Tie-break keys that name a
    criterion follow it when the order changes."""
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    existing = {c.pk: c for c in call.criteria.all()}
    scored = set(
        CriterionScore.objects.filter(criterion__call=call).values_list("criterion_id", flat=True)
    )
    old_positions = {c.position: c.pk for c in existing.values()}
    kept: list[Criterion] = []
    changes: list[str] = []
    for row in rows:
        criterion = existing.get(row["id"]) if row.get("id") else None
        if row.get("delete"):
            if criterion is None:
                continue
            if criterion.pk in scored:
                raise BuilderError(
                    _(
                        "« %(title)s » a déjà des notes d'expert·es : ce critère ne peut plus être retiré."
                    )
                    % {"title": criterion.title}
                )
            changes.append(_("critère « %(title)s » retiré") % {"title": criterion.title})
            criterion.delete()
            continue
        if criterion is None:
            criterion = Criterion(call=call)
            changes.append(_("critère « %(title)s » ajouté") % {"title": row["title"]})
        elif criterion.pk in scored and (
            row["scale_min"] != criterion.scale_min or row["scale_max"] != criterion.scale_max
        ):
            raise BuilderError(
                _("« %(title)s » a déjà des notes d'expert·es : son échelle ne peut plus changer.")
                % {"title": criterion.title}
            )
        elif any(getattr(criterion, n) != row[n] for n in CRITERION_SETTINGS):
            changes.append(_("critère « %(title)s » modifié") % {"title": row["title"]})
        for name in CRITERION_SETTINGS:
            setattr(criterion, name, row[name])
        kept.append(criterion)
    for position, criterion in enumerate(kept, start=1):
        if criterion.position not in (0, position):
            changes.append(_("ordre des critères"))
        criterion.position = position
        criterion.save()
    new_position = {c.pk: c.position for c in kept}
    remapped = []
    for key in call.tie_break or []:
        if key.startswith("criterion:"):
            pk = old_positions.get(int(key.split(":", 1)[1]))
            if pk in new_position:
                remapped.append(f"criterion:{new_position[pk]}")
        else:
            remapped.append(key)
    if call.allow_half_marks != allow_half_marks:
        changes.append(_("demi-points : %(v)s") % {"v": _describe(allow_half_marks)})
    if call.overall_threshold != overall_threshold:
        changes.append(_("seuil global : %(v)s") % {"v": _describe(overall_threshold)})
    call.allow_half_marks = allow_half_marks
    call.overall_threshold = overall_threshold
    call.tie_break = remapped
    call.save(update_fields=["allow_half_marks", "overall_threshold", "tie_break", "search_text"])
    if changes:
        _audit(actor, call, "grid_update", " ; ".join(dict.fromkeys(str(c) for c in changes)))


# --- Documents and letter policy ----------------------------------------------------------------


@transaction.atomic
def add_document(*, actor: Any, call: Call, title: str, file: Any) -> CallDocument:
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    last = call.documents.aggregate(models.Max("position"))["position__max"] or 0
    document = CallDocument.objects.create(call=call, title=title, file=file, position=last + 1)
    _audit(actor, call, "document_add", _("Document « %(title)s » ajouté.") % {"title": title})
    return document


@transaction.atomic
def remove_document(*, actor: Any, document: CallDocument) -> None:
    call = _locked(document.call)
    _check(can_edit_call_settings(actor, call))
    title = document.title
    document.delete()
    _audit(actor, call, "document_remove", _("Document « %(title)s » retiré.") % {"title": title})


@transaction.atomic
def save_letter_policy(*, actor: Any, call: Call, values: dict[str, Any]) -> CallPolicy:
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    policy, _created = CallPolicy.objects.select_for_update().get_or_create(call=call)
    changed = []
    for name in POLICY_FIELDS:
        if name in values and getattr(policy, name) != values[name]:
            setattr(policy, name, values[name])
            changed.append(f"{_verbose(CallPolicy, name)} : {_describe(values[name])}")
    if changed:
        policy.save()
        _audit(actor, call, "policy_update", " ; ".join(changed))
    return policy


# --- Publication --------------------------------------------------------------------------------


@transaction.atomic
def publish_call(*, actor: Any, call: Call, now: datetime.datetime | None = None) -> Call:
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    if call.is_published:
        return call
    checklist = publication_checklist(call, now=now)
    if checklist.blocking:
        raise BuilderError(
            _("L'appel ne peut pas encore être publié : %(items)s")
            % {"items": " ; ".join(str(i.message) for i in checklist.blocking)}
        )
    call.is_published = True
    call.save(update_fields=["is_published", "search_text"])
    record(
        actor=actor,
        obj=call,
        action="call_publish",
        from_state="draft",
        to_state="published",
        public=False,
    )
    return call


@transaction.atomic
def unpublish_call(*, actor: Any, call: Call) -> Call:
    call = _locked(call)
    _check(can_edit_call_settings(actor, call))
    if not call.is_published:
        return call
    if Application.objects.filter(call=call).exists():
        raise BuilderError(_("Des structures ont déjà commencé un dossier : l'appel reste publié."))
    call.is_published = False
    call.save(update_fields=["is_published", "search_text"])
    record(
        actor=actor,
        obj=call,
        action="call_unpublish",
        from_state="published",
        to_state="draft",
        public=False,
    )
    return call
