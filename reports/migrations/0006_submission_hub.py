"""Incident reports become one kind of submission: the table of reports is the
hub `Submission` (renamed, with its indexes, constraints and foreign keys), with
the columns every kind shares plus each kind's own, null for the others.

- `kind`: existing rows are incident reports;
- `source`: the door a submission came in by; blank for the rows received
  before it was recorded (whether API or web form is not known);
- `category` and `severity` become nullable (only incidents have them) and
  `checkin_kind` is added (only check-ins have it); a check constraint per
  kind ties each kind's columns to it;
- the proxies `IncidentReport` and `CheckIn` (each with its own content type).

Flags, photos and audit events keep their `report` foreign key, now to the hub.
The SQL function that names the table follows in 0007; the permissions of
the renamed content type in 0008."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

KINDS = [("incident", "incident report"), ("checkin", "check-in"), ("checklist", "checklist")]


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_deployment_plan_and_hotline"),
        ("reports", "0005_covering_indexes"),
    ]

    operations = [
        migrations.RenameModel(old_name="IncidentReport", new_name="Submission"),
        migrations.AlterModelOptions(
            name="submission",
            options={"ordering": ["-risk_score", "-received_at"], "verbose_name": "submission", "verbose_name_plural": "submissions"},
        ),
        migrations.AddField(
            model_name="submission",
            name="kind",
            field=models.CharField(choices=KINDS, default="incident", max_length=16, verbose_name="kind"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="submission",
            name="source",
            field=models.CharField(
                blank=True,
                choices=[("api", "API"), ("web", "web form"), ("sms", "SMS")],
                default="",
                max_length=8,
                verbose_name="received through",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="submission",
            name="checkin_kind",
            field=models.CharField(
                blank=True,
                choices=[("arrived", "arrived"), ("all_quiet", "all quiet"), ("left", "left")],
                max_length=16,
                null=True,
                verbose_name="check-in",
            ),
        ),
        migrations.AlterField(
            model_name="submission",
            name="category",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reports",
                to="reports.incidentcategory",
                verbose_name="category",
            ),
        ),
        migrations.AlterField(
            model_name="submission",
            name="severity",
            field=models.CharField(
                blank=True,
                choices=[("low", "low"), ("medium", "medium"), ("high", "high"), ("critical", "critical")],
                max_length=16,
                null=True,
                verbose_name="severity",
            ),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(condition=Q(kind__in=["incident", "checkin", "checklist"]), name="submission_kind_known"),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(
                condition=(Q(kind="incident") & Q(category__isnull=False) & Q(severity__isnull=False))
                | (~Q(kind="incident") & Q(category__isnull=True, severity__isnull=True, description="", amends__isnull=True)),
                name="submission_incident_fields",
            ),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(
                condition=(Q(kind="checkin") & Q(checkin_kind__isnull=False)) | (~Q(kind="checkin") & Q(checkin_kind__isnull=True)),
                name="submission_checkin_fields",
            ),
        ),
        migrations.CreateModel(
            name="IncidentReport",
            fields=[],
            options={
                "verbose_name": "incident report",
                "verbose_name_plural": "incident reports",
                "ordering": ["-risk_score", "-received_at"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("reports.submission",),
        ),
        migrations.CreateModel(
            name="CheckIn",
            fields=[],
            options={
                "verbose_name": "check-in",
                "verbose_name_plural": "check-ins",
                "ordering": ["-received_at"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("reports.submission",),
        ),
    ]
