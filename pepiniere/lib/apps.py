from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "pepiniere.lib"
    label = "pepiniere_lib"
