from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "pepiniere.opendata"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Données ouvertes"

    def ready(self) -> None:
        from pepiniere.agreements import hooks
        from pepiniere.opendata.tasks import on_version_signed

        hooks.version_signed.register(on_version_signed)

        # Imported grants: their funders support the beneficiaries (bank details, follow-up
        # page) and appear on the organisation's timeline; the earlier stages ask through
        # these extension points (lifecycle = import order).
        from pepiniere.opendata.selectors import funders_of_imported_grants, imported_support
        from pepiniere.organisations.selectors import supporting_funders
        from pepiniere.portfolio.hooks import other_support

        supporting_funders.register(funders_of_imported_grants)
        other_support.register(imported_support)
