from django.db import migrations


def load_category_codes(apps, schema_editor):
    from sms.data import category_codes_sync

    category_codes_sync(apps.get_model("sms", "CategoryShortCode"), apps.get_model("reports", "IncidentCategory"))


class Migration(migrations.Migration):
    dependencies = [("sms", "0001_initial"), ("reports", "0002_taxonomy")]

    operations = [migrations.RunPython(load_category_codes, migrations.RunPython.noop)]
