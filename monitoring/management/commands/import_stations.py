from django.core.management.base import BaseCommand, CommandError

from monitoring.importing import COLUMNS, StationImportError, stations_import
from monitoring.models import Election


class Command(BaseCommand):
    help = (
        "Import or update an election's polling stations from a CSV file with columns "
        + ",".join(COLUMNS)
        + ". Atomic: any bad row aborts the whole import and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, header row required)")
        parser.add_argument("--election", required=True, help="election code, e.g. kz-majilis-2021")

    def handle(self, *args, file, election, **options):
        try:
            target = Election.objects.get(code=election)
        except Election.DoesNotExist:
            raise CommandError(f"unknown election {election!r}") from None
        try:
            with open(file, encoding="utf-8-sig", newline="") as fh:
                summary = stations_import(election=target, lines=fh)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was imported") from None
        except StationImportError as exc:
            raise CommandError(f"{file}, {exc}; nothing was imported") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.created} stations created, {summary.updated} updated, "
                f"{summary.districts_created} districts created for {target.code}"
            )
        )
