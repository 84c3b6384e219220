"""Registry codes are evidence: the content hash of every report names its
election, station and category by code, and exports and filters use region and
district codes. Once an object exists its code cannot be changed in the admin,
and the station import updates stations by code, never renaming one."""

import io

import pytest
from django.core.management import call_command

from monitoring.models import District, Election, PollingStation, Region
from reports.models import IncidentCategory
from tests.filing import file_report


def _change_form_data(client, url) -> dict:
    """What the admin's change form would post back unchanged."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = list(value)
        elif hasattr(field.widget, "widgets"):  # split date/time
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else part
        else:
            data[name] = "" if value is None else value
    return data


@pytest.mark.parametrize(
    ("model", "url_name", "obj"),
    [
        (Election, "monitoring/election", lambda w: w.election),
        (Region, "monitoring/region", lambda w: w.station.district.region),
        (District, "monitoring/district", lambda w: w.station.district),
        (PollingStation, "monitoring/pollingstation", lambda w: w.station),
        (IncidentCategory, "reports/incidentcategory", lambda w: IncidentCategory.objects.get(code="carousel_voting")),
    ],
)
def test_a_code_cannot_be_changed_in_the_admin_once_the_object_exists(world, client, tmp_path, model, url_name, obj):
    report = file_report(world)
    target = obj(world)
    client.force_login(world.superuser)
    url = f"/admin/{url_name}/{target.pk}/change/"
    page = client.get(url)
    assert "code" not in page.context["adminform"].form.fields  # shown, not editable
    data = _change_form_data(client, url)
    data["code"] = "renamed"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    target.refresh_from_db()
    assert target.code != "renamed"

    # The report's evidence still verifies: exported, and checked against the platform.
    client.force_login(world.auditor.user)
    export = tmp_path / "reports.csv"
    export.write_bytes(b"".join(client.get("/exports/reports.csv").streaming_content))
    assert str(report.pk) in export.read_text(encoding="utf-8")
    call_command("verify_export", str(export), stdout=io.StringIO())


def test_a_new_object_still_gets_its_code_in_the_admin(world, client):
    client.force_login(world.superuser)
    page = client.get("/admin/monitoring/region/add/")
    assert "code" in page.context["adminform"].form.fields


def test_import_stations_updates_by_code_and_never_renames(world, tmp_path):
    station = world.station
    report = file_report(world)
    path = tmp_path / "stations.csv"
    path.write_text(
        "code,name,address,region,district,latitude,longitude,registered_voters\n"
        f"{station.code},Renamed school,New address,almaty,almaly,43.25249,76.9115,1500\n"
        "02001A,Another school,Abai 2,almaty,almaly,43.26,76.92,800\n",
        encoding="utf-8",
    )
    call_command("import_stations", str(path), "--election", world.election.code, stdout=io.StringIO())
    station.refresh_from_db()
    assert (station.code, station.name, station.registered_voters) == ("02001", "Renamed school", 1500)
    assert PollingStation.objects.get(election=world.election, code="02001A").pk != station.pk
    report.refresh_from_db()
    assert report.station_id == station.pk
