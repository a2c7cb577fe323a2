"""The accelerator's forms: plain forms the views parse before calling one service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pepiniere.accelerator.models import Mentor
from pepiniere.accounts.models import User
from pepiniere.calls.models import Sector
from pepiniere.lib.uploads import sanitise_filename, structure_error

EVIDENCE_EXTENSIONS = ("pdf", "png", "jpg", "jpeg")
EVIDENCE_MAX_MB = 5


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class LeaveForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la sortie"), widget=forms.Textarea(attrs={"rows": 2})
    )
    on = forms.DateField(label=_("Date de sortie"), required=False, widget=DateInput())


class EndForm(forms.Form):
    on = forms.DateField(label=_("Date de fin"), required=False, widget=DateInput())


class MentorForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique du ou de la mentor"),
        help_text=_("La personne a déjà un compte sur la plateforme."),
    )
    expertise = forms.CharField(
        label=_("Expertise"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Filières"), queryset=Sector.objects.all(), required=False
    )
    languages = forms.CharField(label=_("Langues"), max_length=100, required=False)
    capacity = forms.IntegerField(
        label=_("Start-ups à la fois"), min_value=1, max_value=20, initial=2
    )

    def clean_email(self) -> User:
        email = self.cleaned_data["email"].lower()
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _(
                    "Aucun compte actif pour cette adresse : invitez d'abord la personne à s'inscrire."
                )
            )
        return user


class SessionForm(forms.Form):
    mentor = forms.ModelChoiceField(label=_("Mentor"), queryset=Mentor.objects.none())
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    topic = forms.CharField(label=_("Sujet"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, mentors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["mentor"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = mentors
        if len(mentors) == 1:
            field.initial = mentors[0].pk


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Intitulé du jalon"), max_length=200)
    due_date = forms.DateField(label=_("Échéance"), widget=DateInput())


class EvidenceForm(forms.Form):
    evidence = forms.CharField(
        label=_("Preuve"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : l'adresse de la version publiée, le contrat signé."),
    )
    evidence_file = forms.FileField(
        label=_("Pièce justificative (PDF, PNG ou JPEG, 5 Mo au plus)"), required=False
    )

    def clean_evidence_file(self) -> Any:
        upload = self.cleaned_data.get("evidence_file")
        if upload is None:
            return None
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in EVIDENCE_EXTENSIONS:
            raise forms.ValidationError(_("Joignez un fichier PDF, PNG ou JPEG."))
        if upload.size > EVIDENCE_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(_("Le fichier dépasse 5 Mo."))
        problem = structure_error(extension, upload)
        if problem:
            raise forms.ValidationError(problem)
        upload.name = sanitise_filename(upload.name)
        return upload
