"""The results export's columns (`/exports/results.csv`, format
`election-results-csv/2`): one row per counting protocol filed, defined once
here. The export, its verifier and `tools/quick_count.py` follow this table
(a test keeps the tool in step); docs/quick-count.md is its data dictionary.

The file has the reports export's layout (docs/export.md): a header, one
record per protocol, then `#manifest` records; cells that could start a
spreadsheet formula carry one leading `'`.

Columns: the protocol's identity and place, the quick-count sample's facts
about its station, the protocol's figures, one `votes_<party>` column per
party of the election in ballot order, then the integrity columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# /2: the `source` column (the door the protocol came in by: api, web, sms),
# after `received_at_utc`.
FORMAT = "election-results-csv/2"
VOTES_PREFIX = "votes_"


@dataclass(frozen=True)
class ResultsColumn:
    name: str
    meaning: str


IDENTITY = (
    ResultsColumn("submission_id", "the counting protocol's id on the platform"),
    ResultsColumn("election", "election code"),
    ResultsColumn("organization", "the observer organization that filed it"),
    ResultsColumn("observer_code", "the observer's pseudonymous public code"),
    ResultsColumn("form", "code of the form filed (the results protocol)"),
    ResultsColumn("form_version", "the form version the answers were filed under"),
    ResultsColumn("station_code", "the polling station"),
    ResultsColumn("region", "the station's region code"),
    ResultsColumn("district", "the station's district code"),
    ResultsColumn("received_at_utc", "when the platform received it (UTC)"),
    ResultsColumn("source", "the door it came in by: `api`, `web` or `sms` (empty: received before doors were recorded)"),
)

SAMPLE = (
    ResultsColumn("sampled", "1 if the station is in the election's quick-count sample, else 0"),
    ResultsColumn("stratum", "the station's stratum in the sample (a region code, or `all`); empty if not sampled"),
    ResultsColumn("stratum_stations", "N_h: polling stations in that stratum when the sample was drawn"),
    ResultsColumn("stratum_sample", "n_h: stations of that stratum in the sample"),
    ResultsColumn("counted", "1 if the quick count uses this protocol for its station (at most one per station), else 0"),
)

# The protocol's figures, named as the counting form's `figure` tags (checklists.formdoc.FIGURES).
FIGURES = (
    ResultsColumn("registered_voters", "voters on the station's list"),
    ResultsColumn("ballots_received", "ballots the station received"),
    ResultsColumn("ballots_issued", "ballots issued to voters"),
    ResultsColumn("ballots_spoiled", "ballots spoiled"),
    ResultsColumn("ballots_unused", "ballots unused (cancelled)"),
    ResultsColumn("ballots_cast", "ballots found in the ballot boxes"),
    ResultsColumn("ballots_invalid", "invalid ballots"),
)

INTEGRITY = (
    ResultsColumn("flags", "irregularity flags the pipeline raised, `;`-separated"),
    ResultsColumn("content_sha256", "SHA-256 of the submitted content, fixed at intake"),
    ResultsColumn("chain_seq", "position in its chain (the organization's checklists of the election)"),
    ResultsColumn("chain_sha256", "the chain link of this submission"),
    ResultsColumn("row_number", "position of the row in this file, from 1"),
    ResultsColumn("row_sha256", "SHA-256 of this row"),
)


def votes_column(party: str) -> str:
    return VOTES_PREFIX + party


def results_columns(parties: Sequence[str]) -> tuple[ResultsColumn, ...]:
    """Every column, in order, for an election whose parties are `parties` (ballot order)."""
    votes = tuple(ResultsColumn(votes_column(p), f"votes for party `{p}`") for p in parties)
    return IDENTITY + SAMPLE + FIGURES + votes + INTEGRITY


def results_header(parties: Sequence[str]) -> list[str]:
    return [c.name for c in results_columns(parties)]


# What the quick count reads from a row (tools/quick_count.py reads exactly these).
QUICK_COUNT_COLUMNS = (
    "station_code",
    "region",
    "sampled",
    "stratum",
    "stratum_stations",
    "stratum_sample",
    "counted",
    "registered_voters",
    "ballots_cast",
)
