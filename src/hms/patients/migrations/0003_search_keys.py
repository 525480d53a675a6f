"""Name search keys: the word key carries the whole folded name, so the column widens;
on PostgreSQL it compares by code point ("C" collation), as SQLite does, so a key range
means the same on both. Names are folded again (new letter foldings) and every patient's
keys are rebuilt with the current key scheme."""

from django.db import migrations, models

COLLATE = """
ALTER TABLE patients_patientnamekey
    ALTER COLUMN key TYPE varchar(460) COLLATE "C";
"""
UNCOLLATE = """
ALTER TABLE patients_patientnamekey
    ALTER COLUMN key TYPE varchar(460) COLLATE "default";
"""


def collate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLLATE, params=None)


def uncollate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNCOLLATE, params=None)


def rebuild_keys(apps, schema_editor):
    # The current code, not a frozen copy: keys must match what the running search
    # looks for, whichever release runs this.
    from hms.patients.names import search_name
    from hms.patients.search import name_keys

    patient_model = apps.get_model("patients", "Patient")
    key_model = apps.get_model("patients", "PatientNameKey")
    key_model.objects.all().delete()
    batch = []
    for patient in patient_model.objects.only(
        "given_name", "middle_name", "family_name", "preferred_name"
    ).iterator(chunk_size=2000):
        patient.search_name = search_name(
            patient.given_name, patient.middle_name, patient.family_name, patient.preferred_name
        )
        patient_model.objects.filter(pk=patient.pk).update(search_name=patient.search_name)
        batch += [key_model(key=k, patient_id=patient.pk) for k in name_keys(patient.search_name)]
        if len(batch) >= 5000:
            key_model.objects.bulk_create(batch)
            batch = []
    key_model.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_trigram_index")]

    operations = [
        migrations.AlterField(
            model_name="patientnamekey",
            name="key",
            field=models.CharField(max_length=460),
        ),
        migrations.RunPython(collate, uncollate),
        migrations.RunPython(rebuild_keys, migrations.RunPython.noop),
    ]
