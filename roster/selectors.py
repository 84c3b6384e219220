"""Who may see the roster (personal data): the organization's coordinators and
platform administrators (superusers). Auditors, observers, other organizations
and every API see none of it."""

from django.db.models import Prefetch, QuerySet

from monitoring.models import Deployment, Observer

from .models import RosterEntry


def roster_organization_of(user) -> int | None:
    """The organization whose roster `user` coordinates, or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    observer = Observer.objects.filter(user_id=user.pk, role=Observer.Role.COORDINATOR).only("organization_id").first()
    return observer.organization_id if observer else None


def roster_visible_to(user) -> QuerySet[RosterEntry]:
    qs = RosterEntry.objects.select_related("observer__user", "organization")
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser:
        return qs
    organization_id = roster_organization_of(user)
    return qs.filter(organization_id=organization_id) if organization_id else qs.none()


def roster_for_badges(*, observer_ids: list[int]) -> list[RosterEntry]:
    """Entries with their plan (stations with shifts, regions) and the organization, for badge sheets."""
    plan = Deployment.objects.select_related("election", "station__district__region", "district", "region")
    return list(
        RosterEntry.objects.filter(observer_id__in=observer_ids)
        .select_related("observer__user", "organization")
        .prefetch_related(Prefetch("observer__deployments", queryset=plan))
        .order_by("external_id")
    )


def roster_language_of(user) -> str | None:
    """The language of the user's active roster entry (kk, ru or en), or None."""
    return RosterEntry.objects.filter(observer__user_id=user.pk, active=True).values_list("language", flat=True).first()
