"""The accelerator's pages. Officers of the programme's funder run it (programme, cohort forming,
mentor pool, matching, stays); a start-up's members see their stay; a mentor sees the stays they
mentor and records sessions. An object someone may not see answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accelerator import matching, services
from pepiniere.accelerator.forms import (
    EndForm,
    EvidenceForm,
    LeaveForm,
    MentorForm,
    MilestoneForm,
    SessionForm,
)
from pepiniere.accelerator.models import (
    AcceleratorProgramme,
    Cohort,
    MatchingProposal,
    Mentor,
    Mentoring,
    Milestone,
    Stay,
)
from pepiniere.accelerator.permissions import (
    can_follow_milestones,
    can_manage_programme,
    can_record_session,
    can_see_stay,
    officer_funder_ids,
    runs_programme,
)
from pepiniere.applications.permissions import is_member
from pepiniere.lib.dates import DateError, parse_date
from pepiniere.lib.http import AuthenticatedHttpRequest

STAY_LIST = ("organisation", "cohort")


def _mentorings() -> Prefetch[Any]:
    return Prefetch("mentorings", queryset=Mentoring.objects.select_related("mentor__user"))


def _programme(request: AuthenticatedHttpRequest, pk: int) -> AcceleratorProgramme:
    programme = get_object_or_404(
        AcceleratorProgramme.objects.select_related("funder", "partner", "call"), pk=pk
    )
    if not can_manage_programme(request.user, programme):
        raise Http404
    return programme


def _cohort(request: AuthenticatedHttpRequest, pk: int) -> Cohort:
    cohort = get_object_or_404(Cohort.objects.select_related("programme__call"), pk=pk)
    if not can_manage_programme(request.user, cohort.programme):
        raise Http404
    return cohort


def _stay(request: AuthenticatedHttpRequest, pk: int) -> Stay:
    stay = get_object_or_404(
        Stay.objects.select_related("organisation", "cohort__programme", "application"), pk=pk
    )
    if not can_see_stay(request.user, stay):
        raise Http404
    return stay


def _error(request: AuthenticatedHttpRequest, error: services.AcceleratorError) -> None:
    messages.error(request, str(error))


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The programmes the person runs, the stays of their start-ups, the stays they mentor."""
    user = request.user
    funder_ids = officer_funder_ids(user)
    programmes: list[AcceleratorProgramme] = []
    if funder_ids is None or funder_ids:
        queryset = AcceleratorProgramme.objects.select_related("funder", "partner")
        if funder_ids is not None:
            queryset = queryset.filter(funder_id__in=funder_ids)
        programmes = list(queryset)
    own = list(
        Stay.objects.filter(organisation__memberships__user=user)
        .select_related(*STAY_LIST, "cohort__programme")
        .prefetch_related(_mentorings())
        .distinct()
    )
    mentored = list(
        Stay.objects.filter(mentorings__mentor__user=user)
        .select_related(*STAY_LIST, "cohort__programme")
        .distinct()
    )
    return render(
        request,
        "accelerator/home.html",
        {
            "programmes": [(p, services.gauge(p)) for p in programmes],
            "own": own,
            "mentored": mentored,
        },
    )


@login_required
def programme(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    cohorts = list(
        programme.cohorts.prefetch_related(
            Prefetch(
                "stays",
                queryset=Stay.objects.select_related("organisation").prefetch_related(
                    _mentorings()
                ),
            )
        ).order_by("-year")
    )
    return render(
        request,
        "accelerator/programme.html",
        {
            "programme": programme,
            "cohorts": cohorts,
            "gauge": services.gauge(programme),
            "waiting": len(services.selected_applications(programme)),
            "today": timezone.localdate(),
        },
    )


def _starts(request: AuthenticatedHttpRequest, programme: AcceleratorProgramme) -> list[Any]:
    """The ticked applications and their start dates (« 2016-01-04 » or « 04/01/2016 »)."""
    ticked = set(request.POST.getlist("application"))
    starts = []
    for application in services.selected_applications(programme):
        if str(application.pk) not in ticked:
            continue
        try:
            day = parse_date(request.POST.get(f"start_{application.pk}", ""))
        except DateError as error:
            raise DateError(
                _("Début du séjour de %(name)s : %(error)s")
                % {"name": application.organisation.name, "error": error.message}
            ) from error
        starts.append((application, day))
    return starts


@login_required
def form_cohort(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    today = timezone.localdate()
    year_text = request.POST.get("year") or request.GET.get("year") or str(today.year)
    if request.method == "POST":
        try:
            year = int(year_text)
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            messages.error(request, _("Indiquez une année sur quatre chiffres."))
            return redirect("accelerator:form_cohort", programme.pk)
        try:
            cohort = services.form_cohort(
                programme=programme,
                year=year,
                starts=_starts(request, programme),
                actor=request.user,
            )
        except services.AcceleratorError as error:
            _error(request, error)
        except DateError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Cohorte %(year)d : %(count)d start-up(s) en séjour.")
                % {"year": cohort.year, "count": cohort.stays.count()},
            )
            return redirect("accelerator:programme", programme.pk)
    return render(
        request,
        "accelerator/form_cohort.html",
        {
            "programme": programme,
            "applications": services.selected_applications(programme),
            "year": year_text,
            "default_start": today.isoformat(),  # the date input's own format
            "gauge": services.gauge(programme),
        },
    )


@login_required
def mentors(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    form = MentorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mentor = services.add_mentor(
                programme=programme,
                user=form.cleaned_data["email"],
                actor=request.user,
                expertise=form.cleaned_data["expertise"],
                languages=form.cleaned_data["languages"],
                capacity=form.cleaned_data["capacity"],
                sectors=form.cleaned_data["sectors"],
            )
        except services.AcceleratorError as error:
            _error(request, error)
        else:
            messages.success(
                request, _("%(name)s rejoint le vivier de mentors.") % {"name": mentor}
            )
            return redirect("accelerator:mentors", programme.pk)
    pool = list(
        Mentor.objects.filter(programme=programme)
        .select_related("user")
        .prefetch_related("sectors")
        .order_by("user__full_name", "pk")
    )
    loads = {m.pk: m.load for m in matching.pool_of_programme(programme.pk)}
    return render(
        request,
        "accelerator/mentors.html",
        {
            "programme": programme,
            "pool": [(m, loads.get(m.pk, 0)) for m in pool],
            "form": form,
        },
    )


@login_required
def matching_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _cohort(request, pk)
    proposal = cohort.proposals.filter(confirmed_at__isnull=True).first()
    rows = []
    mentors = {m.pk: m for m in matching.pool(cohort)}
    if proposal is not None:
        stays = {s.pk: s for s in Stay.objects.filter(cohort=cohort).select_related("organisation")}
        for stay_id, mentor_id, affinity in proposal.pairs:
            if stay_id in stays and mentor_id in mentors:
                rows.append(
                    {"stay": stays[stay_id], "mentor": mentors[mentor_id], "affinity": affinity}
                )
    confirmed = list(
        Stay.objects.filter(cohort=cohort, mentorings__isnull=False)
        .select_related("organisation")
        .prefetch_related(_mentorings())
        .distinct()
    )
    return render(
        request,
        "accelerator/matching.html",
        {
            "cohort": cohort,
            "programme": cohort.programme,
            "proposal": proposal,
            "rows": rows,
            "mentors": list(mentors.values()),
            "waiting": matching.stays_to_match(cohort),
            "confirmed": confirmed,
        },
    )


@login_required
@require_POST
def propose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _cohort(request, pk)
    proposal = matching.propose_mentors(cohort=cohort, actor=request.user)
    for problem in proposal.problems:
        messages.error(request, problem)
    if not proposal.problems:
        messages.success(request, _("Proposition prête : vérifiez-la, ajustez-la, confirmez-la."))
    return redirect("accelerator:matching", cohort.pk)


def _proposal(request: AuthenticatedHttpRequest, pk: int) -> MatchingProposal:
    proposal = get_object_or_404(
        MatchingProposal.objects.select_related("cohort__programme"), pk=pk
    )
    if not can_manage_programme(request.user, proposal.cohort.programme):
        raise Http404
    return proposal


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@login_required
@require_POST
def swap(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    try:
        matching.swap_mentor(
            proposal=proposal,
            stay_id=_int(request.POST.get("stay")),
            old_mentor_id=_int(request.POST.get("old")),
            new_mentor_id=_int(request.POST.get("new")),
            actor=request.user,
        )
    except services.AcceleratorError as error:
        _error(request, error)
    else:
        messages.success(request, _("Mentor remplacé·e dans la proposition."))
    return redirect("accelerator:matching", proposal.cohort_id)


@login_required
@require_POST
def confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    try:
        count = matching.confirm_mentors(proposal=proposal, actor=request.user)
    except services.AcceleratorError as error:
        _error(request, error)
    else:
        messages.success(request, _("%(count)d mentorat(s) confirmé(s).") % {"count": count})
    return redirect("accelerator:matching", proposal.cohort_id)


@login_required
def stay(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    user = request.user
    officer = runs_programme(user, stay.cohort.programme)
    mentorings = list(stay.mentorings.select_related("mentor__user"))
    mine = [m.mentor for m in mentorings if m.mentor.user_id == user.pk]
    session_mentors = [m.mentor for m in mentorings] if officer else mine
    return render(
        request,
        "accelerator/stay.html",
        {
            "stay": stay,
            "programme": stay.cohort.programme,
            "officer": officer,
            "member": is_member(user, stay.organisation_id),
            "mentorings": mentorings,
            "sessions": list(stay.sessions.select_related("mentor__user")),
            "milestones": list(stay.milestones.all()),
            "can_record": bool(can_record_session(user, stay)) and bool(session_mentors),
            "can_follow": bool(can_follow_milestones(user, stay)),
            "session_form": SessionForm(
                mentors=Mentor.objects.filter(
                    pk__in=[m.pk for m in session_mentors]
                ).select_related("user"),
                initial={"held_on": timezone.localdate()},
            ),
            "milestone_form": MilestoneForm(),
            "evidence_form": EvidenceForm(),
            "leave_form": LeaveForm(),
            "end_form": EndForm(),
        },
    )


@login_required
@require_POST
def stay_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    stay = _stay(request, pk)
    if action not in services.TRANSITIONS:
        raise Http404
    can_manage_programme(request.user, stay.cohort.programme).enforce()
    form: EndForm | LeaveForm = (
        LeaveForm(request.POST) if action == "leave" else EndForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("accelerator:stay", stay.pk)
    try:
        if action == "renew":
            services.renew_stay(stay=stay, actor=request.user)
            messages.success(request, _("Séjour renouvelé."))
        elif action == "graduate":
            services.graduate_stay(stay=stay, actor=request.user, on=form.cleaned_data["on"])
            messages.success(request, _("Séjour terminé avec succès."))
        else:
            services.leave_stay(
                stay=stay,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
            )
            messages.success(request, _("Sortie de la start-up enregistrée."))
    except services.AcceleratorError as error:
        _error(request, error)
    return redirect("accelerator:stay", stay.pk)


@login_required
@require_POST
def add_session(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    can_record_session(request.user, stay).enforce()
    form = SessionForm(request.POST, mentors=Mentor.objects.filter(mentorings__stay=stay))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("accelerator:stay", stay.pk)
    try:
        services.record_session(actor=request.user, stay=stay, **form.cleaned_data)
    except services.AcceleratorError as error:
        _error(request, error)
    else:
        messages.success(request, _("Séance enregistrée."))
    return redirect("accelerator:stay", stay.pk)


@login_required
@require_POST
def add_milestone(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    can_follow_milestones(request.user, stay).enforce()
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("accelerator:stay", stay.pk)
    try:
        services.plan_milestone(stay=stay, actor=request.user, **form.cleaned_data)
    except services.AcceleratorError as error:
        _error(request, error)
    else:
        messages.success(request, _("Jalon ajouté."))
    return redirect("accelerator:stay", stay.pk)


def _milestone(request: AuthenticatedHttpRequest, pk: int) -> Milestone:
    milestone = get_object_or_404(Milestone.objects.select_related("stay"), pk=pk)
    _stay(request, milestone.stay_id)
    return milestone


@login_required
@require_POST
def decide_milestone(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    milestone = _milestone(request, pk)
    if action not in ("reach", "miss"):
        raise Http404
    can_follow_milestones(request.user, milestone.stay).enforce()
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("accelerator:stay", milestone.stay_id)
    try:
        if action == "reach":
            services.reach_milestone(
                milestone=milestone,
                actor=request.user,
                evidence=form.cleaned_data["evidence"],
                evidence_file=form.cleaned_data["evidence_file"],
            )
            messages.success(request, _("Jalon atteint."))
        else:
            services.miss_milestone(
                milestone=milestone, actor=request.user, reason=form.cleaned_data["evidence"]
            )
            messages.success(request, _("Jalon noté comme manqué."))
    except services.AcceleratorError as error:
        _error(request, error)
    return redirect("accelerator:stay", milestone.stay_id)


@login_required
def evidence(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    milestone = _milestone(request, pk)
    if not milestone.evidence_file:
        raise Http404
    name = (milestone.evidence_file.name or "preuve").rsplit("/", 1)[-1]
    return FileResponse(milestone.evidence_file.open("rb"), as_attachment=True, filename=name)
