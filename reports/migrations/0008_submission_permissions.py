"""The permissions of the renamed model follow its name.

Renaming IncidentReport to Submission (0006) renames its content type, but
its permissions keep their codenames (`change_incidentreport`, …), while the
admin and `reports.permissions` now ask for `change_submission`, and the new
`IncidentReport` proxy gets permissions of its own under the old codenames.
So on a database that already had the permissions, they are renamed in place:
the role groups (and any user) holding them keep exactly the access they had.
On a new database there is nothing to rename yet; the permissions are created
after the migrations, under the new names."""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def _rename(apps, *, old: str, new: str, new_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    # Either way this runs while 0006 is applied: Django renamed the hub's
    # content type to reports.submission right after RenameModel (and
    # reports.incidentreport, if it exists, is the proxy's own).
    hub = ContentType.objects.filter(app_label="reports", model="submission").first()
    if hub is None:
        return
    for action in ACTIONS:
        Permission.objects.filter(content_type=hub, codename=f"{action}_{old}").update(
            codename=f"{action}_{new}", name=f"Can {action} {new_label}"
        )


def forwards(apps, schema_editor):
    _rename(apps, old="incidentreport", new="submission", new_label="submission")


def backwards(apps, schema_editor):
    _rename(apps, old="submission", new="incidentreport", new_label="incident report")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0007_chain_append_on_submissions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
