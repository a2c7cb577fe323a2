from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "pepiniere.calls"
    default_auto_field = "django.db.models.BigAutoField"
