"""Odd parameter values never give a 500: digits that only look like digits
(`²` passes `str.isdigit()`, `int()` refuses it), numbers beyond a database
integer, dates at the end of the calendar, line breaks in codes, pagination
beyond reason, and an accreditation reinstated while another is active. One
parametrized test per door."""

import io

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from monitoring.models import Accreditation
from reports.models import ExportRecord
from testkit.factories import AccreditationFactory
from tests.filing import file_report

SUPERSCRIPT_TWO = "²"
HUGE = "99999999999999999999"
QUEUE = "/admin/reports/incidentreport/"

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


@pytest.fixture
def filed(world):
    return file_report(world)


@pytest.mark.parametrize("params", ODD_FILTERS, ids=lambda p: repr(p))
def test_export_url_refuses_odd_filter_values_with_a_400(world, client, filed, params):
    client.force_login(world.auditor.user)
    response = client.get("/exports/reports.csv", params)
    assert response.status_code == 400, response.content
    assert "X-Injected" not in response
    assert not ExportRecord.objects.exists()  # nothing started, nothing left unfinished


@pytest.mark.parametrize("params", ODD_FILTERS, ids=lambda p: repr(p))
def test_admin_queue_answers_odd_filter_values_with_a_message(world, client, filed, params):
    client.force_login(world.superuser)
    response = client.get(QUEUE, params)
    assert response.status_code == 302 and response["Location"] == QUEUE, response.status_code
    assert "Filter not applied: " + next(iter(params)) in " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"op": "status", "status": "under_review", "version": SUPERSCRIPT_TWO}, 302),
        ({"op": "status", "status": "under_review", "version": HUGE}, 302),
        ({"op": "assign", "assignee": SUPERSCRIPT_TWO}, 302),
        ({"op": "assign", "assignee": HUGE}, 302),
        ({"op": "flag", "flag": SUPERSCRIPT_TWO, "decision": "confirm"}, 404),
        ({"op": "flag", "flag": HUGE, "decision": "confirm"}, 404),
    ],
)
def test_triage_buttons_refuse_odd_numbers_without_a_500(world, client, filed, data, expected):
    client.force_login(world.coordinator.user)
    response = client.post(f"{QUEUE}{filed.pk}/triage/", data)
    assert response.status_code == expected
    if data["op"] == "assign":
        assert "unknown assignee" in " ".join(str(m) for m in get_messages(response.wsgi_request))
        filed.refresh_from_db()
        assert filed.assignee_id is None


@pytest.mark.parametrize("version", [SUPERSCRIPT_TWO, HUGE])
def test_bulk_action_ignores_an_odd_version_without_a_500(world, client, filed, version):
    client.force_login(world.coordinator.user)
    data = {"action": "start_review", "_selected_action": [str(filed.pk)], "index": "0", "note": "", f"v-{filed.pk}": version}
    response = client.post(QUEUE, data)
    assert response.status_code == 302
    filed.refresh_from_db()
    # A version that is no version is no proof of what the coordinator saw: as if absent.
    assert filed.triage_status == "under_review"


@pytest.mark.parametrize("voters", [SUPERSCRIPT_TWO, HUGE, "-1", "1e3"])
def test_import_stations_names_the_line_of_an_odd_voter_count(world, tmp_path, voters):
    path = tmp_path / "stations.csv"
    path.write_text(
        "code,name,address,region,district,latitude,longitude,registered_voters\n"
        "90001,School 1,Abai 1,almaty,Almaly,43.25,76.91,1200\n"
        f"90002,School 2,Abai 2,almaty,Almaly,43.26,76.92,{voters}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"line 3: registered_voters"):
        call_command("import_stations", str(path), "--election", world.election.code, stdout=io.StringIO())


@pytest.mark.parametrize("query", [f"?limit={HUGE}", "?limit=9223372036854775808", f"?limit=1000&offset={HUGE}", "?limit=²"])
def test_api_lists_cap_the_page_size(world, as_user, filed, query):
    response = as_user(world.observer).get(f"/api/v1/reports/{query}")
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 200


@pytest.mark.parametrize("through", ["action", "change form"])
def test_reinstating_an_accreditation_while_another_is_active_is_refused_with_a_message(world, client, through):
    revoked = world.revoked_accreditation
    AccreditationFactory(organization=revoked.organization, election=revoked.election)  # the organization's new, active one
    client.force_login(world.superuser)
    if through == "action":
        response = client.post(
            "/admin/monitoring/accreditation/", {"action": "reinstate", "_selected_action": [str(revoked.pk)], "index": "0"}
        )
        assert response.status_code == 302
        assert "already has an active accreditation" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    else:
        url = f"/admin/monitoring/accreditation/{revoked.pk}/change/"
        form = client.get(url).context["adminform"].form
        data = {name: form[name].value() for name in form.fields}
        data = {k: ("" if v is None else v) for k, v in data.items()}
        data.update(
            status="active", valid_from_0="2021-01-01", valid_from_1="00:00:00", valid_until_0="2021-01-31", valid_until_1="00:00:00"
        )
        response = client.post(url, data)
        assert response.status_code == 200 and response.context["adminform"].form.errors
    revoked.refresh_from_db()
    assert revoked.status == Accreditation.Status.REVOKED


def test_accreditation_change_form_goes_through_the_service(world, client):
    accreditation = world.accreditation
    client.force_login(world.superuser)
    url = f"/admin/monitoring/accreditation/{accreditation.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(
        status="suspended", valid_from_0="2021-01-01", valid_from_1="00:00:00", valid_until_0="2021-01-31", valid_until_1="00:00:00"
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    accreditation.refresh_from_db()
    assert accreditation.status == "suspended" and accreditation.revoked_at is not None
    assert "admin" in accreditation.status_reason
