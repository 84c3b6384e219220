"""The alerts in the admin: each organization's coordinators see their own
alerts with every delivery and attempt, read-only; other organizations'
alerts do not exist for them; they set their own organization's channels."""

import pytest
from django.urls import reverse

from alerts.models import AlertDelivery, AlertEvent, AlertSettings, DeliveryAttempt
from monitoring.services import role_groups_ensure

pytestmark = pytest.mark.django_db


def event_of(organization, election, key):
    event = AlertEvent.objects.create(
        kind="critical_report", key=key, organization=organization, election=election, occurred_at=election.observation_starts_at
    )
    delivery = AlertDelivery.objects.create(event=event, channel="webhook", recipient="webhook", attempts=2, state="sent")
    DeliveryAttempt.objects.create(delivery=delivery, number=1, at=event.occurred_at, ok=False, status_code=500, answer="try later")
    DeliveryAttempt.objects.create(delivery=delivery, number=2, at=event.occurred_at, ok=True, status_code=200, answer="thanks")
    return event


def test_a_coordinator_sees_their_alerts_and_the_answers_read_only(world, admin_as):
    role_groups_ensure()
    mine = event_of(world.observer.organization, world.election, "mine")
    theirs = event_of(world.other_observer.organization, world.election, "theirs")
    client = admin_as(world.coordinator)

    listed = client.get(reverse("admin:alerts_alertevent_changelist"))
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [mine]
    page = client.get(reverse("admin:alerts_alertevent_change", args=[mine.pk]))
    assert page.status_code == 200
    assert b"try later" in page.content and b"thanks" in page.content and b'name="_save"' not in page.content
    assert client.get(reverse("admin:alerts_alertevent_change", args=[theirs.pk])).status_code == 302  # "does not exist"
    assert client.post(reverse("admin:alerts_alertevent_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    assert AlertEvent.objects.count() == 2


def test_a_coordinator_sets_their_own_organizations_webhook(world, admin_as):
    role_groups_ensure()
    client = admin_as(world.coordinator)
    organization = world.observer.organization
    other = world.other_observer.organization
    add = reverse("admin:alerts_alertsettings_add")
    refused = client.post(
        add, {"organization": other.pk, "email_enabled": "on", "webhook_url": "https://hooks.example.org/a", "webhook_secret": "x"}
    )
    assert refused.status_code == 200 and not AlertSettings.objects.exists()  # not a choice for them
    no_secret = client.post(add, {"organization": organization.pk, "webhook_url": "https://hooks.example.org/a"})
    assert no_secret.status_code == 200 and not AlertSettings.objects.exists()
    saved = client.post(add, {"organization": organization.pk, "webhook_url": "https://hooks.example.org/a", "webhook_secret": "s3cret"})
    assert saved.status_code == 302
    assert AlertSettings.objects.get().organization == organization
    other_settings = AlertSettings.objects.create(organization=other)
    assert client.get(reverse("admin:alerts_alertsettings_change", args=[other_settings.pk])).status_code == 302
