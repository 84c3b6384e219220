"""Silent and missing observers (as the coverage board states them) raise an
alert once per lapse, at given clock times (the sweep takes `now`; nothing in
the code freezes the clock)."""

import datetime as dt

import pytest
from django.core import mail

from alerts.models import AlertEvent, AlertKind
from alerts.services import alerts_sweep
from testkit.factories import ALMATY, CheckInFactory, DeploymentFactory, IncidentReportFactory

pytestmark = pytest.mark.django_db


def at(hour, minute=0):
    return dt.datetime(2021, 1, 10, hour, minute, tzinfo=ALMATY)


@pytest.fixture
def shift(world):
    world.coordinator.user.email = "coordinator@example.org"
    world.coordinator.user.save(update_fields=["email"])
    DeploymentFactory(
        observer=world.observer_2, election=world.election, station=world.station, shift_start=dt.time(7, 0), shift_end=dt.time(20, 0)
    )
    return world


def kinds():
    return [(e.kind, e.observer_id, e.occurred_at) for e in AlertEvent.objects.order_by("pk")]


def test_an_observer_who_has_not_arrived_is_missing_once(shift, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep(now=at(7, 29)) == 0  # not yet
        assert alerts_sweep(now=at(7, 31)) == 1
        assert alerts_sweep(now=at(8, 15)) == 0  # the same lapse
    assert kinds() == [(AlertKind.OBSERVER_MISSING, shift.observer_2.pk, at(7, 0))]  # missing since the shift began
    [message] = mail.outbox
    assert shift.observer_2.public_code in message.subject and "has not arrived" in message.subject


def test_an_observer_who_arrived_and_went_quiet_is_silent_once_per_silence(shift, django_capture_on_commit_callbacks):
    world = shift
    CheckInFactory(election=world.election, station=world.station, submitted_by=world.observer_2, occurred_at=at(7, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep(now=at(8, 39)) == 0  # 89 minutes
        assert alerts_sweep(now=at(8, 41)) == 1
        assert alerts_sweep(now=at(9, 0)) == 0
        IncidentReportFactory(election=world.election, station=world.station, submitted_by=world.observer_2, occurred_at=at(9, 5))
        assert alerts_sweep(now=at(10, 0)) == 0  # heard from again
        assert alerts_sweep(now=at(10, 36)) == 1  # a new silence
        assert alerts_sweep(now=at(20, 30)) == 0  # the shift is over
    assert kinds() == [
        (AlertKind.OBSERVER_SILENT, world.observer_2.pk, at(7, 10)),  # silent since the arrival
        (AlertKind.OBSERVER_SILENT, world.observer_2.pk, at(9, 5)),  # since the report
    ]
    assert AlertEvent.objects.order_by("pk").first().payload["minutes"] == 91  # 07:10 to 08:41
    assert len(mail.outbox) == 2
