"""On PostgreSQL the database itself refuses two prices of one item on one list whose
validity overlaps: an exclusion constraint over the half-open date range. (btree_gist
lets the integer columns share the GiST index; it is a trusted extension, which the
database owner may create.) SQLite has no such constraint: the service's row lock and
check hold the rule there."""

from django.db import migrations

ADD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE billing_price ADD CONSTRAINT price_no_overlap EXCLUDE USING gist (
    item_id WITH =, price_list_id WITH =, daterange(valid_from, valid_until, '[)') WITH &&
);
"""
DROP = "ALTER TABLE billing_price DROP CONSTRAINT price_no_overlap;"


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(add, drop)]
