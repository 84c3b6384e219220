"""Reference rows that every submission names and that hardly ever change
(elections, incident categories), kept in each process for a few seconds so
intake does not ask the database for them on every request.

A hit can be up to TTL_SECONDS old in another process (a write through this
process forgets its entry at once: `monitoring.signals`, `reports.signals`).
Only what stays safe a few seconds old is cached: an election's code (intake
reads its status again with the station, and the pipeline once more:
docs/performance.md, "Intake"), an active category's row. Misses (unknown
codes) are never kept. Accreditations are never cached: a revocation takes
effect at once.

The values are shared by the process's threads: read them, never change them.
"""

import time
from collections.abc import Callable, Hashable

TTL_SECONDS = 5.0

_every: list["ShortLived"] = []


class ShortLived:
    """`load(key)` remembered for TTL_SECONDS when it is not None."""

    def __init__(self, load: Callable[[Hashable], object], ttl: float = TTL_SECONDS):
        self._load = load
        self._ttl = ttl
        self._entries: dict = {}
        _every.append(self)

    def get(self, key: Hashable):
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = self._load(key)
        if value is None:
            self._entries.pop(key, None)
        else:
            self._entries[key] = (now + self._ttl, value)
        return value

    def forget(self) -> None:
        self._entries.clear()


def forget_all() -> None:
    """Empty every short-lived cache of this process (tests; after a bulk write)."""
    for cache in _every:
        cache.forget()
