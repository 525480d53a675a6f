"""Coverages name their payer and whether they hold its member number (filled by 0010)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_charge_department_practitioner"),
    ]

    operations = [
        migrations.AddField(
            model_name="coverage",
            name="holds_member_id",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="coverage",
            name="payer",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.payer",
            ),
        ),
    ]
