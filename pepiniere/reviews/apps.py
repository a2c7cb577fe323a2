from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "pepiniere.reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The experts' read access is composed here, by the later stage (lifecycle = import order).
        from pepiniere.applications.permissions import application_readers
        from pepiniere.reviews.permissions import can_read_as_assigned_expert

        application_readers.register(can_read_as_assigned_expert)

        # An expert who joins a structure is in conflict with its applications.
        from pepiniere.organisations.services import member_joined
        from pepiniere.reviews.pool import detect_conflicts_of_reviewer

        member_joined.register(detect_conflicts_of_reviewer)
