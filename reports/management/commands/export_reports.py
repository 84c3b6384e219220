import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from reports.filters import URL_PARAMETERS, FilterError, parse_report_filters
from reports.models import ExportRecord
from reports.services.exports import DEFAULT_CHUNK_SIZE, export_queryset, reports_export


class Command(BaseCommand):
    help = (
        "Stream the verifiable CSV export of reports to a file or stdout, with the same filters as "
        "/exports/reports.csv (docs/export.md). Without --user it exports every organization's reports."
    )

    def add_arguments(self, parser):
        filters = parser.add_argument_group("filters (as in the download URL)")
        for name in URL_PARAMETERS:
            if name == "q":
                filters.add_argument("--search", dest="q", help="search text, as in the triage queue")
            else:
                filters.add_argument(f"--{name.replace('_', '-')}", dest=name)
        parser.add_argument("--output", help="file to write (default: stdout)")
        parser.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM for spreadsheet programs")
        parser.add_argument("--user", help="export as this user (their scope, and recorded as the requester)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="rows fetched per round trip")

    def handle(self, *args, output=None, bom=False, user=None, no_progress=False, chunk_size=DEFAULT_CHUNK_SIZE, **options):
        try:
            filters = parse_report_filters({name: options.get(name) or "" for name in URL_PARAMETERS})
        except FilterError as exc:
            raise CommandError(str(exc)) from exc
        requester = None
        if user:
            requester = get_user_model().objects.filter(username=user).first()
            if requester is None:
                raise CommandError(f"unknown user {user!r}")

        bar = None
        if not no_progress:
            stream_total = export_queryset(user=requester, filters=filters, now=timezone.now()).count()
            bar = tqdm(total=stream_total, unit=" rows", unit_scale=True, file=sys.stderr, desc="export", dynamic_ncols=True)
        try:
            stream = reports_export(
                user=requester,
                filters=filters,
                source=ExportRecord.Source.COMMAND,
                bom=bom,
                chunk_size=chunk_size,
                progress=bar.update if bar else None,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc

        target = open(output, "wb") if output else sys.stdout.buffer  # noqa: SIM115
        try:
            for chunk in stream:
                target.write(chunk)
            target.flush()
        finally:
            if output:
                target.close()
            if bar is not None:
                bar.close()
        record = stream.record
        self.stderr.write(
            f"export {record.pk}: {record.row_count} rows, manifest_sha256 {record.manifest_sha256}, rows_sha256 {record.rows_sha256}"
            + (f" → {output}" if output else "")
        )
