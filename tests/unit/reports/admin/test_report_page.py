"""The report page: read-only evidence, geotag, photos, flags, related reports,
audit trail, and the triage panel's buttons with their permissions."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import IncidentReport, ReportEvent
from reports.services.triage import ASSIGNEE_REFUSED, report_decide
from testkit.factories import FlagFactory, make_observer
from tests.conftest import HUGE, SUPERSCRIPT_TWO
from tests.filing import file_report


def page(report):
    return f"/admin/reports/submission/{report.pk}/change/"


def triage(report, operation):
    return f"/admin/reports/submission/{report.pk}/triage/{operation}/"


def messages_of(response) -> str:
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.fixture
def report(world):
    return file_report(
        world,
        category="group_voting",
        description="Семья голосовала вместе; отбасы бірге дауыс берді.",
        gps=(43.2701, 76.9400, 20.0),
        photos=2,
    )  # off_site (~3 km away)


def test_page_shows_the_evidence_read_only(world, report, admin_as):
    html = admin_as(world.coordinator).get(page(report)).content.decode()

    assert "Семья голосовала вместе; отбасы бірге дауыс берді." in html
    assert report.content_sha256 in html and report.chain_sha256 in html
    assert world.observer.public_code in html
    assert "<textarea" not in html.split('class="report-main"')[1].split("</div>\n\n  <aside")[0]  # no editable evidence
    assert "observer" not in html.split('class="report-main"')[1].split("Observer</dt>")[1].split("</dd>")[0]  # no username


def test_page_shows_geotag_distances_and_map_links(world, report, admin_as):
    html = admin_as(world.coordinator).get(page(report)).content.decode()
    assert f"{report.claimed_station_distance_m:.0f} m" in html
    assert "https://www.openstreetmap.org/?mlat=43.270100&amp;mlon=76.940000" in html


def test_page_shows_photo_thumbnails_through_the_scoped_door_with_hashes(world, report, admin_as):
    client = admin_as(world.coordinator)
    html = client.get(page(report)).content.decode()
    for photo in report.attachments.all():
        assert f'src="/photos/{photo.pk}/"' in html
        assert photo.sha256 in html and photo.stored_sha256 in html
        assert client.get(f"/photos/{photo.pk}/").status_code == 200


def test_page_explains_every_flag(world, report, admin_as):
    html = admin_as(world.coordinator).get(page(report)).content.decode()
    flag = report.flags.get(code="off_site")
    assert flag.explanation in html.replace("&#x27;", "'")
    assert 'name="decision" value="clear"' in html


def test_page_links_related_reports_the_user_may_see(world, report, admin_as):
    twin = file_report(world, category="group_voting", description="Same family again.")
    foreign = file_report(world, observer=world.other_observer)
    FlagFactory(
        report=report, code="duplicate", severity="medium", params={"related_reports": [str(twin.pk), str(foreign.pk), "not-a-uuid"]}
    )
    html = admin_as(world.coordinator).get(page(report)).content.decode()
    assert f'href="/admin/reports/submission/{twin.pk}/change/"' in html
    assert str(foreign.pk) not in html


def test_page_shows_the_audit_trail(world, report, admin_as):
    report_decide(report_id=report.pk, actor=world.coordinator.user, status="under_review", note="calling the observer")
    html = admin_as(world.auditor).get(page(report)).content.decode()
    assert "calling the observer" in html and "submitted" in html and "coordinator" in html


def post(client, report, operation, **data):
    data.setdefault("version", str(IncidentReport.objects.get(pk=report.pk).triage_version))
    return client.post(triage(report, operation), data)


def test_status_buttons_follow_the_workflow(world, report, admin_as):
    client = admin_as(world.coordinator)
    html = client.get(page(report)).content.decode()
    assert 'name="status" value="under_review"' in html and 'name="status" value="resolved"' not in html

    response = post(client, report, "decide", status="verified", note="confirmed by photo")
    assert response.status_code == 302 and response["Location"] == page(report)
    report.refresh_from_db()
    assert (report.triage_status, report.decided_by_id) == ("verified", world.coordinator.user_id)
    assert ReportEvent.objects.filter(report=report, action="triage", note="confirmed by photo").exists()


def test_a_stale_page_cannot_overwrite_a_colleagues_decision(world, report, admin_as):
    stale = str(report.triage_version)
    colleague = make_observer(world.coordinator.organization, "coordinator", "coordinator-2")
    report_decide(report_id=report.pk, actor=colleague.user, status="dismissed", note="not an incident")

    response = post(admin_as(world.coordinator), report, "decide", status="escalated", version=stale)

    report.refresh_from_db()
    assert report.triage_status == "dismissed"
    assert "changed by someone else" in messages_of(response)
    assert ReportEvent.objects.filter(report=report, action="triage").count() == 1


def test_assign_to_me_to_a_colleague_and_not_outside_the_organization(world, report, admin_as):
    client = admin_as(world.coordinator)
    post(client, report, "assign", assign_me="1")
    report.refresh_from_db()
    assert report.assignee_id == world.coordinator.user_id

    colleague = make_observer(world.coordinator.organization, "coordinator", "coordinator-2")
    post(client, report, "assign", assignee=str(colleague.user_id))
    report.refresh_from_db()
    assert report.assignee_id == colleague.user_id

    response = post(client, report, "assign", assignee=str(world.other_coordinator.user_id))
    report.refresh_from_db()
    assert report.assignee_id == colleague.user_id
    assert ASSIGNEE_REFUSED in messages_of(response)


def test_clearing_a_flag_needs_a_note(world, report, admin_as):
    client = admin_as(world.coordinator)
    flag = report.flags.get(code="off_site")

    response = post(client, report, f"flags/{flag.pk}", decision="clear", note="  ")
    flag.refresh_from_db()
    assert flag.state == "open" and "needs a note" in messages_of(response)

    post(client, report, f"flags/{flag.pk}", decision="clear", note="GPS drift inside a concrete building")
    flag.refresh_from_db()
    assert (flag.state, flag.decided_by_id, flag.note) == ("cleared", world.coordinator.user_id, "GPS drift inside a concrete building")
    event = ReportEvent.objects.get(report=report, action="flag_cleared")
    assert (event.from_value, event.to_value) == ("off_site:open", "off_site:cleared")


def test_confirming_a_flag(world, report, admin_as):
    flag = report.flags.get(code="off_site")
    post(admin_as(world.coordinator), report, f"flags/{flag.pk}", decision="confirm")
    flag.refresh_from_db()
    assert flag.state == "confirmed"
    assert ReportEvent.objects.filter(report=report, action="flag_confirmed", actor=world.coordinator.user).exists()


def test_a_flag_of_another_report_is_not_found(world, report, admin_as):
    other = file_report(world, gps=None)
    flag = other.flags.get()
    response = post(admin_as(world.coordinator), report, f"flags/{flag.pk}", decision="confirm")
    assert response.status_code == 404


def test_notes_and_pipeline_reruns_are_recorded(world, report, admin_as):
    client = admin_as(world.coordinator)
    post(client, report, "note", note="Observer called back: two witnesses.")
    post(client, report, "reprocess")
    actions = list(ReportEvent.objects.filter(report=report, actor=world.coordinator.user).values_list("action", "note"))
    assert ("note", "Observer called back: two witnesses.") in actions
    assert any(action == "reprocessed" for action, _ in actions)


def test_each_panel_form_posts_to_its_own_operation(world, report, admin_as):
    html = admin_as(world.coordinator).get(page(report)).content.decode()
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', html))
    flags = {triage(report, f"flags/{flag.pk}") for flag in report.flags.all()}
    assert flags and actions == {triage(report, op) for op in ("decide", "assign", "note", "reprocess")} | flags


def test_auditors_read_but_cannot_triage(world, report, admin_as):
    client = admin_as(world.auditor)
    html = client.get(page(report)).content.decode()
    assert "Read-only" in html and "/triage/" not in html

    response = post(client, report, "decide", status="verified")
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.triage_status == "new"


def test_other_organizations_get_404(world, report, admin_as):
    client = admin_as(world.other_coordinator)
    assert client.get(page(report)).status_code == 404
    assert post(client, report, "decide", status="verified").status_code == 404


def test_the_report_is_evidence_the_change_form_does_not_save(world, report, admin_as):
    response = admin_as(world.superuser).post(page(report), {"description": "rewritten"})
    assert response.status_code == 405
    report.refresh_from_db()
    assert report.description.startswith("Семья")


def test_page_queries_do_not_grow_with_photos_flags_and_events(world, admin_as):
    small = file_report(world, photos=1)
    big = file_report(world, photos=4, gps=(43.30, 76.95, 12.0), description="=1+1 and more")
    for i in range(6):
        report_decide(report_id=big.pk, actor=world.coordinator.user, status=["under_review", "verified"][i % 2], note=f"step {i}")
    client = admin_as(world.coordinator)

    def count(report):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page(report)).status_code == 200
        return len(captured)

    assert count(small) == count(big) <= 14


@pytest.mark.parametrize(
    ("operation", "data", "expected"),
    [
        ("decide", {"status": "under_review", "version": SUPERSCRIPT_TWO}, 302),
        ("decide", {"status": "under_review", "version": HUGE}, 302),
        ("assign", {"assignee": SUPERSCRIPT_TWO}, 302),
        ("assign", {"assignee": HUGE}, 302),
        (f"flags/{SUPERSCRIPT_TWO}", {"decision": "confirm"}, 404),
        (f"flags/{HUGE}", {"decision": "confirm"}, 404),
    ],
)
def test_triage_buttons_refuse_odd_numbers_without_a_500(world, admin_as, operation, data, expected):
    report = file_report(world)
    response = admin_as(world.coordinator).post(triage(report, operation), data)
    assert response.status_code == expected
    if operation == "assign":
        assert ASSIGNEE_REFUSED in messages_of(response)
        report.refresh_from_db()
        assert report.assignee_id is None
