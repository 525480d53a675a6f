"""Identifiers carry their patient's facility and whether they are in force, so the
next migration can hold the ones that name one person unique in the database."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery

UNIQUE_SYSTEMS = ("national_id", "passport", "other_mrn", "driver_license", "birth_certificate")


def fill(apps, schema_editor):
    Identifier = apps.get_model("patients", "PatientIdentifier")  # noqa: N806
    Patient = apps.get_model("patients", "Patient")
    Candidate = apps.get_model("patients", "DuplicateCandidate")  # noqa: N806
    of_patient = Patient.objects.filter(pk=OuterRef("patient_id"))
    Identifier.objects.update(
        facility_id=Subquery(of_patient.values("facility_id")[:1]),
        is_current=~Exists(of_patient.filter(status="entered_in_error")),
    )
    # Records registered twice before the database refused it: an active record (the
    # earliest) keeps the value in force, the others give it up, and active pairs go on
    # the duplicates worklist.
    shared = (
        Identifier.objects.filter(is_current=True, system__in=UNIQUE_SYSTEMS)
        .values("facility_id", "system", "assigner", "value_index")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
    )
    for key in shared:
        key.pop("n")
        rows = sorted(
            Identifier.objects.filter(is_current=True, **key).select_related("patient"),
            key=lambda r: (r.patient.status != "active", r.patient_id, r.pk),
        )
        keeper = rows[0]
        Identifier.objects.filter(pk__in=[r.pk for r in rows[1:]]).update(is_current=False)
        for row in rows[1:]:
            if row.patient_id != keeper.patient_id and row.patient.status == "active":
                low, high = sorted((keeper.patient_id, row.patient_id))
                Candidate.objects.get_or_create(
                    patient_id=low,
                    other_id=high,
                    defaults={"score": 1.0, "reasons": [f"same {row.system}"]},
                )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("patients", "0008_outbound_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientidentifier",
            name="facility",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.facility",
            ),
        ),
        migrations.AddField(
            model_name="patientidentifier",
            name="is_current",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
