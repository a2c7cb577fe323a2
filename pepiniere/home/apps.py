from django.apps import AppConfig


class HomeConfig(AppConfig):
    """Where each person lands: one home with a section per role (applicant, officer, expert,
    jury, finance), the site's menu and the call's tab bar computed from the permission
    functions the views use (no link answers 403 or 404 to the person who sees it).

    It reads every stage (applications, reviews, selection, grants), so it comes last in the
    import order, like `api`. Nothing imports it but the URLconf and the settings (context
    processor). No models of its own."""

    name = "pepiniere.home"
    verbose_name = "Accueil"
