"""Renaming the reports' model to the submissions hub (migrations 0006–0008)
on a database that already had role groups: coordinators and auditors keep
exactly the access they had, and the reports they had stay incident reports."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from monitoring.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = "0005_covering_indexes"


def _as_before_the_rename():
    """The content types and permissions a database had before 0006: the
    reports' model was `incidentreport`, and the role groups held its
    permissions under that name."""
    ContentType.objects.filter(app_label="reports", model__in=["submission", "incidentreport", "checkin"]).delete()
    reports = ContentType.objects.create(app_label="reports", model="incidentreport")
    for action in ("add", "change", "delete", "view"):
        Permission.objects.create(content_type=reports, codename=f"{action}_incidentreport", name=f"Can {action} incident report")
    groups = {}
    for role, codenames in {"coordinator": ["view_incidentreport", "change_incidentreport"], "auditor": ["view_incidentreport"]}.items():
        groups[role] = Group.objects.create(name=f"{role} of before")
        groups[role].permissions.set(Permission.objects.filter(content_type=reports, codename__in=codenames))
    return groups


def test_role_groups_keep_their_access_through_the_rename(world):
    call_command("migrate", "reports", BEFORE, verbosity=0)
    try:
        groups = _as_before_the_rename()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM reports_incidentreport")  # the table of before, too
    finally:
        call_command("migrate", "reports", verbosity=0)
        ContentType.objects.clear_cache()  # ids of the content types deleted above

    held = {role: set(g.permissions.values_list("content_type__model", "codename")) for role, g in groups.items()}
    assert held == {
        "coordinator": {("submission", "view_submission"), ("submission", "change_submission")},
        "auditor": {("submission", "view_submission")},
    }
    # What the roles are given today is what the renamed permissions are.
    wanted = {codename for app, codename in ROLE_PERMISSIONS["coordinator"] if app == "reports" and "submission" in codename}
    assert wanted == {"view_submission", "change_submission"}
    # The proxies got permissions of their own, which no role holds.
    assert Permission.objects.filter(content_type__model="incidentreport", codename="change_incidentreport").exists()
    coordinator = world.coordinator.user
    coordinator.groups.set([groups["coordinator"]])
    assert coordinator.has_perm("reports.change_submission") and coordinator.has_perm("reports.view_submission")
