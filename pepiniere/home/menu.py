"""What each person may open, as menu items and as tabs of a call.

Both are computed from the permission functions the views themselves call, so that no link in
the menu or in a tab bar answers 403 or 404 to the person who sees it. The site menu only reads
the person's roles (one query per request, shared with every other role check of the request);
a call's tab bar reads the person's funders once and the call's co-funders once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.agreements.permissions import can_see_call_agreements
from pepiniere.applications.permissions import can_open_backoffice
from pepiniere.calls.models import Call
from pepiniere.grants.permissions import can_see_grants
from pepiniere.portfolio.permissions_portfolio import can_view_portfolio
from pepiniere.reviews.permissions import can_manage_reviews, can_see_ranking
from pepiniere.selection.permissions import can_view_scenarios

# The sections of the home page, in the order they are shown to a person with several roles.
OFFICER, JURY, FINANCE, REVIEWER, APPLICANT = "officer", "jury", "finance", "reviewer", "applicant"


def home_sections(user: Any) -> list[str]:
    """The home sections of this person: one per role they hold. A person with no role at all
    (an account created outside sign-up) is treated as an applicant: Mes dossiers is where they
    can start."""
    if not user.is_authenticated:
        return []
    roles = set(user.role_set)
    sections = []
    if Role.OFFICER in roles or user.has_role(Role.ADMIN):
        sections.append(OFFICER)
    if Role.JURY in roles:
        sections.append(JURY)
    if Role.FINANCE in roles:
        sections.append(FINANCE)
    if Role.REVIEWER in roles:
        sections.append(REVIEWER)
    if Role.APPLICANT in roles or not (roles or user.has_role(Role.ADMIN)):
        sections.append(APPLICANT)
    return sections


def has_home_page(user: Any) -> bool:
    """Whether the home page is a page of its own. An applicant (only) lands on Mes dossiers and
    an expert (only) on Mes évaluations: their work already has a page, with the same menu item."""
    return home_sections(user) not in ([], [APPLICANT], [REVIEWER])


def landing_url(user: Any) -> str:
    sections = home_sections(user)
    if sections == [APPLICANT]:
        return reverse("applications:mine")
    if sections == [REVIEWER]:
        return reverse("reviews:home")
    return reverse("home:index")


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: bool = False


def menu_items(request: HttpRequest) -> list[MenuItem]:
    """The links of the site's header for the person making the request (log-out, language and
    log-in links are the template's)."""
    user = request.user
    match = request.resolver_match
    app = match.app_name if match else ""
    name = match.url_name if match else ""
    items = [MenuItem(_("Appels à projets"), reverse("calls:catalogue"), app == "calls")]
    if not user.is_authenticated:
        return items
    sections = home_sections(user)
    if has_home_page(user):
        items.append(
            MenuItem(_("Accueil"), reverse("home:index"), app == "home" and name == "index")
        )
    if APPLICANT in sections:
        items.append(
            MenuItem(
                _("Mes dossiers"),
                reverse("applications:mine"),
                app == "applications" and name == "mine",
            )
        )
        items.append(
            MenuItem(_("Mes structures"), reverse("organisations:mine"), app == "organisations")
        )
        items.append(
            MenuItem(
                _("Mes indicateurs"),
                reverse("kpi:mine"),
                app == "kpi" and name in {"mine", "report"} and OFFICER not in sections,
            )
        )
    if REVIEWER in sections:
        items.append(
            MenuItem(
                _("Mes évaluations"),
                reverse("reviews:home"),
                app == "reviews" and name in {"home", "review", "conflict", "profile", "bids"},
            )
        )
    if can_open_backoffice(user):
        items.append(
            MenuItem(_("Instruction"), reverse("backoffice:home"), app in {"backoffice", "builder"})
        )
    if FINANCE in sections:  # the multi-year ledgers and the money movements
        items.append(
            MenuItem(
                _("Finances"),
                reverse("home:finance"),
                app == "home" and name in {"finance", "movements", "audit_entry"},
            )
        )
    if can_view_portfolio(user):
        items.append(
            MenuItem(
                _("Portefeuille"),
                reverse("portfolio:list"),
                app == "portfolio" and name != "organisation",
            )
        )
    if OFFICER in sections or FINANCE in sections:
        items.append(
            MenuItem(
                _("Versements"),
                reverse(
                    "payments_staff:to_check"
                    if OFFICER in sections
                    else "payments_staff:to_authorise"
                ),
                app == "payments_staff",
            )
        )
        items.append(
            MenuItem(
                _("Indicateurs"),
                reverse("kpi:campaigns"),
                app == "kpi" and name not in {"mine", "report"},
            )
        )
        items.append(MenuItem(_("Impact"), reverse("impact:dashboard"), app == "impact"))
    if OFFICER in sections:  # the accelerators the funder runs (the page lists them)
        items.append(MenuItem(_("Accélérateur"), reverse("accelerator:home"), app == "accelerator"))
    if user.is_staff:
        items.append(MenuItem(_("Administration"), reverse("admin:index")))
    items.append(
        MenuItem(
            _("Mon compte"), reverse("accounts:account"), app == "accounts" and name == "account"
        )
    )
    return items


class _OneReadOfFunders:
    """The person, whose funders per role are read once (one query) however many permission
    functions ask. Everything else is the person's own attribute."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)

    @cached_property
    def _funders(self) -> dict[str, set[int]]:
        by_role: dict[str, set[int]] = {}
        for role, funder_id in self._user.role_grants.filter(funder__isnull=False).values_list(
            "role", "funder_id"
        ):
            by_role.setdefault(role, set()).add(funder_id)
        return by_role

    def funder_ids(self, role: str) -> set[int]:
        return set(self._funders.get(role, set()))


@dataclass(frozen=True)
class Tab:
    code: str
    label: str
    url: str


def call_tabs(user: Any, call: Call) -> list[Tab]:
    """The tabs of a call's back-office pages this person may open (each view's own check)."""
    if not user.is_authenticated:
        return []
    person = _OneReadOfFunders(user)
    prefetch_related_objects([call], "co_funders")
    slug = call.slug
    tabs = []
    backoffice = bool(can_open_backoffice(person))
    ranking = bool(can_see_ranking(person, call))
    if backoffice and ranking:  # the dashboard: back-office staff of the call (staff_calls)
        tabs.append(
            Tab("dashboard", _("Tableau de bord"), reverse("backoffice:dashboard", args=[slug]))
        )
    if can_manage_reviews(person, call):
        tabs += [
            Tab("pool", _("Expert·es"), reverse("reviews:pool", args=[slug])),
            Tab("assignment", _("Affectation"), reverse("reviews:assignment", args=[slug])),
            Tab("progress", _("Avancement"), reverse("reviews:progress", args=[slug])),
        ]
    if ranking:
        tabs.append(Tab("ranking", _("Classement"), reverse("reviews:ranking", args=[slug])))
    if can_view_scenarios(person, call):
        tabs.append(Tab("selection", _("Sélection"), reverse("selection:scenarios", args=[slug])))
    if ranking:
        tabs.append(Tab("jury", _("Jury"), reverse("selection:jury", args=[slug])))
    if can_see_grants(person, call):
        tabs.append(Tab("grants", _("Aides"), reverse("grants:call", args=[slug])))
    if can_see_call_agreements(person, call):
        tabs.append(Tab("agreements", _("Conventions"), reverse("agreements:call", args=[slug])))
    return tabs
