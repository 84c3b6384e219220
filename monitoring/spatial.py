"""In-process spatial index of an election's polling stations.

A k-d tree over unit-sphere vectors answers "nearest station" exactly (chord
length is monotonic in great-circle distance) in O(log n), so geotagging a
report costs the same at 100 stations as at 100,000. The index is built once per
process and per registry revision: any change to an election's stations gives
the election a new `registry_revision` (see monitoring.signals), and the next
lookup rebuilds.
"""

import math
import threading
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .geo import EARTH_RADIUS_M


@dataclass(frozen=True)
class NearbyStation:
    station_id: int
    code: str
    distance_m: float
    district_id: int | None = None


def unit_vectors(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    phi, lmb = np.radians(lats), np.radians(lons)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)))


# One point at a time, as the pipeline asks: plain floats, because numpy's
# per-call overhead on a one-element array costs more than the tree query.
def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    phi, lmb = math.radians(latitude), math.radians(longitude)
    cos_phi = math.cos(phi)
    return (cos_phi * math.cos(lmb), cos_phi * math.sin(lmb), math.sin(phi))


def chord_to_metres(chord: float) -> float:
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, chord / 2))


class StationIndex:
    def __init__(self, ids, codes, lats, lons, district_ids=None):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.codes = list(codes)
        # The registry's answer to "which district is this fix in": the nearest station's.
        self.district_ids = list(district_ids) if district_ids is not None else [None] * len(self.ids)
        self.tree = cKDTree(unit_vectors(np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))) if len(self.ids) else None

    def __len__(self):
        return len(self.ids)

    def nearest(self, latitude: float, longitude: float, k: int = 1) -> list[NearbyStation]:
        if self.tree is None or k < 1:
            return []
        k = min(k, len(self.ids))
        point = unit_vector(latitude, longitude)
        if k == 1:
            chord, p = self.tree.query(point)
            return [
                NearbyStation(
                    station_id=int(self.ids[p]), code=self.codes[p], distance_m=chord_to_metres(chord), district_id=self.district_ids[p]
                )
            ]
        chords, positions = self.tree.query(point, k=k)
        return [
            NearbyStation(station_id=int(self.ids[p]), code=self.codes[p], distance_m=chord_to_metres(c), district_id=self.district_ids[p])
            for p, c in zip(positions, chords, strict=True)
        ]


_cache: dict[int, tuple[object, StationIndex]] = {}
_lock = threading.Lock()


def station_index(election) -> StationIndex:
    """The index of `election`'s stations, rebuilt when its registry revision changed.

    `election` must be freshly loaded (its `registry_revision` is the cache key)."""
    from .models import PollingStation

    cached = _cache.get(election.pk)
    if cached and cached[0] == election.registry_revision:
        return cached[1]
    with _lock:
        cached = _cache.get(election.pk)
        if cached and cached[0] == election.registry_revision:
            return cached[1]
        rows = list(
            PollingStation.objects.filter(election_id=election.pk).values_list("id", "code", "latitude", "longitude", "district_id")
        )
        ids, codes, lats, lons, districts = zip(*rows, strict=True) if rows else ((), (), (), (), ())
        index = StationIndex(ids, codes, lats, lons, districts)
        _cache[election.pk] = (election.registry_revision, index)
        return index
