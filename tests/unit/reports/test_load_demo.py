"""`manage.py load_demo`: the Kazakhstan 2021 demo, idempotent."""

import zoneinfo
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from monitoring.models import Accreditation, Deployment, Election, Observer, ObserverOrganization, PollingStation, Region
from reports.models import IncidentReport

pytestmark = pytest.mark.django_db

ZONES = {
    "nur-sultan": "Asia/Almaty", "almaty": "Asia/Almaty", "shymkent": "Asia/Almaty", "akmola": "Asia/Almaty",
    "almaty-region": "Asia/Almaty", "east-kazakhstan": "Asia/Almaty", "jambyl": "Asia/Almaty", "karaganda": "Asia/Almaty",
    "north-kazakhstan": "Asia/Almaty", "pavlodar": "Asia/Almaty", "turkistan": "Asia/Almaty", "kostanay": "Asia/Qostanay",
    "aktobe": "Asia/Aqtobe", "atyrau": "Asia/Atyrau", "west-kazakhstan": "Asia/Oral", "mangystau": "Asia/Aqtau",
    "kyzylorda": "Asia/Qyzylorda",
}  # fmt: skip


def load(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("pk", "updated_at"))
        for model in (Region, Election, PollingStation, ObserverOrganization, Accreditation, Observer, Deployment)
    } | {"reports": IncidentReport.objects.count(), "users": sorted(get_user_model().objects.values_list("username", "password"))}


def test_demo_has_the_election_regions_stations_organizations_and_users():
    out = load("--password", "pw-2021")

    election = Election.objects.get(code="kz-majilis-2021")
    assert election.name == "Majilis election 2021" and str(election.voting_day) == "2021-01-10"
    assert (election.polls_open.hour, election.polls_close.hour) == (7, 20)
    assert election.observation_starts_at.astimezone(zoneinfo.ZoneInfo("Asia/Almaty")).date().isoformat() == "2020-12-10"
    assert election.status == "open"
    assert dict(Region.objects.values_list("code", "timezone")) == ZONES
    assert "Astana" in Region.objects.get(code="nur-sultan").aliases

    stations = PollingStation.objects.filter(election=election)
    assert stations.count() >= 300
    assert set(stations.values_list("district__region__code", flat=True)) == set(ZONES)
    # Placed at real GeoNames settlements, e.g. Almaty's first station at the city's point.
    almaty = stations.filter(district__region__code="almaty").order_by("code").first()
    assert (almaty.latitude, almaty.longitude, almaty.settlement) == (43.25249, 76.9115, "Almaty")

    statuses = {a.organization.name: a.status for a in Accreditation.objects.select_related("organization")}
    assert sorted(statuses.values()) == ["active", "active", "revoked"]
    assert ObserverOrganization.objects.count() == 4  # one never accredited

    users = {
        "demo-admin", "demo-coordinator", "demo-auditor", "demo-observer", "demo-observer-2",
        "demo-observer-other", "demo-observer-revoked", "demo-observer-unaccredited",
    }  # fmt: skip
    assert users <= set(get_user_model().objects.values_list("username", flat=True))
    for username in users:
        assert username in out and get_user_model().objects.get(username=username).check_password("pw-2021")
    assert get_user_model().objects.get(username="demo-admin").is_superuser
    assert Observer.objects.get(user__username="demo-coordinator").role == "coordinator"
    assert Deployment.objects.filter(observer__user__username="demo-observer").count() == 2


def test_running_twice_changes_nothing():
    load("--password", "pw-2021")
    before = snapshot()
    load("--password", "pw-2021")
    assert snapshot() == before


def test_random_passwords_are_printed_once_and_kept(settings):
    first = load()
    line = next(line for line in first.splitlines() if "demo-observer " in line)
    password = line.split()[-1]
    assert get_user_model().objects.get(username="demo-observer").check_password(password)
    second = load()
    assert "unchanged" in second
    assert get_user_model().objects.get(username="demo-observer").check_password(password)


def test_generated_reports_go_through_the_pipeline_and_are_idempotent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        out = load("--password", "pw", "--reports", "25")
    assert "25 filed" in out
    assert IncidentReport.objects.count() == 25
    assert set(IncidentReport.objects.values_list("state", flat=True)) == {"accepted"}
    assert IncidentReport.objects.filter(location_source="device_gps").exists()
    with django_capture_on_commit_callbacks(execute=True):
        again = load("--password", "pw", "--reports", "25")
    assert "0 filed, 25 already present" in again
    assert IncidentReport.objects.count() == 25
