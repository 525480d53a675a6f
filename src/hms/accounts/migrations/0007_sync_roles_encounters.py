from django.db import migrations


def apply_roles(apps, schema_editor):
    from hms.accounts.permissions import sync_roles

    sync_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_sync_roles_scheduling")]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
