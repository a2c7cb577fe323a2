from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "pepiniere.grants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Selection's « first-time beneficiary » tag reads the awards through this extension
        # point: the later stage plugs into the earlier one (lifecycle = import order).
        from pepiniere.grants.selectors import organisations_aided_before
        from pepiniere.selection.hooks import earlier_aid

        earlier_aid.register(organisations_aided_before)

        # A funder supports the organisations it awarded aid to: its officers validate their
        # bank details (organisations/ asks through this extension point).
        from pepiniere.grants.selectors import funders_of_awarded_organisations
        from pepiniere.organisations.selectors import supporting_funders

        supporting_funders.register(funders_of_awarded_organisations)
