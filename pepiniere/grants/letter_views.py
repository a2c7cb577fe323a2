"""Officers' pages for the wording of a call's decision letters: one template per decision kind,
edited, checked, previewed as the PDF an applicant would get, or reset to the default."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pepiniere.grants import letter_templates, letters
from pepiniere.grants.forms import LetterTemplateForm
from pepiniere.grants.models import LetterTemplate, Outcome
from pepiniere.grants.permissions import can_set_policy
from pepiniere.grants.services import AwardError
from pepiniere.grants.views import _call


@login_required
def letter_templates_list(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    if not can_set_policy(request.user, call):
        raise Http404
    custom = {t.outcome: t for t in LetterTemplate.objects.filter(call=call)}
    return render(
        request,
        "grants/letter_templates.html",
        {"call": call, "kinds": [(o, custom.get(o.value)) for o in Outcome]},
    )


@login_required
def letter_template(request: HttpRequest, slug: str, outcome: str) -> HttpResponse:
    call = _call(request, slug)
    if not can_set_policy(request.user, call) or outcome not in Outcome.values:
        raise Http404
    saved = LetterTemplate.objects.filter(call=call, outcome=outcome).first()
    default = letter_templates.default_wording(outcome)
    error = None
    if request.method == "POST":
        if "reset" in request.POST:
            letters.reset_letter_template(call=call, outcome=outcome, actor=request.user)
            messages.success(request, _("Modèle par défaut rétabli."))
            return redirect("grants:letter_template", call.slug, outcome)
        form = LetterTemplateForm(request.POST)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            try:
                if "preview" in request.POST:
                    letter_templates.check_template(subject, label=_("Objet"), outcome=outcome)
                    letter_templates.check_template(
                        body, label=_("Corps du courrier"), outcome=outcome
                    )
                    response = HttpResponse(
                        letters.preview_pdf(call=call, outcome=outcome, subject=subject, body=body),
                        content_type="application/pdf",
                    )
                    response["Content-Disposition"] = f'inline; filename="apercu-{outcome}.pdf"'
                    return response
                letters.save_letter_template(
                    call=call, outcome=outcome, subject=subject, body=body, actor=request.user
                )
            except letter_templates.TemplateRefused as refused:
                error = refused.message
            except AwardError as refused_save:
                error = refused_save.message
            else:
                messages.success(
                    request, _("Modèle enregistré : les prochains courriers l'utiliseront.")
                )
                return redirect("grants:letter_template", call.slug, outcome)
    else:
        form = LetterTemplateForm(
            initial={
                "subject": saved.subject if saved else default.subject,
                "body": saved.body if saved else default.body,
            }
        )
    return render(
        request,
        "grants/letter_template.html",
        {
            "call": call,
            "outcome": Outcome(outcome),
            "saved": saved,
            "form": form,
            "error": error,
            "variables": letter_templates.VARIABLES,
            "writing_help": _(
                "Le modèle est du HTML (paragraphes <p>, titres <h2>, listes <ul><li>, <strong>, "
                "<em>) avec des variables entre doubles accolades, par exemple {{ projet }}, et des "
                "conditions {%% if motif %%}…{%% endif %%}. Les valeurs sont protégées (un nom "
                "contenant < ou & s'affiche tel quel). L'en-tête du financeur, les références, "
                "l'adresse du destinataire (placée pour une enveloppe à fenêtre DL), le lieu et la "
                "date, l'objet et la signature sont ajoutés par la plateforme."
            ).replace("%%", "%"),
        },
        status=422 if error or (form.is_bound and form.errors) else 200,
    )
