"""The SMS codes of an election's forms, from their documents (pure: no ORM)."""

from collections.abc import Iterable, Mapping

from checklists.formdoc import FormDocument

from .codes import FormCodes, QuestionCodes, Vocabulary, normalize


def form_codes(document: FormDocument) -> FormCodes:
    """A form's short codes: its own, its questions' (with their choices'), and
    for the results protocol its parties' (each standing for its votes question)."""
    questions = {
        normalize(q.short_code): QuestionCodes(code=q.code, type=q.type, choices={normalize(c.short_code): c.code for c in q.choices})
        for q in document.questions.values()
    }
    parties = {}
    if document.is_protocol:
        votes = document.party_votes
        parties = {normalize(p.short_code): votes[p.code] for p in document.parties}
    return FormCodes(code=document.code, short_code=normalize(document.short_code), questions=questions, parties=parties)


def vocabulary_of(*, categories: Mapping[str, str], documents: Iterable[FormDocument]) -> Vocabulary:
    """`categories`: short code -> category code (sms.models.CategoryShortCode)."""
    forms = {form.short_code: form for form in (form_codes(d) for d in documents)}
    return Vocabulary(categories={normalize(k): v for k, v in categories.items()}, forms=forms)
