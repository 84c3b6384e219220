"""`manage.py import_official_results`: the commission's figures, national and
by region; any bad row refuses the file with `line N: column: why`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from checklists.estimator import NATIONAL
from checklists.models import OfficialResult
from checklists.selectors import official_figures
from checklists.services.forms import form_load
from testkit.factories import ElectionFactory, RegionFactory

from .conftest import demo_document

pytestmark = pytest.mark.django_db

HEADER = "region,party,votes,registered_voters,ballots_cast\n"
PARTIES = ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]


@pytest.fixture
def election():
    election = ElectionFactory(code="kz-test-2021")
    for code in ("almaty", "aktobe"):
        RegionFactory(code=code)
    form_load(election=election, document=demo_document("counting"))
    return election


def area(region, votes, registered, cast) -> str:
    return "".join(f"{region},{party},{v},{registered},{cast}\n" for party, v in zip(PARTIES, votes, strict=True))


def run(tmp_path, text, election_code="kz-test-2021") -> str:
    path = tmp_path / "official.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_official_results", str(path), "--election", election_code, stdout=out)
    return out.getvalue().strip()


GOOD = HEADER + area("national", [7109, 1095, 910, 529, 357], 16000, 10128) + area("almaty", [600, 200, 100, 60, 40], 2000, 1010)


def test_national_and_regional_results_are_stored_and_read_back(election, tmp_path):
    assert run(tmp_path, GOOD) == "official results of kz-test-2021: 1 regions and the national result"
    figures = official_figures(election=election)
    assert set(figures) == {NATIONAL, "almaty"}
    national = figures[NATIONAL]
    assert national.turnout == pytest.approx(0.633)
    assert [round(100 * national.share(p), 2) for p in PARTIES] == [71.09, 10.95, 9.10, 5.29, 3.57]
    assert figures["almaty"].votes == dict(zip(PARTIES, [600, 200, 100, 60, 40], strict=True))


def test_importing_again_replaces_the_announcement_and_the_same_file_changes_nothing(election, tmp_path):
    run(tmp_path, GOOD)
    assert run(tmp_path, GOOD).endswith("(unchanged)")
    run(tmp_path, HEADER + area("aktobe", [1, 2, 3, 4, 5], 100, 20))
    assert set(official_figures(election=election)) == {"aktobe"}


def test_every_bad_row_is_named_and_nothing_is_written(election, tmp_path):
    run(tmp_path, GOOD)
    bad = (
        HEADER
        + "narnia,nur_otan,1,10,5\n"
        + "almaty,green,1,10,5\n"
        + "almaty,nur_otan,-1,10,5\n"
        + "almaty,ak_zhol,1.5,ten,5\n"
        + "almaty,nur_otan,3,10,5\n"
        + "almaty,nur_otan,4,10,5\n"
        + "almaty,auyl,4,11,5\n"
        + "almaty,adal,4,10,5,extra\n"
    )
    with pytest.raises(CommandError) as caught:
        run(tmp_path, bad)
    assert str(caught.value).split("\n")[1:] == [
        "  line 2: region: 'narnia' is neither 'national' nor a region code of the registry",
        "  line 3: party: 'green' is not a party of the election (nur_otan, ak_zhol, peoples_party, auyl, adal)",
        "  line 4: votes: must be a whole number from 0 to 1000000000000",
        "  line 5: votes: must be a whole number from 0 to 1000000000000",
        "  line 5: registered_voters: must be a whole number from 0 to 1000000000000",
        "  line 7: party: almaty nur_otan is already on line 6",
        "  line 8: registered_voters: 11 differs from 10 on line 6 for almaty",
        "  line 9: row: more cells than the header has",
        "  line 6: party: almaty has no row for ak_zhol, peoples_party, adal",
    ]
    assert "refused, nothing was imported" in str(caught.value)
    assert set(official_figures(election=election)) == {NATIONAL, "almaty"}  # the earlier import stands


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: header: the file is empty"),
        ("region,party,votes\n", "line 1: header: no column 'registered_voters'"),
        (
            HEADER.strip() + ",turnout\n",
            "line 1: header: unknown column 'turnout' (columns: region,party,votes,registered_voters,ballots_cast)",
        ),
        (HEADER, "line 2: region: the file holds no result"),
    ],
)
def test_a_file_without_the_right_header_or_rows_is_refused(election, tmp_path, text, problem):
    with pytest.raises(CommandError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        run(tmp_path, text)
    assert not OfficialResult.objects.exists()


def test_the_parties_come_from_the_results_protocol_which_must_be_loaded_first(tmp_path):
    ElectionFactory(code="kz-empty-2021")
    with pytest.raises(CommandError, match="election kz-empty-2021 has no results protocol yet; load its counting form first"):
        run(tmp_path, GOOD, "kz-empty-2021")
