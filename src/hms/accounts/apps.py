from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "hms.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"


class HmsAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "hms.accounts.admin_site.HmsAdminSite"
