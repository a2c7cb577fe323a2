"""Expert space (assignments, review form, conflicts, bids) and officer/jury pages of the review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.forms import SignupForm
from pepiniere.accounts.models import User
from pepiniere.applications.models import Application, Status
from pepiniere.applications.services import form_spec
from pepiniere.applications.staff_selectors import staff_calls
from pepiniere.calls.models import Call
from pepiniere.lib.emails import clean_email_address
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.params import parse_id_pair, parse_int_id
from pepiniere.reviews import services
from pepiniere.reviews.blind import applicant_for_expert, attachments_for_expert, fields_for_expert
from pepiniere.reviews.forms import ReviewerProfileForm
from pepiniere.reviews.models import (
    Assignment,
    AssignmentRun,
    AssignmentStatus,
    Bid,
    BidLevel,
    CallReviewer,
    Conflict,
    ConflictRequest,
    ConflictRequestStatus,
    Invitation,
    Recommendation,
    Review,
    ReviewerProfile,
)
from pepiniere.reviews.permissions import (
    can_manage_reviews,
    can_review,
    can_see_other_reviews,
    can_see_ranking,
)
from pepiniere.reviews.ranking import ranking_for

# ---- expert space ------------------------------------------------------------------------------


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    assignments = list(
        Assignment.objects.filter(reviewer=request.user)
        .active()
        .select_related("application", "application__call", "review")
        .order_by("status", "application__call__review_deadline", "application__number")
    )
    pending = set(
        ConflictRequest.objects.filter(
            assignment__reviewer=request.user, status=ConflictRequestStatus.PENDING
        ).values_list("assignment_id", flat=True)
    )
    for a in assignments:
        a.conflict_pending = a.pk in pending  # type: ignore[attr-defined]
    conflict_requests = ConflictRequest.objects.filter(
        assignment__reviewer=request.user
    ).select_related("assignment__application", "assignment__application__call")
    pools = CallReviewer.objects.filter(reviewer=request.user).select_related("call")
    return render(
        request,
        "reviews/home.html",
        {"assignments": assignments, "pools": pools, "conflict_requests": conflict_requests},
    )


def _my_assignment(request: HttpRequest, pk: int) -> Assignment:
    assignment = get_object_or_404(
        Assignment.objects.select_related(
            "application", "application__call", "application__organisation"
        ),
        pk=pk,
    )
    if assignment.reviewer_id != request.user.pk:
        raise Http404
    return assignment


@login_required
def review_form(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = _my_assignment(request, pk)
    verdict = can_review(request.user, assignment)
    if not verdict:
        messages.warning(request, verdict.reason)
        return redirect("reviews:home")
    application = assignment.application
    call = application.call
    criteria = list(call.criteria.all())
    errors: dict[str, str] = {}
    if request.method == "POST":
        scores = {
            c.pk: (request.POST.get(f"score-{c.pk}", ""), request.POST.get(f"comment-{c.pk}", ""))
            for c in criteria
        }
        # An autosave never submits (htmx sends the last focused button along: see kpi_views.report).
        submit = "submit" in request.POST and not request.htmx
        try:
            services.save_review(
                assignment=assignment,
                actor=request.user,
                scores=scores,
                overall=request.POST.get("overall", ""),
                recommendation=request.POST.get("recommendation", ""),
                submit=submit,
            )
        except services.ReviewError as error:
            if request.htmx:
                return HttpResponse(
                    f'<p id="review-status" class="autosave-status error" role="status">{error.message}</p>'
                )
            messages.error(request, error.message)
            errors = error.errors
        else:
            if request.htmx:
                return HttpResponse(
                    '<p id="review-status" class="autosave-status" role="status">'
                    + _("Brouillon enregistré à %(t)s")
                    % {"t": timezone.localtime().strftime("%H:%M:%S")}
                    + "</p>"
                )
            if submit:
                messages.success(request, _("Évaluation remise. Merci !"))
                return redirect("reviews:home")
            messages.success(request, _("Brouillon enregistré."))
            return redirect("reviews:review", assignment.pk)
    review = Review.objects.filter(assignment=assignment).prefetch_related("scores").first()
    existing = {s.criterion_id: s for s in review.scores.all()} if review else {}
    if request.method == "POST" and errors:
        existing = {}
    rows = []
    for criterion in criteria:
        score = existing.get(criterion.pk)
        rows.append(
            {
                "criterion": criterion,
                "score": request.POST.get(f"score-{criterion.pk}")
                if request.method == "POST"
                else (score.score.normalize() if score and score.score is not None else ""),
                "comment": request.POST.get(f"comment-{criterion.pk}")
                if request.method == "POST"
                else (score.comment if score else ""),
                "error": errors.get(f"criterion-{criterion.pk}"),
            }
        )
    others = []
    if can_see_other_reviews(request.user, assignment):
        others = list(
            Review.objects.counted()
            .filter(assignment__application=application)
            .exclude(assignment=assignment)
            .prefetch_related("scores__criterion")
        )
    latest = application.versions.order_by("-number").first()
    spec = form_spec(call)
    labels = {f.key: f.label for f in spec.fields}
    return render(
        request,
        "reviews/review_form.html",
        {
            "assignment": assignment,
            "application": application,
            "call": call,
            "rows": rows,
            "review": review,
            "errors": errors,
            "recommendations": Recommendation.choices,
            "others": others,
            "version": latest,
            "applicant": applicant_for_expert(application),
            "conflict_request": assignment.conflict_requests.filter(
                status=ConflictRequestStatus.PENDING
            ).first(),
            "fields": fields_for_expert(call, spec.fields),
            "attachments": attachments_for_expert(call, latest, labels),
            "children": spec.children,
            "step": "0.5" if call.allow_half_marks else "1",
            "overall": request.POST.get("overall")
            if request.method == "POST"
            else (review.overall_comment if review else ""),
            "recommendation": request.POST.get("recommendation")
            if request.method == "POST"
            else (review.recommendation if review else ""),
        },
    )


@login_required
def declare_conflict(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = _my_assignment(request, pk)
    if request.method == "POST":
        try:
            outcome = services.declare_conflict_on_assignment(
                assignment=assignment, actor=request.user, note=request.POST.get("note", "")
            )
        except services.ReviewError as error:
            messages.error(request, error.message)
            return redirect("reviews:conflict", assignment.pk)
        if outcome.request is not None:
            messages.success(
                request,
                _(
                    "Conflit d'intérêts signalé : le chargé de mission va décider. "
                    "Vous verrez sa décision sur cette page."
                ),
            )
        else:
            messages.success(
                request,
                _("Conflit d'intérêts enregistré : ce dossier est confié à quelqu'un d'autre."),
            )
        return redirect("reviews:home")
    return render(
        request,
        "reviews/conflict.html",
        {
            "assignment": assignment,
            "applicant": applicant_for_expert(assignment.application),
            "needs_decision": assignment.status == AssignmentStatus.SUBMITTED
            or not services.reviews_open(assignment.application),
        },
    )


# Applications an expert may state preferences on: filed, not yet past the review.
BIDDABLE_STATES = [Status.SUBMITTED, Status.INCOMPLETE, Status.ELIGIBLE, Status.IN_REVIEW]


@login_required
def bids(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    if not CallReviewer.objects.filter(call=call, reviewer=request.user).exists():
        raise Http404
    conflicted = Conflict.objects.filter(reviewer=request.user).values("organisation_id")
    applications = list(
        Application.objects.filter(call=call, status__in=BIDDABLE_STATES)
        .exclude(organisation_id__in=conflicted)
        .order_by("number", "pk")
    )
    if request.method == "POST":
        for application in applications:
            level = request.POST.get(f"bid-{application.pk}")
            if level in BidLevel.values:
                services.place_bid(reviewer=request.user, application=application, level=level)
        messages.success(request, _("Vos préférences sont enregistrées."))
        return redirect("reviews:bids", call.slug)
    current = dict(
        Bid.objects.filter(reviewer=request.user, application__call=call).values_list(
            "application_id", "level"
        )
    )
    assigned = set(
        Assignment.objects.filter(reviewer=request.user, application__call=call)
        .active()
        .values_list("application_id", flat=True)
    )
    rows = [
        {"application": a, "bid": current.get(a.pk, ""), "assigned": a.pk in assigned}
        for a in applications
    ]
    profile = ReviewerProfile.objects.filter(user=request.user).prefetch_related("sectors").first()
    reviews_over = (
        not applications
        and Application.objects.filter(call=call)
        .exclude(status__in=[*BIDDABLE_STATES, Status.DRAFT])
        .exists()
    )
    return render(
        request,
        "reviews/bids.html",
        {
            "call": call,
            "rows": rows,
            "levels": BidLevel.choices,
            "profile": profile,
            "sectors": list(profile.sectors.all()) if profile else [],
            "phase": call.phase(),
            "reviews_over": reviews_over,
        },
    )


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile, _created = ReviewerProfile.objects.get_or_create(user=request.user)
    form = ReviewerProfileForm(request.POST or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            sirens_before = ReviewerProfile.objects.get(pk=profile.pk).siren_set
            form.save()
            if profile.siren_set != sirens_before:
                # A structure newly declared may be one whose application the expert reviews.
                services.detect_conflicts_of_reviewer(request.user)
            messages.success(request, _("Profil enregistré."))
            return redirect("reviews:profile")
        # Re-shown with everything typed and each problem next to its field.
        return render(request, "reviews/profile.html", {"form": form}, status=422)
    return render(request, "reviews/profile.html", {"form": form})


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invite = get_object_or_404(Invitation.objects.select_related("call"), token=token)
    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.accept_invitation(invitation=invite, user=request.user)
            except services.ReviewError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Vous faites partie des expert·es de cet appel. Complétez votre profil."),
                )
                return redirect("reviews:profile")
    else:
        form = SignupForm(request.POST or None, initial={"email": invite.email})
        if request.method == "POST" and form.is_valid():
            from pepiniere.accounts.services import register_applicant

            user = register_applicant(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            try:
                services.accept_invitation(invitation=invite, user=user)
            except services.ReviewError as error:
                messages.error(request, error.message)
                return redirect("reviews:home")
            return redirect("reviews:profile")
    return render(request, "reviews/invitation.html", {"invite": invite, "form": form})


# ---- officer and jury pages --------------------------------------------------------------------


def _managed_call(request: HttpRequest, slug: str) -> Call:
    call = (
        get_object_or_404(staff_calls(request.user), slug=slug)
        if request.user.is_authenticated
        else None
    )
    if call is None or not can_manage_reviews(request.user, call):
        raise Http404
    return call


@login_required
def pool(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = _managed_call(request, slug)
    invite_error, invite_value = "", ""
    if request.method == "POST":
        if "detect" in request.POST:
            created = services.detect_conflicts(call=call)
            messages.success(request, _("%(n)d conflit(s) détecté(s).") % {"n": created})
            return redirect("reviews:pool", call.slug)
        try:
            email = clean_email_address(request.POST.get("email", ""))
        except ValidationError as error:
            # The page again, with the message by the field and what was typed still in it.
            invite_error = " ".join(error.messages)
            invite_value = request.POST.get("email", "")[:1000]
        else:
            services.invite_reviewer(call=call, email=email, actor=request.user)
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": email})
            return redirect("reviews:pool", call.slug)
    members = CallReviewer.objects.filter(call=call).select_related(
        "reviewer", "reviewer__reviewer_profile"
    )
    invitations = Invitation.objects.filter(call=call, accepted_at__isnull=True)

    conflicts = (
        Conflict.objects.filter(
            reviewer__call_pools__call=call, organisation__applications__call=call
        )
        .select_related("reviewer", "organisation")
        .distinct()
    )
    return render(
        request,
        "reviews/pool.html",
        {
            "call": call,
            "members": members,
            "invitations": invitations,
            "conflicts": conflicts,
            "invite_error": invite_error,
            "invite_value": invite_value,
        },
        status=400 if invite_error else 200,
    )


@login_required
def assignment(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = _managed_call(request, slug)
    run = AssignmentRun.objects.filter(call=call, confirmed_at__isnull=True).first()
    if request.method == "POST":
        if "propose" in request.POST:
            run = services.propose_assignment(call=call, actor=request.user)
            if run.problems:
                messages.error(request, " ".join(run.problems[:2]))
        elif "confirm" in request.POST and run is not None:
            excluded = [
                parse_id_pair(p, label=_("Affectation retirée"))
                for p in request.POST.getlist("exclude")
            ]
            added = []
            if request.POST.get("add_application") and request.POST.get("add_reviewer"):
                added = [
                    (
                        parse_int_id(request.POST["add_application"], label=_("Dossier ajouté")),
                        parse_int_id(request.POST["add_reviewer"], label=_("Expert·e ajouté·e")),
                    )
                ]
            created = services.confirm_assignment(
                run=run, actor=request.user, excluded=excluded, added=added
            )
            messages.success(
                request,
                _("%(n)d affectation(s) confirmée(s) ; les expert·es sont prévenu·es.")
                % {"n": created},
            )
        return redirect("reviews:assignment", call.slug)
    proposal = []
    loads: dict[int, int] = {}
    if run is not None and run.pairs:
        applications = Application.objects.in_bulk({p[0] for p in run.pairs})
        reviewers = User.objects.in_bulk({p[1] for p in run.pairs})
        for application_id, reviewer_id, affinity in run.pairs:
            proposal.append(
                {
                    "application": applications[application_id],
                    "reviewer": reviewers[reviewer_id],
                    "affinity": affinity,
                    "key": f"{application_id}-{reviewer_id}",
                }
            )
            loads[reviewer_id] = loads.get(reviewer_id, 0) + 1
    pending = services.applications_to_assign(call)
    members = CallReviewer.objects.filter(call=call).select_related("reviewer")
    return render(
        request,
        "reviews/assignment.html",
        {
            "call": call,
            "run": run,
            "proposal": proposal,
            "pending": pending,
            "members": members,
            "loads": [(m.reviewer, loads.get(m.reviewer_id, 0)) for m in members],
            "total_affinity": sum(p["affinity"] for p in proposal),
        },
    )


@login_required
def progress(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = _managed_call(request, slug)
    if request.method == "POST":
        if "close" in request.POST:
            outcome = services.close_reviews(call=call, actor=request.user)
            messages.success(
                request,
                _("%(n)d dossier(s) passent à l'état « expertisé ».") % {"n": outcome.closed},
            )
            for short in outcome.short:
                messages.warning(
                    request,
                    _(
                        "%(ref)s reste « en expertise » : %(counted)d évaluation(s) retenue(s) "
                        "sur %(required)d demandée(s) ; %(reasons)s."
                    )
                    % {
                        "ref": short.application.reference,
                        "counted": short.counted,
                        "required": short.required,
                        "reasons": " ; ".join(short.reasons),
                    },
                )
        elif "remind" in request.POST:
            sent = services.send_reminders(call=call)
            messages.success(request, _("%(n)d rappel(s) envoyé(s).") % {"n": sent})
        elif "conflict" in request.POST:
            conflict_request = get_object_or_404(
                ConflictRequest,
                pk=parse_int_id(request.POST.get("conflict"), label=_("Conflit signalé")),
                assignment__application__call=call,
            )
            try:
                services.decide_conflict_request(
                    request=conflict_request,
                    actor=request.user,
                    accept=request.POST.get("decision") == "accept",
                    reason=request.POST.get("reason", "")[:2000],
                )
            except services.ReviewError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request, _("Décision enregistrée ; l'expert·e la voit dans son espace.")
                )
        elif "reopen" in request.POST:
            review = get_object_or_404(
                Review,
                pk=parse_int_id(request.POST.get("reopen"), label=_("Évaluation à rouvrir")),
                assignment__application__call=call,
            )
            try:
                services.reopen_review(
                    review=review, actor=request.user, reason=request.POST.get("reason", "")
                )
            except services.ReviewError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Évaluation rouverte."))
        return redirect("reviews:progress", call.slug)
    assignments = list(
        Assignment.objects.filter(application__call=call)
        .select_related("reviewer", "application", "review")
        .order_by("application__number", "reviewer__email")
    )
    counted = set(
        Review.objects.counted()
        .filter(assignment__application__call=call)
        .values_list("assignment_id", flat=True)
    )
    per_reviewer: dict[Any, list[int]] = {}
    per_application: dict[Any, list[int]] = {}
    for a in assignments:
        done = int(a.pk in counted)
        if not a.is_active or (a.status == AssignmentStatus.SUBMITTED and not done):
            continue  # withdrawn, or set aside for a conflict: it never counts
        per_reviewer.setdefault(a.reviewer, [0, 0])[done] += 1
        per_application.setdefault(a.application, [0, 0])[done] += 1
    conflict_requests = ConflictRequest.objects.filter(
        assignment__application__call=call
    ).select_related("assignment__application", "assignment__reviewer", "decided_by")
    return render(
        request,
        "reviews/progress.html",
        {
            "call": call,
            "per_reviewer": sorted(per_reviewer.items(), key=lambda kv: str(kv[0])),
            "per_application": sorted(per_application.items(), key=lambda kv: kv[0].number or 0),
            "submitted_reviews": [a for a in assignments if a.pk in counted],
            "conflict_requests": conflict_requests,
        },
    )


@login_required
def ranking(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    if not can_see_ranking(request.user, call):
        raise Http404
    result = ranking_for(call)
    return render(
        request,
        "reviews/ranking.html",
        {
            "call": call,
            "ranking": result,
            "criteria": list(call.criteria.all()),
            # Who reviewed what is the officers' business, not the jury's (README).
            "can_manage": bool(can_manage_reviews(request.user, call)),
        },
    )
