"""The demo's checklists: the four forms, the commission's official result and
a quick-count sample, loaded by `load_demo` (through the app's `demo_load`
hook) or alone by `manage.py load_demo_checklists`, idempotent."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from checklists.estimator import NATIONAL
from checklists.models import Form, FormVersion, OfficialResult, Sample, SampleStation
from checklists.selectors import election_parties, official_figures
from monitoring.models import Election, PollingStation

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "versions": sorted(FormVersion.objects.values_list("pk", "form__code", "number")),
        "official": sorted(OfficialResult.objects.values_list("pk", "updated_at")),
        "sample": sorted(SampleStation.objects.values_list("pk", "station_id")),
    }


def test_the_demo_election_gets_its_forms_official_result_and_sample_once():
    out = StringIO()
    call_command("load_demo", "--password", "pw", stdout=out)
    # load_demo itself calls the app's demo_load hook.
    assert "Checklists: forms opening v1, voting v1, closing v1, counting v1" in out.getvalue()
    election = Election.objects.get(code="kz-majilis-2021")
    summary = apps.get_app_config("checklists").demo_load(election=election)
    assert "(unchanged)" in summary
    assert summary.startswith("Checklists: forms opening v1, voting v1, closing v1, counting v1; official results of kz-majilis-2021")
    assert list(Form.objects.order_by("code").values_list("code", "short_code", "phase")) == [
        ("closing", "CL", "closing"), ("counting", "CN", "counting"), ("opening", "OP", "opening"), ("voting", "VT", "voting"),
    ]  # fmt: skip
    assert [p.code for p in election_parties(election=election)] == ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]

    figures = official_figures(election=election)
    national = figures[NATIONAL]
    assert round(100 * national.turnout, 1) == 63.3
    assert [round(100 * national.share(p.code), 2) for p in election_parties(election=election)] == [71.09, 10.95, 9.10, 5.29, 3.57]
    # The regions' figures are the registry's voters and add up to the national result.
    regions = {code: f for code, f in figures.items() if code != NATIONAL}
    assert len(regions) == 17
    assert (
        sum(f.registered_voters for f in regions.values())
        == national.registered_voters
        == sum(PollingStation.objects.filter(election=election).values_list("registered_voters", flat=True))
    )
    assert sum(f.ballots_cast for f in regions.values()) == national.ballots_cast
    for party in national.votes:
        assert sum(f.votes[party] for f in regions.values()) == national.votes[party]

    sample = Sample.objects.get(election=election)
    assert (sample.size, sample.stratified_by, sample.seed, sample.strata.count()) == (100, "region", 20210110, 17)
    assert all(s.size >= 2 for s in sample.strata.all())

    before = snapshot()
    out = StringIO()
    call_command("load_demo_checklists", stdout=out)
    assert "(unchanged)" in out.getvalue()
    assert snapshot() == before


def test_the_command_needs_the_demo_election():
    with pytest.raises(CommandError, match="no election kz-majilis-2021: run load_demo first"):
        call_command("load_demo_checklists", stdout=StringIO())
