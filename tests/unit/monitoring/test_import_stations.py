"""`manage.py import_stations`: atomic, row-precise errors, re-import updates."""

import io

import pytest
from django.core.management import CommandError, call_command

from monitoring.models import District, PollingStation
from testkit.factories import ElectionFactory, RegionFactory
from tests.conftest import HUGE, SUPERSCRIPT_TWO

HEADER = "code,name,address,region,district,latitude,longitude,registered_voters\n"


@pytest.fixture
def setting(db):
    election = ElectionFactory(code="kz-import")
    RegionFactory(code="nur-sultan", name_en="Nur-Sultan city", name_ru="город Нур-Султан", aliases=["Astana"])
    RegionFactory(code="almaty", name_en="Almaty city", name_ru="город Алматы")
    return election


def write(tmp_path, body, name="stations.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


def run(path, election="kz-import"):
    from io import StringIO

    out = StringIO()
    call_command("import_stations", path, "--election", election, stdout=out)
    return out.getvalue()


def test_imports_stations_matching_regions_by_code_name_or_alias_and_creates_districts(setting, tmp_path):
    path = write(
        tmp_path,
        "001,School 1,Abai 1,almaty,Almaly,43.25,76.91,1200\n"
        "002,School 2,Kenesary 5,ASTANA,Yesil,51.18,71.44,900\n"
        "003,Школа 3,Мира 7,город Алматы,Алмалы,43.26,76.93,\n",
    )
    out = run(path)
    assert "3 stations created" in out
    stations = {s.code: s for s in PollingStation.objects.select_related("district__region")}
    assert stations["002"].district.region.code == "nur-sultan"
    assert stations["003"].district.region.code == "almaty" and stations["003"].registered_voters == 0
    assert District.objects.filter(region__code="almaty").count() == 2


def test_reimport_updates_by_code(setting, tmp_path):
    run(write(tmp_path, "001,School 1,Abai 1,almaty,Almaly,43.25,76.91,1200\n"))
    out = run(write(tmp_path, "001,School No. 1,Abai 3,almaty,Almaly,43.2501,76.9101,1300\n", "v2.csv"))
    assert "0 stations created, 1 updated" in out
    station = PollingStation.objects.get(code="001")
    assert (station.name, station.registered_voters, station.latitude) == ("School No. 1", 1300, 43.2501)


@pytest.mark.parametrize(
    "body, message",
    [
        ("001,A,x,almaty,D,43.2,76.9,1\n002,B,x,Atlantis,D,43.2,76.9,1\n", "line 3: unknown region 'Atlantis'"),
        ("001,A,x,almaty,D,43.2,76.9,1\n002,B,x,almaty,D,93.2,76.9,1\n", "line 3: latitude '93.2' is outside"),
        ("001,A,x,almaty,D,43.2,east,1\n", "line 2: longitude 'east' is not a number"),
        ("001,A,x,almaty,D,43.2,76.9,1\n001,B,x,almaty,D,43.2,76.9,1\n", "line 3: duplicate station code '001' (first on line 2)"),
        ("001,,x,almaty,D,43.2,76.9,1\n", "line 2: name is empty"),
        ("001,A,x,almaty,D,43.2,76.9,many\n", "line 2: registered_voters 'many'"),
        ("001,A,x,almaty,D,nan,76.9,1\n", "line 2: latitude 'nan' is outside"),
        ("001,A,x,almaty,D,43.2,76.9,1,extra\n", "line 2: more cells than columns"),
    ],
)
def test_a_bad_row_aborts_the_whole_import_naming_the_line(setting, tmp_path, body, message):
    with pytest.raises(CommandError) as excinfo:
        run(write(tmp_path, body))
    assert message in str(excinfo.value)
    assert "nothing was imported" in str(excinfo.value)
    assert PollingStation.objects.count() == 0 and District.objects.count() == 0


def test_missing_columns_unknown_election_missing_file_and_binary_input(setting, tmp_path):
    bad_header = tmp_path / "h.csv"
    bad_header.write_text("code,name\n1,x\n")
    with pytest.raises(CommandError, match="missing column"):
        run(str(bad_header))
    with pytest.raises(CommandError, match="unknown election"):
        run(write(tmp_path, "001,A,x,almaty,D,43.2,76.9,1\n"), election="nope")
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "absent.csv"))
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not UTF-8"):
        run(str(binary))
    assert PollingStation.objects.count() == 0


def test_import_renews_the_spatial_index(setting, tmp_path):
    from monitoring.selectors import stations_near

    run(write(tmp_path, "001,A,x,almaty,D,43.25,76.91,1\n"))
    setting.refresh_from_db()
    assert [s.code for s, _ in stations_near(election=setting, latitude=51.18, longitude=71.44, limit=1)] == ["001"]
    run(write(tmp_path, "002,B,x,astana,E,51.18,71.44,1\n", "more.csv"))
    setting.refresh_from_db()
    assert [s.code for s, _ in stations_near(election=setting, latitude=51.18, longitude=71.44, limit=1)] == ["002"]


@pytest.mark.parametrize("voters", [SUPERSCRIPT_TWO, HUGE, "-1", "1e3"])
def test_an_odd_voter_count_is_named_with_its_line(world, tmp_path, voters):
    path = tmp_path / "stations.csv"
    path.write_text(
        HEADER + "90001,School 1,Abai 1,almaty,Almaly,43.25,76.91,1200\n" + f"90002,School 2,Abai 2,almaty,Almaly,43.26,76.92,{voters}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"line 3: registered_voters"):
        call_command("import_stations", str(path), "--election", world.election.code, stdout=io.StringIO())
