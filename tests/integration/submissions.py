"""What the integration tests of the filing doors share: tokens for the
world's people, waiting for the real worker's outcome, and a submission's
flags by code."""

from reports.models import Flag, Submission
from roster.tokens import token_issue
from testkit.processes import wait_for

DONE = ("accepted", "rejected", "failed")


def tokens(world, *who) -> dict:
    return {name: token_issue(user=getattr(world, name).user)[1] for name in who}


def processed(*ids) -> dict:
    """{id: submission} once the worker has brought every one to a final state."""
    wait_for(lambda: Submission.objects.filter(pk__in=ids, state__in=DONE).count() == len(ids), timeout=60, message="the worker")
    return {str(s.pk): s for s in Submission.objects.filter(pk__in=ids)}


def flags(submission_id) -> dict:
    return {f.code: f for f in Flag.objects.filter(report_id=submission_id)}
