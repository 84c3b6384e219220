"""export: rows/s of the real CSV export (neutralization, hashes, manifest)
against PostgreSQL COPY of the export's own rows, unformatted; peak RSS of the
exporting process at both sizes.

admin: server time of the triage changelist (default, and filtered by region
and flag) at the large size against the small one."""

from bench.services import Services, child, dataset, log


def run_export(services: Services, sizes: dict) -> dict:
    out = {"sizes": []}
    for rows in sizes["export_rows"]:
        env = dataset(services, rows)
        measured = child(env, "export", election=f"bench-{rows}", out_dir=str(services.work))
        log(f"export {rows:,}: {measured['rows_per_s']:,} rows/s, COPY {measured['copy_rows_per_s']:,} rows/s")
        out["sizes"].append(measured)
    small, large = out["sizes"][0], out["sizes"][-1]
    out.update(
        rows_per_s=large["rows_per_s"],
        copy_rows_per_s=large["copy_rows_per_s"],
        ratio=round(large["rows_per_s"] / large["copy_rows_per_s"], 3),
        peak_rss_mib_small=small["peak_rss_mib"],
        peak_rss_mib_large=large["peak_rss_mib"],
        peak_rss_growth_mib=round(large["peak_rss_mib"] - small["peak_rss_mib"], 1),
    )
    return out


def run_admin(services: Services, sizes: dict) -> dict:
    out = {"sizes": []}
    for rows in sizes["admin_rows"]:
        env = dataset(services, rows)
        services.collectstatic(env)
        measured = child(env, "admin", election=f"bench-{rows}")
        log(f"admin {rows:,}: default {measured['default_ms']} ms, filtered {measured['filtered_ms']} ms")
        out["sizes"].append(measured)
    small, large = out["sizes"][0], out["sizes"][-1]
    out.update(
        default_ms=large["default_ms"],
        filtered_ms=large["filtered_ms"],
        baseline_default_ms=small["default_ms"],
        baseline_filtered_ms=small["filtered_ms"],
        ratio=round(max(large["default_ms"] / small["default_ms"], large["filtered_ms"] / small["filtered_ms"]), 2),
    )
    return out
