"""GET /api/v1/quick-count/?election=CODE: the estimator over the organization's
counting protocols filed at the sampled stations, against the official figures."""

import csv
import io

import pytest

from checklists.estimator import NATIONAL, OfficialFigures, StationFigures, quick_count
from checklists.official_rows import COLUMNS
from checklists.services.official import official_results_import
from checklists.services.samples import sample_draw

from .filing import CHECKLISTS, checklist_payload, counting_answers, forms_load

QUICK_COUNT = "/api/v1/quick-count/"
PARTIES = ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]
# Votes per station (station code → nur_otan, ak_zhol, peoples_party, auyl, adal), 8 invalid each.
VOTES = {"02001": (430, 70, 55, 33, 22), "05001": (300, 150, 100, 40, 20), "13001": (500, 40, 30, 25, 15)}
OFFICIAL = {"nur_otan": 700, "ak_zhol": 100, "peoples_party": 90, "auyl": 60, "adal": 50}  # nur_otan 70 %


@pytest.fixture
def counted(world, as_user, django_capture_on_commit_callbacks):
    forms_load(world.election)
    sample_draw(election=world.election, size=3, seed=7)
    lines = [",".join(COLUMNS) + "\n"] + [f"national,{p},{v},2000,1300\n" for p, v in OFFICIAL.items()]
    official_results_import(election=world.election, lines=lines)
    for station, votes in VOTES.items():
        answers = counting_answers(**dict(zip([f"votes_{p}" for p in PARTIES], votes, strict=True)), ballots_cast=sum(votes) + 8)
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(world.observer).post(CHECKLISTS, checklist_payload(world, station=station, answers=answers), format="json")
        assert response.status_code == 201, response.json()
    # Another organization's protocol at a sampled station is not the organization's quick count.
    other = counting_answers(votes_nur_otan=10, votes_ak_zhol=590, ballots_cast=618 - 420 + 590 - 70 + 10)
    with django_capture_on_commit_callbacks(execute=True):
        as_user(world.other_observer).post(CHECKLISTS, checklist_payload(world, answers=other), format="json")
    return world


def test_coordinators_and_auditors_get_the_estimator_over_their_organizations_protocols(counted, as_user):
    body = as_user(counted.coordinator).get(QUICK_COUNT, {"election": counted.election.code}).json()
    expected = quick_count(
        stations=[
            StationFigures(station=code, stratum="all", region=region, registered_voters=950, ballots_cast=sum(votes) + 8,
                           votes=dict(zip(PARTIES, votes, strict=True)))
            for (code, votes), region in zip(VOTES.items(), ["almaty", "nur-sultan", "aktobe"], strict=True)
        ],
        strata={"all": 3}, parties=PARTIES, sample_size=3,
        official={NATIONAL: OfficialFigures(registered_voters=2000, ballots_cast=1300, votes=OFFICIAL)},
    )  # fmt: skip
    assert (body["sample_size"], body["reported"]) == (3, 3)
    assert body["turnout"]["estimate"] == pytest.approx(expected.national.turnout.interval.estimate)
    nur_otan = body["parties"][0]
    assert nur_otan["code"] == "nur_otan"
    assert nur_otan["estimate"] == pytest.approx(expected.national.party("nur_otan").interval.estimate)
    assert nur_otan["estimate"] == pytest.approx(1230 / 1830)
    assert nur_otan["official"] == pytest.approx(0.7)
    assert nur_otan["outside_moe"] is expected.national.party("nur_otan").outside_moe is (abs(0.7 - nur_otan["estimate"]) > nur_otan["moe"])
    assert [r["region"] for r in body["regions"]] == ["aktobe", "almaty", "nur-sultan"]
    assert [r["reported"] for r in body["regions"]] == [1, 1, 1]
    assert set(body["parties"][0]) == {"code", "estimate", "moe", "official", "outside_moe"}
    assert as_user(counted.auditor).get(QUICK_COUNT, {"election": counted.election.code}).json() == body


def test_observers_are_refused_and_an_election_without_a_sample_is_a_404(counted, as_user, world):
    refused = as_user(counted.observer).get(QUICK_COUNT, {"election": counted.election.code})
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    from checklists.models import Sample, SampleStation, SampleStratum

    SampleStation.objects.all().delete()
    SampleStratum.objects.all().delete()
    Sample.objects.all().delete()
    missing = as_user(counted.coordinator).get(QUICK_COUNT, {"election": counted.election.code})
    assert (missing.status_code, missing.json()["code"]) == (404, "no_sample")


def test_another_organizations_coordinator_sees_only_its_own_protocol(counted, as_user):
    body = as_user(counted.other_coordinator).get(QUICK_COUNT, {"election": counted.election.code}).json()
    assert body["reported"] == 1 and body["parties"][1]["estimate"] == pytest.approx(590 / 710)


RESULTS_PAGE = "/admin/checklists/sample/results/"


def test_the_results_page_shows_the_estimates_the_official_figures_and_the_plot(counted, admin_as):
    response = admin_as(counted.coordinator).get(RESULTS_PAGE, {"election": counted.election.code})
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 of 3 sampled stations reported." in page
    assert "<svg" in page and 'class="official' in page
    national = response.context["national"]
    assert [row["label"] for row in national][:2] == ["Turnout", "Nur Otan"]
    nur_otan = national[1]
    assert nur_otan["estimate"] == f"{100 * 1230 / 1830:.2f} %" and nur_otan["official"] == "70.00 %"
    assert ("outside the margin" in page) is any(row["figure"].outside_moe for row in national)
    assert [r["area"].area for r in response.context["regions"]] == ["aktobe", "almaty", "nur-sultan"]


def test_the_results_page_is_not_for_observers(counted, admin_as):
    assert admin_as(counted.observer).get(RESULTS_PAGE).status_code in (302, 403)


def test_the_results_export_carries_the_integrity_and_the_tool_recomputes_the_quick_count_from_it(counted, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    from django.test import Client

    from reports.models import ExportRecord
    from roster.tokens import token_issue

    client = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=counted.auditor.user)[1]}")
    response = client.get("/exports/results.csv", {"election": counted.election.code})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    records = list(csv.reader(io.StringIO(body.decode())))  # the manifest's public key spans lines in one cell
    assert ",".join(records[0]).startswith("submission_id,election,organization,observer_code,form,form_version,station_code")
    rows = [r for r in records[1:] if r[0] != "#manifest"]
    assert len(rows) == 3  # the organization's three protocols, not the other organization's
    manifest = {r[1]: r[2] for r in records if r[0] == "#manifest"}
    assert manifest["format"] == "election-results-csv/2" and manifest["row_count"] == "3"
    record = ExportRecord.objects.get(pk=response["X-Export-Id"])
    assert record.finished_at is not None and record.row_count == 3 and record.manifest_sha256 == manifest["manifest_sha256"]

    path = tmp_path / "results.csv"
    path.write_bytes(body)
    tool = Path(__file__).resolve().parents[3] / "tools" / "quick_count.py"
    out = json.loads(
        subprocess.run([sys.executable, str(tool), str(path), "--json"], capture_output=True, text=True, timeout=60, check=True).stdout
    )
    api = Client()
    api.force_login(counted.auditor.user)
    platform = api.get(QUICK_COUNT, {"election": counted.election.code}).json()
    assert out["counted"] == 3
    estimate, moe = out["estimates"]["national"]["nur_otan"]
    assert estimate == pytest.approx(platform["parties"][0]["estimate"], rel=1e-12)
    assert moe == pytest.approx(platform["parties"][0]["moe"], rel=1e-9)
    assert client.get("/exports/results.csv").status_code == 400
    observer = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=counted.observer.user)[1]}")
    assert observer.get("/exports/results.csv", {"election": counted.election.code}).status_code == 403


def test_the_checklists_export_has_one_column_per_question_and_the_same_integrity(counted, admin_as):
    response = admin_as(counted.coordinator).get("/exports/checklists.csv", {"election": counted.election.code, "form": "counting"})
    assert response.status_code == 200
    records = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = records[0]
    assert header[:2] == ["submission_id", "election"] and "q_ballots_cast" in header and "q_assessment" in header
    assert header[-6:] == ["flags", "content_sha256", "chain_seq", "chain_sha256", "row_number", "row_sha256"]
    rows = [r for r in records[1:] if r[0] != "#manifest"]
    assert len(rows) == 3 and {r[header.index("q_assessment")] for r in rows} == {"good"}
    assert [r[header.index("q_observers_admitted")] for r in rows] == ["1", "1", "1"]
    manifest = {r[1]: r[2] for r in records if r[0] == "#manifest"}
    assert manifest["format"] == "election-checklists-csv/2" and manifest["row_count"] == "3"
    assert admin_as(counted.coordinator).get("/exports/checklists.csv", {"election": counted.election.code}).status_code == 400


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_results_page_is_translated(counted, client, language):
    from tests.unit.reports.admin.test_console_languages import catalog_fragments, render

    client.force_login(counted.coordinator.user)
    url = f"{RESULTS_PAGE}?election={counted.election.code}"
    fragments = catalog_fragments()
    english = " | ".join(render(client, url, "en"))
    translated = " | ".join(render(client, url, language))
    shown = [piece for piece in fragments if piece in english]
    assert len(shown) >= 5
    assert [fragments[piece] for piece in shown if piece in translated] == []
