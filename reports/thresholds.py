"""The pipeline's thresholds, as one typed value: `settings.PIPELINE`, built
once from the environment by config/settings.py (which names each variable).
docs/flags.md explains every rule and its threshold.

Tests that need other values replace fields on a copy:
`settings.PIPELINE = dataclasses.replace(settings.PIPELINE, late_filing_hours=...)`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PipelineThresholds:
    # Validation: how far in the future an incident time may be (phone clocks drift).
    clock_skew_seconds: int
    # Rules: distances in metres, speeds in km/h, windows in minutes.
    off_site_meters: float
    low_gps_accuracy_meters: float
    late_filing_hours: float
    travel_max_kmh: float
    travel_min_meters: float
    duplicate_window_minutes: int
    duplicate_min_similarity: float
    hotspot_window_minutes: int
    hotspot_station_min_reports: int
    hotspot_district_min_reports: int
    photo_distance_meters: float
    photo_time_minutes: int
    # Longest list of related report ids a cross-report flag keeps (counts stay exact).
    related_reports_max: int
    # Reliability: when the sweeper calls a report stuck, how often a report is
    # tried before it is marked failed, the longest retry countdown.
    sweep_after_seconds: int
    max_attempts: int
    retry_backoff_max: int
    # How long a cluster's flag refresh waits for more arrivals before it runs.
    cluster_refresh_debounce_seconds: float = 1.0

    @property
    def neighbourhood_seconds(self) -> float:
        """How far apart in time two reports can be and still share a cross-report flag."""
        return 60 * max(self.hotspot_window_minutes, self.duplicate_window_minutes)
