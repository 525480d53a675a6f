from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "hms.web"
    label = "web"
    verbose_name = "Web shell"
