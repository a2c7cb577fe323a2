from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "pepiniere.territories"
    default_auto_field = "django.db.models.BigAutoField"
