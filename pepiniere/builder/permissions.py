"""Who may see and change a call's settings in the builder.

- an officer of the call's funder (or an administrator) edits;
- an officer of a co-funder reads (the settings pages, the preview, the checklist);
- everybody else gets a 404 from the views (they do not learn that the call exists)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.programmes.models import Funder


def _officer_funders(user: Any) -> set[int]:
    if not user.is_authenticated:
        return set()
    ids: set[int] = user.funder_ids(Role.OFFICER)
    return ids


def _is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.ADMIN))


def can_open_builder(user: Any) -> Verdict:
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if _is_admin(user) or _officer_funders(user):
        return allow()
    return deny(_("La conception des appels est réservée aux chargé·es de mission des financeurs."))


def can_create_call(user: Any, funder: Funder) -> Verdict:
    if _is_admin(user) or funder.pk in _officer_funders(user):
        return allow()
    return deny(_("Vous ne pouvez créer des appels que pour votre financeur."))


def can_view_call_settings(user: Any, call: Call) -> Verdict:
    if _is_admin(user):
        return allow()
    funders = _officer_funders(user)
    if call.funder_id in funders:
        return allow()
    if funders & {f.pk for f in call.co_funders.all()}:
        return allow(_("Vous cofinancez cet appel : ses réglages vous sont ouverts en lecture."))
    return deny(_("Cet appel relève d'un autre financeur."))


def can_edit_call_settings(user: Any, call: Call) -> Verdict:
    if _is_admin(user) or call.funder_id in _officer_funders(user):
        return allow()
    if can_view_call_settings(user, call):
        return deny(
            _("Seul·es les chargé·es de mission de %(funder)s modifient cet appel ; vous le lisez.")
            % {"funder": call.funder.name}
        )
    return deny(_("Cet appel relève d'un autre financeur."))


def builder_calls(user: Any) -> QuerySet[Call]:
    """The calls whose settings this person may open (own funder's and co-funded ones)."""
    calls = Call.objects.select_related("funder", "programme", "axis")
    if _is_admin(user):
        return calls
    funders = _officer_funders(user)
    return calls.filter(Q(funder_id__in=funders) | Q(co_funders__in=funders)).distinct()


def creatable_funders(user: Any) -> QuerySet[Funder]:
    if _is_admin(user):
        return Funder.objects.all()
    return Funder.objects.filter(pk__in=_officer_funders(user))
