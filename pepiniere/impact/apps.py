from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "pepiniere.impact"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Impact des aides"

    def ready(self) -> None:
        # Awards (grants/) and KPI figures (portfolio/), earlier stages, announce their changes
        # through extension points: the impact figures computed from them are refreshed.
        from pepiniere.grants.hooks import award_amended, award_made
        from pepiniere.impact import receivers
        from pepiniere.portfolio.hooks import kpi_figures_changed

        award_made.register(receivers.data_changed)
        award_amended.register(receivers.award_amended)
        kpi_figures_changed.register(receivers.data_changed)
