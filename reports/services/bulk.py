"""Bulk forms of the coordinators' operations (the admin's actions): one
operation per report, each in its own transaction, so one refusal does not
undo the others."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied


@dataclass
class BulkOutcome:
    done: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)


def each_report(
    report_ids: Iterable, apply: Callable, *, expected_versions: Mapping[str, int] | None = None, refusals: tuple = ()
) -> BulkOutcome:
    """`apply(report_id, expected_version)` → changed? for each report. A
    PermissionDenied counts as forbidden, an exception of `refusals` as a conflict."""
    outcome = BulkOutcome()
    for report_id in report_ids:
        expected = (expected_versions or {}).get(str(report_id))
        try:
            changed = apply(report_id, expected)
        except PermissionDenied:
            outcome.forbidden.append(str(report_id))
        except refusals:
            outcome.conflicts.append(str(report_id))
        else:
            if changed:
                outcome.done += 1
            else:
                outcome.unchanged += 1
    return outcome
