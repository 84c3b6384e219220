"""Filing a checklist: a submission of the checklist kind through the one
submit function of `reports` (the same gates, idempotency, transaction, chain
and pipeline as a report), whose answers are stored against the form version
the observer filed, in `FiledAnswers`."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from reports import integrity
from reports.models import Checklist, Submission
from reports.services.intake import SubmissionInput

from ..models import FiledAnswers, FormVersion


@dataclass(frozen=True, kw_only=True)
class ChecklistInput(SubmissionInput):
    """A checklist: the form version filed and its answers, already checked
    and normalized by `answers.answers_check` (the door's job)."""

    proxy = Checklist

    form_version: FormVersion
    answers: Mapping[str, object] = field(default_factory=dict)

    def columns(self) -> dict:
        return {}

    def content(self, *, photo_sha256s) -> dict:
        return integrity.checklist_content(
            form_code=self.form_version.form.code,
            form_version=self.form_version.number,
            answers=self.answers,
            photo_sha256s=list(photo_sha256s),
        )

    def details_save(self, submission: Submission) -> None:
        FiledAnswers.objects.create(submission=submission, form_version=self.form_version, answers=dict(self.answers))
