from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "pepiniere.reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The experts' read access is composed here, by the later stage (lifecycle = import order).
        from pepiniere.applications.permissions import application_readers
        from pepiniere.reviews.permissions import can_read_as_assigned_expert

        application_readers.register(can_read_as_assigned_expert)
