"""The quick-count sample: proportional allocation, a draw anyone can repeat
(SHA-256 lots), and `manage.py draw_sample` (seeded draw or --from FILE)."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists.models import Sample, SampleStation
from checklists.sampling import SampleError, allocate, draw, station_lot
from testkit.factories import DistrictFactory, ElectionFactory, PollingStationFactory, RegionFactory

# --- pure ---------------------------------------------------------------------------------


def test_allocation_is_proportional_with_largest_remainders_and_two_per_stratum_at_least():
    assert allocate({"a": 500, "b": 300, "c": 200}, 100) == {"a": 50, "b": 30, "c": 20}
    assert allocate({"a": 10, "b": 10, "c": 10}, 10) == {"a": 4, "b": 3, "c": 3}  # ties go to the first stratum
    assert allocate({"big": 980, "small": 20}, 50) == {"big": 48, "small": 2}  # 1 by proportion, 2 by the floor
    assert allocate({"big": 980, "one": 1}, 10) == {"big": 9, "one": 1}  # a stratum of one station gives it


def test_an_impossible_allocation_says_why():
    with pytest.raises(SampleError, match="size: 11 is more than the 10 stations there are"):
        allocate({"a": 5, "b": 5}, 11)
    with pytest.raises(SampleError, match=r"size: 3 strata need at least 6 stations \(2 each\)"):
        allocate({"a": 5, "b": 5, "c": 5}, 5)
    with pytest.raises(SampleError, match="size: must be at least 1"):
        allocate({"a": 5}, 0)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), st.integers(1, 400), min_size=1, max_size=12), st.data())
def test_any_allocation_sums_to_the_size_within_each_stratum_and_near_its_share(populations, data):
    total = sum(populations.values())
    floors = sum(min(2, n) for n in populations.values())
    if floors > total:
        return
    size = data.draw(st.integers(floors, total))
    sizes = allocate(populations, size)
    assert sum(sizes.values()) == size
    # Without the two-per-stratum floor holding a stratum up, each is within one station of its share.
    floor_binds = any(size * n / total < min(2, n) for n in populations.values())
    for h, n in populations.items():
        assert min(2, n) <= sizes[h] <= n
        if not floor_binds:
            assert abs(sizes[h] - size * n / total) < 1


def test_a_stations_lot_is_the_sha256_of_seed_and_code_so_anyone_can_repeat_the_draw():
    assert station_lot(2021, "02001") == hashlib.sha256(b"2021:02001").hexdigest()
    population = [(f"{i:05d}", "a" if i < 60 else "b") for i in range(100)]
    drawn, strata = draw(population, size=10, seed=7)
    assert strata == {"a": 60, "b": 40}
    for stratum, count in (("a", 6), ("b", 4)):
        lowest = sorted(population, key=lambda s: hashlib.sha256(f"7:{s[0]}".encode()).hexdigest())
        expected = [code for code, h in lowest if h == stratum][:count]
        assert [d.code for d in drawn if d.stratum == stratum] == expected
    assert draw(population, size=10, seed=7)[0] == drawn
    assert {d.code for d in draw(population, size=10, seed=8)[0]} != {d.code for d in drawn}


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def registry(db):
    """Three regions of 10, 20 and 30 stations."""
    election = ElectionFactory(code="kz-test-2021")
    number = 0
    for code, count in (("north", 10), ("south", 20), ("west", 30)):
        district = DistrictFactory(region=RegionFactory(code=code))
        for _ in range(count):
            number += 1
            PollingStationFactory(election=election, district=district, code=f"{number:05d}")
    return election


def draw_sample(*args) -> str:
    out = StringIO()
    call_command("draw_sample", "--election", "kz-test-2021", *args, stdout=out)
    return out.getvalue().strip()


def stored_codes() -> list[str]:
    return sorted(SampleStation.objects.values_list("station__code", flat=True))


def test_a_stratified_draw_is_stored_with_its_strata_and_repeats_with_the_same_seed(registry):
    out = draw_sample("--size", "12", "--seed", "2021", "--stratify", "region")
    assert out == "sample of kz-test-2021: 12 of 60 stations, stored; strata: north 2/10, south 4/20, west 6/30"
    sample = Sample.objects.get(election=registry)
    assert (sample.method, sample.stratified_by, sample.seed, sample.size, sample.population) == ("drawn", "region", 2021, 12, 60)
    first = stored_codes()
    expected = sorted(d.code for d in draw([(f"{i:05d}", r) for i, r in _regions()], size=12, seed=2021)[0])
    assert first == expected
    assert draw_sample("--size", "12", "--seed", "2021", "--stratify", "region").endswith(
        "unchanged (the stored sample has the same stations); strata: north 2/10, south 4/20, west 6/30"
    )
    assert stored_codes() == first


def _regions():
    for i in range(1, 61):
        yield i, "north" if i <= 10 else "south" if i <= 30 else "west"


def test_an_unstratified_draw_has_one_stratum(registry):
    assert draw_sample("--size", "5", "--seed", "1").endswith("strata: all 5/60")


def test_another_draw_replaces_the_sample_only_when_asked(registry):
    draw_sample("--size", "12", "--seed", "2021", "--stratify", "region")
    first = stored_codes()
    with pytest.raises(CommandError, match="already has a sample of 12 stations with other stations; replace it explicitly"):
        draw_sample("--size", "12", "--seed", "99", "--stratify", "region")
    assert stored_codes() == first
    draw_sample("--size", "12", "--seed", "99", "--stratify", "region", "--replace")
    assert stored_codes() != first and Sample.objects.count() == 1


def test_a_sample_is_imported_from_a_file_in_the_registrys_strata(registry, tmp_path):
    path = tmp_path / "sample.csv"
    path.write_text("station,note\n00001,\n00002,x\n00015,\n00040,\n", encoding="utf-8")
    out = draw_sample("--from", str(path), "--stratify", "region")
    assert out == "sample of kz-test-2021: 4 of 60 stations, stored; strata: north 2/10, south 1/20, west 1/30"
    sample = Sample.objects.get()
    assert (sample.method, sample.seed) == ("imported", None)
    assert stored_codes() == ["00001", "00002", "00015", "00040"]


def test_a_bad_sample_file_lists_every_bad_line_and_stores_nothing(registry, tmp_path):
    path = tmp_path / "sample.csv"
    path.write_text("station\n00001\n99999\n\n00001\n" + "x" * 100 + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        draw_sample("--from", str(path))
    assert str(caught.value) == (
        "no sample stored:\n"
        "  line 3: station: no station '99999' in this election\n"
        "  line 5: station: 00001 is already on line 2\n"
        "  line 6: station: no station 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' in this election"
    )
    assert not Sample.objects.exists()
    path.write_text("code\n00001\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: header: no 'station' column"):
        draw_sample("--from", str(path))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "61", "--seed", "1"], "size: 61 is more than the 60 stations there are"),
        (["--size", "5", "--seed", "1", "--stratify", "region"], r"size: 3 strata need at least 6 stations \(2 each\)"),
        (["--size", "5"], "drawing a sample needs --size and --seed"),
        (["--from", "x.csv", "--seed", "1"], "--from imports a sample: --size and --seed do not apply"),
        (["--from", "missing.csv"], "no such file: missing.csv"),
    ],
)
def test_impossible_requests_are_refused(registry, args, message):
    with pytest.raises(CommandError, match=message):
        draw_sample(*args)
    assert not Sample.objects.exists()
