from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "pepiniere.impact"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Impact des aides"
