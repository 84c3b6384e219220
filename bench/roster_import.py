"""Time the roster import of N rows (default 5,000) on the database of
DATABASE_URL (a scratch one: it loads the demo territory and writes people).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/roster_import.py --rows 5000

Prints the seconds of the first import (everything created), of the same file
again (everything unchanged) and of a dry run. docs/performance.md keeps the figures."""

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def roster_csv(rows: int, stations: list[str]) -> str:
    out = ["external_id,full_name,phone,email,language,role,stations,region,shift_start,shift_end"]
    for i in range(rows):
        primary, second = stations[i % len(stations)], stations[(i * 7 + 3) % len(stations)]
        plan = f"{primary} {second},,07:00 14:00,14:00 21:00" if primary != second else f"{primary},,07:00,21:00"
        out.append(f"X-{i:05d},Observer Number {i},+7701{i:07d},obs{i}@example.org,{('kk', 'ru', 'en')[i % 3]},observer,{plan}")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    from monitoring.demo import load_demo_monitoring
    from monitoring.models import ObserverOrganization, PollingStation
    from roster.importing import roster_import

    call_command("migrate", verbosity=0)
    election, _logins = load_demo_monitoring(password=None)
    organization, _ = ObserverOrganization.objects.get_or_create(name="Roster benchmark")
    text = roster_csv(args.rows, list(PollingStation.objects.filter(election=election).values_list("code", flat=True)))
    for label, options in (("first import", {}), ("same file again", {}), ("dry run", {"dry_run": True})):
        started = time.perf_counter()
        summary = roster_import(organization=organization, election=election, lines=io.StringIO(text), **options)
        print(f"{label:>16}: {time.perf_counter() - started:6.2f} s  ({summary})")


if __name__ == "__main__":
    main()
