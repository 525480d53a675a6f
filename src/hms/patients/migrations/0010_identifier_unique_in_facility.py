import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0009_identifier_facility"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patientidentifier",
            name="facility",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.facility"
            ),
        ),
        migrations.AddConstraint(
            model_name="patientidentifier",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("is_current", True),
                    (
                        "system__in",
                        (
                            "national_id",
                            "passport",
                            "other_mrn",
                            "driver_license",
                            "birth_certificate",
                        ),
                    ),
                ),
                fields=("facility", "system", "assigner", "value_index"),
                name="identifier_unique_in_facility",
            ),
        ),
    ]
