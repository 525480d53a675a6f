"""Background tasks of billing, run by `hms worker` and enqueued by its periodic beat
(settings.HMS_PERIODIC_TASKS). Each only calls services."""

from __future__ import annotations

from django.utils import timezone

from hms.billing.services.insurance import expire_preauthorisations as expire
from hms.core.tasks import task


@task()
def expire_preauthorisations() -> int:
    """Approved pre-authorisations past their last day become expired."""
    return expire(today=timezone.localdate())
