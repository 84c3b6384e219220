"""Computations the rules share (distances, speeds, polling hours, text
similarity, which reports still stand), property-tested on their own."""

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from monitoring.localtime import to_local

from .facts import PeerReport


def km(metres: float) -> float:
    return round(metres / 1000, 1)


def number(value: float) -> int | float:
    """A threshold as people write it: 150, not 150.0."""
    return int(value) if float(value).is_integer() else value


def accuracy_credit_m(accuracy_m: float | None, cap_m: float) -> float:
    """How much of a fix's claimed accuracy radius the off-site allowance adds:
    all of it, up to the low-accuracy threshold. A fix claiming worse is
    flagged `low_gps_accuracy` and earns no more slack; otherwise a phone (or a
    forger) claiming 999,999 m would switch the off-site checks off."""
    return min(accuracy_m or 0.0, cap_m)


def off_site_allowance_m(threshold_m: float, accuracy_m: float | None, cap_m: float) -> float:
    return threshold_m + accuracy_credit_m(accuracy_m, cap_m)


def is_off_site(distance_m: float, threshold_m: float, accuracy_m: float | None, cap_m: float) -> bool:
    return distance_m > off_site_allowance_m(threshold_m, accuracy_m, cap_m)


def implied_speed_kmh(distance_m: float, seconds: float) -> float:
    return float("inf") if seconds <= 0 else distance_m / seconds * 3.6


def is_impossible_travel(distance_m: float, seconds: float, *, max_kmh: float, min_m: float) -> bool:
    """More than `min_m` apart and faster than `max_kmh`. Multiplied out rather
    than divided, so a speed exactly at the threshold never flags."""
    seconds = abs(seconds)
    return distance_m > min_m and distance_m * 3600 > max_kmh * 1000 * seconds


def within_polling_hours(occurred_at: dt.datetime, zone: str, voting_day: dt.date, opens: dt.time, closes: dt.time) -> bool:
    """On the station's wall clock as of that instant (zoneinfo knows that
    Aktobe was UTC+5 and Almaty UTC+6 in January 2021). Both ends inclusive."""
    local = to_local(occurred_at, zone)
    return local.date() == voting_day and opens <= local.time() <= closes


_WORDS = re.compile(r"\w+")


def trigrams(text: str) -> frozenset[str]:
    words = " ".join(_WORDS.findall(text.casefold()))
    if not words:
        return frozenset()
    padded = f"  {words} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of character trigrams of the case-folded words: 1.0 for
    the same words, 0.0 for nothing in common. Works for Kazakh, Russian and
    English alike; paraphrases of one incident typically score 0.5–0.9, different
    incidents below 0.3. Two empty descriptions are identical."""
    return trigram_similarity(trigrams(a), trigrams(b))


def trigram_similarity(ga: frozenset[str], gb: frozenset[str]) -> float:
    """`text_similarity` of two texts from their `trigrams`."""
    if not ga and not gb:
        return 1.0
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def current_reports(subject: PeerReport, peers: Sequence[PeerReport]) -> list[PeerReport] | None:
    """The peers that still stand, or None when the subject itself was
    corrected. A report that a later (accepted) report amends is a withdrawn
    claim: its correction takes its place in every cross-report rule, so a
    correction to another station is not travel and a report and its
    correction are not duplicates nor counted twice in a hot spot."""
    corrected = {p.amends_id for p in peers if p.amends_id}
    if subject.amends_id:
        corrected.add(subject.amends_id)
    if subject.report_id in corrected:
        return None
    return [p for p in peers if p.report_id not in corrected and p.report_id != subject.report_id]


def related_ids(reports: Iterable[PeerReport], limit: int) -> list[str]:
    ordered = sorted(reports, key=lambda p: (p.occurred_at, p.report_id))
    return [p.report_id for p in ordered][:limit]


def minutes(seconds: float) -> int:
    return int(round(abs(seconds) / 60))
