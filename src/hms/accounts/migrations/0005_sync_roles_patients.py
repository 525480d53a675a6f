from django.db import migrations


def apply_roles(apps, schema_editor):
    from hms.accounts.permissions import sync_roles

    sync_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_username_case_insensitive")]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
