"""Shared reads about who may observe what. Writes live in services.py."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Accreditation, Deployment, Election, Observer, ObserverOrganization, PollingStation
from .shortlived import ShortLived
from .spatial import station_index


def observer_for(user) -> Observer | None:
    """The user's monitoring profile with its organization and user, or None.
    No query when authentication already loaded them (the API token does:
    `roster.tokens.token_authenticate`)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if Observer.user.field.remote_field.is_cached(user):
        observer = getattr(user, "observer", None)
        if observer is None or observer.organization_id is None or Observer.organization.field.is_cached(observer):
            return observer
    try:
        return Observer.objects.select_related("organization", "user").get(user_id=user.pk)
    except Observer.DoesNotExist:
        return None


_elections = ShortLived(lambda code: Election.objects.filter(code=code).first())


def election_by_code(code: str) -> Election | None:
    """The election of `code`, as read at most a few seconds ago in this
    process (`monitoring.shortlived`): intake's look-up of the code. Its status
    may be that old: intake reads the election again with the station
    (`station_for_filing`), and the pipeline once more."""
    return _elections.get(code)


def elections_forget() -> None:
    _elections.forget()


EVERY_ORGANIZATION = object()


def _organization_seen_by(user):
    """Whose people and accreditations `user` may see in the registry:
    EVERY_ORGANIZATION (superusers and platform auditors, who have no
    organization), their organization's id (coordinators and auditors), or
    None (anyone else)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return EVERY_ORGANIZATION
    own = Observer.objects.filter(user_id=user.pk).first()
    if own is None or own.role not in (Observer.Role.COORDINATOR, Observer.Role.AUDITOR):
        return None
    if own.organization_id is None:
        return EVERY_ORGANIZATION if own.role == Observer.Role.AUDITOR else None
    return own.organization_id


def _scoped(qs: QuerySet, user, organization_field: str) -> QuerySet:
    seen = _organization_seen_by(user)
    if seen is EVERY_ORGANIZATION:
        return qs
    return qs.none() if seen is None else qs.filter(**{organization_field: seen})


def observers_visible_to(user) -> QuerySet[Observer]:
    """Observers (people, and where they are posted) that `user` may see:
    superusers and platform auditors (no organization) all of them; coordinators
    and auditors their own organization's; anyone else none."""
    return _scoped(Observer.objects.all(), user, "organization_id")


def organizations_visible_to(user) -> QuerySet[ObserverOrganization]:
    """Organizations whose record (contact) `user` may read: as observers_visible_to."""
    return _scoped(ObserverOrganization.objects.all(), user, "pk")


def accreditations_visible_to(user) -> QuerySet[Accreditation]:
    """Accreditations (status, reason, dates) `user` may read: as observers_visible_to."""
    return _scoped(Accreditation.objects.all(), user, "organization_id")


@dataclass(frozen=True)
class AccreditationCheck:
    """Whether an organization may file for an election, and why not."""

    ok: bool
    code: str  # "active", "not_accredited" or "accreditation_revoked"
    accreditation: Accreditation | None


def accreditation_check(*, organization_id: int | None, election_id: int) -> AccreditationCheck:
    """Status-level gate used at intake: an active accreditation must exist.
    Validity at the moment of the incident is checked by the pipeline."""
    if organization_id is None:
        return AccreditationCheck(False, "not_accredited", None)
    accreditations = list(Accreditation.objects.filter(organization_id=organization_id, election_id=election_id))
    if not accreditations:
        return AccreditationCheck(False, "not_accredited", None)
    active = next((a for a in accreditations if a.status == Accreditation.Status.ACTIVE), None)
    if active is None:
        latest = max(accreditations, key=lambda a: a.revoked_at or a.updated_at)
        return AccreditationCheck(False, "accreditation_revoked", latest)
    return AccreditationCheck(True, "active", active)


def station_for_filing(*, election: Election, code: str, organization_id: int | None) -> PollingStation | None:
    """The election's station of `code`, or None. Read with it, never cached:
    the election as it stands now (`station.election`: a cached election's
    status may be seconds old), and whether `organization_id` holds an active
    accreditation for the election (`accreditation_active`: what
    `accreditation_check` calls ok). One query; the district and region are
    left out (intake rarely needs them: a photo's camera time without offset)."""
    stations = PollingStation.objects.select_related("election").filter(election_id=election.pk, code=code).order_by()
    if organization_id is not None:
        active = Accreditation.objects.filter(organization_id=organization_id, election_id=OuterRef("election_id"), status=Accreditation.Status.ACTIVE)
        stations = stations.annotate(accreditation_active=Exists(active))
    # (election, code) is unique: no order needed.
    return next(iter(stations[:1]), None)


def deployments_of(*, observer: Observer, election: Election | None = None) -> QuerySet[Deployment]:
    qs = Deployment.objects.filter(observer=observer).select_related("election", "station__district__region", "district__region", "region")
    if election is not None:
        qs = qs.filter(election=election)
    return qs


def is_deployed_at(*, observer_id: int, station: PollingStation) -> bool:
    return Deployment.objects.filter(
        Q(station_id=station.pk) | Q(district_id=station.district_id) | Q(region__districts=station.district_id),
        observer_id=observer_id,
        election_id=station.election_id,
    ).exists()


def stations_search(*, election: Election, query: str = "") -> QuerySet[PollingStation]:
    qs = PollingStation.objects.filter(election=election).select_related("district__region")
    query = query.strip()
    if query:
        qs = qs.filter(Q(code__istartswith=query) | Q(name__icontains=query) | Q(settlement__icontains=query))
    return qs.order_by("code")


def stations_near(*, election: Election, latitude: float, longitude: float, limit: int = 10) -> list[tuple[PollingStation, float]]:
    """The `limit` stations nearest to a point, nearest first, with distances in metres."""
    nearby = station_index(election).nearest(latitude, longitude, k=limit)
    stations = PollingStation.objects.select_related("district__region").in_bulk([n.station_id for n in nearby])
    return [(stations[n.station_id], n.distance_m) for n in nearby if n.station_id in stations]


def stations_of_deployments(*, observer: Observer, election: Election | None = None, limit: int = 200) -> list[PollingStation]:
    """The stations an observer is posted to: their own stations first, in the
    plan's order (primary first), then the stations of districts or regions they
    cover as a mobile team (at most `limit`)."""
    deployments = list(deployments_of(observer=observer, election=election))
    stations = [d.station for d in deployments if d.station_id]
    district_ids = [d.district_id for d in deployments if d.district_id]
    region_ids = [d.region_id for d in deployments if d.region_id]
    if district_ids or region_ids:
        seen = {s.pk for s in stations}
        extra = (
            PollingStation.objects.filter(Q(district_id__in=district_ids) | Q(district__region_id__in=region_ids))
            .filter(election_id__in={d.election_id for d in deployments})
            .select_related("district__region")
            .order_by("code")
        )
        stations += [s for s in extra[:limit] if s.pk not in seen]
    return stations[:limit]
