"""TRUNCATE of the index of patients shown is refused; on SQLite, its UPDATE and DELETE
too (hms.audit.guards)."""

from django.db import migrations

from hms.audit import guards


def forwards(apps, schema_editor):
    for statement in guards.index_create_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    for statement in guards.index_drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_guard_truncate_and_head")]

    operations = [migrations.RunPython(forwards, backwards)]
