"""The cluster flags (`duplicate`, `hotspot`) of a whole cluster at once: every
accepted incident report of one organization in one district, in one pass.

Running `cross.duplicate` and `cross.hotspot` for each member costs the square
of the cluster's size (each member rebuilds its peers, windows and trigrams);
here the members are sorted once, each description's trigrams computed once,
and each member's densest window found with a sliding maximum, so the pass
grows about linearly with the cluster (a duplicate scan still compares the
reports of one station and category within its window). The results are
exactly the per-member rules' (tested against them)."""

import bisect
import datetime as dt
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence

from ..thresholds import PipelineThresholds
from .cross import duplicate_flag, hotspot_flag
from .facts import FlagResult, PeerReport
from .measures import trigram_similarity, trigrams

# The cross-report flags that depend on a whole cluster, recomputed by its batched refresh.
CLUSTER_CODES = ("duplicate", "hotspot")


def cluster_flags(
    members: Sequence[PeerReport], thresholds: PipelineThresholds, withdrawn: Iterable[str] = ()
) -> dict[str, list[FlagResult]]:
    """{report id: its cluster flags} for every member. `members`: the
    cluster's accepted incident reports; `withdrawn`: ids of reports that an
    accepted correction elsewhere amends. A withdrawn report (amended by a
    member or in `withdrawn`) carries none of these flags and counts in none:
    its correction takes its place."""
    corrected = set(withdrawn) | {m.amends_id for m in members if m.amends_id}
    standing = sorted((m for m in members if m.report_id not in corrected), key=lambda p: (p.occurred_at, p.report_id))
    flags: dict[str, list[FlagResult]] = {m.report_id: [] for m in members}
    for report_id, flag in _duplicates(standing, thresholds):
        flags[report_id].append(flag)
    for report_id, flag in _hotspots(standing, thresholds):
        flags[report_id].append(flag)
    return flags


def _duplicates(standing: list[PeerReport], thresholds: PipelineThresholds):
    window = thresholds.duplicate_window_minutes * 60
    minimum = thresholds.duplicate_min_similarity
    grams = {p.report_id: trigrams(p.description) for p in standing}
    groups = defaultdict(list)
    for p in standing:  # in time order, so each group is too
        groups[(p.station_id, p.category_code)].append(p)
    for group in groups.values():
        times = [p.occurred_at for p in group]
        reach = dt.timedelta(seconds=window)
        for subject in group:
            lo, hi = bisect.bisect_left(times, subject.occurred_at - reach), bisect.bisect_right(times, subject.occurred_at + reach)
            matches = []
            for peer in group[lo:hi]:
                if peer.report_id == subject.report_id:
                    continue
                similarity = trigram_similarity(grams[subject.report_id], grams[peer.report_id])
                if similarity >= minimum:
                    matches.append((peer, abs((peer.occurred_at - subject.occurred_at).total_seconds()), similarity))
            if matches:
                yield subject.report_id, duplicate_flag(subject, matches, thresholds)


def _hotspots(standing: list[PeerReport], thresholds: PipelineThresholds):
    window = dt.timedelta(minutes=thresholds.hotspot_window_minutes)
    by_station = defaultdict(list)
    for p in standing:
        by_station[p.station_id].append(p)
    station_windows = {}
    for group in by_station.values():
        station_windows.update(_densest_windows(group, window))
    district_windows = _densest_windows(standing, window)
    scopes = (
        (None, station_windows, thresholds.hotspot_station_min_reports),
        ("district", district_windows, thresholds.hotspot_district_min_reports),
    )
    for subject in standing:
        for variant, windows, minimum in scopes:
            cluster = windows[subject.report_id]
            if len(cluster) >= minimum:
                related = _related(subject, cluster, thresholds.related_reports_max)
                yield subject.report_id, hotspot_flag(subject, cluster, variant, thresholds, related)
                break


def _densest_windows(group: list[PeerReport], width: dt.timedelta) -> dict[str, Sequence[PeerReport]]:
    """{member id: the members of the densest window containing its time}, as
    `cross.densest_window` picks it (windows start at a member's time, both
    ends inclusive; ties go to the earliest), for a group in time order. The
    candidate starts of successive members slide forward, so a monotonic queue
    keeps the best of them."""
    times = [p.occurred_at for p in group]
    starts = sorted(set(times))
    spans = [(bisect.bisect_left(times, t), bisect.bisect_right(times, t + width)) for t in starts]
    best: deque[int] = deque()  # indices of starts, counts non-increasing: the front is the earliest maximum
    result, first, last = {}, 0, -1
    for subject in group:
        while last + 1 < len(starts) and starts[last + 1] <= subject.occurred_at:
            last += 1
            count = spans[last][1] - spans[last][0]
            while best and spans[best[-1]][1] - spans[best[-1]][0] < count:
                best.pop()
            best.append(last)
        while starts[first] < subject.occurred_at - width:
            first += 1
        while best[0] < first:
            best.popleft()
        lo, hi = spans[best[0]]
        result[subject.report_id] = group[lo:hi]
    return result


def _related(subject: PeerReport, cluster: Sequence[PeerReport], limit: int) -> list[str]:
    """`measures.related_ids` of the cluster without the subject, without
    sorting again (the cluster is in time order already)."""
    return [p.report_id for p in cluster[: limit + 1] if p.report_id != subject.report_id][:limit]
