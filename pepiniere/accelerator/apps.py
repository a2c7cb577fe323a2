from django.apps import AppConfig


class AcceleratorConfig(AppConfig):
    name = "pepiniere.accelerator"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Accélérateur"

    def ready(self) -> None:
        # Accelerator stays are non-financial support: they count in RCO04 (portfolio/, an
        # earlier stage, asks through its extension point) and show on the organisation's
        # follow-up page.
        from pepiniere.accelerator import receivers
        from pepiniere.portfolio.hooks import other_support
        from pepiniere.portfolio.indicators_results import non_financial_support

        non_financial_support.register(receivers.accelerated_organisations)
        other_support.register(receivers.stay_events)

        # Mes dossiers (the applicant's home) lists the stays of their start-ups and of the
        # start-ups they mentor.
        from pepiniere.applications.selectors import applicant_tasks

        applicant_tasks.register(receivers.applicant_tasks)

        from pepiniere.audit.labels import state_labels

        state_labels.register(_status_label)


def _status_label(code: str) -> str | None:
    from pepiniere.accelerator.models import MilestoneStatus, StayStatus

    label = dict(StayStatus.choices).get(code) or dict(MilestoneStatus.choices).get(code)
    return None if label is None else str(label)
