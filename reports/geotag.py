"""Stage 2 of the pipeline: where was the report filed from?

Offline only: the station registry's spatial index and the GeoNames gazetteer
are in-process data; nothing here calls the network. Location source, in order:
the device's GPS fix; else GPS from a photo's EXIF; else the claimed station's
own coordinates (recorded as such, so rules know the location is not evidence).
"""

from dataclasses import dataclass

from monitoring.geo import haversine_m


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class GeotagResult:
    source: str  # reports.models.LocationSource value
    latitude: float
    longitude: float
    claimed_station_distance_m: float | None
    nearest_station_id: int | None
    nearest_station_code: str
    nearest_station_distance_m: float | None
    # The registry's district for the fix: the nearest station's.
    nearest_station_district_id: int | None
    settlement: str
    settlement_distance_m: float | None
    admin_area: str  # GeoNames "CC.admin1" of the settlement, e.g. "KZ.02"
    admin1: str


def locate(*, device: Point | None, photo: Point | None, station: Point) -> tuple[str, Point]:
    """The best location evidence available, and where it came from."""
    if device is not None:
        return "device_gps", device
    if photo is not None:
        return "photo_exif", photo
    return "station", station


def geotag(*, device: Point | None, photo: Point | None, station: Point, station_index, gazetteer) -> GeotagResult:
    """Resolve where a report was filed from. `station_index` is a
    monitoring.spatial.StationIndex (k-d tree: O(log n) per lookup, whatever the
    registry's size); `gazetteer` a monitoring.gazetteer.Gazetteer or None."""
    source, point = locate(device=device, photo=photo, station=station)
    claimed = None if source == "station" else haversine_m(point.latitude, point.longitude, station.latitude, station.longitude)
    nearest = station_index.nearest(point.latitude, point.longitude, k=1)
    found = gazetteer.nearest(point.latitude, point.longitude) if gazetteer is not None else None
    settlement, settlement_distance = found if found else (None, None)
    return GeotagResult(
        source=source,
        latitude=point.latitude,
        longitude=point.longitude,
        claimed_station_distance_m=None if claimed is None else round(claimed, 1),
        nearest_station_id=nearest[0].station_id if nearest else None,
        nearest_station_code=nearest[0].code if nearest else "",
        nearest_station_distance_m=round(nearest[0].distance_m, 1) if nearest else None,
        nearest_station_district_id=nearest[0].district_id if nearest else None,
        settlement=settlement.name if settlement else "",
        settlement_distance_m=None if settlement_distance is None else round(settlement_distance, 1),
        admin_area=f"{settlement.country}.{settlement.admin1}" if settlement else "",
        admin1=settlement.admin1 if settlement else "",
    )
