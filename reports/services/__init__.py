"""Business operations on reports, one module per stage of the flow:

- `intake.report_submit`: saves the report (and its photos) first, then enqueues
  the pipeline on commit. Idempotent per (observer, client_uuid).
- `pipeline.report_process`: validate → geotag → flag. Idempotent; safe to run
  concurrently and any number of times. `pipeline.reports_sweep_stuck` is the
  beat sweeper that re-enqueues what the broker lost.
- `triage.report_decide` and friends: coordinators' decisions, each a ReportEvent.

Views, serializers, admin actions, tasks and commands are thin adapters over these.
"""

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
from .triage import TRIAGE_TRANSITIONS, TriageConflict, can_triage, report_decide

__all__ = [
    "IdempotencyConflict",
    "ProcessOutcome",
    "ReportInput",
    "SubmissionRefused",
    "SubmissionResult",
    "TRIAGE_TRANSITIONS",
    "TriageConflict",
    "can_triage",
    "enqueue_processing",
    "report_decide",
    "report_mark_error",
    "report_process",
    "report_submit",
    "report_submit_check",
    "reports_sweep_stuck",
]
