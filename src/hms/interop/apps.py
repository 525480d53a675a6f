from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Data exchange that is not one standard's API: the `hms import` command."""

    name = "hms.interop"
    label = "interop"
    verbose_name = "Interoperability"
