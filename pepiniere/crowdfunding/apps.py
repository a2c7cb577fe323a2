from django.apps import AppConfig


class CrowdfundingConfig(AppConfig):
    name = "pepiniere.crowdfunding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A campaign's states on the audit timelines.
        from pepiniere.audit.labels import state_labels
        from pepiniere.crowdfunding.models import CampaignStatus

        def campaign_state(code: str) -> str | None:
            if code in (
                CampaignStatus.LIVE,
                CampaignStatus.ENDED,
                CampaignStatus.TOPPED_UP,
                CampaignStatus.REFUSED,
            ):
                return str(CampaignStatus(code).label)
            return None

        state_labels.register(campaign_state)
