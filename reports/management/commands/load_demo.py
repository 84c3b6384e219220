from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from monitoring.demo import load_demo_monitoring
from reports.demo import generate_reports
from reports.models import IncidentCategory
from reports.taxonomy import taxonomy_sync
from roster.demo import DEMO_ORGANIZATION, DEMO_ROSTER, load_demo_roster


class Command(BaseCommand):
    help = (
        "Load the Kazakhstan 2021 Majilis demo election: regions, real settlements as polling stations, "
        "the incident taxonomy, organizations in every accreditation state and demo users. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo user (default: random, printed for new users)")
        parser.add_argument("--reports", type=int, default=0, help="also file N plausible reports through the intake service")

    def handle(self, *args, password=None, reports=0, **options):
        if reports < 0:
            raise CommandError("--reports must be 0 or more")
        taxonomy_sync(IncidentCategory)
        election, logins = load_demo_monitoring(password=password)
        stations = election.stations.count()
        self.stdout.write(self.style.SUCCESS(f"Election {election.code}: {stations} polling stations in 17 regions."))
        roster = load_demo_roster(election=election)
        self.stdout.write(f"Roster of {DEMO_ORGANIZATION} ({DEMO_ROSTER.name}): {roster}.")
        # Apps built on reports (checklists) load their demo through the app
        # registry: reports never imports them.
        for config in apps.get_app_configs():
            if hasattr(config, "demo_load"):
                self.stdout.write(config.demo_load(election=election))
        if reports:
            created, existing = generate_reports(election=election, count=reports)
            self.stdout.write(f"Reports: {created} filed, {existing} already present.")
        self.stdout.write("\nDemo logins:")
        for login in logins:
            secret = login.password if login.password else "(unchanged from an earlier run; use --password to reset)"
            self.stdout.write(f"  {login.username:<28} {login.role:<12} {secret}")
