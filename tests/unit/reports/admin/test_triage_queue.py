"""The triage queue (admin changelist): who sees what, order, columns, every
filter and the search, and that it stays fast (query counts, no full COUNT)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.admin.queue import CappedCountPaginator
from reports.models import Flag, IncidentReport, ReportEvent
from testkit.factories import CheckInFactory, FlagFactory
from tests.filing import file_report

QUEUE = "/admin/reports/submission/"


def shown(response) -> list:
    assert response.status_code == 200, response.content[:500]
    return [r.pk for r in response.context["cl"].result_list]


@pytest.fixture
def mixed(world):
    """Four reports of the world's organization and one of another; one by SMS,
    one by the web form, the others through the API."""
    stuffing = file_report(world, category="ballot_stuffing", photos=1)  # critical: escalated, highest risk
    late = file_report(
        world,
        category="group_voting",
        description="Families voting together at 22:10.",
        occurred_at=dt.datetime(2021, 1, 10, 22, 10, tzinfo=dt.timezone(dt.timedelta(hours=6))),
    )  # outside polling hours
    far = file_report(world, observer=world.observer_2, station=world.station_far, category="voter_list_problem", gps=None, source="sms")
    west = file_report(world, station=world.station_west, category="other", gps=(50.28, 57.2071, 12.0), severity="low", source="web")
    other = file_report(world, observer=world.other_observer, category="violence")
    return {"stuffing": stuffing, "late": late, "far": far, "west": west, "other": other}


def test_coordinator_sees_own_organization_worst_first(world, mixed, admin_as):
    ids = shown(admin_as(world.coordinator).get(QUEUE))

    assert set(ids) == {mixed[k].pk for k in ("stuffing", "late", "far", "west")}
    reports = IncidentReport.objects.in_bulk(ids)
    order = [(reports[i].risk_score, reports[i].received_at) for i in ids]
    assert order == sorted(order, reverse=True)
    assert ids[0] == mixed["stuffing"].pk


@pytest.mark.parametrize(
    ("persona", "sees_other_org"),
    [("auditor", False), ("other_coordinator", None), ("platform_auditor", True), ("superuser", True)],
)
def test_queue_scope_per_persona(world, mixed, admin_as, persona, sees_other_org):
    who = getattr(world, persona)
    ids = set(shown(admin_as(who).get(QUEUE)))
    own = {mixed[k].pk for k in ("stuffing", "late", "far", "west")}
    if sees_other_org is None:  # the other organization's coordinator sees only theirs
        assert ids == {mixed["other"].pk}
    elif sees_other_org:
        assert ids == own | {mixed["other"].pk}
    else:
        assert ids == own


def test_observers_and_anonymous_have_no_admin(world, mixed, admin_as, client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = admin_as(world.observer).get(QUEUE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_columns_show_station_region_badges_with_explanations_and_age(world, mixed, admin_as):
    html = admin_as(world.coordinator).get(QUEUE).content.decode()

    assert "02001" in html and "Almaty city" in html
    flag = Flag.objects.get(report=mixed["late"], code="outside_polling_hours")
    assert f'class="flag-badge sev-medium flag-open" title="{flag.explanation}"' in html.replace("&#x27;", "'")
    assert 'class="flag-badge sev-critical flag-open"' in html
    assert f'name="v-{mixed["stuffing"].pk}" value="{mixed["stuffing"].triage_version}"' in html
    assert "min</span>" in html or " h " in html  # age
    assert '<td class="field-source_column">SMS</td>' in html and '<td class="field-source_column">web form</td>' in html
    assert 'style="' not in html.split('id="result_list"')[1].split("</table>")[0]  # CSP: no inline styles


def test_auditor_gets_export_but_no_triage_actions(world, mixed, admin_as):
    response = admin_as(world.auditor).get(QUEUE + "?region=almaty")
    actions = [value for value, _label in response.context["action_form"].fields["action"].choices if value]
    assert actions == ["export_csv"]
    assert "/exports/reports.csv?region=almaty" in response.content.decode()
    assert "/exports/reports.csv?source=sms" in admin_as(world.auditor).get(QUEUE + "?source=sms").content.decode()

    coordinator_actions = [v for v, _ in admin_as(world.coordinator).get(QUEUE).context["action_form"].fields["action"].choices if v]
    assert set(coordinator_actions) == {
        "start_review",
        "verify",
        "dismiss",
        "escalate",
        "resolve",
        "assign_to_me",
        "unassign",
        "rerun_pipeline",
        "export_csv",
    }


FILTER_CASES = [
    ("election=kz-test-2021", {"stuffing", "late", "far", "west"}),
    ("region=aktobe", {"west"}),
    ("region=nur-sultan&district=yesil", {"far"}),
    ("station=02001", {"stuffing", "late"}),
    ("category=ballot_stuffing", {"stuffing"}),
    ("phase=voting", {"stuffing", "late", "far", "west"}),
    ("phase=counting", set()),
    ("severity=low", {"west"}),
    ("severity=critical", {"stuffing"}),
    ("state=accepted", {"stuffing", "late", "far", "west"}),
    ("triage_status=escalated", {"stuffing"}),
    ("triage_status=new", {"late", "far", "west"}),
    ("triage_status=open", {"stuffing", "late", "far", "west"}),
    ("flag=outside_polling_hours", {"late"}),
    ("flag=no_location", {"far"}),
    ("assignee=none", {"stuffing", "late", "far", "west"}),
    ("assignee=me", set()),
    ("has_photos=yes", {"stuffing"}),
    ("has_photos=no", {"late", "far", "west"}),
    ("received_within=1h", {"stuffing", "late", "far", "west"}),
    ("received_to=2000-01-01", set()),
    ("source=sms", {"far"}),
    ("source=web", {"west"}),
    ("source=api", {"stuffing", "late"}),
    ("q=02001", {"stuffing", "late"}),
    ("q=Families", {"late"}),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_each_filter_narrows_the_queue(world, mixed, admin_as, query, expected):
    ids = set(shown(admin_as(world.coordinator).get(f"{QUEUE}?{query}")))
    assert ids == {mixed[k].pk for k in expected}


def test_search_by_report_id_and_observer_code(world, mixed, admin_as):
    client = admin_as(world.coordinator)
    assert shown(client.get(f"{QUEUE}?q={mixed['late'].pk}")) == [mixed["late"].pk]
    assert set(shown(client.get(f"{QUEUE}?q={world.observer_2.public_code.lower()}"))) == {mixed["far"].pk}


def test_organization_filter_for_those_who_see_all(world, mixed, admin_as):
    ids = set(shown(admin_as(world.superuser).get(f"{QUEUE}?organization={world.other_observer.organization_id}")))
    assert ids == {mixed["other"].pk}


def test_assignee_filter_and_cleared_flags_do_not_count(world, mixed, admin_as):
    from reports.services.triage import flag_decide, report_assign

    report_assign(report_id=mixed["late"].pk, actor=world.coordinator.user, assignee=world.coordinator.user)
    flag = Flag.objects.get(report=mixed["late"], code="outside_polling_hours")
    flag_decide(flag_id=flag.pk, actor=world.coordinator.user, decision="clear", note="Count started late; voting had ended.")
    client = admin_as(world.coordinator)

    assert shown(client.get(f"{QUEUE}?assignee=me")) == [mixed["late"].pk]
    assert shown(client.get(f"{QUEUE}?assignee={world.coordinator.user_id}")) == [mixed["late"].pk]
    assert shown(client.get(f"{QUEUE}?flag=outside_polling_hours")) == []


@pytest.mark.parametrize("query", ["severity=apocalyptic", "election=another"])
def test_a_bad_filter_value_is_refused_with_a_message_not_a_500(world, mixed, admin_as, query):
    from django.contrib.messages import get_messages

    response = admin_as(world.coordinator).get(f"{QUEUE}?{query}")
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert "Filter not applied: " + query.split("=")[0] in " ".join(str(m) for m in get_messages(response.wsgi_request))


def _queue_queries(client, url=QUEUE):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries], response


def test_queue_with_500_reports_runs_a_fixed_number_of_queries(world, admin_as, queue_of):
    queue_of(5, seed=1)
    client = admin_as(world.coordinator)
    small, _ = _queue_queries(client)

    queue_of(495, seed=2)
    large, response = _queue_queries(client)

    assert len(response.context["cl"].result_list) == 50
    assert len(large) == len(small) <= 14
    # Filters and the search add no per-row queries either: only the chosen
    # region's districts (the district filter's choices) and one query to check
    # that the region code names a region.
    filtered, _ = _queue_queries(client, f"{QUEUE}?triage_status=open&flag=off_site&has_photos=yes&region=almaty&q=a")
    assert len(filtered) <= len(large) + 2


def test_flagged_check_ins_in_the_queue_cost_no_query_per_row(world, admin_as, queue_of):
    queue_of(20, seed=3)
    client = admin_as(world.coordinator)
    before, _ = _queue_queries(client)
    for _ in range(30):
        checkin = CheckInFactory(election=world.election, station=world.station, submitted_by=world.observer, accepted=True, risk_score=100)
        FlagFactory(report=checkin, code="off_site", severity="high", params={"station": "02001"})
        CheckInFactory(election=world.election, station=world.station, submitted_by=world.observer, accepted=True)  # unflagged
    after, response = _queue_queries(client)
    rows = response.context["cl"].result_list
    assert len(after) == len(before)
    # Worst first: the flagged check-ins (risk 100) lead; the unflagged ones are not in the queue.
    assert [r.kind for r in rows[:30]] == ["checkin"] * 30 and {r.kind for r in rows[30:]} == {"incident"}
    assert "check-in: arrived" in response.content.decode()


def test_queue_never_counts_the_whole_table(world, admin_as, queue_of, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 40)
    queue_of(60)
    sql, response = _queue_queries(admin_as(world.coordinator))

    counts = [q for q in sql if "COUNT(" in q.upper()]
    assert counts and all("LIMIT 41" in q for q in counts), counts
    assert response.context["cl"].paginator.capped
    assert "more than 40 reports" in response.content.decode()


def test_age_column_reads_in_minutes_hours_days():
    from reports.admin.queue import age_label

    now = timezone.now()
    assert age_label(now - dt.timedelta(minutes=7), now) == "7 min"
    assert age_label(now - dt.timedelta(hours=3, minutes=5), now) == "3 h 05 min"
    assert age_label(now - dt.timedelta(days=4), now) == "4 d"


def test_coordinator_queue_is_scoped_ordered_by_risk_and_actions_are_audited(world, client):
    calm = file_report(world, category="other")
    worst = file_report(world, observer=world.observer_2, category="ballot_stuffing", gps=(51.1801, 71.44598, 12.0))
    foreign = file_report(world, observer=world.other_observer, category="violence")

    client.force_login(world.coordinator.user)
    assert shown(client.get(QUEUE)) == [worst.pk, calm.pk]

    response = client.post(QUEUE, {"action": "verify", "_selected_action": [str(calm.pk), str(foreign.pk)]}, follow=True)
    assert response.status_code == 200
    calm.refresh_from_db()
    foreign.refresh_from_db()
    assert calm.triage_status == "verified" and calm.decided_by == world.coordinator.user
    assert foreign.triage_status != "verified"  # outside the coordinator's organization
    event = ReportEvent.objects.get(report=calm, action="triage")
    assert (event.actor, event.from_value, event.to_value) == (world.coordinator.user, "new", "verified")


def test_auditor_reads_the_queue_but_cannot_triage(world, client):
    report = file_report(world)
    client.force_login(world.auditor.user)
    assert client.get(QUEUE).status_code == 200
    client.post(QUEUE, {"action": "verify", "_selected_action": [str(report.pk)]})
    report.refresh_from_db()
    assert report.triage_status == "new"
    assert not ReportEvent.objects.filter(report=report, action="triage").exists()


def test_observers_have_no_admin_access(world, client):
    client.force_login(world.observer.user)
    assert client.get(QUEUE).status_code == 302
