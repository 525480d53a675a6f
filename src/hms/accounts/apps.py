from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "hms.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from hms.accounts.api import schema  # noqa: F401  (registers the token scheme)


class HmsAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "hms.accounts.admin_site.HmsAdminSite"
