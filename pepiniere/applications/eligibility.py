"""The call's eligibility rules checked against an application, one explained result per rule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application
from pepiniere.lib.dates import long_date
from pepiniere.lib.money import format_eur
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.programmes.models import Label
from pepiniere.programmes.selectors import LabelIndex, Place


@dataclass(frozen=True)
class RuleCheck:
    code: str
    label: str
    passed: bool
    message: str


def check_eligibility(
    application: Application, *, on: datetime.date | None = None
) -> list[RuleCheck]:
    call = application.call
    organisation = application.organisation
    on = on or timezone.localdate()
    checks: list[RuleCheck] = []

    departements = {d.code: d for d in call.eligible_departements.all()}
    communes = set(call.eligible_communes or [])
    if departements or communes:
        inside = (
            organisation.departement_id in departements or organisation.commune_code in communes
        )
        names = ", ".join(str(d) for d in departements.values())
        if communes:
            names = ", ".join(
                filter(
                    None, [names, _("communes %(codes)s") % {"codes": ", ".join(sorted(communes))}]
                )
            )
        checks.append(
            RuleCheck(
                "territory",
                _("Territoire"),
                inside,
                _("Votre structure est située dans le territoire de l'appel.")
                if inside
                else _(
                    "Votre structure est située en %(where)s ; l'appel est réservé à : %(names)s."
                )
                % {"where": organisation.departement, "names": names},
            )
        )

    if call.eligible_kinds:
        kinds = dict(OrganisationKind.choices)
        ok = organisation.kind in call.eligible_kinds
        allowed = ", ".join(str(kinds.get(k, k)) for k in call.eligible_kinds)
        checks.append(
            RuleCheck(
                "kind",
                _("Type de structure"),
                ok,
                _("Les structures de type « %(kind)s » sont éligibles.")
                % {"kind": organisation.get_kind_display()}
                if ok
                else _(
                    "L'appel est ouvert aux structures : %(allowed)s ; la vôtre est « %(kind)s »."
                )
                % {"allowed": allowed, "kind": organisation.get_kind_display()},
            )
        )

    legal_forms = {lf.code: lf for lf in call.eligible_legal_forms.all()}
    if legal_forms:
        ok = organisation.legal_form_id in legal_forms
        if organisation.legal_form_id is None:
            message = _("Indiquez la forme juridique de votre structure dans sa fiche.")
        elif ok:
            message = _("Votre forme juridique est éligible.")
        else:
            message = _(
                "La forme juridique %(form)s n'est pas éligible (formes acceptées : %(list)s)."
            ) % {
                "form": organisation.legal_form,
                "list": ", ".join(sorted(legal_forms)),
            }
        checks.append(RuleCheck("legal_form", _("Forme juridique"), ok, message))

    bands = {b.code: b for b in call.eligible_size_bands.all()}
    if bands:
        ok = organisation.size_band_id in bands
        if organisation.size_band_id is None:
            message = _("Indiquez la tranche d'effectifs de votre structure dans sa fiche.")
        elif ok:
            message = _("Votre tranche d'effectifs est éligible.")
        else:
            message = _("Votre tranche d'effectifs (%(band)s) n'est pas éligible.") % {
                "band": organisation.size_band
            }
        checks.append(RuleCheck("size_band", _("Effectifs"), ok, message))

    if call.min_age_years is not None or call.max_age_years is not None:
        age = organisation.age_in_years(on)
        if age is None:
            ok, message = False, _("Indiquez la date de création de votre structure dans sa fiche.")
        else:
            too_young = call.min_age_years is not None and age < call.min_age_years
            too_old = call.max_age_years is not None and age > call.max_age_years
            ok = not (too_young or too_old)
            if too_young:
                message = _("Votre structure a %(age).1f ans ; il en faut au moins %(min)d.") % {
                    "age": age,
                    "min": call.min_age_years,
                }
            elif too_old:
                message = _(
                    "Votre structure a %(age).1f ans ; l'appel est réservé aux structures de %(max)d ans au plus."
                ) % {
                    "age": age,
                    "max": call.max_age_years,
                }
            else:
                message = _("L'ancienneté de votre structure convient.")
        checks.append(RuleCheck("age", _("Ancienneté"), ok, message))

    labels = list(call.required_labels.all())
    if labels:
        checks.append(label_check(organisation, labels, on))

    requested = application.requested_amount
    if call.max_requested_amount is not None:
        if requested is None:
            ok, message = False, _("Indiquez le montant demandé.")
        else:
            ok = requested <= call.max_requested_amount
            message = (
                _("Le montant demandé respecte le plafond de %(max)s.")
                if ok
                else _("Vous demandez %(amount)s ; le plafond de l'appel est %(max)s.")
            ) % {"amount": format_eur(requested), "max": format_eur(call.max_requested_amount)}
        checks.append(RuleCheck("max_amount", _("Montant maximal"), ok, message))

    if call.max_aid_rate is not None:
        budget = application.project_budget
        if requested is None or not budget:
            ok, message = False, _("Indiquez le montant demandé et le budget total du projet.")
        else:
            rate = (requested / budget * 100).quantize(Decimal("0.1"))
            ok = rate <= call.max_aid_rate
            message = (
                _("Le taux d'aide (%(rate)s %%) respecte le maximum de %(max)s %%.")
                if ok
                else _(
                    "Le taux d'aide demandé est de %(rate)s %% du budget ; le maximum est %(max)s %%."
                )
            ) % {
                "rate": number_format(rate, 1),
                "max": number_format(call.max_aid_rate.normalize()),
            }
        checks.append(RuleCheck("aid_rate", _("Taux d'aide"), ok, message))

    return checks


def _either(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(head)s ou %(last)s") % {"head": ", ".join(names[:-1]), "last": names[-1]}


def label_check(organisation: Organisation, labels: list[Label], on: datetime.date) -> RuleCheck:
    """Any one of the call's labels, held on the day (by the structure or by its territory)."""
    index = LabelIndex.load(labels=labels, organisation_ids=[organisation.pk])
    place = Place.of(organisation)
    holding = next(
        (h for label in labels if (h := index.holding(place, label, on)) is not None), None
    )
    if holding is not None:
        if holding.organisation_id is not None:
            message = _("Votre structure est labellisée %(label)s depuis le %(start)s.") % {
                "label": holding.label.name,
                "start": long_date(holding.start_date),
            }
        else:
            message = _(
                "Votre structure est située dans un territoire labellisé %(label)s "
                "(%(territory)s, depuis le %(start)s)."
            ) % {
                "label": holding.label.name,
                "territory": holding.territory_name,
                "start": long_date(holding.start_date),
            }
        return RuleCheck("label", _("Label"), True, message)
    where = organisation.commune_name or str(organisation.departement)
    return RuleCheck(
        "label",
        _("Label"),
        False,
        (
            _(
                "Cet appel est réservé aux structures labellisées %(labels)s ; votre structure "
                "(%(where)s) n'a pas ce label à la date du %(day)s."
            )
            if len(labels) == 1
            else _(
                "Cet appel est réservé aux structures labellisées %(labels)s ; votre structure "
                "(%(where)s) n'a aucun de ces labels à la date du %(day)s."
            )
        )
        % {
            "labels": _either([label.name for label in labels]),
            "where": where,
            "day": long_date(on),
        },
    )
