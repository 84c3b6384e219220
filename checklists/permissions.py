"""Who may read an election's forms and quick-count figures."""

from monitoring.models import Election, Observer
from monitoring.selectors import accreditation_check, observer_for


def forms_readable(*, user, election: Election) -> bool:
    """Anyone of an organization with an active accreditation for the
    election (the same gate as filing), platform auditors and superusers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    observer = observer_for(user)
    if observer is None:
        return False
    if observer.is_platform_auditor:
        return True
    return accreditation_check(organization_id=observer.organization_id, election_id=election.pk).ok


def quick_count_readable(*, user) -> bool:
    """Coordinators and auditors (their organization's protocols), platform
    auditors and superusers (everyone's); never observers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    observer = observer_for(user)
    return observer is not None and observer.role in (Observer.Role.COORDINATOR, Observer.Role.AUDITOR)
