"""What a filed checklist says, as the pipeline's checklist rules read it
(`reports.rules.ChecklistFacts`): its critical answers, the QA rules its
answers break with their numbers, a protocol's figures, and the other counting
protocols of the same station from the same organization. Registered with the
pipeline at start-up (`ChecklistsConfig.ready`)."""

from reports import rules
from reports.models import ReportState, Submission

from .answers import answers_check, protocol_figures
from .models import FiledAnswers
from .selectors import form_document


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def checklist_facts(submission: Submission) -> rules.ChecklistFacts | None:
    filed = FiledAnswers.objects.select_related("form_version__form").filter(submission_id=submission.pk).first()
    if filed is None:
        return None
    document = form_document(filed.form_version)
    # Photo answers were checked against the photos at intake; here they stand for themselves.
    photos = [value for value in filed.answers.values() if isinstance(value, str)]
    check = answers_check(document, filed.answers, photos=photos)
    figures = protocol_figures(document, check.values)
    return rules.ChecklistFacts(
        form=document.code,
        critical=tuple(rules.CriticalAnswerFacts(question=a.question, answer=_shown(a.answer), text=a.text.en) for a in check.critical),
        broken_rules=tuple(rules.BrokenRuleFacts(code=r.code, expression=r.expression, sides=r.sides) for r in check.broken_rules),
        figures=figures,
        others=_other_protocols(submission, filed) if figures else (),
    )


def _other_protocols(submission: Submission, filed: FiledAnswers) -> tuple[rules.ProtocolFacts, ...]:
    """The accepted protocols of the same form, station, election and organization, oldest first."""
    others = (
        FiledAnswers.objects.filter(
            form_version__form_id=filed.form_version.form_id,
            submission__station_id=submission.station_id,
            submission__election_id=submission.election_id,
            submission__organization_id=submission.organization_id,
            submission__state=ReportState.ACCEPTED,
        )
        .exclude(submission_id=submission.pk)
        .select_related("form_version", "submission__submitted_by")
        .order_by("submission__received_at", "submission_id")
    )
    return tuple(
        rules.ProtocolFacts(
            report_id=str(other.submission_id),
            observer_code=other.submission.submitted_by.public_code,
            figures=protocol_figures(form_document(other.form_version), other.answers),
        )
        for other in others
    )
