"""Coverage of the deployment plan: the one operation the board, the API and
the alerts call. Reads the plan and what observers sent (command.selectors,
five or six queries whatever the size; the board reads the last
submissions of its page's rows only), then computes the states at the given clock
time (command.coverage, pure)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from monitoring.models import Election, Observer
from monitoring.selectors import deployments_of, observers_visible_to
from reports.selectors import submissions_visible_to

from ..coverage import Coverage, ObserverCoverage, Thresholds, coverage_compute
from ..permissions import EVERY_ORGANIZATION, NOBODY, coverage_organization
from ..selectors import activity_by_post, contact_log, last_checkins, last_seen_of, latest_contacts, plan_posts
from .gc_pause import gc_paused


class CoverageDenied(PermissionError):
    """The user may not see coverage (observers, anyone outside an organization's staff)."""


def thresholds() -> Thresholds:
    return Thresholds(
        silent_after=dt.timedelta(minutes=settings.COVERAGE_SILENT_AFTER_MINUTES),
        missing_after=dt.timedelta(minutes=settings.COVERAGE_MISSING_AFTER_MINUTES),
    )


def coverage_of_organization(
    *, organization_id: int | None, election: Election, now: dt.datetime, points: bool = False, last_seen: bool = True
) -> Coverage:
    """The coverage of one organization's plan at `now` (None: every
    organization's, for platform staff). No permission check: for callers
    that act for the organization (alerts). `points`: also the map's points
    (one per planned station). `last_seen=False` leaves each observer's last
    submission unread (a page showing a few rows reads them with
    `with_last_seen`): nothing else depends on it."""
    with gc_paused():
        return _coverage(organization_id=organization_id, election=election, now=now, points=points, last_seen=last_seen)


def _coverage(*, organization_id: int | None, election: Election, now: dt.datetime, points: bool, last_seen: bool) -> Coverage:
    posts = plan_posts(election=election, organization_id=organization_id)
    mobile = {p.observer_id for p in posts if p.station_id is None}
    contacts = latest_contacts(election=election, organization_id=organization_id, now=now)
    unreachable = {observer_id for observer_id, contact in contacts.items() if contact.outcome == "unreachable"}
    activity = activity_by_post(election=election, organization_id=organization_id, now=now, mobile=mobile)
    planned = {p.observer_id for p in posts}
    latest: dict = {}
    for (observer_id, _station_id), here in activity.items():
        if observer_id in planned and here.last_at is not None and (observer_id not in latest or here.last_at > latest[observer_id]):
            latest[observer_id] = here.last_at
    coverage = coverage_compute(
        posts=posts,
        activity=activity,
        last_seen=last_seen_of(election=election, organization_id=organization_id, now=now, latest=latest) if last_seen else {},
        last_checkin=last_checkins(election=election, organization_id=organization_id, now=now, observer_ids=unreachable),
        contacts=contacts,
        now=now,
        thresholds=thresholds(),
    )
    if not last_seen:
        coverage.unread_last_seen = (election, organization_id, latest)
    if points:
        coverage.points = _points(posts, coverage)
    return coverage


def coverage_for(*, user, election: Election, now: dt.datetime, **options) -> Coverage:
    """The coverage `user` may see: their organization's (platform staff:
    everyone's); `options` as for `coverage_of_organization`."""
    scope = coverage_organization(user)
    if scope == NOBODY:
        raise CoverageDenied
    return coverage_of_organization(organization_id=None if scope == EVERY_ORGANIZATION else scope, election=election, now=now, **options)


def with_last_seen(coverage: Coverage, observers: list[ObserverCoverage]) -> list[ObserverCoverage]:
    """`observers` (rows of `coverage`, read with `last_seen=False`) with
    their last submission read: one index probe each."""
    if coverage.unread_last_seen is None:
        return observers
    election, organization_id, latest = coverage.unread_last_seen
    wanted = {o.observer_id: latest[o.observer_id] for o in observers if o.observer_id in latest}
    seen = last_seen_of(election=election, organization_id=organization_id, now=coverage.as_of, latest=wanted)
    for o in observers:
        o.last_seen = seen.get(o.observer_id)
    return observers


def _points(posts, coverage: Coverage) -> list[dict]:
    """One map point per planned station (the station's own coordinates, never an observer's fix)."""
    seen, points = set(), []
    for post in posts:
        if post.station_id is None or post.station_id in seen:
            continue
        seen.add(post.station_id)
        state, arrived = coverage.stations[post.station_id]
        points.append(
            {
                "station": post.station_code,
                "region": post.region_code,
                "lat": post.latitude,
                "lon": post.longitude,
                "state": str(state),
                "arrived": arrived,
            }
        )
    points.sort(key=lambda p: p["station"])
    return points


@dataclass
class ObserverPage:
    """One observer as the board's observer page shows them."""

    observer: Observer
    row: ObserverCoverage | None  # None: not in this election's plan
    deployments: list
    submissions: list
    contacts: list


def observer_page(*, user, election: Election, public_code: str, now: dt.datetime, recent: int = 20) -> ObserverPage | None:
    """The observer's coverage row, plan, latest submissions and contact log;
    None when `user` may not see them (another organization) or they do not exist."""
    scope = coverage_organization(user)
    if scope == NOBODY:
        raise CoverageDenied
    observer = observers_visible_to(user).select_related("organization").filter(public_code=public_code).first()
    if observer is None:
        return None
    coverage = coverage_of_organization(organization_id=observer.organization_id, election=election, now=now, last_seen=False)
    row = next((o for o in coverage.observers if o.observer_id == observer.pk), None)
    submissions = (
        submissions_visible_to(user)
        .filter(submitted_by=observer, election=election)
        .select_related("station", "category")
        .order_by("-occurred_at")[:recent]
    )
    return ObserverPage(
        observer=observer,
        row=with_last_seen(coverage, [row])[0] if row is not None else None,
        deployments=list(deployments_of(observer=observer, election=election)),
        submissions=list(submissions),
        contacts=list(contact_log(observer=observer, election=election)),
    )
