"""Read events name every patient they showed; on PostgreSQL that index is append-only too."""

import django.db.models.deletion
from django.db import migrations, models


CREATE = """
CREATE OR REPLACE FUNCTION audit_patient_shown_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditeventpatient is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_patient_shown_append_only
    BEFORE UPDATE OR DELETE ON audit_auditeventpatient
    FOR EACH ROW EXECUTE FUNCTION audit_patient_shown_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_patient_shown_append_only ON audit_auditeventpatient;
DROP FUNCTION IF EXISTS audit_patient_shown_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="patient_ids",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("success", "Success"),
                    ("failure", "Failure"),
                    ("denied", "Denied"),
                    ("not_found", "Not found"),
                ],
                default="success",
                max_length=10,
            ),
        ),
        migrations.CreateModel(
            name="AuditEventPatient",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("patient_id", models.CharField(max_length=64)),
                (
                    "event",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="audit.auditevent",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["patient_id", "event"], name="audit_patient_shown")
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
