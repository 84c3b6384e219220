from django.core.management.base import BaseCommand, CommandError

from checklists.demo import load_demo_checklists
from monitoring.demo import ELECTION_CODE
from monitoring.models import Election


class Command(BaseCommand):
    help = "Load the demo election's forms, official result and quick-count sample (after load_demo). Idempotent."

    def handle(self, *args, **options):
        election = Election.objects.filter(code=ELECTION_CODE).first()
        if election is None:
            raise CommandError(f"no election {ELECTION_CODE}: run load_demo first")
        self.stdout.write(load_demo_checklists(election=election))
