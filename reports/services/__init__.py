"""Business operations on reports, one module per stage of the flow:

- `intake.report_submit`: saves the report (and its photos) first, then enqueues
  the pipeline on commit. Idempotent per (observer, client_uuid).
- `pipeline.report_process`: validate → geotag → flag. Idempotent; safe to run
  concurrently and any number of times. `pipeline.reports_sweep_stuck` is the
  beat sweeper that re-enqueues what the broker lost.
- `triage.report_decide` and friends: coordinators' decisions, each a ReportEvent.
- `exports.reports_export`: the one CSV export behind every door, recorded and verifiable.

Views, serializers, admin actions, tasks and commands are thin adapters over these.
"""

from .exports import ExportStream, reports_export
from .intake import (
    IdempotencyConflict,
    ReportInput,
    SubmissionRefused,
    SubmissionResult,
    enqueue_processing,
    report_submit,
    report_submit_check,
)
from .pipeline import ProcessOutcome, report_mark_error, report_process, reports_sweep_stuck
from .triage import (
    OPEN_STATUSES,
    TRIAGE_TRANSITIONS,
    BulkOutcome,
    TriageConflict,
    TriageInputError,
    can_decide_flags,
    can_triage,
    flag_decide,
    report_add_note,
    report_assign,
    report_decide,
    report_reprocess,
    reports_assign,
    reports_decide,
    reports_reprocess,
    user_public_label,
)

__all__ = [
    "BulkOutcome",
    "ExportStream",
    "IdempotencyConflict",
    "OPEN_STATUSES",
    "ProcessOutcome",
    "ReportInput",
    "SubmissionRefused",
    "SubmissionResult",
    "TRIAGE_TRANSITIONS",
    "TriageConflict",
    "TriageInputError",
    "can_decide_flags",
    "can_triage",
    "enqueue_processing",
    "flag_decide",
    "report_add_note",
    "report_assign",
    "report_decide",
    "report_reprocess",
    "report_mark_error",
    "report_process",
    "report_submit",
    "report_submit_check",
    "reports_assign",
    "reports_decide",
    "reports_export",
    "reports_reprocess",
    "reports_sweep_stuck",
    "user_public_label",
]
