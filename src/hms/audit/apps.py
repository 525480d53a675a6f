from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hms.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from hms.audit import subscribers
        from hms.core import api

        api.on_request_refused(subscribers.audit_refused_api_request)
