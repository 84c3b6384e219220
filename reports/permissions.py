"""Who may do what with submissions (incident reports, check-ins): each rule
once, whatever the door and whatever the kind.

- See (`report_scope`): superusers and platform auditors (no organization)
  every submission; coordinators and auditors their organization's; observers
  what they sent themselves; anyone else nothing.
- File (`may_file`): observers and coordinators of an organization. Intake
  still checks the organization's accreditation for the election.
- Triage (`may_triage`): superusers; coordinators of the report's
  organization holding `change_submission`. Deciding flags
  (`may_decide_flags`) also takes `change_flag`.
- Export (`may_export`): superusers, coordinators and auditors; what they
  export is what they see.
- Read the figures behind cross-report flags (`may_see_flag_figures`): the
  same people; observers get a wording without them.
- How a user appears in the audit trail and exports (`user_public_label`,
  over `monitoring.models.public_label`): the
  pseudonymous public code, never a name.

Plain checks over the user (their observer profile and Django permissions)
and the report row; they read no other report.
"""

from django.db.models import Q

from monitoring.models import Observer, public_label

from .models import Submission

FILING_ROLES = frozenset({Observer.Role.OBSERVER, Observer.Role.COORDINATOR})


def _is_active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def report_scope(user) -> Q | None:
    """The filter for `user`'s visible submissions (of every kind), or None for all of them."""
    if not _is_active(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    observer = getattr(user, "observer", None)
    if observer is None:
        return Q(pk__in=[])
    if observer.role == Observer.Role.OBSERVER:
        return Q(submitted_by_id=observer.pk)
    if observer.organization_id is None:
        return None if observer.role == Observer.Role.AUDITOR else Q(pk__in=[])
    return Q(organization_id=observer.organization_id)


def may_file(observer: Observer | None) -> bool:
    return observer is not None and observer.organization_id is not None and observer.role in FILING_ROLES


def may_triage(*, user, report: Submission) -> bool:
    """May `user` change this submission's triage status, assignee and notes, or re-run its pipeline?"""
    if not _is_active(user):
        return False
    if user.is_superuser:
        return True
    observer = getattr(user, "observer", None)
    return bool(
        observer is not None
        and observer.role == Observer.Role.COORDINATOR
        and observer.organization_id == report.organization_id
        and user.has_perm("reports.change_submission")
    )


def may_decide_flags(*, user, report: Submission) -> bool:
    return may_triage(user=user, report=report) and (user.is_superuser or user.has_perm("reports.change_flag"))


def may_export(user) -> bool:
    """Coordinators and auditors export their organization's reports; superusers and
    platform auditors everything. Observers never export."""
    if not _is_active(user):
        return False
    if user.is_superuser:
        return True
    observer = getattr(user, "observer", None)
    return observer is not None and observer.role in (Observer.Role.COORDINATOR, Observer.Role.AUDITOR)


def may_see_flag_figures(user) -> bool:
    """May `user` read the figures behind cross-report flags (other reports'
    times, text similarity)? Those who triage or audit their organization's
    reports; never an observer, who only learns that there are such reports."""
    return may_export(user)


def user_public_label(user) -> str:
    if user is None:
        return ""
    observer = getattr(user, "observer", None)
    return public_label(user.pk, observer.public_code if observer is not None else None)
