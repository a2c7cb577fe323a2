from django.contrib.admin.apps import AdminConfig


class PepiniereAdminConfig(AdminConfig):
    """The Django admin with Pépinière's site (lib/admin.py) behind the site's login and its
    second factor (accounts/admin_site.py). Replaces lib/admin_apps.py in INSTALLED_APPS."""

    default_site = "pepiniere.accounts.admin_site.SecureAdminSite"
