"""Alerts raised by reports (embedded mode: the pipeline and the alert tasks
run eagerly after commit, mail goes to Django's test outbox): a critical
report alerts the organization's coordinators once, whatever re-runs; a
report the pipeline gave up on alerts too; an ordinary report does not."""

import pytest
from django.core import mail

from alerts.models import AlertDelivery, AlertEvent, AlertKind, AlertSettings
from alerts.services import alerts_sweep, report_alerts_raise
from monitoring.models import Observer
from reports.models import ReportState, Submission
from reports.services.pipeline import report_process, report_reprocess
from testkit.factories import DeploymentFactory, IncidentReportFactory, make_observer
from tests.conftest import report_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinators(world):
    world.coordinator.user.email = "coordinator@example.org"
    world.coordinator.user.save(update_fields=["email"])
    other = world.other_coordinator.user
    other.email = "other@example.org"
    other.save(update_fields=["email"])
    return world


def file(post_report, world, **overrides):
    response = post_report(world.observer, report_payload(world, **overrides))
    assert response.status_code == 201, response.content
    return Submission.objects.get(pk=response.json()["id"])


def test_a_critical_report_alerts_its_coordinators_by_email_once(coordinators, post_report, django_capture_on_commit_callbacks):
    world = coordinators
    report = file(post_report, world, category="ballot_stuffing")
    assert report.state == ReportState.ACCEPTED

    [event] = AlertEvent.objects.all()
    assert (event.kind, event.submission_id, event.organization_id) == (
        AlertKind.CRITICAL_REPORT,
        report.pk,
        world.observer.organization_id,
    )
    assert event.payload["station"] == world.station.code and event.payload["observer"] == world.observer.public_code
    [message] = mail.outbox
    assert message.to == ["coordinator@example.org"]  # not the other organization's coordinator
    assert "ballot_stuffing" in message.subject and world.station.code in message.subject
    assert report.description not in message.body  # the observer's text stays in the platform
    [delivery] = AlertDelivery.objects.all()
    assert delivery.state == AlertDelivery.State.SENT and [t.ok for t in delivery.tries.all()] == [True]

    # A coordinator's re-run, the sweep and a repeated task raise nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        report_reprocess(report_id=report.pk, actor=world.coordinator.user)
    alerts_sweep()
    assert report_alerts_raise(report_id=report.pk) is None
    assert AlertEvent.objects.count() == 1 and AlertDelivery.objects.count() == 1 and len(mail.outbox) == 1


def test_an_ordinary_report_raises_no_alert(coordinators, post_report):
    report = file(post_report, coordinators)
    assert report.state == ReportState.ACCEPTED and report.category.critical is False
    assert AlertEvent.objects.count() == 0 and mail.outbox == []


def test_a_report_the_pipeline_gave_up_on_alerts_the_coordinators(coordinators, settings, django_capture_on_commit_callbacks):
    world = coordinators
    report = IncidentReportFactory(
        election=world.election, station=world.station, submitted_by=world.observer, processing_attempts=settings.PIPELINE.max_attempts
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = report_process(report_id=report.pk)  # out of attempts: the worker gives up
    assert outcome.state == ReportState.FAILED
    [event] = AlertEvent.objects.all()
    assert event.kind == AlertKind.PIPELINE_FAILED and event.payload["report"] == str(report.pk)
    assert [m.to for m in mail.outbox] == [["coordinator@example.org"]]
    assert "could not be processed" in mail.outbox[0].subject


def test_email_off_and_no_webhook_means_an_event_without_deliveries(coordinators, post_report):
    AlertSettings.objects.create(organization=coordinators.observer.organization, email_enabled=False)
    file(post_report, coordinators, category="ballot_stuffing")
    assert AlertEvent.objects.count() == 1 and AlertDelivery.objects.count() == 0 and mail.outbox == []


def test_only_the_coordinators_of_the_region_when_the_organization_asks(coordinators, post_report):
    world = coordinators
    organization = world.observer.organization
    AlertSettings.objects.create(organization=organization, only_region_coordinators=True)
    astana = make_observer(organization, Observer.Role.COORDINATOR, "coordinator-astana")
    almaty = make_observer(organization, Observer.Role.COORDINATOR, "coordinator-almaty")
    for who, station in ((astana, world.station_far), (almaty, world.station)):
        who.user.email = f"{who.user.username}@example.org"
        who.user.save(update_fields=["email"])
        DeploymentFactory(observer=who, election=world.election, station=station)

    file(post_report, world, category="ballot_stuffing")  # at the Almaty station
    # Headquarters (no deployment) and Almaty's coordinator; not Astana's.
    assert sorted(m.to[0] for m in mail.outbox) == ["coordinator-almaty@example.org", "coordinator@example.org"]
