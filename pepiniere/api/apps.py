from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pepiniere.api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # « Mon compte » (accounts/, an earlier stage) shows the person's tokens.
        from pepiniere.accounts.hooks import account_sections
        from pepiniere.api.views import account_section

        account_sections.register(account_section)

        from pepiniere.audit.labels import state_labels

        state_labels.register(_status_label)


def _status_label(code: str) -> str | None:
    from pepiniere.api.models import TokenStatus

    label = dict(TokenStatus.choices).get(code)
    return None if label is None else str(label)
