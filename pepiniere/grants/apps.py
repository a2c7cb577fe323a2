from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "pepiniere.grants"
    default_auto_field = "django.db.models.BigAutoField"
