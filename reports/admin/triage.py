"""The report page's triage operations: one view and one URL per operation.

Each is a POST from a form of the report page's triage panel; it calls one
triage service and goes back to the report page with a message. Every
operation is checked the same way:

- the report must be visible to the user, or the answer is 404, so a report
  of another organization is not even confirmed to exist;
- the service checks the permission for that report (PermissionDenied: 403 for
  read-only roles) and compares the version the page was rendered with, so a
  report changed by someone else meanwhile is refused, not overwritten;
- a refusal the coordinator can act on (a stale page, a step the workflow does
  not allow, a missing note) is shown as a message and nothing is saved.
"""

import uuid
from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from ..filters import parse_id
from ..models import Flag
from ..selectors import reports_visible_to
from ..services.pipeline import report_reprocess
from ..services.triage import (
    ASSIGNEE_REFUSED,
    TriageConflict,
    TriageInputError,
    flag_decide,
    report_add_note,
    report_assign,
    report_decide,
)


def urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path("<path:object_id>/triage/decide/", wrap(decide_view), name="reports_submission_decide"),
        path("<path:object_id>/triage/assign/", wrap(assign_view), name="reports_submission_assign"),
        path("<path:object_id>/triage/note/", wrap(add_note_view), name="reports_submission_add_note"),
        path("<path:object_id>/triage/reprocess/", wrap(reprocess_view), name="reports_submission_reprocess"),
        path("<path:object_id>/triage/flags/<str:flag_id>/", wrap(flag_decide_view), name="reports_submission_flag_decide"),
    ]


# --- Shared checks ----------------------------------------------------------------------------


def _visible_report_id(request, object_id) -> uuid.UUID:
    try:
        report_id = uuid.UUID(str(object_id))
    except ValueError:
        raise Http404 from None
    if not reports_visible_to(request.user).filter(pk=report_id).exists():
        raise Http404
    return report_id


def _expected_version(request) -> int | None:
    """The version the page was rendered with (None: the service does not compare)."""
    return parse_id(request.POST.get("version", ""))


@contextmanager
def _refusal_as_message(request):
    """Runs the operation; a refusal the coordinator can act on becomes an error
    message. PermissionDenied and Http404 pass through as 403 and 404."""
    try:
        yield
    except (TriageConflict, TriageInputError) as exc:
        messages.error(request, gettext("Not saved: %(reason)s") % {"reason": exc})


def _back_to_report(report_id):
    return redirect("admin:reports_submission_change", report_id)


def _assignee(request):
    """The chosen user: "Assign to me", nobody, or a user id (the service checks
    they may triage the report, and refuses with the same words as here)."""
    value = "me" if request.POST.get("assign_me") else request.POST.get("assignee", "")
    if value == "me":
        return request.user
    if value in ("", "none"):
        return None
    user_id = parse_id(value)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None
    if user is None:
        raise TriageInputError(ASSIGNEE_REFUSED)
    return user


# --- One view per operation -------------------------------------------------------------------


@require_POST
def decide_view(request, object_id):
    """A status button: move the report along the triage workflow."""
    report_id = _visible_report_id(request, object_id)
    status = request.POST.get("status", "")
    with _refusal_as_message(request):
        report_decide(
            report_id=report_id,
            actor=request.user,
            status=status,
            note=request.POST.get("note", ""),
            expected_version=_expected_version(request),
        )
        messages.success(request, gettext("Triage status set to %(status)s.") % {"status": status})
    return _back_to_report(report_id)


@require_POST
def assign_view(request, object_id):
    report_id = _visible_report_id(request, object_id)
    with _refusal_as_message(request):
        assignee = _assignee(request)
        report_assign(
            report_id=report_id,
            actor=request.user,
            assignee=assignee,
            note=request.POST.get("note", ""),
            expected_version=_expected_version(request),
        )
        done = gettext("Assigned to %(who)s.") % {"who": assignee.get_username()} if assignee else gettext("Unassigned.")
        messages.success(request, done)
    return _back_to_report(report_id)


@require_POST
def add_note_view(request, object_id):
    """A note changes no state, so it carries no version to compare."""
    report_id = _visible_report_id(request, object_id)
    with _refusal_as_message(request):
        report_add_note(report_id=report_id, actor=request.user, note=request.POST.get("note", ""))
        messages.success(request, gettext("Note added."))
    return _back_to_report(report_id)


@require_POST
def reprocess_view(request, object_id):
    report_id = _visible_report_id(request, object_id)
    with _refusal_as_message(request):
        outcome = report_reprocess(report_id=report_id, actor=request.user)
        messages.success(request, gettext("Pipeline re-run: the report is %(state)s.") % {"state": outcome.state})
    return _back_to_report(report_id)


@require_POST
def flag_decide_view(request, object_id, flag_id):
    """Confirm, clear or reopen one of this report's flags (a flag of another report is not found)."""
    report_id = _visible_report_id(request, object_id)
    flag_id = parse_id(flag_id)
    if flag_id is None or not Flag.objects.filter(pk=flag_id, report_id=report_id).exists():
        raise Http404
    with _refusal_as_message(request):
        flag = flag_decide(
            flag_id=flag_id,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
            expected_version=_expected_version(request),
        )
        messages.success(request, gettext("Flag %(code)s is now %(state)s.") % {"code": flag.code, "state": flag.state})
    return _back_to_report(report_id)
