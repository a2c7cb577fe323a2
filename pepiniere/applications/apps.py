from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "pepiniere.applications"
    default_auto_field = "django.db.models.BigAutoField"
