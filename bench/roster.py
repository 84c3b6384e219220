"""roster: the roster import (`roster.importing.roster_import`, the service
behind `manage.py import_observers` and the admin's upload) of a generated
spreadsheet into the demo territory, at the large size (5,000 people, each
with one or two planned stations and shifts) against the same import at a
tenth of the size, on the same private PostgreSQL (bench/services.py).

Timed per size: the first import (everything created), the same file again
(everything unchanged) and a dry run. The ratio is the first import's time
per row at the large size over the small one's: 1 when the import is linear
in the file. The goal is absolute: 5,000 rows in under 30 s."""

from bench.services import Services, child, log


def roster_csv(rows: int, stations: list[str], *, phone_prefix: str = "+7701") -> str:
    """`rows` people of the roster's CSV format (README, "Roster import")."""
    out = ["external_id,full_name,phone,email,language,role,stations,region,shift_start,shift_end"]
    for i in range(rows):
        primary, second = stations[i % len(stations)], stations[(i * 7 + 3) % len(stations)]
        plan = f"{primary} {second},,07:00 14:00,14:00 21:00" if primary != second else f"{primary},,07:00,21:00"
        out.append(f"X-{i:05d},Observer Number {i},{phone_prefix}{i:07d},obs{i}@example.org,{('kk', 'ru', 'en')[i % 3]},observer,{plan}")
    return "\n".join(out) + "\n"


def run(services: Services, sizes: dict) -> dict:
    env = services.database("bench_roster")
    out = {"sizes": []}
    # Each size is its own organization with its own phone numbers (a phone
    # belongs to one organization's observer).
    for index, rows in enumerate(sizes["roster_rows"]):
        measured = child(env, "roster_import", rows=rows, phone_prefix=f"+770{1 + index}")
        log(f"roster {rows:,} rows: first {measured['first_s']} s, again {measured['again_s']} s, dry run {measured['dry_run_s']} s")
        out["sizes"].append(measured)
    small, large = out["sizes"][0], out["sizes"][-1]
    out.update(
        rows=large["rows"],
        first_import_s=large["first_s"],
        same_file_again_s=large["again_s"],
        dry_run_s=large["dry_run_s"],
        deployments=large["deployments"],
        baseline_rows=small["rows"],
        baseline_first_import_s=small["first_s"],
        ratio=round((large["first_s"] / large["rows"]) / (small["first_s"] / small["rows"]), 2),
    )
    return out
