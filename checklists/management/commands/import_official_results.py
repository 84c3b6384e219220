from django.core.management.base import BaseCommand, CommandError

from checklists.official_rows import COLUMNS, OfficialResultsError
from checklists.services.official import official_results_import
from monitoring.models import Election


class Command(BaseCommand):
    help = (
        "Import the commission's official results of an election from a CSV file with columns "
        + ",".join(COLUMNS)
        + " (one row per area and party; region 'national' for the country; registered_voters and ballots_cast repeated on "
        "each row of an area). Replaces the election's official results; any bad row refuses the whole file "
        "(every problem listed as 'line N: column: why') and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, header row required)")
        parser.add_argument("--election", required=True, help="election code")

    def handle(self, *args, file, election, **options):
        target = Election.objects.filter(code=election).first()
        if target is None:
            raise CommandError(f"unknown election {election!r}")
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                summary = official_results_import(election=target, lines=handle)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was imported") from None
        except OfficialResultsError as exc:
            listing = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"{file} refused, nothing was imported:\n{listing}") from None
        self.stdout.write(self.style.SUCCESS(str(summary)))
