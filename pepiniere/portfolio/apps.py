from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "pepiniere.portfolio"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Suivi des structures soutenues"

    def ready(self) -> None:
        # The award (grants/, an earlier stage) asks for the baseline report through this
        # extension point: the later stage plugs into the earlier one (lifecycle = import order).
        from pepiniere.grants.hooks import award_made
        from pepiniere.portfolio.services import ask_baseline_for_award

        award_made.register(ask_baseline_for_award)

        # What each funder gave each organisation, as the portfolio list sorts it.
        from pepiniere.grants.hooks import award_amended
        from pepiniere.portfolio import summaries

        award_made.register(summaries.award_made)
        award_amended.register(summaries.award_amended)

        # The applicant's home (Mes dossiers) lists the reports to transmit.
        from pepiniere.applications.selectors import applicant_tasks
        from pepiniere.portfolio.selectors import applicant_tasks as kpi_tasks

        applicant_tasks.register(kpi_tasks)

        from pepiniere.audit.labels import state_labels

        state_labels.register(_status_label)


def _status_label(code: str) -> str | None:
    from pepiniere.portfolio.models import CampaignStatus, ReportStatus

    label = dict(ReportStatus.choices).get(code) or dict(CampaignStatus.choices).get(code)
    return None if label is None else str(label)
