from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "hms.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        # The audit trail sits below the registry: hand it the lookups its search needs.
        from hms.audit import directory
        from hms.patients import audit_directory

        directory.register(audit_directory)
