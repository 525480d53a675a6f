from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "hms.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Registers the subscribers to the clinical apps' domain events.
        from hms.billing import subscribers  # noqa: F401
