from django.core.management.base import BaseCommand, CommandError

from checklists.models import Sample
from checklists.sampling import SampleError
from checklists.services.samples import sample_draw, sample_import
from monitoring.models import Election


class Command(BaseCommand):
    help = (
        "Store the election's quick-count sample of polling stations: drawn with a seed (the same seed and registry give "
        "the same stations: each station's lot is SHA-256 of '<seed>:<code>', the lowest lots of each stratum are taken, "
        "strata allocated in proportion to their stations), or imported with --from FILE (a CSV with a 'station' column). "
        "An existing sample with other stations is kept unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("--election", required=True, help="election code")
        parser.add_argument("--size", type=int, help="stations to draw")
        parser.add_argument("--seed", type=int, help="the draw's seed (an integer; publish it with the sample)")
        parser.add_argument("--stratify", choices=["region"], help="draw within each region, in proportion to its stations")
        parser.add_argument("--from", dest="source", metavar="FILE", help="import the sample's stations from a CSV file instead")
        parser.add_argument("--replace", action="store_true", help="replace an existing sample of the election")

    def handle(self, *args, election, size=None, seed=None, stratify=None, source=None, replace=False, **options):
        target = Election.objects.filter(code=election).first()
        if target is None:
            raise CommandError(f"unknown election {election!r}")
        stratification = Sample.Stratification.REGION if stratify == "region" else Sample.Stratification.NONE
        try:
            if source:
                if size is not None or seed is not None:
                    raise CommandError("--from imports a sample: --size and --seed do not apply")
                result = self._import(target, source, stratification, replace)
            else:
                if size is None or seed is None:
                    raise CommandError("drawing a sample needs --size and --seed (or --from FILE)")
                result = sample_draw(election=target, size=size, seed=seed, stratify=stratification, replace=replace)
        except SampleError as exc:
            listing = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"no sample stored:\n{listing}") from None
        self.stdout.write(self.style.SUCCESS(str(result)))

    def _import(self, election, source, stratification, replace):
        try:
            with open(source, encoding="utf-8-sig", newline="") as handle:
                return sample_import(election=election, lines=handle, stratify=stratification, replace=replace)
        except FileNotFoundError:
            raise CommandError(f"no such file: {source}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{source} is not UTF-8 text ({exc.reason} at byte {exc.start}); nothing was stored") from None
