"""The coverage board and the observer's page in the admin: the organization's
coordinators and auditors see their own observers only, the "silent now"
filter lists the silent, longest first; a coordinator records a contact
(append-only), which marks an unreachable observer on the board until their
next check-in and shows on the observer's registry page."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from django.utils.html import json_script

from command.admin.board import json_block
from command.models import AppendOnlyError, ContactAttempt
from testkit.factories import CheckInFactory, DeploymentFactory, make_observer

pytestmark = pytest.mark.django_db
BOARD = "/admin/command/contactattempt/board/"


def observer_url(code: str, election) -> str:
    return f"/admin/command/contactattempt/board/observer/{code}/?election={election.code}"


@pytest.fixture
def live(world):
    """A plan running now: shifts of the whole local day, so the board's real
    clock falls inside them. observer arrived 3 h ago and fell silent;
    observer-2 arrived 2 h ago; a third observer arrived 20 min ago; the other
    organization's observer is silent too."""
    now = timezone.now()
    for who in (world.observer_2, world.other_observer):
        DeploymentFactory(observer=who, election=world.election, station=world.station_far)
    world.election.voting_day = now.date()
    world.election.save()
    third = make_observer(world.coordinator.organization, "observer", "observer-3")
    DeploymentFactory(observer=third, election=world.election, station=world.station_west)
    for who, station, minutes in [
        (world.observer, world.station, 180),
        (world.observer_2, world.station_far, 120),
        (third, world.station_west, 20),
        (world.other_observer, world.station_far, 300),
    ]:
        CheckInFactory(election=world.election, station=station, submitted_by=who, occurred_at=now - dt.timedelta(minutes=minutes))
    world.third = third
    return world


def test_the_board_shows_the_organizations_coverage_and_the_silent_filter_longest_first(live, admin_as):
    page = admin_as(live.coordinator).get(BOARD, {"election": live.election.code})
    assert page.status_code == 200
    html = page.content.decode()
    assert live.observer.public_code in html and live.third.public_code in html
    assert live.other_observer.public_code not in html
    assert 'http-equiv="refresh"' in html
    silent = admin_as(live.auditor).get(BOARD, {"election": live.election.code, "show": "silent"})
    rows = [r for r in silent.content.decode().split('data-observer="')[1:]]
    assert [r.split('"')[0] for r in rows] == [live.observer.public_code, live.observer_2.public_code]


def test_the_map_points_are_the_plans_stations_with_their_state(live, admin_as):
    points = admin_as(live.coordinator).get(BOARD + "points.json", {"election": live.election.code}).json()["points"]
    assert {p["station"]: p["state"] for p in points} == {"02001": "silent", "05001": "silent", "13001": "arrived"}


@pytest.mark.parametrize("who", ["observer", "other_observer"])
def test_observers_cannot_open_the_board(live, admin_as, who):
    assert admin_as(getattr(live, who)).get(BOARD).status_code == 302  # to the admin login


def test_a_coordinator_records_a_contact_and_unreachable_marks_the_observer_until_the_next_check_in(live, admin_as):
    client = admin_as(live.coordinator)
    url = observer_url(live.observer.public_code, live.election)
    answer = client.post(url, {"outcome": "unreachable", "text": "Phone off, two calls."})
    assert answer.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert (attempt.observer, attempt.recorded_by, attempt.outcome) == (live.observer, live.coordinator.user, "unreachable")
    board = client.get(BOARD, {"election": live.election.code, "show": "unreachable"}).content.decode()
    assert f'data-observer="{live.observer.public_code}"' in board and "unreachable-badge" in board
    assert "Phone off, two calls." in client.get(url).content.decode()
    registry = client.get(f"/admin/monitoring/observer/{live.observer.pk}/change/").content.decode()
    assert "Phone off, two calls." in registry

    CheckInFactory(
        election=live.election, station=live.station, submitted_by=live.observer, checkin_kind="all_quiet", occurred_at=timezone.now()
    )
    board = client.get(BOARD, {"election": live.election.code, "show": "unreachable"}).content.decode()
    assert f'data-observer="{live.observer.public_code}"' not in board


def test_auditors_read_the_log_but_do_not_record_and_other_organizations_see_nothing(live, admin_as):
    url = observer_url(live.observer.public_code, live.election)
    auditor = admin_as(live.auditor)
    assert auditor.get(url).status_code == 200 and 'id="contact-form"' not in auditor.get(url).content.decode()
    assert auditor.post(url, {"outcome": "reached"}).status_code == 403
    assert admin_as(live.other_coordinator).get(url).status_code == 404
    assert admin_as(live.other_coordinator).post(url, {"outcome": "reached"}).status_code == 404
    assert ContactAttempt.objects.count() == 0


def test_the_contact_log_is_append_only(live):
    attempt = ContactAttempt.objects.create(
        election=live.election, observer=live.observer, recorded_by=live.coordinator.user, outcome="note"
    )
    with pytest.raises(AppendOnlyError):
        attempt.save()
    with pytest.raises(AppendOnlyError):
        attempt.delete()
    with pytest.raises(AppendOnlyError):
        ContactAttempt.objects.filter(pk=attempt.pk).update(text="rewritten")
    with pytest.raises(AppendOnlyError):
        ContactAttempt.objects.all().delete()


def test_the_board_carries_the_map_points_in_a_json_data_block_like_its_points_view(live, admin_as):
    client = admin_as(live.coordinator)
    html = client.get(BOARD, {"election": live.election.code}).content.decode()
    block = html.split('<script id="coverage-points" type="application/json">', 1)[1].split("</script>", 1)[0]
    expected = client.get(BOARD + "points.json", {"election": live.election.code}).json()["points"]
    assert json.loads(block) == expected and len(expected) == 3


def test_the_json_data_block_escapes_what_would_end_the_script():
    value = [{"station": "</script><b>&", "lat": 43.25}]
    block = json_block(value, "coverage-points")
    inner = block.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert "<" not in inner and ">" not in inner and "&" not in inner
    assert json.loads(inner) == value and block == json_script(value, "coverage-points").replace(", ", ",").replace(": ", ":")
