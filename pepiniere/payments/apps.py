from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "pepiniere.payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The agreements stage calls payments when a version is fully signed and when an
        # agreement is terminated (lifecycle = import order: payments registers into it).
        from pepiniere.agreements import hooks
        from pepiniere.audit.labels import state_labels
        from pepiniere.payments.models import state_label
        from pepiniere.payments.services import on_agreement_terminated, plan_instalments

        hooks.version_signed.register(plan_instalments)
        hooks.agreement_terminated.register(on_agreement_terminated)
        state_labels.register(state_label)
