"""Reads of forms, the sample and the official results that several callers share."""

from __future__ import annotations

from monitoring.models import Election

from .estimator import NATIONAL, OfficialFigures
from .formdoc import FormDocument, Party, form_document_parse
from .models import FormVersion, OfficialResult, Phase, Sample

PHASE_ORDER = {phase: i for i, phase in enumerate(Phase.values)}

# Parsed documents by content hash. Versions never change, so a parsed
# document stays right for as long as the process lives.
_PARSED: dict[str, FormDocument] = {}
_PARSED_MAX = 512


def form_document(version: FormVersion) -> FormDocument:
    parsed = _PARSED.get(version.document_sha256)
    if parsed is None:
        parsed = form_document_parse(version.document)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[version.document_sha256] = parsed
    return parsed


def forms_current(*, election: Election) -> list[FormVersion]:
    """The current (highest-numbered) version of each form of the election, in
    phase order (opening, voting, closing, counting), then by code."""
    latest: dict[int, FormVersion] = {}
    for version in FormVersion.objects.filter(form__election=election).select_related("form").order_by("form_id", "number"):
        latest[version.form_id] = version
    return sorted(latest.values(), key=lambda v: (PHASE_ORDER[v.form.phase], v.form.code))


def protocol_current(*, election: Election) -> FormVersion | None:
    """The current version of the election's results protocol (the form that declares the parties)."""
    return next((v for v in forms_current(election=election) if form_document(v).is_protocol), None)


def election_parties(*, election: Election) -> tuple[Party, ...]:
    """The parties of the election's results protocol, in ballot order; () before it is loaded."""
    protocol = protocol_current(election=election)
    return form_document(protocol).parties if protocol else ()


def sample_of(*, election: Election) -> Sample | None:
    return Sample.objects.filter(election=election).prefetch_related("strata").first()


def official_figures(*, election: Election) -> dict[str, OfficialFigures]:
    """The commission's figures by area: NATIONAL and region codes."""
    results = OfficialResult.objects.filter(election=election).select_related("region").prefetch_related("votes")
    return {
        (r.region.code if r.region_id else NATIONAL): OfficialFigures(
            registered_voters=r.registered_voters, ballots_cast=r.ballots_cast, votes={v.party: v.votes for v in r.votes.all()}
        )
        for r in results
    }
