"""The commission's official results, imported from its file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from monitoring.models import Election, Region

from ..models import OfficialResult, OfficialVotes
from ..official_rows import NATIONAL, OfficialResultsError, official_results_read
from ..selectors import election_parties


@dataclass(frozen=True)
class OfficialImportSummary:
    election: str
    areas: int
    regions: int
    national: bool
    changed: bool

    def __str__(self):
        what = f"{self.regions} regions" + (" and the national result" if self.national else "")
        return f"official results of {self.election}: {what}" + ("" if self.changed else " (unchanged)")


def official_results_import(*, election: Election, lines: Iterable[str]) -> OfficialImportSummary:
    """Replace the election's official results with the file's (the file is the
    whole announcement), all or nothing. Raises OfficialResultsError with
    `line N: column: why` for each problem; party codes are the results
    protocol's, so the counting form must be loaded first."""
    parties = [p.code for p in election_parties(election=election)]
    if not parties:
        raise OfficialResultsError([f"line 1: party: election {election.code} has no results protocol yet; load its counting form first"])
    regions = dict(Region.objects.values_list("code", "pk"))
    areas = official_results_read(lines, regions=regions, parties=parties)
    wanted = {(a.region, a.registered_voters, a.ballots_cast, tuple(sorted(a.votes.items()))) for a in areas}
    with transaction.atomic():
        current = OfficialResult.objects.select_for_update().filter(election=election).select_related("region").prefetch_related("votes")
        stored = {
            (
                r.region.code if r.region_id else NATIONAL,
                r.registered_voters,
                r.ballots_cast,
                tuple(sorted((v.party, v.votes) for v in r.votes.all())),
            )
            for r in current
        }
        changed = stored != wanted
        if changed:
            OfficialResult.objects.filter(election=election).delete()
            for area in areas:
                result = OfficialResult.objects.create(
                    election=election,
                    region_id=None if area.region == NATIONAL else regions[area.region],
                    registered_voters=area.registered_voters,
                    ballots_cast=area.ballots_cast,
                )
                OfficialVotes.objects.bulk_create(OfficialVotes(result=result, party=p, votes=v) for p, v in area.votes.items())
    return OfficialImportSummary(
        election=election.code,
        areas=len(areas),
        regions=sum(a.region != NATIONAL for a in areas),
        national=any(a.region == NATIONAL for a in areas),
        changed=changed,
    )
