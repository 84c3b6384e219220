"""A NUL (or another control character) in a query parameter is a 400 with a
clear message at every door, never a 500: PostgreSQL refuses NUL in text, so
`?q=%00` used to fail deep inside the search query (the same paths on
PostgreSQL: tests/integration/security/test_control_characters.py). The
export command refuses one in `--search`, and a triage note with a NUL is
refused with a message."""

import pytest
from django.core.management import CommandError, call_command

from reports.filters import FilterError, parse_report_filters
from reports.models import ReportEvent
from tests.filing import file_report

# (who, path) for each door that searches or filters.
DOORS = [
    ("coordinator", "/exports/reports.csv?q={bad}"),
    ("coordinator", "/admin/reports/submission/?q={bad}"),
    ("coordinator", "/admin/monitoring/pollingstation/?q={bad}"),
    ("superuser", "/admin/monitoring/observer/?q={bad}"),
    ("coordinator", "/admin/autocomplete/?app_label=monitoring&model_name=pollingstation&field_name=district&term={bad}"),
    ("observer", "/api/v1/stations/?election=kz-test-2021&q={bad}"),
    ("coordinator", "/exports/reports.csv?election=kz-test-2021&station={bad}"),
]
BAD = ["%00", "ab%00cd", "%1b[31m", "a%7fb"]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(("who", "path"), DOORS)
def test_a_control_character_in_a_query_parameter_is_a_400(world, admin_as, who, path, bad):
    response = admin_as(getattr(world, who)).get(path.format(bad=bad))
    assert response.status_code == 400
    body = response.content.decode()
    assert "control character" in body
    if path.startswith("/api/"):
        assert response.json()["code"] == "control_character"


def test_the_same_searches_without_one_still_work(world, admin_as):
    report = file_report(world, description="Ballot box unsealed")
    assert report.description.split()[0] in admin_as(world.coordinator).get("/admin/reports/submission/?q=unsealed").content.decode()
    assert admin_as(world.observer).get("/api/v1/stations/?election=kz-test-2021&q=020").status_code == 200
    # A line break typed into a text field is text, not a control character to refuse.
    response = admin_as(world.coordinator).post(
        f"/admin/reports/submission/{report.pk}/triage/note/", {"note": "Called the observer.\r\n\tAll fine."}
    )
    assert response.status_code == 302
    assert ReportEvent.objects.get(report=report, action="note").note == "Called the observer.\r\n\tAll fine."


def test_a_nul_in_a_triage_note_is_refused_with_a_message(world, admin_as):
    report = file_report(world)
    client = admin_as(world.coordinator)
    response = client.post(f"/admin/reports/submission/{report.pk}/triage/note/", {"note": "before\x00after"}, follow=True)
    assert response.status_code == 200 and "Not saved: The note holds a NUL character." in response.content.decode()
    assert not ReportEvent.objects.filter(report=report, action="note").exists()


def test_the_filters_and_the_export_command_refuse_one_in_a_search():
    with pytest.raises(FilterError, match="control characters"):
        parse_report_filters({"q": "a\x00b"}, check_codes=False)
    assert (
        parse_report_filters({"q": "Бюллетени\u00a0вброшены"}, check_codes=False).q == "Бюллетени\u00a0вброшены"
    )  # not a control character


def test_export_reports_refuses_one_in_search(world):
    with pytest.raises(CommandError, match="control characters"):
        call_command("export_reports", "--search", "a\x00b", "--no-progress")
