"""Master patient index: the reason a pair was judged not to be one person, and one open
merge per merged record enforced by the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_search_keys")]

    operations = [
        migrations.AddField(
            model_name="duplicatecandidate",
            name="decision_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddConstraint(
            model_name="patientmerge",
            constraint=models.UniqueConstraint(
                condition=models.Q(("undone_at", None)),
                fields=("merged",),
                name="merge_one_open_per_record",
            ),
        ),
        migrations.AddConstraint(
            model_name="patientmerge",
            constraint=models.CheckConstraint(
                condition=models.Q(("survivor", models.F("merged")), _negated=True),
                name="merge_two_records",
            ),
        ),
    ]
