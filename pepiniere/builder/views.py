"""The call builder's pages (/instruction/conception/): thin views over builder.services."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pepiniere.applications.answers import answers_from_post, validate_answers
from pepiniere.applications.models import Application
from pepiniere.applications.selectors import bound_fields
from pepiniere.applications.services import form_spec
from pepiniere.audit.labels import action_label
from pepiniere.audit.services import trail_for
from pepiniere.builder import services
from pepiniere.builder.checklist import axis_remaining, publication_checklist
from pepiniere.builder.forms import (
    CriterionFormSet,
    DocumentForm,
    EligibilityForm,
    GeneralForm,
    GridSettingsForm,
    LetterPolicyForm,
    NewColumnForm,
    NewQuestionForm,
    QuestionForm,
    ReviewSettingsForm,
    StartForm,
    question_initial,
)
from pepiniere.builder.permissions import (
    builder_calls,
    can_edit_call_settings,
    can_open_builder,
    can_view_call_settings,
    creatable_funders,
)
from pepiniere.calls.models import Call, CallDocument, FieldKind, FormField
from pepiniere.grants.models import CallPolicy
from pepiniere.lib.http import AuthenticatedHttpRequest

STEPS = [
    ("general", gettext_lazy("Général"), "builder:general"),
    ("eligibility", gettext_lazy("Éligibilité"), "builder:eligibility"),
    ("form", gettext_lazy("Formulaire"), "builder:form"),
    ("grid", gettext_lazy("Grille d'évaluation"), "builder:grid"),
    ("review", gettext_lazy("Évaluation"), "builder:review"),
    ("documents", gettext_lazy("Documents"), "builder:documents"),
    ("letters", gettext_lazy("Courriers"), "builder:letters"),
    ("preview", gettext_lazy("Aperçu"), "builder:preview"),
    ("publish", gettext_lazy("Publication"), "builder:publish"),
]


def builder_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    @login_required
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        can_open_builder(request.user).enforce()
        return view(request, *args, **kwargs)

    return wrapper


def _call(request: AuthenticatedHttpRequest, slug: str) -> tuple[Call, bool]:
    """The call (404 when this person may not see its settings) and whether they may edit it.
    A POST from a reader is refused with the reason (403)."""
    call = get_object_or_404(Call.objects.select_related("funder", "programme", "axis"), slug=slug)
    if not can_view_call_settings(request.user, call):
        raise Http404
    verdict = can_edit_call_settings(request.user, call)
    if request.method == "POST" and not verdict:
        raise PermissionDenied(verdict.reason)
    return call, bool(verdict)


def _context(call: Call, step: str, can_edit: bool, **extra: Any) -> dict[str, Any]:
    return {
        "call": call,
        "step": step,
        "steps": [(code, label, reverse(name, args=[call.slug])) for code, label, name in STEPS],
        "can_edit": can_edit,
        **extra,
    }


def _refused(request: AuthenticatedHttpRequest, error: services.BuilderError) -> None:
    messages.error(request, str(error))


# --- List and creation --------------------------------------------------------------------------


@builder_required
def call_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    calls = (
        builder_calls(request.user)
        .annotate(n_questions=Count("form_fields", distinct=True))
        .annotate(n_criteria=Count("criteria", distinct=True))
        .order_by("-opens_at")
    )
    return render(
        request,
        "builder/list.html",
        {"calls": calls, "can_create": creatable_funders(request.user).exists()},
    )


@builder_required
def new_call(request: AuthenticatedHttpRequest) -> HttpResponse:
    funders = creatable_funders(request.user)
    if not funders.exists():
        raise PermissionDenied(_("Vous ne pouvez créer d'appel pour aucun financeur."))
    sources = builder_calls(request.user).filter(funder__in=funders).order_by("-opens_at")
    form = StartForm(request.POST or None, funders=funders, calls=sources)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = services.create_call(
                actor=request.user,
                funder=data["funder"],
                programme=data["programme"],
                axis=data["axis"],
                title=data["title"],
                envelope=data["envelope"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                starting_point=data["start"],
                source=data["source"] if data["start"] == "copy" else None,
            )
        except services.BuilderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Appel créé. Complétez-le étape par étape, puis publiez-le.")
            )
            return redirect("builder:general", call.slug)
    return render(request, "builder/new.html", {"form": form})


# --- Steps --------------------------------------------------------------------------------------


def _labels(form: Any) -> dict[str, str]:
    return {name: str(field.label) for name, field in form.fields.items()}


def _settings_step(
    request: AuthenticatedHttpRequest, slug: str, step: str, form_class: Any, template: str
) -> HttpResponse:
    call, can_edit = _call(request, slug)
    form = form_class(request.POST or None, instance=call)
    if request.method == "POST" and form.is_valid():
        values = {n: form.cleaned_data[n] for n in form._meta.fields if n in form.cleaned_data}
        if "tie_break" in form.cleaned_data:
            values["tie_break"] = form.cleaned_data["tie_break"]
        try:
            changed = services.update_call_settings(
                actor=request.user, call=call, values=values, labels=_labels(form)
            )
        except services.BuilderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Modifications enregistrées.") if changed else _("Rien n'a changé.")
            )
            return redirect(f"builder:{step}", call.slug)
    extra: dict[str, Any] = {"form": form}
    if step == "general":
        extra["axis_remaining"] = axis_remaining(call)
    return render(request, template, _context(call, step, can_edit, **extra))


@builder_required
def general(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _settings_step(request, slug, "general", GeneralForm, "builder/general.html")


@builder_required
def eligibility(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _settings_step(request, slug, "eligibility", EligibilityForm, "builder/eligibility.html")


@builder_required
def review(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _settings_step(request, slug, "review", ReviewSettingsForm, "builder/review.html")


def _questions(call: Call) -> list[FormField]:
    return list(call.form_fields.filter(group__isnull=True).prefetch_related("children"))


@builder_required
def form_step(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call, can_edit = _call(request, slug)
    form = NewQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            field = services.add_question(
                actor=request.user,
                call=call,
                kind=form.cleaned_data["kind"],
                label=form.cleaned_data["label"],
            )
        except services.BuilderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Question ajoutée : précisez ses réglages."))
            return redirect("builder:question", call.slug, field.pk)
    context = _context(call, "form", can_edit, form=form, questions=_questions(call))
    if request.htmx:
        return render(request, "builder/form.html#question_list", context)
    return render(request, "builder/form.html", context)


def _field(call: Call, pk: int) -> FormField:
    return get_object_or_404(FormField.objects.select_related("group"), pk=pk, call=call)


@builder_required
def question(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    call, can_edit = _call(request, slug)
    field = _field(call, pk)
    is_column = field.group_id is not None
    if request.method == "POST":
        form = QuestionForm(request.POST, columns=is_column)
        if form.is_valid():
            try:
                services.update_question(actor=request.user, field=field, values=form.values())
            except services.BuilderError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Question enregistrée."))
                if is_column and field.group:
                    return redirect("builder:question", call.slug, field.group.pk)
                return redirect("builder:form", call.slug)
    else:
        initial = question_initial(field)
        if request.GET.get("kind") in FieldKind.values:  # the settings of another kind (htmx)
            initial["kind"] = request.GET["kind"]
        form = QuestionForm(initial=initial, columns=is_column)
    kind = form.data.get("kind") if form.is_bound else form.initial.get("kind")
    context = _context(
        call,
        "form",
        can_edit,
        field=field,
        form=form,
        kind=kind,
        columns=list(field.children.all()) if field.kind == FieldKind.GROUP else [],
        column_form=NewColumnForm(),
    )
    if request.htmx and request.method == "GET":
        return render(request, "builder/question.html#settings", context)
    return render(request, "builder/question.html", context)


@builder_required
@require_POST
def add_column(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    call, _can_edit = _call(request, slug)
    group = _field(call, pk)
    form = NewColumnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez un intitulé et un type à la colonne."))
    else:
        try:
            services.add_question(
                actor=request.user,
                call=call,
                kind=form.cleaned_data["kind"],
                label=form.cleaned_data["label"],
                group=group,
            )
        except services.BuilderError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Colonne ajoutée."))
    return redirect("builder:question", call.slug, group.pk)


@builder_required
@require_POST
def remove_question(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    call, _can_edit = _call(request, slug)
    field = _field(call, pk)
    group = field.group
    try:
        services.remove_question(actor=request.user, field=field)
    except services.BuilderError as error:
        _refused(request, error)
    else:
        messages.success(request, _("« %(label)s » retirée.") % {"label": field.label})
    if group is not None:
        return redirect("builder:question", call.slug, group.pk)
    return redirect("builder:form", call.slug)


@builder_required
@require_POST
def move_question(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Up/down buttons (the keyboard alternative to drag and drop)."""
    call, can_edit = _call(request, slug)
    field = _field(call, pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.move_question(actor=request.user, field=field, offset=offset)
    except services.BuilderError as error:
        _refused(request, error)
    if field.group is not None:
        return redirect("builder:question", call.slug, field.group.pk)
    if request.htmx:
        context = _context(call, "form", can_edit, questions=_questions(call), moved=field.pk)
        return render(request, "builder/form.html#question_list", context)
    return redirect(f"{reverse('builder:form', args=[call.slug])}#question-{field.pk}")


@builder_required
@require_POST
def reorder_questions(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Drag and drop: the new order of the top-level questions, as `order=<id>` repeated."""
    call, can_edit = _call(request, slug)
    try:
        ids = [int(value) for value in request.POST.getlist("order")]
    except ValueError:
        return HttpResponse(_("Ordre illisible."), status=400)
    try:
        services.reorder_questions(actor=request.user, call=call, ordered_ids=ids)
    except services.BuilderError as error:
        return HttpResponse(str(error), status=409)
    context = _context(call, "form", can_edit, questions=_questions(call))
    if request.htmx:
        return render(request, "builder/form.html#question_list", context)
    return redirect("builder:form", call.slug)


@builder_required
def grid(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call, can_edit = _call(request, slug)
    criteria = list(call.criteria.all())
    initial = [
        {
            "id": c.pk,
            "title": c.title,
            "description": c.description,
            "scale_min": _plain(c.scale_min),
            "scale_max": _plain(c.scale_max),
            "weight": _plain(c.weight),
            "threshold": _plain(c.threshold),
        }
        for c in criteria
    ]
    formset = CriterionFormSet(request.POST or None, initial=initial, prefix="criteria")
    settings_form = GridSettingsForm(
        request.POST or None,
        initial={
            "allow_half_marks": call.allow_half_marks,
            "overall_threshold": call.overall_threshold,
        },
    )
    if request.method == "POST" and formset.is_valid() and settings_form.is_valid():
        rows = []
        for form in formset.forms:
            if not form.has_changed() and not form.cleaned_data.get("id"):
                continue
            row = dict(form.cleaned_data)
            row["delete"] = row.pop("DELETE", False)
            rows.append(row)
        rows = _apply_move(rows, request.POST.get("move"))
        try:
            services.save_grid(
                actor=request.user,
                call=call,
                rows=rows,
                allow_half_marks=settings_form.cleaned_data["allow_half_marks"],
                overall_threshold=settings_form.cleaned_data["overall_threshold"],
            )
        except services.BuilderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Grille enregistrée."))
            return redirect("builder:grid", call.slug)
    return render(
        request,
        "builder/grid.html",
        _context(call, "grid", can_edit, formset=formset, settings_form=settings_form),
    )


def _plain(value: Decimal | None) -> Decimal | None:
    """5.00 → 5, 3.50 → 3.5: the marks as a person writes them."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def _apply_move(rows: list[dict[str, Any]], move: str | None) -> list[dict[str, Any]]:
    """'up-2' / 'down-0': the up/down buttons of the grid move one criterion and save."""
    if not move or "-" not in move:
        return rows
    direction, _sep, index_text = move.partition("-")
    if not index_text.isdigit() or int(index_text) >= len(rows):
        return rows
    index = int(index_text)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    return rows


@builder_required
def documents(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call, can_edit = _call(request, slug)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_document(
                actor=request.user,
                call=call,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
            )
        except services.BuilderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Document ajouté."))
            return redirect("builder:documents", call.slug)
    return render(
        request,
        "builder/documents.html",
        _context(call, "documents", can_edit, form=form, documents=list(call.documents.all())),
    )


@builder_required
@require_POST
def remove_document(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    call, _can_edit = _call(request, slug)
    document = get_object_or_404(CallDocument, pk=pk, call=call)
    services.remove_document(actor=request.user, document=document)
    messages.success(request, _("Document retiré."))
    return redirect("builder:documents", call.slug)


@builder_required
def letters(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call, can_edit = _call(request, slug)
    policy = CallPolicy.objects.filter(call=call).first() or CallPolicy(call=call)
    initial = {n: getattr(policy, n) for n in services.POLICY_FIELDS}
    form = LetterPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.save_letter_policy(actor=request.user, call=call, values=form.cleaned_data)
        messages.success(request, _("Règles des courriers enregistrées."))
        return redirect("builder:letters", call.slug)
    return render(request, "builder/letters.html", _context(call, "letters", can_edit, form=form))


class _PreviewApplication:
    """Stands for the application the applicant's template expects: nothing is saved."""

    pk = 0
    reference = ""
    title = ""
    draft_revision = 0

    def __init__(self, call: Call) -> None:
        self.call = call


@builder_required
def preview(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The applicant's form, rendered by the applicant's templates; a POST checks the answers
    against the call's rules and shows the messages an applicant would get, saving nothing."""
    call, can_edit = _preview_call(request, slug)
    spec = form_spec(call)
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = answers_from_post(spec, request.POST)
        errors = validate_answers(spec, answers, attachment_keys=set())
    context = _context(
        call,
        "preview",
        can_edit,
        application=_PreviewApplication(call),
        core=answers.get("_core", {}),
        errors=errors,
        checked=request.method == "POST",
        fields=bound_fields(spec, answers, errors, []),
        preview=True,
    )
    return render(request, "builder/preview.html", context)


def _preview_call(request: AuthenticatedHttpRequest, slug: str) -> tuple[Call, bool]:
    # Readers (co-funders) may also try the preview's checks: a POST there saves nothing.
    call = get_object_or_404(Call.objects.select_related("funder", "programme", "axis"), slug=slug)
    if not can_view_call_settings(request.user, call):
        raise Http404
    return call, bool(can_edit_call_settings(request.user, call))


@builder_required
def publish(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call, can_edit = _call(request, slug)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "unpublish":
                services.unpublish_call(actor=request.user, call=call)
                messages.success(request, _("L'appel n'est plus publié."))
            else:
                services.publish_call(actor=request.user, call=call)
                messages.success(request, _("L'appel est publié : il apparaît au catalogue."))
        except services.BuilderError as error:
            _refused(request, error)
        return redirect("builder:publish", call.slug)
    checklist = publication_checklist(call)
    steps = {code: url for code, _label, url in _context(call, "publish", can_edit)["steps"]}
    return render(
        request,
        "builder/publish.html",
        _context(
            call,
            "publish",
            can_edit,
            checklist=checklist,
            step_urls=steps,
            has_applications=Application.objects.filter(call=call).exists(),
            history=[
                (entry, action_label(entry.action))
                for entry in trail_for(call).order_by("-at", "-id")[:50]
            ],
        ),
    )
