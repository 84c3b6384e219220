import itertools
import json
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from monitoring.localtime import format_utc
from reports import integrity, signing
from reports.models import ExportRecord, Submission
from reports.permissions import user_public_label
from tools import verify_export as verifier

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Verify an exported reports, results or checklists CSV: OK, or the first row that was altered, removed, reordered or added. "
        "Runs the same checks as the stand-alone tools/verify_export.py, then compares the file with this "
        "platform's records: every report's content and chain hashes and its source (the door it came in by), "
        "every row's chain link recomputed from the platform's previous link (also where that report is not in the file), and the export's recorded "
        "manifest: filters, scope, requester, time, rows hash. That also catches a forger who recomputed every "
        "hash or relabelled the file, and a report rewritten in the database after it was received. "
        "--offline skips the comparison."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--offline", action="store_true", help="only the file's own checks (as tools/verify_export.py)")
        parser.add_argument("--expect-rows-sha256", help="a trusted rows_sha256 to compare with")
        parser.add_argument("--expect-manifest-sha256", help="a trusted manifest_sha256 to compare with")

    def handle(self, *args, file, offline=False, expect_rows_sha256=None, expect_manifest_sha256=None, **options):
        # The platform's own key: a file re-signed with another is refused.
        key = None if offline else verifier.read_public_key(signing.public_key_pem())
        try:
            result = verifier.verify(
                file, expected_rows_sha256=expect_rows_sha256, expected_manifest_sha256=expect_manifest_sha256, public_key=key
            )
        except (OSError, verifier.NotAnExport) as exc:
            raise CommandError(f"ERROR: {exc}", returncode=2) from exc
        if not result.ok:
            raise CommandError(result.summary(), returncode=1)
        if not offline:
            problem = _compare_with_platform(file, result)
            if problem is not None:
                raise CommandError(f"FAILED: {problem}", returncode=1)
            result.notes.append(
                "matches the export recorded by the platform (filters, scope, requester and time match its record); "
                "every chain link checked against the platform"
            )
        self.stdout.write(result.summary())


def _compare_with_platform(path, result) -> str | None:
    export_id = result.manifest.get("export_id", "")
    record = ExportRecord.objects.filter(pk=int(export_id)).first() if export_id.isdigit() else None
    if record is None:
        return f"the platform has no record of export {export_id!r}"
    if record.finished_at is None:
        return f"export {record.pk} never finished on the platform, yet the file has a manifest"
    # Row by row, always: the recorded rows hash only says the file is what was
    # served, and what was served is only as good as the database behind it.
    problem = _compare_rows(path)
    if problem is not None:
        return problem
    if record.rows_sha256 != result.manifest.get("rows_sha256") or record.row_count != result.rows:
        return (
            f"the file does not match export {record.pk} as recorded (rows_sha256 {record.rows_sha256}, {record.row_count} rows): "
            "its hashes were recomputed after a change outside the submitted content"
        )
    return _compare_labels(record, result.manifest)


# What a relabelled file changes, and the record that says otherwise.
LABELS = ("generated_at", "generated_by", "scope", "filters")


def _recorded_labels(record: ExportRecord) -> dict[str, object]:
    """The labels as the record's own columns give them (an export recorded before
    records kept the manifest has only these)."""
    filters = {k: v for k, v in record.filters.items() if k not in ("scope", "bom", "format")}
    return {
        "generated_at": format_utc(record.started_at),
        "generated_by": user_public_label(record.requested_by) if record.requested_by_id else "manage.py export_reports",
        "scope": record.filters.get("scope", ""),
        "filters": filters,
    }


def _compare_labels(record: ExportRecord, manifest: dict) -> str | None:
    """The file's filters, scope, requester and time against the platform's
    record, then its whole manifest against the one recorded."""
    recorded = _recorded_labels(record)
    for key in LABELS:
        value = manifest.get(key, "")
        if key == "filters":
            value = json.loads(value or "{}")
        if value != recorded[key]:
            return (
                f"the file was relabelled: its {key} entry differs from export {record.pk} as recorded "
                f"(the file says {manifest.get(key)!r}; the platform recorded {_text(recorded[key])!r})"
            )
    if record.manifest_sha256 and record.manifest_sha256 != manifest.get("manifest_sha256"):
        entries = dict(record.manifest)
        changed = [key for key, text in manifest.items() if key in entries and entries[key] != text] or ["manifest_sha256"]
        return f"the file was relabelled: its {', '.join(changed)} entry differs from export {record.pk} as recorded"
    return None


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _compare_rows(path) -> str | None:
    """The first row whose evidence differs from the database, or whose chain
    link does not follow from the platform's previous link (genesis at position
    1) and the row's own receipt data and content hash."""
    records = (r for r in verifier._records(path) if r[1] and r[1][0] != verifier.MANIFEST_MARK)
    header = next(records)[1]
    index = {name: i for i, name in enumerate(header)}
    # Checklists and protocols are submissions too: their id column is `submission_id`.
    id_column = "report_id" if "report_id" in index else "submission_id"
    position = 0
    while batch := list(itertools.islice(records, BATCH)):
        rows = [{name: verifier.restore(cells[i]) for name, i in index.items()} for _line, cells in batch]
        ids = [row[id_column] for row in rows if _is_uuid(row[id_column])]
        known = {
            str(pk): (content, "" if seq is None else str(seq), chain, (election, organization, kind), received_at, source)
            for pk, content, seq, chain, election, organization, kind, received_at, source in Submission.objects.filter(
                pk__in=ids
            ).values_list(
                "pk", "content_sha256", "chain_seq", "chain_sha256", "election_id", "organization_id", "kind", "received_at", "source"
            )
        }
        previous = _previous_links(known.values())
        for (line, _cells), row in zip(batch, rows, strict=True):
            position += 1
            submission_id = row[id_column]
            where = f"row {position} (line {line}, {id_column.removesuffix('_id')} {submission_id})"
            if submission_id not in known:
                return f"{where} was added: no such {id_column.removesuffix('_id')} on the platform"
            content, seq, chain, key, received_at, source = known[submission_id]
            if (row["content_sha256"], row["chain_seq"], row["chain_sha256"]) != (content, seq, chain):
                return f"{where} was altered: its hashes differ from the platform's evidence"
            # The door is not in the content hash (docs/export.md): only the platform can vouch for it.
            if "source" in row and row["source"] != source:
                return f"{where} was altered: its source {row['source']!r} differs from the platform's ({source!r})"
            if seq == "":
                continue  # not in a chain (never the case for a received report)
            prior = integrity.GENESIS if seq == "1" else previous.get((key, int(seq) - 1))
            if prior is None:
                return f"{where}: the platform has no report at chain position {int(seq) - 1} of its chain before it"
            link = integrity.chain_link(
                previous=prior, seq=int(seq), report_id=submission_id, received_at_utc=format_utc(received_at), content_sha256=content
            )
            if link != chain:
                return (
                    f"{where} was altered: its chain link does not follow from the platform's previous link and its content hash "
                    "(the report was changed on the platform after it was received)"
                )
            if row["received_at_utc"] != format_utc(received_at):
                return f"{where} was altered: its receipt time differs from the platform's"
    return None


def _previous_links(reports) -> dict[tuple[tuple, int], str]:
    """(chain, position) → chain link of the submissions just before
    `reports` in their chains; a chain is (election id, organization id, kind)."""
    wanted: dict[tuple, set[int]] = {}
    for _content, seq, _chain, key, _received, _source in reports:
        if seq not in ("", "1"):
            wanted.setdefault(key, set()).add(int(seq) - 1)
    if not wanted:
        return {}
    condition = Q()
    for (election, organization, kind), positions in wanted.items():
        condition |= Q(election_id=election, organization_id=organization, kind=kind, chain_seq__in=sorted(positions))
    return {
        ((election, organization, kind), seq): chain
        for election, organization, kind, seq, chain in Submission.objects.filter(condition).values_list(
            "election_id", "organization_id", "kind", "chain_seq", "chain_sha256"
        )
    }


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
