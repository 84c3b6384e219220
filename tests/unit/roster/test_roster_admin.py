"""The roster in the admin (roster.admin) and where personal data may appear:
only to the organization's coordinators (and superusers); never to auditors,
other organizations, any API, the export or the logs."""

import csv
import io
import logging
import zipfile

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from roster.importing import roster_import
from roster.models import ApiToken, RosterEntry, RosterImport

NAME, PHONE, EMAIL = "Aigerim Nurlanova", "+77015550101", "aigerim@example.org"
ROSTER = (
    "external_id,full_name,phone,email,language,role,stations\n"
    f"A-1,{NAME},{PHONE},{EMAIL},kk,observer,02001\n"
    "A-2,Boris Kim,+77015550102,,ru,observer,05001\n"
)
BAD = ROSTER + "A-3,Someone,+77015550103,,xx,observer,99999\n"


@pytest.fixture
def staff_client(client, settings):
    settings.AXES_ENABLED = False
    cache.clear()

    def as_(who):
        client.force_login(who.user if hasattr(who, "user") else who)
        return client

    return as_


@pytest.fixture
def imported(world):
    roster_import(organization=world.observer.organization, election=world.election, lines=io.StringIO(ROSTER))
    return {e.external_id: e for e in RosterEntry.objects.select_related("observer__user")}


def upload(client, text, **extra):
    data = {"file": SimpleUploadedFile("roster.csv", text.encode()), "election": "kz-test-2021", **extra}
    return client.post("/admin/roster/rosterentry/import/", data)


def test_upload_previews_without_writing_then_confirm_applies_once(world, staff_client):
    client = staff_client(world.coordinator)
    preview = upload(client, ROSTER, organization=world.coordinator.organization_id)
    assert preview.status_code == 200
    assert "2 created, 0 updated, 0 unchanged (dry run: nothing written)" in preview.content.decode()
    assert not RosterEntry.objects.exists()
    pending = RosterImport.objects.get()
    confirmed = client.post(f"/admin/roster/rosterentry/import/{pending.pk}/", {"confirm": "1"})
    assert confirmed.status_code == 302 and RosterEntry.objects.count() == 2
    pending.refresh_from_db()
    assert pending.state == "applied" and pending.content == "" and pending.summary == "2 created, 0 updated, 0 unchanged"
    assert client.post(f"/admin/roster/rosterentry/import/{pending.pk}/", {"confirm": "1"}).status_code == 404


def test_a_bad_file_is_refused_in_the_admin_with_every_problem(world, staff_client):
    page = upload(staff_client(world.coordinator), BAD, organization=world.coordinator.organization_id).content.decode()
    assert "line 4: language: must be one of kk, ru, en" in page and "line 4: stations: unknown station 99999" in page
    assert not RosterEntry.objects.exists() and not RosterImport.objects.exists()


def test_a_coordinator_imports_only_into_their_own_organization(world, staff_client):
    page = upload(staff_client(world.coordinator), ROSTER, organization=world.other_observer.organization_id)
    assert page.status_code == 200 and not RosterImport.objects.exists()  # the other organization is not a choice


def test_only_the_organizations_coordinators_see_the_roster(world, imported, staff_client):
    entry = imported["A-1"]
    seen = staff_client(world.coordinator).get("/admin/roster/rosterentry/").content.decode()
    assert NAME in seen and PHONE in seen
    for outsider in (world.other_coordinator, world.auditor, world.platform_auditor):
        client = staff_client(outsider)
        listing = client.get("/admin/roster/rosterentry/")
        assert NAME not in listing.content.decode()
        assert client.get(f"/admin/roster/rosterentry/{entry.pk}/change/").status_code in (302, 403)
        assert NAME not in client.get("/admin/monitoring/observer/").content.decode()


def test_personal_data_never_reaches_the_api_or_the_export(world, imported, staff_client, api_client):
    from tests.conftest import report_payload

    observer = imported["A-1"].observer
    api_client.force_authenticate(observer.user)
    assert api_client.post("/api/v1/reports/", report_payload(world), format="json").status_code == 201
    texts = [api_client.get(path).content.decode() for path in ("/api/v1/me/", "/api/v1/reports/")]
    api_client.force_authenticate(world.coordinator.user)
    texts += [api_client.get(path).content.decode() for path in ("/api/v1/me/", "/api/v1/reports/")]
    texts.append(
        b"".join(staff_client(world.coordinator).get(f"/exports/reports.csv?election={world.election.code}").streaming_content).decode()
    )
    for text in texts:
        assert NAME not in text and PHONE not in text and EMAIL not in text and "A-1" not in text
    assert observer.public_code in texts[-1]


def test_import_activation_and_badges_log_no_personal_data_or_codes(world, staff_client, caplog, client, tmp_path):
    from django.core.management import call_command

    caplog.set_level(logging.DEBUG)
    roster_import(organization=world.observer.organization, election=world.election, lines=io.StringIO(ROSTER))
    call_command("issue_credentials", organization="Civic Observers", output=str(tmp_path / "b.html"), base_url="https://x.example")
    code = next(csv.DictReader(io.StringIO((tmp_path / "b.csv").read_text(encoding="utf-8-sig"))))["code"]
    client.post("/activate/", {"code": code})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert NAME not in logged and PHONE not in logged and code not in logged


def test_issue_action_downloads_badges_and_codes_and_reissue_logs_phones_out(world, imported, staff_client, api_client):
    client = staff_client(world.coordinator)
    ids = [imported["A-1"].pk, imported["A-2"].pk]
    form = client.post("/admin/roster/rosterentry/", {"action": "issue_codes", "_selected_action": ids})
    assert form.status_code == 200 and b"valid_hours" in form.content
    answer = client.post("/admin/roster/rosterentry/", {"action": "issue_codes", "_selected_action": ids, "valid_hours": "24"})
    assert answer["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == ["badges.html", "codes.csv"]
    rows = list(csv.DictReader(io.StringIO(archive.read("codes.csv").decode("utf-8-sig"))))
    assert [r["full_name"] for r in rows] == [NAME, "Boris Kim"] and rows[0]["activation_url"].startswith("http://testserver/activate/#")
    token = api_client.post("/api/v1/auth/activate/", {"code": rows[0]["code"]}, format="json").json()["token"]

    client.post("/admin/roster/rosterentry/", {"action": "reissue", "_selected_action": [ids[0]], "valid_hours": "24"})
    assert not ApiToken.objects.filter(user=imported["A-1"].observer.user).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me/").status_code == 401
