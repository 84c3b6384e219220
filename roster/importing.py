"""The roster import: one service behind `manage.py import_observers` and the
admin's upload → preview → confirm.

All or nothing: the file is checked whole first (`roster.rows`), then against
the database (phones of other observers), and only then written, in one
transaction, with bulk statements (users get unusable passwords: no hashing).
Re-importing the same file changes nothing and says so; observers absent from
the file are left alone unless `deactivate_missing` (deactivated, never
deleted: their reports stay theirs).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from monitoring.models import Deployment, Election, Observer, ObserverOrganization, PollingStation, Region
from monitoring.roles import STAFF_ROLES
from monitoring.services import observer_set_role, role_groups_ensure

from .models import ActivationCode, RosterEntry
from .rows import Problem, RosterFileError, RosterRow, rows_parse

BATCH = 1000


@dataclass(frozen=True)
class Change:
    external_id: str
    action: str  # created / updated / deactivated
    public_code: str
    fields: tuple[str, ...] = ()


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)

    def __str__(self):
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.deactivated:
            text += f", {self.deactivated} deactivated"
        return text + (" (dry run: nothing written)" if self.dry_run else "")


def _lookups(election: Election | None) -> tuple[dict[str, int], dict[str, int]]:
    stations = dict(PollingStation.objects.filter(election=election).values_list("code", "pk")) if election else {}
    regions: dict[str, int] = {}
    for region in Region.objects.all():
        for key in [region.code, region.name_en, region.name_ru, region.name_kk, *region.aliases]:
            if key:
                regions.setdefault(key.strip().casefold(), region.pk)
    return stations, regions


def _check_phones(rows: list[RosterRow], *, organization: ObserverOrganization) -> None:
    """A phone may belong to one active observer of the platform: refuse phones
    of another organization's observers, and of this organization's observers
    who keep them (absent from the file, or given another row's phone)."""
    phones = {row.phone: row for row in rows}
    new_phone_of = {row.external_id: row.phone for row in rows}
    problems = []
    holders = RosterEntry.objects.filter(active=True, phone__in=list(phones)).only("phone", "organization_id", "external_id")
    for holder in holders:
        row = phones[holder.phone]
        if holder.organization_id != organization.pk:
            problems.append(Problem(row.line, "phone", "belongs to an active observer of another organization"))
        elif holder.external_id != row.external_id and new_phone_of.get(holder.external_id, holder.phone) == holder.phone:
            problems.append(Problem(row.line, "phone", "already the phone of another observer of the organization (not in this file)"))
    if problems:
        raise RosterFileError(sorted(problems, key=lambda p: p.line))


def _plan_key(places) -> list[tuple]:
    return sorted((p.station_id, p.region_id, p.position, p.shift_start, p.shift_end) for p in places)


def _changed_fields(entry: RosterEntry, row: RosterRow, plan: list) -> tuple[str, ...]:
    changed = [name for name in ("full_name", "phone", "email", "language") if getattr(entry, name) != getattr(row, name)]
    if entry.observer.role != row.role:
        changed.append("role")
    if not entry.active:
        changed.append("active")
    if plan is not None and _plan_key(plan) != _plan_key(row.plan):
        changed.append("plan")
    return tuple(changed)


def _create(rows: list[RosterRow], *, organization: ObserverOrganization) -> dict[str, Observer]:
    """Users, observers, role groups and roster entries for new rows, in bulk."""
    user_model = get_user_model()
    taken = set(user_model.objects.filter(username__startswith="obs-").values_list("username", flat=True))
    observers = []
    for row in rows:
        observer = Observer(organization=organization, role=row.role)
        while observer.public_code.lower() in taken:
            observer = Observer(organization=organization, role=row.role)
        taken.add(observer.public_code.lower())
        observers.append(observer)
    # An unusable password, made without hashing: the phone gets in with an activation code.
    users = [user_model(username=o.public_code.lower(), password=make_password(None), is_staff=o.role in STAFF_ROLES) for o in observers]
    user_model.objects.bulk_create(users, batch_size=BATCH)
    for observer, user in zip(observers, users, strict=True):
        observer.user = user
    Observer.objects.bulk_create(observers, batch_size=BATCH)
    groups = role_groups_ensure()
    membership = user_model.groups.through
    membership.objects.bulk_create([membership(user_id=o.user.pk, group_id=groups[o.role].pk) for o in observers], batch_size=BATCH)
    RosterEntry.objects.bulk_create(
        [
            RosterEntry(
                observer=observer,
                organization=organization,
                external_id=row.external_id,
                full_name=row.full_name,
                phone=row.phone,
                email=row.email,
                language=row.language,
            )
            for row, observer in zip(rows, observers, strict=True)
        ],
        batch_size=BATCH,
    )
    return {row.external_id: observer for row, observer in zip(rows, observers, strict=True)}


def _replace_plans(plans: dict[int, list], *, election: Election) -> None:
    Deployment.objects.filter(election=election, observer_id__in=list(plans)).delete()
    Deployment.objects.bulk_create(
        [
            Deployment(
                observer_id=observer_id,
                election=election,
                station_id=p.station_id,
                region_id=p.region_id,
                position=p.position,
                shift_start=p.shift_start,
                shift_end=p.shift_end,
            )
            for observer_id, places in plans.items()
            for p in places
        ],
        batch_size=BATCH,
    )


def _update(entries_rows: list[tuple[RosterEntry, RosterRow]]) -> None:
    user_model = get_user_model()
    for entry, row in entries_rows:
        entry.full_name, entry.phone, entry.email, entry.language = row.full_name, row.phone, row.email, row.language
        entry.active = True
    # Phones may move between this organization's observers: free them first.
    RosterEntry.objects.filter(pk__in=[e.pk for e, _ in entries_rows]).update(active=False)
    RosterEntry.objects.bulk_update(
        [e for e, _ in entries_rows], ["full_name", "phone", "email", "language", "active", "updated_at"], batch_size=BATCH
    )
    user_model.objects.filter(pk__in=[e.observer.user_id for e, _ in entries_rows], is_active=False).update(is_active=True)
    for entry, row in entries_rows:
        if entry.observer.role != row.role:
            observer_set_role(observer=entry.observer, role=row.role)


def observers_deactivate(*, entries: list[RosterEntry]) -> None:
    """Deactivate, never delete: the user can no longer log in (its sessions and
    API tokens stop working at once), its codes are voided, its reports stay."""
    now = timezone.now()
    RosterEntry.objects.filter(pk__in=[e.pk for e in entries]).update(active=False, updated_at=now)
    get_user_model().objects.filter(pk__in=[e.observer.user_id for e in entries]).update(is_active=False)
    ActivationCode.objects.filter(observer_id__in=[e.observer_id for e in entries], used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=now
    )


def roster_import(
    *,
    organization: ObserverOrganization,
    election: Election | None,
    lines,
    deactivate_missing: bool = False,
    dry_run: bool = False,
    keep_user_id: int | None = None,
) -> ImportSummary:
    """Check, then write the whole file in one transaction (or roll it back for a
    dry run). Raises RosterFileError with every problem found. `keep_user_id`
    (the importing coordinator) is never deactivated."""
    stations, regions = _lookups(election)
    rows = rows_parse(
        lines, phone_region=settings.ROSTER_PHONE_REGION, stations=stations, regions=regions, election_given=election is not None
    )
    with transaction.atomic():
        summary = _apply(rows, organization=organization, election=election, deactivate_missing=deactivate_missing, keep=keep_user_id)
        summary.dry_run = dry_run
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _apply(rows, *, organization, election, deactivate_missing, keep) -> ImportSummary:
    existing = {
        e.external_id: e
        for e in RosterEntry.objects.select_for_update(of=("self",))
        .filter(organization=organization)
        .select_related("observer")
        .order_by("pk")
    }
    _check_phones(rows, organization=organization)
    current_plans: dict[int, list] = {}
    if election is not None:
        for d in Deployment.objects.filter(election=election, observer__organization=organization).only(
            "observer_id", "station_id", "region_id", "district_id", "position", "shift_start", "shift_end"
        ):
            current_plans.setdefault(d.observer_id, []).append(d)
    summary = ImportSummary()
    new_rows, updates, plans = [], [], {}
    for row in rows:
        entry = existing.get(row.external_id)
        if entry is None:
            new_rows.append(row)
            continue
        plan = current_plans.get(entry.observer_id, []) if election is not None else None
        changed = _changed_fields(entry, row, plan)
        if not changed:
            summary.unchanged += 1
            continue
        summary.updated += 1
        summary.changes.append(Change(row.external_id, "updated", entry.observer.public_code, changed))
        if set(changed) - {"plan"}:
            updates.append((entry, row))
        if "plan" in changed:
            plans[entry.observer_id] = row.plan
    if updates:
        _update(updates)
    created = _create(new_rows, organization=organization) if new_rows else {}
    summary.created = len(created)
    summary.changes += [Change(row.external_id, "created", created[row.external_id].public_code) for row in new_rows]
    if election is not None:
        plans.update({created[row.external_id].pk: row.plan for row in new_rows if row.plan})
        if plans:
            _replace_plans(plans, election=election)
    if deactivate_missing:
        in_file = {row.external_id for row in rows}
        missing = [e for e in existing.values() if e.active and e.external_id not in in_file and e.observer.user_id != keep]
        observers_deactivate(entries=missing)
        summary.deactivated = len(missing)
        summary.changes += [Change(e.external_id, "deactivated", e.observer.public_code) for e in missing]
    return summary
