"""Recovery codes kept in plain text by django-otp's static devices become hashed codes
of ours; the plain ones are deleted."""

from django.contrib.auth.hashers import make_password
from django.db import migrations


def forwards(apps, schema_editor):
    static_device = apps.get_model("otp_static", "StaticDevice")
    device_model = apps.get_model("accounts", "RecoveryCodeDevice")
    code_model = apps.get_model("accounts", "RecoveryCode")
    for old in static_device.objects.prefetch_related("token_set"):
        device = device_model.objects.create(
            user_id=old.user_id,
            name=old.name,
            confirmed=old.confirmed,
            throttling_failure_timestamp=old.throttling_failure_timestamp,
            throttling_failure_count=old.throttling_failure_count,
            last_used_at=old.last_used_at,
        )
        code_model.objects.bulk_create(
            code_model(device=device, digest=make_password(t.token.strip().lower()))
            for t in old.token_set.all()
        )
        old.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_recovery_codes_hashed"),
        ("otp_static", "0003_add_timestamps"),
    ]

    # Hashes cannot be turned back into codes: going back leaves the hashed ones.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
