from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "pepiniere.opendata"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Données ouvertes"
