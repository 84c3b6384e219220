from django.db import migrations


def load_taxonomy(apps, schema_editor):
    from reports.taxonomy import taxonomy_sync

    taxonomy_sync(apps.get_model("reports", "IncidentCategory"))


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(load_taxonomy, migrations.RunPython.noop)]
