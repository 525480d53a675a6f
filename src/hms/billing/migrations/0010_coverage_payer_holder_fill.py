"""Fill the coverages' payer and which of them holds its member number.

Existing rows take the payer of their plan. Of the active self coverages sharing one
payer and member number, the earliest recorded holds the number; the others stay
exactly as they were (active, billed as before) but do not hold it. Cancelling or
rewriting them here would change who pays on invoices already split and claims
already sent, and the data cannot say which patient is right; leaving them lets the
billing office correct the wrong ones by hand, while any new coverage of that number
for another patient is refused from now on.
"""

from django.db import migrations


def fill(apps, schema_editor):
    Coverage = apps.get_model("billing", "Coverage")
    for plan_id, payer_id in (
        apps.get_model("billing", "Plan").objects.values_list("pk", "payer_id").iterator()
    ):
        Coverage.objects.filter(plan_id=plan_id).update(payer_id=payer_id)
    held = set()
    holders = []
    active_self = Coverage.objects.filter(relationship="self", status="active")
    rows = active_self.order_by("created_at", "pk").values_list("pk", "payer_id", "member_id_index")
    for pk, payer_id, index in rows.iterator():
        if (payer_id, index) not in held:
            held.add((payer_id, index))
            holders.append(pk)
    for start in range(0, len(holders), 500):
        Coverage.objects.filter(pk__in=holders[start : start + 500]).update(holds_member_id=True)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_coverage_payer_holder"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
