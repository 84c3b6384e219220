"""Who may see coverage and the contact log, and who may record a contact.

- See (`coverage_organization`): coordinators and auditors their
  organization's; superusers and platform auditors every organization's
  (None); anyone else nothing (observers included).
- Record a contact (`may_record_contact`): the observer's organization's
  coordinators, and superusers. Auditors only read.
"""

from monitoring.models import Observer

EVERY_ORGANIZATION = "every"
NOBODY = "nobody"


def _observer(user) -> Observer | None:
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return None
    return getattr(user, "observer", None)


def coverage_organization(user):
    """The organization id whose coverage `user` may see, EVERY_ORGANIZATION, or NOBODY."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return NOBODY
    if user.is_superuser:
        return EVERY_ORGANIZATION
    observer = _observer(user)
    if observer is None or observer.role not in (Observer.Role.COORDINATOR, Observer.Role.AUDITOR):
        return NOBODY
    if observer.organization_id is None:
        return EVERY_ORGANIZATION if observer.role == Observer.Role.AUDITOR else NOBODY
    return observer.organization_id


def may_view_coverage(user) -> bool:
    return coverage_organization(user) != NOBODY


def may_record_contact(*, user, observer: Observer) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    if user.is_superuser:
        return True
    own = _observer(user)
    return own is not None and own.role == Observer.Role.COORDINATOR and own.organization_id == observer.organization_id
