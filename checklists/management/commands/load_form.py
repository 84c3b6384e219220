import json

from django.core.management.base import BaseCommand, CommandError

from checklists.formdoc import FormDocumentError
from checklists.services.forms import form_load
from monitoring.models import Election


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


class Command(BaseCommand):
    help = (
        "Load a form (a JSON document: docs/checklists.md) for an election. A document that differs from the form's "
        "current version becomes its next version; the same content changes nothing. Versions are never changed, so "
        "answers filed under an older version keep their meaning. A document with problems is refused, every problem listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the form's JSON document (UTF-8)")
        parser.add_argument("--election", required=True, help="election code")

    def handle(self, *args, file, election, **options):
        target = Election.objects.filter(code=election).first()
        if target is None:
            raise CommandError(f"unknown election {election!r}")
        try:
            with open(file, encoding="utf-8-sig") as handle:
                document = json.load(handle, parse_constant=_refuse_constant)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was loaded") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}; nothing was loaded") from None
        except ValueError as exc:
            raise CommandError(f"{file} is not JSON: {exc}; nothing was loaded") from None
        try:
            result = form_load(election=target, document=document)
        except FormDocumentError as exc:
            listing = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"{file} refused, nothing was loaded:\n{listing}") from None
        self.stdout.write(self.style.SUCCESS(str(result)))
