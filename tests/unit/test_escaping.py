"""Markup stored anywhere is shown as text everywhere: `<script>` written into
every free-text field of every model, then every admin changelist and change
page and the observer's pages rendered."""

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse

from reports.models import IncidentReport
from testkit.factories import ReportEventFactory
from tests.conftest import report_payload

SCRIPT = "<script>alert(1)</script>"


def _text_fields(model):
    skip = {"code", "timezone", "public_code", "password", "content_sha256", "chain_sha256", "sha256", "stored_sha256", "username"}
    for f in model._meta.get_fields():
        if isinstance(f, (models.CharField, models.TextField)) and not f.choices and f.name not in skip and not f.primary_key:
            if f.max_length is None or f.max_length >= len(SCRIPT):
                yield f.name


def test_markup_in_every_text_field_is_escaped_in_admin_and_web_pages(world, client, post_report):
    from django.contrib.auth import get_user_model

    from reports.models import Flag, ReportEvent

    created = post_report(world.observer, report_payload(world, category="ballot_stuffing", description=SCRIPT))
    assert created.status_code == 201
    report = IncidentReport.objects.get(pk=created.json()["id"])
    assert report.description == SCRIPT  # stored verbatim: it is evidence
    Flag.objects.filter(report=report).update(explanation=SCRIPT, note=SCRIPT)
    touched = []
    for model in [*(m for m in apps.get_models() if m._meta.app_label in ("monitoring", "reports")), get_user_model()]:
        fields = list(_text_fields(model))
        if fields and model is ReportEvent:
            # The audit trail is append-only: hostile text arrives in a new event.
            ReportEventFactory(report=report, **{f: SCRIPT for f in fields})
            touched.append((model._meta.label, fields))
        elif fields and model not in (IncidentReport,):
            for n, pk in enumerate(model.objects.values_list("pk", flat=True)):
                # A suffix keeps unique fields (organization names, accreditation numbers) unique.
                model.objects.filter(pk=pk).update(**{f: f"{SCRIPT} {n}" for f in fields})
            touched.append((model._meta.label, fields))
    assert len(touched) >= 8

    pages = []
    client.force_login(world.superuser)
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        obj = model.objects.first()
        if obj is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    pages.append(reverse("admin:reports_submission_change", args=[report.pk]))
    bodies = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        bodies[page] = response.content.decode()
    client.force_login(world.coordinator.user)
    bodies["coordinator queue"] = client.get("/admin/reports/submission/").content.decode()
    client.force_login(world.observer.user)
    for page in ("/reports/", "/reports/new/"):
        bodies[page] = client.get(page).content.decode()

    leaked = [page for page, body in bodies.items() if SCRIPT in body or "<script>alert" in body]
    assert not leaked, leaked
    assert sum("&lt;script&gt;alert(1)&lt;/script&gt;" in body for body in bodies.values()) >= len(touched)
