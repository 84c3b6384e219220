"""Loading a form: a checked document becomes the form's next version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction

from monitoring.models import Election

from ..formdoc import FormDocumentError, canonical_json, form_document_parse
from ..models import Form, FormVersion
from ..selectors import form_document, forms_current


@dataclass(frozen=True)
class FormLoadResult:
    form: Form
    version: FormVersion
    created: bool  # a new version was written (False: the same content is already current)

    def __str__(self):
        state = f"version {self.version.number} loaded" if self.created else f"unchanged (version {self.version.number} is current)"
        return f"form {self.form.code} ({self.form.short_code}, {self.form.phase}) of {self.form.election.code}: {state}"


def form_load(*, election: Election, document: dict) -> FormLoadResult:
    """Add `document` as the form's next version, or do nothing when it is the
    current version's content. Raises FormDocumentError for a document that
    does not check, or that contradicts the election's other forms (a short
    code taken, a second results protocol) or the form's fixed identity (its
    phase and short code never change; a changed one is a new form)."""
    parsed = form_document_parse(document)
    text = canonical_json(document)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        form = Form.objects.select_for_update().filter(election=election, code=parsed.code).first()
        _check_against_election(election=election, parsed=parsed, form=form)
        if form is None:
            form = Form.objects.create(election=election, code=parsed.code, short_code=parsed.short_code, phase=parsed.phase)
        current = form.versions.order_by("-number").first()
        if current is not None and current.document_sha256 == digest:
            return FormLoadResult(form=form, version=current, created=False)
        version = FormVersion.objects.create(
            form=form, number=(current.number + 1) if current else 1, document=document, document_sha256=digest
        )
    return FormLoadResult(form=form, version=version, created=True)


def _check_against_election(*, election: Election, parsed, form: Form | None) -> None:
    problems = []
    if form is not None:
        if form.phase != parsed.phase:
            problems.append(f"phase: form {form.code} is a {form.phase} form; its phase never changes (give a new code)")
        if form.short_code != parsed.short_code:
            problems.append(f"short_code: form {form.code} has short code {form.short_code}; it never changes (give a new code)")
    clash = Form.objects.filter(election=election, short_code=parsed.short_code).exclude(code=parsed.code).first()
    if clash is not None:
        problems.append(f"short_code: {parsed.short_code} is already the short code of form {clash.code}")
    if parsed.is_protocol:
        others = [v.form.code for v in forms_current(election=election) if v.form.code != parsed.code and form_document(v).is_protocol]
        if others:
            problems.append(f"parties: form {others[0]} already holds this election's results protocol")
    if problems:
        raise FormDocumentError(problems)
