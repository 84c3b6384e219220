"""The quick-count sample: drawn with a seed, or imported from a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from monitoring.models import Election, PollingStation

from ..models import Sample, SampleStation, SampleStratum
from ..sampling import ALL, Drawn, SampleError, draw, sample_file_read


@dataclass(frozen=True)
class SampleResult:
    sample: Sample
    created: bool  # False: the same stations were already the sample

    def __str__(self):
        strata = ", ".join(f"{s.code} {s.size}/{s.population}" for s in self.sample.strata.all())
        state = "stored" if self.created else "unchanged (the stored sample has the same stations)"
        return f"sample of {self.sample.election.code}: {self.sample.size} of {self.sample.population} stations, {state}; strata: {strata}"


def _population(election: Election, stratify: str) -> list[tuple[str, str]]:
    """(station code, stratum) of every station of the election, by code."""
    rows = PollingStation.objects.filter(election=election).order_by("code").values_list("code", "district__region__code")
    return [(code, region if stratify == Sample.Stratification.REGION else ALL) for code, region in rows]


def sample_draw(
    *, election: Election, size: int, seed: int, stratify: str = Sample.Stratification.NONE, replace: bool = False
) -> SampleResult:
    """Draw and store the election's sample (checklists.sampling: the same
    seed and registry give the same stations). An existing sample with other
    stations is kept unless `replace`. Raises SampleError."""
    population = _population(election, stratify)
    drawn, strata = draw(population, size=size, seed=seed)
    return _store(election, drawn, strata, method=Sample.Method.DRAWN, stratify=stratify, seed=seed, replace=replace)


def sample_import(
    *, election: Election, lines: Iterable[str], stratify: str = Sample.Stratification.NONE, replace: bool = False
) -> SampleResult:
    """Store the stations listed in a file (a `station` column of codes) as
    the election's sample, in strata of the registry. Raises SampleError with
    `line N: column: why` for each bad line; nothing is written then."""
    population = _population(election, stratify)
    stratum_of = dict(population)
    codes = sample_file_read(lines, stratum_of)
    strata: dict[str, int] = {}
    for _code, stratum in population:
        strata[stratum] = strata.get(stratum, 0) + 1
    drawn = [Drawn(code, stratum_of[code], "") for code in codes]
    return _store(election, drawn, strata, method=Sample.Method.IMPORTED, stratify=stratify, seed=None, replace=replace)


def _store(election, drawn: list[Drawn], strata: dict[str, int], *, method, stratify, seed, replace) -> SampleResult:
    with transaction.atomic():
        existing = Sample.objects.select_for_update().filter(election=election).first()
        if existing is not None:
            same = set(existing.stations.values_list("station__code", flat=True)) == {d.code for d in drawn}
            if same and existing.stratified_by == stratify:
                return SampleResult(sample=existing, created=False)
            if not replace:
                raise SampleError(
                    [
                        f"election {election.code} already has a sample of {existing.size} stations with other stations; replace it explicitly"
                    ]
                )
            existing.delete()
        sample = Sample.objects.create(
            election=election,
            method=method,
            stratified_by=stratify,
            seed=seed,
            size=len(drawn),
            population=sum(strata.values()),
        )
        sizes: dict[str, int] = {}
        for d in drawn:
            sizes[d.stratum] = sizes.get(d.stratum, 0) + 1
        rows = {
            code: SampleStratum.objects.create(sample=sample, code=code, population=count, size=sizes.get(code, 0))
            for code, count in sorted(strata.items())
        }
        station_ids = dict(PollingStation.objects.filter(election=election, code__in=[d.code for d in drawn]).values_list("code", "pk"))
        SampleStation.objects.bulk_create(
            SampleStation(sample=sample, stratum=rows[d.stratum], station_id=station_ids[d.code], lot=d.lot) for d in drawn
        )
    return SampleResult(sample=sample, created=True)
