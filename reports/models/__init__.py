"""What observers send and what becomes of it: the incident taxonomy, the
submissions hub with its kinds (incident reports, check-ins, checklists), photos, the
flags the pipeline raises, the append-only audit trail, and the record of
exports.

Every kind of submission is a row of one hub table, `Submission`: who sent it,
from which station, when, with which fix, its place in the election's hash
chain, its pipeline state, geotag, flags, risk and triage. What a kind says of
its own is a few columns of the hub too (an incident's category, severity,
description and the report it amends; a check-in's `checkin_kind`), null for
the other kinds, which a check constraint per kind enforces. The proxies
`IncidentReport` and `CheckIn` see only their own kind, and creating through
one sets its kind; generic code (pipeline, flags, events, chain, triage) uses
`Submission`.

A submission is evidence: once received, the submitted fields never change (a
correction is a new report that `amends` the old one). The pipeline and the
coordinators only write the derived fields: state, geotag, flags, risk, triage.
"""

from .clusters import ClusterRefresh
from .evidence import AppendOnlyError, Attachment, Checkpoint, ExportRecord, Flag, ReportEvent, ReportEventQuerySet, attachment_upload_to
from .submissions import (
    OPEN_TRIAGE_STATUSES,
    ChainHead,
    CheckIn,
    CheckInKind,
    Checklist,
    IncidentReport,
    KindManager,
    LocationSource,
    ReportState,
    Submission,
    SubmissionKind,
    SubmissionSource,
    TriageStatus,
    in_triage_queue,
    needs_triage,
)
from .taxonomy import IncidentCategory, Severity

__all__ = [
    "OPEN_TRIAGE_STATUSES",
    "AppendOnlyError",
    "Attachment",
    "ChainHead",
    "Checkpoint",
    "CheckIn",
    "CheckInKind",
    "Checklist",
    "ClusterRefresh",
    "ExportRecord",
    "Flag",
    "IncidentCategory",
    "IncidentReport",
    "KindManager",
    "LocationSource",
    "ReportEvent",
    "ReportEventQuerySet",
    "ReportState",
    "Severity",
    "Submission",
    "SubmissionKind",
    "SubmissionSource",
    "TriageStatus",
    "attachment_upload_to",
    "in_triage_queue",
    "needs_triage",
]
