from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monitoring.models import Observer, ObserverOrganization
from roster.badges import badge_sheet
from roster.credentials import credentials_issue


class Command(BaseCommand):
    help = (
        "Issue single-use activation codes to an organization's active observers (each voids the observer's earlier code) "
        "and write the printable badge sheet (HTML) and, beside it, the same codes as CSV for an SMS or e-mail merge. "
        "Coordinators and auditors are left out: they log in with passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="the organization's name")
        parser.add_argument("--observers", help="comma-separated observer ids or public codes (default: every active observer)")
        parser.add_argument(
            "--valid-hours",
            type=float,
            help=f"hours a code stays valid (default ACTIVATION_CODE_TTL_HOURS={settings.ACTIVATION_CODE_TTL_HOURS})",
        )
        parser.add_argument("--output", required=True, help="badge sheet file (.html); the CSV is written beside it with .csv")
        parser.add_argument("--base-url", help="the site's address for the QR codes (default https://<first ALLOWED_HOSTS entry>)")

    def _observers(self, organization, wanted: str | None) -> list[Observer]:
        qs = Observer.objects.filter(organization=organization).select_related("user", "organization")
        if not wanted:
            return list(qs.filter(role=Observer.Role.OBSERVER, user__is_active=True, roster_entry__isnull=False).order_by("pk"))
        keys = [k.strip() for k in wanted.split(",") if k.strip()]
        ids = [int(k) for k in keys if k.isdigit()]
        codes = [k.upper() for k in keys if not k.isdigit()]
        found = list(qs.filter(pk__in=ids)) + list(qs.filter(public_code__in=codes))
        known = {str(o.pk) for o in found} | {o.public_code for o in found}
        unknown = [k for k in keys if k not in known and k.upper() not in known]
        if unknown:
            raise CommandError(f"not observers of {organization.name}: {', '.join(unknown)}")
        return found

    def handle(self, *args, organization, observers=None, valid_hours=None, output, base_url=None, **options):
        target = ObserverOrganization.objects.filter(name=organization).first()
        if target is None:
            raise CommandError(f"unknown organization {organization!r}")
        if base_url is None:
            hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
            if not hosts:
                raise CommandError("give --base-url (ALLOWED_HOSTS names no single host)")
            base_url = f"https://{hosts[0]}"
        chosen = self._observers(target, observers)
        try:
            issued = credentials_issue(observers=chosen, valid_hours=valid_hours)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        sheet, codes_csv = badge_sheet(issued=issued, base_url=base_url)
        html_path = Path(output)
        csv_path = html_path.with_suffix(".csv")
        html_path.write_text(sheet, encoding="utf-8")
        csv_path.write_text("\ufeff" + codes_csv, encoding="utf-8")
        skipped = len(chosen) - len(issued)
        note = f" ({skipped} left out: not active observers)" if skipped else ""
        self.stdout.write(self.style.SUCCESS(f"{len(issued)} activation codes issued{note}: {html_path}, {csv_path}"))
        if issued:
            self.stdout.write("The files hold live codes: print, hand over, then delete them.")
