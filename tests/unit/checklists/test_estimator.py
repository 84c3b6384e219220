"""The quick-count estimator: its formulas on a small example, its calibration
on a synthetic election (95 % intervals that cover the truth), and its power
to catch a falsified regional result."""

import numpy as np
import pytest

from checklists.estimator import NATIONAL, OfficialFigures, StationFigures, quick_count, ratio_estimates

PARTIES = ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]


def station(code, stratum, registered, cast, votes, region=None):
    return StationFigures(code, stratum, region or stratum, registered, cast, dict(zip(PARTIES, votes, strict=True)))


# The worked example of docs/quick-count.md: two regions, seven reporting stations.
EXAMPLE = [
    station("01001", "north", 1000, 620, [400, 120, 60, 20, 10]),
    station("01007", "north", 800, 560, [390, 80, 50, 20, 10]),
    station("01019", "north", 1200, 660, [420, 120, 70, 30, 10]),
    station("02003", "south", 1500, 1150, [900, 100, 60, 60, 20]),
    station("02011", "south", 900, 700, [560, 60, 30, 30, 10]),
    station("02014", "south", 1100, 800, [610, 70, 50, 50, 10]),
    station("02020", "south", 700, 520, [410, 40, 20, 30, 10]),
]
EXAMPLE_STRATA = {"north": 30, "south": 50}


def test_the_worked_example_of_the_docs():
    result = quick_count(stations=EXAMPLE, strata=EXAMPLE_STRATA, parties=PARTIES, sample_size=8)
    national = result.national
    assert (result.sample_size, result.reported, national.reported) == (8, 7, 7)
    # By hand: weights 30/3 = 10 (north) and 50/4 = 12.5 (south).
    cast = 10 * (620 + 560 + 660) + 12.5 * (1150 + 700 + 800 + 520)
    registered = 10 * (1000 + 800 + 1200) + 12.5 * (1500 + 900 + 1100 + 700)
    assert national.turnout.interval.estimate == pytest.approx(cast / registered)
    assert (cast, registered) == (58025, 82500)
    assert round(100 * national.turnout.interval.estimate, 2) == 70.33
    assert round(100 * national.turnout.interval.moe, 2) == 4.02
    assert [round(100 * p.interval.estimate, 2) for p in national.parties] == [75.32, 11.49, 6.64, 4.94, 1.62]
    assert [round(100 * p.interval.moe, 2) for p in national.parties] == [1.69, 1.12, 0.65, 0.56, 0.19]
    north = result.region("north")
    assert north.reported == 3
    assert round(100 * north.turnout.interval.estimate, 2) == round(100 * (620 + 560 + 660) / 3000, 2) == 61.33
    assert round(100 * north.turnout.interval.moe, 2) == 7.83
    assert [round(100 * p.interval.estimate, 2) for p in result.region("south").parties] == [79.23, 8.63, 5.11, 5.43, 1.6]


def test_the_linearized_variance_matches_its_formula():
    # One stratum: V = N^2 (1 - n/N) s_e^2 / n / X^2, with e = y - R x.
    y, x = np.array([620.0, 560, 660]), np.array([1000.0, 800, 1200])
    ratio, se = ratio_estimates(y, x, np.zeros(3, dtype=int), np.array([30.0]))
    r = y.sum() / x.sum()
    e = y - r * x
    expected = 30**2 * (1 - 3 / 30) * e.var(ddof=1) / 3 / (30 * x.mean()) ** 2
    assert ratio[0] == pytest.approx(r) and se[0] == pytest.approx(np.sqrt(expected))


def test_a_census_has_no_sampling_error():
    full = EXAMPLE[:3]
    result = quick_count(stations=full, strata={"north": 3}, parties=PARTIES, sample_size=3)
    assert result.national.turnout.interval.moe == 0


def test_official_figures_outside_the_margin_are_marked():
    official = {
        NATIONAL: OfficialFigures(
            registered_voters=100, ballots_cast=71, votes=dict(zip(PARTIES, [7532, 1149, 664, 494, 161], strict=True))
        ),
        "north": OfficialFigures(registered_voters=100, ballots_cast=80, votes=dict(zip(PARTIES, [90, 5, 3, 1, 1], strict=True))),
    }
    result = quick_count(stations=EXAMPLE, strata=EXAMPLE_STRATA, parties=PARTIES, sample_size=8, official=official)
    assert result.national.turnout.official == 0.71 and result.national.turnout.outside_moe is False  # 70.33 ± 4.02
    assert [p.outside_moe for p in result.national.parties] == [False] * 5
    north = result.region("north")
    assert north.turnout.outside_moe is True  # 80 % against 61.3 %
    assert north.party("nur_otan").outside_moe is True
    assert result.region("south").turnout.official is None and result.region("south").turnout.outside_moe is None
    nur_otan = result.national.parties[0].interval
    assert result.national.as_dict()["parties"][0] == {
        "code": "nur_otan", "estimate": nur_otan.estimate, "moe": nur_otan.moe, "official": 0.7532, "outside_moe": False,
    }  # fmt: skip


def test_strata_with_too_few_reports_are_noted():
    result = quick_count(stations=EXAMPLE[:1] + EXAMPLE[3:], strata=EXAMPLE_STRATA | {"east": 20}, parties=PARTIES, sample_size=10)
    assert result.national.notes == (
        "stratum east: no station reported (20 stations unrepresented)",
        "stratum north: one station reported, its variance is unknown (counted as 0)",
    )
    assert result.region("south").notes == ()
    nothing = quick_count(stations=[], strata=EXAMPLE_STRATA, parties=PARTIES, sample_size=8)
    assert nothing.national.turnout.interval.estimate is None and nothing.national.notes == (
        "no sampled station of this area has reported",
    )


def test_stations_of_a_stratum_the_sample_lacks_are_refused():
    with pytest.raises(ValueError, match="stations in strata the sample does not have: north"):
        quick_count(stations=EXAMPLE, strata={"south": 50}, parties=PARTIES, sample_size=8)


# --- calibration ------------------------------------------------------------------------------

REGIONS, PER_REGION, SAMPLED_PER_REGION, SAMPLES = 10, 1000, 100, 200


def synthetic_election(seed: int = 1):
    """10,000 stations in 10 regions whose parties' strengths differ (Dirichlet
    around a national pattern), with station-to-station variation inside each
    region; every station's figures add up like a real protocol."""
    rng = np.random.default_rng(seed)
    national = np.array([0.62, 0.14, 0.11, 0.08, 0.05])
    region_shares = rng.dirichlet(national * 40, size=REGIONS)
    region = np.repeat(np.arange(REGIONS), PER_REGION)
    registered = rng.integers(300, 3001, size=region.size)
    region_turnout = rng.uniform(0.45, 0.8, size=REGIONS)
    turnout = rng.beta(region_turnout[region] * 30, (1 - region_turnout[region]) * 30)
    cast = rng.binomial(registered, turnout)
    valid = cast - rng.binomial(cast, 0.015)
    station_shares = np.array([rng.dirichlet(region_shares[r] * 60) for r in region])
    votes = np.array([rng.multinomial(v, p) for v, p in zip(valid, station_shares, strict=True)])
    return region, registered, cast, votes


def figures(region, registered, cast, votes, indices):
    return [
        StationFigures(
            f"{i:05d}",
            f"r{region[i]}",
            f"r{region[i]}",
            int(registered[i]),
            int(cast[i]),
            dict(zip(PARTIES, votes[i].tolist(), strict=True)),
        )
        for i in indices
    ]


def truth(region, registered, cast, votes, mask):
    return cast[mask].sum() / registered[mask].sum(), votes[mask].sum(axis=0) / votes[mask].sum()


@pytest.fixture(scope="module")
def election():
    return synthetic_election()


@pytest.fixture(scope="module")
def samples(election):
    """200 seeded stratified samples of 1,000 stations (100 per region), each estimated."""
    region, registered, cast, votes = election
    strata = {f"r{r}": PER_REGION for r in range(REGIONS)}
    results = []
    for seed in range(SAMPLES):
        rng = np.random.default_rng(seed)
        indices = np.concatenate([rng.choice(np.flatnonzero(region == r), SAMPLED_PER_REGION, replace=False) for r in range(REGIONS)])
        results.append(
            quick_count(
                stations=figures(region, registered, cast, votes, indices), strata=strata, parties=PARTIES, sample_size=indices.size
            )
        )
    return results


def test_calibration_the_95_percent_intervals_cover_the_true_shares(election, samples, record_property):
    region, registered, cast, votes = election
    true_turnout, true_shares = truth(region, registered, cast, votes, np.ones(region.size, dtype=bool))
    party_coverage = {p: np.mean([r.national.party(p).interval.contains(true_shares[i]) for r in samples]) for i, p in enumerate(PARTIES)}
    turnout_coverage = np.mean([r.national.turnout.interval.contains(true_turnout) for r in samples])
    regional = []
    for k in range(REGIONS):
        t_turnout, t_shares = truth(region, registered, cast, votes, region == k)
        for r in samples:
            area = r.region(f"r{k}")
            regional += [area.party(p).interval.contains(t_shares[i]) for i, p in enumerate(PARTIES)]
            regional.append(area.turnout.interval.contains(t_turnout))
    record_property("coverage", {"parties": party_coverage, "turnout": turnout_coverage, "regional": float(np.mean(regional))})
    print(f"national coverage {party_coverage}, turnout {turnout_coverage:.3f}, regional {np.mean(regional):.3f}")
    assert min(party_coverage.values()) >= 0.93, party_coverage
    assert turnout_coverage >= 0.93
    assert np.mean(regional) >= 0.93


def test_calibration_five_points_moved_in_one_region_are_caught_there(election, samples):
    region, registered, cast, votes = election
    official = {}
    for k in range(REGIONS):
        mask = region == k
        totals = votes[mask].sum(axis=0).astype(int)
        official[f"r{k}"] = OfficialFigures(
            int(registered[mask].sum()), int(cast[mask].sum()), dict(zip(PARTIES, totals.tolist(), strict=True))
        )
    # The falsification: five points of region r3's valid votes moved from Ak Zhol to Nur Otan.
    r3 = official["r3"]
    moved = round(0.05 * sum(r3.votes.values()))
    official["r3"] = OfficialFigures(
        r3.registered_voters, r3.ballots_cast, r3.votes | {"nur_otan": r3.votes["nur_otan"] + moved, "ak_zhol": r3.votes["ak_zhol"] - moved}
    )
    caught, honest_flagged = 0, []
    for result in samples:
        area = result.region("r3")
        outside = {p: abs(official["r3"].share(p) - area.party(p).interval.estimate) > area.party(p).interval.moe for p in PARTIES}
        caught += outside["nur_otan"] and outside["ak_zhol"]
        honest_flagged += [outside[p] for p in ("peoples_party", "auyl", "adal")]
    assert caught == SAMPLES  # in every one of the 200 samples
    # The region's honest figures are flagged no more often than a 95 % margin allows.
    assert np.mean(honest_flagged) <= 0.07


def test_the_page_marks_the_falsified_region(election):
    region, registered, cast, votes = election
    rng = np.random.default_rng(7)
    indices = np.concatenate([rng.choice(np.flatnonzero(region == r), SAMPLED_PER_REGION, replace=False) for r in range(REGIONS)])
    mask = region == 3
    totals = votes[mask].sum(axis=0).astype(int)
    moved = round(0.05 * totals.sum())
    falsified = dict(zip(PARTIES, totals.tolist(), strict=True)) | {"nur_otan": int(totals[0] + moved), "ak_zhol": int(totals[1] - moved)}
    official = {"r3": OfficialFigures(int(registered[mask].sum()), int(cast[mask].sum()), falsified)}
    result = quick_count(
        stations=figures(region, registered, cast, votes, indices),
        strata={f"r{r}": PER_REGION for r in range(REGIONS)},
        parties=PARTIES,
        sample_size=indices.size,
        official=official,
    )
    r3 = result.region("r3")
    assert r3.party("nur_otan").outside_moe is True and r3.party("ak_zhol").outside_moe is True
    assert r3.party("nur_otan").official - r3.party("nur_otan").interval.high > 0.02  # well outside: 5 points against a margin of about 1
