"""Low-level writes that several services share: audit events, triage-status
changes, flag reconciliation, risk scores, and giving up on a report.

Except `report_give_up`, each runs inside the caller's transaction, under the
caller's lock on the report row(s), and checks no permission: the service
calling it has done that. Nothing here enqueues or talks to other processes.
"""

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import rules
from .models import Flag, ReportEvent, ReportState, Submission, TriageStatus

logger = logging.getLogger(__name__)

# Triage statuses that are a decision: they record who decided and when.
DECISIONS = frozenset({TriageStatus.VERIFIED, TriageStatus.DISMISSED, TriageStatus.ESCALATED, TriageStatus.RESOLVED})


def event_record(report, *, actor, at: dt.datetime, action: str, from_value: str = "", to_value: str = "", note: str = "") -> ReportEvent:
    """Append one event to the report's audit trail (actor None: the system)."""
    return ReportEvent.objects.create(
        report=report, actor=actor, at=at, action=action, from_value=from_value[:64], to_value=to_value[:64], note=note
    )


def triage_status_set(report: Submission, status: str, *, actor, note: str, at: dt.datetime) -> None:
    """Write a status change and its event, bumping the optimistic lock. The
    pipeline calls it with actor None to escalate a critical report."""
    previous = report.triage_status
    report.triage_status = status
    report.triage_version += 1
    update = ["triage_status", "triage_version", "updated_at"]
    if actor is not None and status in DECISIONS:
        report.decided_by, report.decided_at = actor, at
        update += ["decided_by", "decided_at"]
    report.save(update_fields=update)
    event_record(report, actor=actor, at=at, action=ReportEvent.Action.TRIAGE, from_value=previous, to_value=status, note=note)


# --- Flags ---------------------------------------------------------------------------


def flags_store_scored(report: Submission, flags: list[rules.FlagResult], now: dt.datetime, keep: tuple[str, ...] = ()) -> int:
    """Make the processed report's flags exactly `flags`, leaving those of the
    codes in `keep` as they are (another writer owns them), and return the risk
    `report_risk_score` would compute after it (for the report's state as set,
    unsaved): the report's flags are read once, and the risk is computed from
    what the writes leave (kept codes and decided flags as stored, the rules'
    flags with their new severity, stale open ones gone).

    A flag a coordinator confirmed or cleared stays even when the rules no
    longer raise it (corrected reference data, a shrunken cluster, a rejection):
    the decision is a person's finding about this report, recorded with a note
    in the audit trail, and the flag's explanation is what they decided on.
    Deleting it would erase that silently (a confirmed one keeps counting in the
    risk score). Reopening it hands it back to the rules."""
    stored = list(Flag.objects.filter(report_id=report.pk))
    existing = {f.code: f for f in stored if f.code not in keep}
    writes = FlagWrites()
    writes.plan(report.pk, flags, now, existing)
    writes.apply()
    if report.state != ReportState.ACCEPTED:
        return 0
    wanted = {f.code: f for f in flags}
    after = [f for f in stored if f.code not in wanted and (f.code in keep or f.state != Flag.State.OPEN)]
    after += [existing.get(code) or result for code, result in wanted.items()]  # severity as just written
    return rules.risk_score(
        severity=report.severity, flags=[f for f in after if getattr(f, "state", Flag.State.OPEN) != Flag.State.CLEARED]
    )


@dataclass
class FlagWrites:
    """Flag writes planned over any number of reports and sent in at most three
    statements. Writes only what differs, so a re-run changes nothing; keeps a
    coordinator's decision, note, decider and time, and the first `raised_at`."""

    stale: list = field(default_factory=list)  # ids of open flags no longer raised
    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)

    def plan(self, report_id, flags: list[rules.FlagResult], now: dt.datetime, existing: Mapping[str, Flag]) -> bool:
        """What makes the report's flags among `existing`'s codes exactly
        `flags` (see flags_store_scored); True if anything would change."""
        wanted = {f.code: f for f in flags}
        stale = [flag.pk for code, flag in existing.items() if code not in wanted and flag.state == Flag.State.OPEN]
        self.stale.extend(stale)
        changed = bool(stale)
        for code, result in wanted.items():
            changed |= self._plan_one(report_id, result, existing.get(code), now)
        return changed

    def _plan_one(self, report_id, result: rules.FlagResult, flag: Flag | None, now: dt.datetime) -> bool:
        explanation = result.explanation("en")
        if flag is None:
            self.new.append(
                Flag(
                    report_id=report_id,
                    code=result.code,
                    severity=result.severity,
                    explanation=explanation,
                    params=result.params,
                    raised_at=now,
                )
            )
            return True
        if (flag.severity, flag.explanation, flag.params) == (result.severity, explanation, result.params):
            return False
        flag.severity, flag.explanation, flag.params, flag.updated_at = result.severity, explanation, result.params, now
        self.changed.append(flag)
        return True

    def apply(self) -> None:
        if self.stale:
            Flag.objects.filter(pk__in=self.stale, state=Flag.State.OPEN).delete()
        # Changed flags are upserted on (report, code) with the new ones, in one
        # statement whose size grows with the rows (a bulk_update's CASE per row
        # made a hot spot's refresh send megabytes of SQL); a racing writer can
        # never create a duplicate.
        rows = [*self.new, *(self._without_pk(flag) for flag in self.changed)]
        if rows:
            Flag.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["report", "code"],
                update_fields=["severity", "explanation", "params", "updated_at"],
            )

    @staticmethod
    def _without_pk(flag: Flag) -> Flag:
        return Flag(
            report_id=flag.report_id,
            code=flag.code,
            severity=flag.severity,
            explanation=flag.explanation,
            params=flag.params,
            raised_at=flag.raised_at,
            updated_at=flag.updated_at,
        )


# --- Risk ------------------------------------------------------------------------------


def risk_scores(*, severities: Mapping) -> dict:
    """{report pk: report severity} of accepted reports → {report pk: risk}, from
    the flags stored for them now, leaving out the ones a coordinator cleared
    (`rules.risk_score` is the formula). One query."""
    flags: dict = {pk: [] for pk in severities}
    for flag in Flag.objects.filter(report_id__in=list(severities)).exclude(state=Flag.State.CLEARED).only("report_id", "severity"):
        flags[flag.report_id].append(flag)
    return {pk: rules.risk_score(severity=severity, flags=flags[pk]) for pk, severity in severities.items()}


def report_risk_score(report: Submission) -> int:
    """The risk to store on `report` given its (possibly unsaved) state and its
    stored flags: 0 unless accepted, so a rejected report never climbs the queue
    because of a flag decision kept from when it was accepted."""
    if report.state != ReportState.ACCEPTED:
        return 0
    return risk_scores(severities={report.pk: report.severity})[report.pk]


def reports_rescore(*, severities: Mapping, now: dt.datetime) -> None:
    """Store the risk of the accepted reports `severities` names ({pk: severity}),
    writing only the scores that changed."""
    current = dict(Submission.objects.filter(pk__in=list(severities)).values_list("pk", "risk_score"))
    by_score: dict[int, list] = {}
    for pk, score in risk_scores(severities=severities).items():
        if current.get(pk) != score:
            by_score.setdefault(score, []).append(pk)
    # One UPDATE per score (a handful), not a CASE per report.
    for score, pks in by_score.items():
        Submission.objects.filter(pk__in=pks).update(risk_score=score, updated_at=now)


# --- Giving up -------------------------------------------------------------------------


def report_give_up(report_id) -> bool:
    """Out of attempts: stop looping and put the report in front of a
    coordinator (state `failed`, a `pipeline_failed` event). True if it did.
    Takes its own transaction and row lock; the worker and the sweeper call it."""
    max_attempts = settings.PIPELINE.max_attempts
    now = timezone.now()
    with transaction.atomic():
        stuck = (
            Submission.objects.select_for_update(of=("self",))
            .filter(pk=report_id, state__in=[ReportState.RECEIVED, ReportState.PROCESSING], processing_attempts__gte=max_attempts)
            .first()
        )
        if stuck is None:
            return False
        previous = stuck.state
        stuck.state = ReportState.FAILED
        stuck.processed_at = now
        stuck.save(update_fields=["state", "processed_at", "updated_at"])
        event_record(
            stuck,
            actor=None,
            at=now,
            action=ReportEvent.Action.PIPELINE_FAILED,
            from_value=previous,
            to_value=ReportState.FAILED,
            note=f"gave up after {stuck.processing_attempts} attempts: {stuck.last_error or 'no error recorded'}"[:2000],
        )
    logger.warning("report %s marked failed after %s attempts", report_id, max_attempts)
    return True
