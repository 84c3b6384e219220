"""Business operations on who may observe: observers and their roles,
accreditation changes, and the station registry. Views, admin and commands call
these; none of this lives in signals or `save()`."""

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from .models import Accreditation, Election, Observer, ObserverOrganization
from .roles import ROLE_GROUPS, ROLE_PERMISSIONS, STAFF_ROLES


def role_groups_ensure() -> dict[str, Group]:
    """Create or refresh the role groups and their permissions (idempotent)."""
    groups = {}
    for role, group_name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = ROLE_PERMISSIONS[role]
        permissions = [
            p
            for p in Permission.objects.filter(codename__in=[c for _, c in wanted]).select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(permissions)
        groups[role] = group
    return groups


@transaction.atomic
def observer_set_role(*, observer: Observer, role: str) -> Observer:
    """Give the observer's user exactly the group (and admin access) of `role`."""
    if role not in ROLE_GROUPS:
        raise ValueError(f"unknown role {role!r}")
    groups = role_groups_ensure()
    user = observer.user
    user.groups.remove(*[g for r, g in groups.items() if r != role])
    user.groups.add(groups[role])
    if not user.is_superuser:
        user.is_staff = role in STAFF_ROLES
        user.save(update_fields=["is_staff"])
    if observer.role != role:
        observer.role = role
        observer.save(update_fields=["role", "updated_at"])
    return observer


@transaction.atomic
def observer_create(
    *,
    username: str,
    password: str | None,
    organization: ObserverOrganization | None,
    role: str = Observer.Role.OBSERVER,
    badge_number: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> Observer:
    user_model = get_user_model()
    user = user_model(username=username, first_name=first_name, last_name=last_name, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    observer = Observer.objects.create(user=user, organization=organization, role=role, badge_number=badge_number)
    return observer_set_role(observer=observer, role=role)


class AccreditationConflict(ValueError):
    """The organization already has another active accreditation for the election."""


@transaction.atomic
def accreditation_set_status(*, accreditation: Accreditation, status: str, reason: str = "") -> Accreditation:
    """Suspend, revoke or reinstate. Effective at once for intake; reports already
    queued are rejected by the pipeline, which re-checks accreditation.
    Raises AccreditationConflict when reinstating would make a second active
    accreditation of the organization for the election (the database refuses it too)."""
    accreditation = Accreditation.objects.select_for_update().get(pk=accreditation.pk)
    if status not in Accreditation.Status.values:
        raise ValueError(f"unknown accreditation status {status!r}")
    if status == Accreditation.Status.ACTIVE:
        other = (
            Accreditation.objects.filter(
                organization_id=accreditation.organization_id, election_id=accreditation.election_id, status=Accreditation.Status.ACTIVE
            )
            .exclude(pk=accreditation.pk)
            .first()
        )
        if other is not None:
            raise AccreditationConflict(f"the organization already has an active accreditation for this election ({other.number})")
    accreditation.status = status
    accreditation.status_reason = reason
    accreditation.revoked_at = None if status == Accreditation.Status.ACTIVE else timezone.now()
    accreditation.save(update_fields=["status", "status_reason", "revoked_at", "updated_at"])
    return accreditation


def accreditation_revoke(*, accreditation: Accreditation, reason: str) -> Accreditation:
    return accreditation_set_status(accreditation=accreditation, status=Accreditation.Status.REVOKED, reason=reason)


def station_registry_changed(*, election_id: int) -> None:
    """Invalidate cached spatial indexes after a bulk change to the station registry."""
    Election.objects.filter(pk=election_id).update(registry_revision=uuid.uuid4())
