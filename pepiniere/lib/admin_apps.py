from django.contrib.admin.apps import AdminConfig


class PepiniereAdminConfig(AdminConfig):
    """The Django admin with Pépinière's site: French headings and titles (lib/admin.py)."""

    default_site = "pepiniere.lib.admin.PepiniereAdminSite"
