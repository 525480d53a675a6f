"""TRUNCATE of the audit trail is refused, and the chain head only moves forward; on
SQLite, UPDATE and DELETE of events are refused too (hms.audit.guards)."""

from django.db import migrations

from hms.audit import guards


def forwards(apps, schema_editor):
    for statement in guards.create_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    for statement in guards.drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_patients_shown")]

    operations = [migrations.RunPython(forwards, backwards)]
