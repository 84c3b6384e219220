import itertools

from django.core.management.base import BaseCommand, CommandError

from reports.models import ExportRecord, IncidentReport
from tools import verify_export as verifier


class Command(BaseCommand):
    help = (
        "Verify an exported reports CSV: OK, or the first row that was altered, removed, reordered or added. "
        "Runs the same checks as the stand-alone tools/verify_export.py, then compares the file with this "
        "platform's records (the export's recorded rows hash and every report's content and chain hashes), "
        "which also catches a forger who recomputed every hash. --offline skips the comparison."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--offline", action="store_true", help="only the file's own checks (as tools/verify_export.py)")
        parser.add_argument("--expect-rows-sha256", help="a trusted rows_sha256 to compare with")

    def handle(self, *args, file, offline=False, expect_rows_sha256=None, **options):
        try:
            result = verifier.verify(file, expected_rows_sha256=expect_rows_sha256)
        except (OSError, verifier.NotAnExport) as exc:
            raise CommandError(f"ERROR: {exc}", returncode=2) from exc
        if not result.ok:
            raise CommandError(result.summary(), returncode=1)
        if not offline:
            problem = _compare_with_platform(file, result)
            if problem is not None:
                raise CommandError(f"FAILED: {problem}", returncode=1)
            result.notes.append("matches the export recorded by the platform")
        self.stdout.write(result.summary())


def _compare_with_platform(path, result) -> str | None:
    export_id = result.manifest.get("export_id", "")
    record = ExportRecord.objects.filter(pk=int(export_id)).first() if export_id.isdigit() else None
    if record is None:
        return f"the platform has no record of export {export_id!r}"
    if record.finished_at is None:
        return f"export {record.pk} never finished on the platform, yet the file has a manifest"
    if record.rows_sha256 == result.manifest.get("rows_sha256") and record.row_count == result.rows:
        return None
    # The file is self-consistent but differs from what was served: every hash was
    # recomputed. Find the first row whose evidence differs from the database.
    records = (r for r in verifier._records(path) if r[1] and r[1][0] != verifier.MANIFEST_MARK)
    header = next(records)[1]
    index = {name: i for i, name in enumerate(header)}
    position = 0
    while batch := list(itertools.islice(records, 2000)):
        ids = [verifier.restore(cells[index["report_id"]]) for _line, cells in batch]
        known = {
            str(pk): (content, "" if seq is None else str(seq), chain)
            for pk, content, seq, chain in IncidentReport.objects.filter(pk__in=[i for i in ids if _is_uuid(i)]).values_list(
                "pk", "content_sha256", "chain_seq", "chain_sha256"
            )
        }
        for (line, cells), report_id in zip(batch, ids, strict=True):
            position += 1
            row = [verifier.restore(cells[index[name]]) for name in ("content_sha256", "chain_seq", "chain_sha256")]
            if report_id not in known:
                return f"row {position} (line {line}, report {report_id}) was added: no such report on the platform"
            if tuple(row) != known[report_id]:
                return f"row {position} (line {line}, report {report_id}) was altered: its hashes differ from the platform's evidence"
    return (
        f"the file does not match export {record.pk} as recorded (rows_sha256 {record.rows_sha256}, {record.row_count} rows): "
        "its hashes were recomputed after a change outside the submitted content"
    )


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
