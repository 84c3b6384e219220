from django.core.management.base import BaseCommand, CommandError

from monitoring.models import Election, ObserverOrganization
from roster.importing import roster_import
from roster.rows import COLUMNS, RosterFileError


class Command(BaseCommand):
    help = (
        "Import or update an organization's observers and their deployment plan from a CSV file with columns "
        + ",".join(COLUMNS)
        + ". Atomic: any bad row refuses the whole file (every problem is listed) and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, header row required)")
        parser.add_argument("--organization", required=True, help="the organization's name")
        parser.add_argument("--election", help="election code of the stations in the file (needed when the file plans stations)")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--deactivate-missing", action="store_true", help="deactivate (never delete) observers absent from the file")

    def handle(self, *args, file, organization, election=None, dry_run=False, deactivate_missing=False, **options):
        try:
            target = ObserverOrganization.objects.get(name=organization)
        except ObserverOrganization.DoesNotExist:
            raise CommandError(f"unknown organization {organization!r}") from None
        chosen = None
        if election:
            chosen = Election.objects.filter(code=election).first()
            if chosen is None:
                raise CommandError(f"unknown election {election!r}")
        try:
            with open(file, encoding="utf-8-sig", newline="") as fh:
                summary = roster_import(
                    organization=target, election=chosen, lines=fh, deactivate_missing=deactivate_missing, dry_run=dry_run
                )
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was imported") from None
        except RosterFileError as exc:
            listing = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"{file} refused, nothing was imported:\n{listing}") from None
        self.stdout.write(self.style.SUCCESS(f"{target.name}: {summary}"))
