"""The filters shared by the triage queue and the export doors."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages

from reports.filters import FilterError, ReportFilters, apply_report_filters, parse_report_filters
from reports.models import ExportRecord, IncidentReport
from tests.conftest import HUGE, SUPERSCRIPT_TWO
from tests.filing import file_report

QUEUE = "/admin/reports/submission/"


def test_parsing_turns_text_into_typed_values():
    f = parse_report_filters(
        {"organization": "7", "has_photos": "No", "received_from": "2021-01-10", "received_to": "2021-01-10", "severity": "", "q": " x "}
    )
    assert f.organization == 7 and f.has_photos is False
    assert f.received_from == dt.datetime(2021, 1, 10, tzinfo=dt.UTC)
    assert f.received_to == dt.datetime(2021, 1, 11, tzinfo=dt.UTC)  # a date means through that day
    assert f.severity == "" and f.q == "x"
    offset = parse_report_filters({"received_from": "2021-01-10T09:00:00+06:00"}).received_from
    assert offset == dt.datetime(2021, 1, 10, 3, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "params",
    [
        {"colour": "red"},
        {"severity": "apocalyptic"},
        {"triage_status": "closed"},
        {"organization": "civic"},
        {"assignee": "bob"},
        {"has_photos": "maybe"},
        {"received_within": "3h"},
        {"received_to": "next week"},
        {"received_from": "2021-13-45"},
        {"received_from": "2021-01-10T25:00"},
        {"ids": "1"},  # an explicit selection is never taken from a URL
    ],
)
def test_bad_or_unknown_parameters_are_refused(params):
    with pytest.raises(FilterError):
        parse_report_filters(params)


def test_unknown_parameters_can_be_ignored_for_the_admin(world):
    assert parse_report_filters({"o": "-3", "p": "2", "region": "almaty"}, ignore_unknown=True) == ReportFilters(region="almaty")


def test_a_relative_window_is_recorded_as_an_absolute_time():
    now = dt.datetime(2021, 1, 10, 12, tzinfo=dt.UTC)
    recorded = parse_report_filters({"received_within": "6h"}).resolved(now).as_json()
    assert recorded == {"received_within": "6h", "received_from": "2021-01-10T06:00:00Z"}


def test_open_means_still_needing_a_coordinator(world):
    accepted = file_report(world)
    rejected = file_report(world)
    escalated = file_report(world, category="ballot_stuffing")
    verified = file_report(world)
    IncidentReport.objects.filter(pk=rejected.pk).update(state="rejected")
    IncidentReport.objects.filter(pk=verified.pk).update(triage_status="verified")

    found = set(apply_report_filters(IncidentReport.objects.all(), ReportFilters(triage_status="open")).values_list("pk", flat=True))
    assert found == {accepted.pk, escalated.pk}


def test_assignee_me_needs_a_user(world):
    file_report(world)
    assert not apply_report_filters(IncidentReport.objects.all(), ReportFilters(assignee="me")).exists()


UNKNOWN_CODES = [
    {"election": "kz-majilis-2012"},
    {"category": "balot_stuffing"},
    {"region": "atlantis"},
    {"district": "nowhere"},
    {"station": "99999"},
    {"election": "kz-test-2021", "station": "99999"},
    {"flag": "of_site"},
]


@pytest.mark.parametrize("params", UNKNOWN_CODES, ids=lambda p: repr(p))
def test_a_code_that_names_nothing_is_refused_at_every_door(world, client, tmp_path, params):
    """A misspelt code (`?election=kz-majilis-2012&category=balot_stuffing`) is
    refused, not answered with an empty export that verifies (docs/export.md)."""
    import io

    from django.contrib.messages import get_messages
    from django.core.management import CommandError, call_command

    from reports.models import ExportRecord

    file_report(world)
    client.force_login(world.auditor.user)
    response = client.get("/exports/reports.csv", params)
    assert response.status_code == 400 and list(params)[-1].encode() in response.content

    options = {f"--{name}": value for name, value in params.items()}
    with pytest.raises(CommandError, match=list(params)[-1]):
        call_command(
            "export_reports", *[x for kv in options.items() for x in kv], "--output", str(tmp_path / "x.csv"), stderr=io.StringIO()
        )
    assert not ExportRecord.objects.exists()

    client.force_login(world.coordinator.user)
    queue = client.get("/admin/reports/submission/", params)
    assert queue.status_code == 302
    assert "Filter not applied" in " ".join(str(m) for m in get_messages(queue.wsgi_request))


def test_known_codes_still_filter(world):
    filed = file_report(world)
    params = {"election": "kz-test-2021", "region": "almaty", "district": "almaly", "station": "02001", "category": "carousel_voting"}
    assert list(apply_report_filters(IncidentReport.objects.all(), parse_report_filters(params))) == [filed]


ODD_FILTERS = [
    {"organization": SUPERSCRIPT_TWO},
    {"organization": HUGE},
    {"assignee": SUPERSCRIPT_TWO},
    {"assignee": HUGE},
    {"received_to": "9999-12-31"},
    {"received_from": "0001-01-01T00:00+06:00"},
    {"received_to": "9999-12-31T23:59:59-05:00"},
    {"election": "a\r\nX-Injected: 1"},
    {"station": "0200\r\n1"},
]


@pytest.mark.parametrize("params", ODD_FILTERS, ids=lambda p: repr(p))
def test_export_url_refuses_odd_filter_values_with_a_400(world, client, params):
    file_report(world)
    client.force_login(world.auditor.user)
    response = client.get("/exports/reports.csv", params)
    assert response.status_code == 400, response.content
    assert "X-Injected" not in response
    assert not ExportRecord.objects.exists()  # nothing started, nothing left unfinished


def _has_control_character(params) -> bool:
    return any(ch < " " for value in params.values() for ch in value)


@pytest.mark.parametrize("params", [p for p in ODD_FILTERS if not _has_control_character(p)], ids=lambda p: repr(p))
def test_admin_queue_answers_odd_filter_values_with_a_message(world, client, params):
    file_report(world)
    client.force_login(world.superuser)
    response = client.get(QUEUE, params)
    assert response.status_code == 302 and response["Location"] == QUEUE, response.status_code
    assert "Filter not applied: " + next(iter(params)) in " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize("params", [p for p in ODD_FILTERS if _has_control_character(p)], ids=lambda p: repr(p))
def test_admin_queue_refuses_control_characters_with_a_400(world, client, params):
    # As every door does for any query parameter (config.middleware.ControlCharacterMiddleware).
    client.force_login(world.superuser)
    response = client.get(QUEUE, params)
    assert response.status_code == 400 and "control character" in response.content.decode()
