from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "pepiniere.applications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Officers decide the join requests of organisations that applied to their funder: the
        # later stage tells organisations/ which ones (lifecycle = import order).
        from pepiniere.applications.selectors import organisations_applied_to_funders_of
        from pepiniere.organisations.selectors import followed_organisations

        followed_organisations.register(organisations_applied_to_funders_of)

        # The audit journal names an application's states in French.
        from pepiniere.audit.labels import state_labels

        state_labels.register(_status_label)


def _status_label(code: str) -> str | None:
    from pepiniere.applications.models import Status

    label = dict(Status.choices).get(code)
    return None if label is None else str(label)
