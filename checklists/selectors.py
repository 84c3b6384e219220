"""Reads of forms, the sample and the official results that several callers share."""

from __future__ import annotations

from typing import NamedTuple

from monitoring.models import Election
from reports.models import ReportState
from reports.selectors import checklists_visible_to

from .answers import protocol_figures
from .estimator import NATIONAL, OfficialFigures, QuickCount, StationFigures, quick_count
from .formdoc import VOTES, FormDocument, Party, form_document_parse
from .models import FiledAnswers, FormVersion, OfficialResult, Phase, Sample, SampleStation

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


class CountedProtocol(NamedTuple):
    submission_id: object
    figures: dict


def counted_protocols(*, user, election: Election) -> dict[int, CountedProtocol]:
    """The protocol the quick count uses for each sampled station, by station
    id, with its figures (`answers.protocol_figures`): of the protocols the
    user may see (their organization's), accepted by the pipeline, the last
    one received. Plain values: the page reads one per sampled station."""
    versions = {v.pk: v for v in FormVersion.objects.filter(form__election=election)}
    documents = {pk: form_document(v) for pk, v in versions.items()}
    protocol_versions = [pk for pk, document in documents.items() if document.is_protocol]
    sampled = SampleStation.objects.filter(sample__election=election).values("station_id")
    visible = checklists_visible_to(user).filter(election=election, state=ReportState.ACCEPTED, station_id__in=sampled)
    rows = (
        FiledAnswers.objects.filter(submission__in=visible, form_version_id__in=protocol_versions)
        .order_by("submission__received_at", "submission_id")
        .values_list("submission__station_id", "submission_id", "form_version_id", "answers")
    )
    return {
        station_id: CountedProtocol(submission_id, protocol_figures(documents[version_id], answers))
        for station_id, submission_id, version_id, answers in rows
    }


def quick_count_of(*, user, election: Election) -> QuickCount | None:
    """The quick count from the protocols the user may see at the sampled
    stations, national and by region, against the official figures; None
    without a sample."""
    sample = sample_of(election=election)
    if sample is None:
        return None
    parties = [p.code for p in election_parties(election=election)]
    counted = counted_protocols(user=user, election=election)
    sample_stations = SampleStation.objects.filter(sample=sample).values_list(
        "station_id", "station__code", "stratum__code", "station__district__region__code"
    )
    stations = []
    regions = set()
    for station_id, station_code, stratum_code, region_code in sample_stations:
        regions.add(region_code)
        protocol = counted.get(station_id)
        if protocol is None:
            continue
        figures = protocol.figures
        if figures.get("registered_voters") is None or figures.get("ballots_cast") is None:
            continue
        stations.append(
            StationFigures(
                station=station_code,
                stratum=stratum_code,
                region=region_code,
                registered_voters=figures["registered_voters"],
                ballots_cast=figures["ballots_cast"],
                votes={p: figures.get(f"{VOTES}:{p}", 0) for p in parties},
            )
        )
    official = official_figures(election=election)
    return quick_count(
        stations=stations,
        strata={s.code: s.population for s in sample.strata.all()},
        parties=parties,
        sample_size=sample.size,
        official=official,
        regions=sorted((regions | set(official)) - {NATIONAL}),
    )
