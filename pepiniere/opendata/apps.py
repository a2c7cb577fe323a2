from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "pepiniere.opendata"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Données ouvertes"

    def ready(self) -> None:
        from pepiniere.agreements import hooks
        from pepiniere.opendata.tasks import on_version_signed

        hooks.version_signed.register(on_version_signed)
