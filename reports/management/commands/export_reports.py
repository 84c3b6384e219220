import sys

from django.core.management.base import BaseCommand, CommandError

from monitoring.models import Election
from reports import export
from reports.models import IncidentReport


class Command(BaseCommand):
    help = "Stream the CSV export of an election's reports (all organizations) to a file or stdout."

    def add_arguments(self, parser):
        parser.add_argument("--election", required=True, help="election code")
        parser.add_argument("--output", help="file to write (default: stdout)")
        parser.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM for spreadsheet programs")

    def handle(self, *args, election, output=None, bom=False, **options):
        if not Election.objects.filter(code=election).exists():
            raise CommandError(f"unknown election {election!r}")
        qs = IncidentReport.objects.filter(election__code=election)
        stream = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        try:
            for line in export.csv_lines(export.iterate(qs), bom=bom):
                stream.write(line)
        finally:
            if output:
                stream.close()
