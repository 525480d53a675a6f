"""One holder per payer and member number, in the database (after 0010 filled the rows;
a separate migration, as PostgreSQL refuses to alter a table with pending updates)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_coverage_payer_holder_fill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="coverage",
            name="payer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="billing.payer"
            ),
        ),
        migrations.AddConstraint(
            model_name="coverage",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("holds_member_id", True), ("relationship", "self"), ("status", "active")
                ),
                fields=("payer", "member_id_index"),
                name="coverage_member_id_one_holder",
            ),
        ),
    ]
