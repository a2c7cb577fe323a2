from django.apps import AppConfig


class BuilderConfig(AppConfig):
    """The call builder: officers write and publish their calls without the Django admin.

    It comes after `applications` and `grants` in the import order: it reads them to protect the
    answers already given (a question with answers cannot be removed) and to edit the letter policy
    of the award stage. Nothing imports it but the URLconf. No models of its own."""

    name = "pepiniere.builder"
    verbose_name = "Conception des appels"
