from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "pepiniere.agreements"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("conventions")

    def ready(self) -> None:
        # The audit journal names an agreement's states in French.
        from pepiniere.audit.labels import state_labels

        state_labels.register(_status_label)

        # The applicant's home (Mes dossiers) lists the agreements waiting for its signature.
        from pepiniere.agreements.selectors import applicant_tasks as agreement_tasks
        from pepiniere.applications.selectors import applicant_tasks

        applicant_tasks.register(agreement_tasks)


def _status_label(code: str) -> str | None:
    from pepiniere.agreements.models import AgreementStatus

    label = dict(AgreementStatus.choices).get(code)
    return None if label is None else str(label)
