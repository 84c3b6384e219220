"""Build tests/data/labelled_reports.json: a labelled set of synthetic but
realistic election-day reports for measuring the irregularity rules.

    python -m tests.data.make_labelled_set        # rewrites the JSON (deterministic)

The world is real: every Kazakh settlement of GeoNames cities500 (the offline
gazetteer the pipeline uses) has a polling station at its coordinates, large
cities more on rings around the centre (like the demo registry), each in its
region's real IANA time zone (UTC+5 in the west, UTC+6 elsewhere in January
2021). Observers are deployed to stations or, as mobile teams, to districts.

Each report is written from a *story* (what really happened: the observer was
at the station or at home, the photo is old, two people share one login, three
observers saw the same ballot stuffing...) and labelled with the flags a careful
coordinator would expect from that story, not by running the rules. Labels for
the flags that are definitions rather than judgements (critical category, late
filing, no location, low accuracy, polling hours, deployment, hot spot) are
computed here by independent code from the story's ground truth. GPS fixes carry
realistic noise (Rayleigh-distributed error for the reported accuracy), so a
rule can disagree with its label; the test reports per-rule precision and recall.
"""

import datetime as dt
import json
import math
import random
import zoneinfo
from collections import defaultdict
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "labelled_reports.json"
SEED = 20210110
VOTING_DAY = dt.date(2021, 1, 10)
OPENS, CLOSES = dt.time(7, 0), dt.time(20, 0)
EARTH_M = 6_371_008.8

CATEGORIES = json.loads((Path(__file__).resolve().parents[2] / "reports" / "data" / "categories.json").read_text(encoding="utf-8"))
PHASE = {c["code"]: c["phase"] for c in CATEGORIES}
CRITICAL = {c["code"] for c in CATEGORIES if c["critical"]}

# What observers write, per category: several ways to say it, with a detail slot.
TEXTS = {
    "carousel_voting": [
        "The same {n} young men voted again, I recognised the red jacket.",
        "Group of {n} voters brought by minibus, came back a second time within the hour.",
        "Одни и те же {n} человек голосуют повторно, приехали на автобусе.",
    ],
    "group_voting": [
        "A family of {n} went into one booth together, the chair did nothing.",
        "Husband filled in the ballots for his wife and mother, {n} ballots in one booth.",
        "Отбасы {n} адам бір кабинаға бірге кірді.",
    ],
    "voting_without_id": [
        "{n} voters received ballots without showing any document.",
        "Member of commission gave a ballot to a woman without passport or ID card, case {n}.",
        "Выдали бюллетени {n} избирателям без удостоверения личности.",
    ],
    "campaigning_at_station": [
        "Party posters hang at the entrance, {n} of them, next to the voter list.",
        "A man hands out leaflets of one party inside the school yard, about {n} people took them.",
        "Учаске ішінде бір партияның {n} плакаты ілулі тұр.",
    ],
    "voter_list_problem": [
        "{n} residents of the building on Abai street are missing from the list.",
        "Voter list has {n} people who died last year, their relatives came to say so.",
        "В списке нет {n} жильцов из дома номер 14.",
    ],
    "unauthorized_persons": [
        "{n} men without badges give orders to the commission members.",
        "A local official stays in the voting room for hours, {n} times asked to leave.",
        "Посторонние {n} человек без бейджей находятся в помещении для голосования.",
    ],
    "video_camera_off": [
        "The CCTV camera above the ballot box has been dark for {n} minutes.",
        "Camera number 2 switched off at the counting table, {n} minutes now.",
        "Видеокамера не работает уже {n} минут.",
    ],
    "secrecy_violated": [
        "Booths stand facing the commission table, {n} voters were watched filling in.",
        "Voters are asked to show their ballot before the box, I saw {n} cases.",
    ],
    "intimidation": [
        "Teachers were told they will lose their bonus if they do not vote, {n} of them told me.",
        "Police officer stands at the booth and asks voters their choice, {n} voters.",
    ],
    "vote_buying": [
        "Food packages handed out outside the station, {n} bags seen.",
        "A woman pays {n}000 tenge near the entrance to voters leaving.",
    ],
    "observer_obstructed": [
        "The chair forbids me to stand closer than {n} metres to the ballot box.",
        "I was asked to leave the room for {n} minutes during voting.",
    ],
    "mobile_ballot_box_abuse": [
        "Mobile box left with {n} names more than the list of home voters.",
        "The mobile ballot box came back after {n} minutes with the seal broken.",
    ],
    "ballot_stuffing": [
        "A man put a stack of about {n} ballots into box 2.",
        "Commission member dropped a pack of {n} ballots into the ballot box.",
    ],
    "violence": [
        "Two men pushed an observer out of the room, {n} witnesses.",
        "A fight at the entrance between {n} supporters of different candidates.",
    ],
    "ballot_box_not_sealed": [
        "Box {n} was not sealed when the station opened.",
        "The seal on ballot box {n} is missing at opening.",
    ],
    "station_opened_late": ["Station opened {n} minutes late, voters waiting outside."],
    "count_not_transparent": [
        "Ballots were counted with our backs turned, {n} observers could not see.",
        "The count was done in another room, {n} of us were not allowed in.",
    ],
    "protocol_not_posted": ["Results protocol not posted {n} minutes after the count."],
    "protocol_inconsistent": ["Protocol numbers do not add up: {n} more ballots than signatures."],
    "administrative_pressure": ["Head of the akimat called school directors to a meeting, {n} attended."],
    "other": ["Heating is off, {n} degrees in the voting room.", "Ramp for wheelchairs missing, {n} elderly voters carried in."],
}
VOTING = [c for c in TEXTS if PHASE.get(c) == "voting" and c not in CRITICAL and c != "other"]
COUNTING = ["count_not_transparent", "protocol_not_posted"]

# Incidents several observers saw, each told in one language three ways.
SAME_INCIDENT = [
    (
        "ballot_stuffing",
        [
            "A man in a grey coat put a stack of ballots into ballot box 2.",
            "Man in grey coat put a stack of ballots into box 2!",
            "A man in a grey coat pushed a whole stack of ballots into ballot box number 2.",
        ],
    ),
    (
        "carousel_voting",
        [
            "Bus with about 20 people arrived, same people voted at station an hour ago.",
            "A bus with 20 people arrived, the same people already voted here an hour ago.",
            "About 20 people from a bus voted again, same people as an hour ago.",
        ],
    ),
    (
        "video_camera_off",
        [
            "Видеокамера над урной выключена с 11 часов.",
            "Видеокамера над урной выключена, с 11 часов не работает.",
            "С 11 часов видеокамера над урной выключена.",
        ],
    ),
    (
        "campaigning_at_station",
        [
            "Учаскеде партияның үгіт парақтары таратылып жатыр.",
            "Учаскеде партияның үгіт парақтарын таратып жатыр.",
            "Партияның үгіт парақтары учаскеде таратылып жатыр.",
        ],
    ),
    (
        "voting_without_id",
        [
            "Commission gives ballots to voters without ID, at least five cases at table 3.",
            "At table 3 the commission gives ballots without ID, five cases so far.",
            "Ballots given without ID at table 3, at least five cases.",
        ],
    ),
    (
        "unauthorized_persons",
        [
            "Посторонний мужчина в черной куртке командует членами комиссии.",
            "Мужчина в черной куртке, посторонний, командует членами комиссии.",
            "Посторонний в черной куртке командует комиссией.",
        ],
    ),
    (
        "group_voting",
        [
            "Whole family of five voting together in booth 4.",
            "Family of five voting together in one booth, booth 4.",
            "In booth 4 a family of five is voting together.",
        ],
    ),
    (
        "intimidation",
        [
            "Police officer stands next to the booths and looks at ballots.",
            "A police officer is standing next to the booths looking at the ballots.",
            "Police officer standing by the booths looks at voters' ballots.",
        ],
    ),
]

# code, region order, admin1 codes, IANA zone (as in monitoring.demo.REGIONS)
REGIONS = [
    ("nur-sultan", ["05"], "Asia/Almaty"),
    ("almaty", ["02"], "Asia/Almaty"),
    ("shymkent", ["1537272"], "Asia/Almaty"),
    ("akmola", ["03"], "Asia/Almaty"),
    ("almaty-region", ["01", "12510144"], "Asia/Almaty"),
    ("east-kazakhstan", ["15", "12510143"], "Asia/Almaty"),
    ("jambyl", ["17"], "Asia/Almaty"),
    ("karaganda", ["12", "12510145"], "Asia/Almaty"),
    ("north-kazakhstan", ["16"], "Asia/Almaty"),
    ("pavlodar", ["11"], "Asia/Almaty"),
    ("turkistan", ["10"], "Asia/Almaty"),
    ("kostanay", ["13"], "Asia/Qostanay"),
    ("aktobe", ["04"], "Asia/Aqtobe"),
    ("atyrau", ["06"], "Asia/Atyrau"),
    ("west-kazakhstan", ["07"], "Asia/Oral"),
    ("mangystau", ["09"], "Asia/Aqtau"),
    ("kyzylorda", ["14"], "Asia/Qyzylorda"),
]


# --- Geometry (independent of the code under test) ---


def destination(lat: float, lon: float, metres: float, bearing_deg: float) -> tuple[float, float]:
    """The point `metres` from (lat, lon) along `bearing_deg` on a sphere."""
    d, b = metres / EARTH_M, math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return round(math.degrees(p2), 6), round((math.degrees(l2) + 540) % 360 - 180, 6)


def distance(a, b) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(h))


class World:
    def __init__(self, rng: random.Random):
        from monitoring.gazetteer import load_settlements

        self.rng = rng
        admin1_region = {a: code for code, admin1, _ in REGIONS for a in admin1}
        self.zone = {code: zone for code, _, zone in REGIONS}
        order = {code: i + 1 for i, (code, _, _) in enumerate(REGIONS)}
        settlements = [s for s in load_settlements(["KZ"]) if s.admin1 in admin1_region]
        settlements.sort(key=lambda s: (order[admin1_region[s.admin1]], -s.population, s.geonameid))
        self.stations, self.by_settlement, counters = [], defaultdict(list), defaultdict(int)
        for s in settlements:
            region = admin1_region[s.admin1]
            for k in range(1 + min(7, s.population // 150_000)):
                counters[region] += 1
                lat, lon = (s.latitude, s.longitude)
                if k:
                    ring, slot = divmod(k - 1, 6)
                    lat, lon = destination(s.latitude, s.longitude, 1500.0 * (ring + 1), 60 * slot + 30 * ring)
                station = {
                    "code": f"{order[region]:02d}{counters[region]:03d}",
                    "settlement": s.name,
                    "district": f"gn-{s.geonameid}",
                    "region": region,
                    "latitude": lat,
                    "longitude": lon,
                }
                self.stations.append(station)
                self.by_settlement[s.name].append(station)
        self.station = {s["code"]: s for s in self.stations}
        self.settlements = {s.name: s for s in settlements}
        self.settlement_region = {s.name: admin1_region[s.admin1] for s in settlements}

    def at(self, settlement: str, k: int = 0) -> dict:
        return self.by_settlement[settlement][k]


# --- The story book ---


class Book:
    def __init__(self, world: World, rng: random.Random):
        self.w, self.rng = world, rng
        self.observers: dict[str, dict] = {}
        self.reports: list[dict] = []
        self.n = 0

    # people
    def observer(self, organization: str, station: str | None = None, district: str | None = None, *more_stations) -> str:
        key = f"obs-{len(self.observers) + 1:03d}"
        deployments = ([{"station": station}] if station else []) + [{"station": s} for s in more_stations]
        deployments += [{"district": district}] if district else []
        self.observers[key] = {"organization": organization, "deployments": deployments}
        return key

    def deployed(self, observer: str, station: str) -> bool:
        st = self.w.station[station]
        return any(d.get("station") == station or d.get("district") == st["district"] for d in self.observers[observer]["deployments"])

    # times and places
    def local(self, station: str, hour: int, minute: int, day: int = 10) -> dt.datetime:
        zone = zoneinfo.ZoneInfo(self.w.zone[self.w.station[station]["region"]])
        return dt.datetime(2021, 1, day, hour, minute, tzinfo=zone)

    def fix_at(self, point, accuracy: float) -> dict:
        """A browser fix of a true position. The W3C Geolocation API reports
        accuracy as a 95 % confidence radius: the error is Rayleigh-distributed
        with its 95th percentile at `accuracy` (sigma = accuracy / 2.448)."""
        sigma = accuracy / math.sqrt(-2 * math.log(0.05))
        error = self.rng.weibullvariate(sigma * math.sqrt(2), 2)
        lat, lon = destination(point[0], point[1], error, self.rng.uniform(0, 360))
        return {"latitude": lat, "longitude": lon, "accuracy_m": round(accuracy, 1)}

    def on_site(self, station: str) -> tuple[float, float]:
        """Somewhere in the school and its yard."""
        st = self.w.station[station]
        return destination(st["latitude"], st["longitude"], self.rng.uniform(0, 60), self.rng.uniform(0, 360))

    def in_town(self, station: str, near: float, far: float) -> tuple[float, float] | None:
        """A point `near`–`far` metres from the station that is still closer to
        the station's own settlement than to any other (elsewhere, in the same town)."""
        st = self.w.station[station]
        for _ in range(200):
            point = destination(st["latitude"], st["longitude"], self.rng.uniform(near, far), self.rng.uniform(0, 360))
            closest = min(self.w.settlements.values(), key=lambda s: distance((s.latitude, s.longitude), point))
            if closest.name == st["settlement"]:
                return point
        return None  # a village too close to its neighbours for that

    def text(self, category: str) -> str:
        return self.rng.choice(TEXTS[category]).format(n=self.rng.randint(2, 40))

    def photo(self, point, taken: dt.datetime, *, with_offset: bool = True, clock_zone: str | None = None) -> dict:
        """A camera photo: GPS where it was taken, wall-clock capture time in the
        camera's zone (`clock_zone`, default the moment's own), with or without
        OffsetTimeOriginal."""
        shown = taken.astimezone(zoneinfo.ZoneInfo(clock_zone)) if clock_zone else taken
        offset = shown.utcoffset()
        hours, minutes = divmod(int(offset.total_seconds()) // 60, 60)
        return {
            "latitude": point[0] if point else None,
            "longitude": point[1] if point else None,
            "taken_local": shown.replace(tzinfo=None).isoformat(),
            "offset": f"{'+' if hours >= 0 else '-'}{abs(hours):02d}:{minutes:02d}" if with_offset else None,
        }

    # a report
    def report(
        self,
        story: str,
        observer: str,
        station: str,
        occurred: dt.datetime,
        *,
        category: str | None = None,
        text: str | None = None,
        gps: dict | None = "on_site",
        photos=(),
        received_after=None,
        amends: str | None = None,
        elsewhere: bool = False,
        true_point=None,
        true_region: str | None = None,
        labels=(),
        written_offset: str | None = None,
    ) -> str:
        self.n += 1
        key = f"r{self.n:03d}"
        category = category or self.rng.choice(VOTING)
        if gps == "on_site":
            gps = self.fix_at(self.on_site(station), self.rng.choice([5, 8, 10, 12, 16, 20, 25, 30, 40, 50, 65]))
        received = occurred + (received_after if received_after is not None else dt.timedelta(minutes=self.rng.randint(1, 35)))
        written = occurred.astimezone(zoneinfo.ZoneInfo(written_offset)) if written_offset else occurred
        self.reports.append(
            {
                "key": key,
                "story": story,
                "observer": observer,
                "station": station,
                "category": category,
                "occurred_at": written.isoformat(),
                "received_at": received.astimezone(dt.UTC).isoformat(),
                "description": text if text is not None else self.text(category),
                "gps": gps,
                "photos": list(photos),
                "amends": amends,
                "_truth": {
                    "elsewhere": elsewhere,
                    "true_point": true_point,
                    "true_region": true_region or self.w.station[station]["region"],
                    "labels": list(labels),
                },
            }
        )
        return key


def stories(book: Book) -> None:  # noqa: C901 - one long, linear script of scenarios
    w, rng = book.w, book.rng
    big = ["Almaty", "Astana", "Shymkent", "Karagandy", "Aktobe", "Taraz", "Pavlodar", "Oral", "Semey", "Kostanay"]
    towns = ["Talghar", "Esik", "Kokshetau", "Ekibastuz", "Temirtau", "Zhezqazghan", "Turkistan", "Atyrau", "Aktau", "Kyzylorda"]
    towns += ["Petropavl", "Ust-Kamenogorsk", "Qulsary", "Khromtau", "Rudnyy", "Balqash", "Kentau", "Zhanaozen", "Kapshagay", "Stepnogorsk"]
    towns = [t for t in towns if t in w.by_settlement]

    # --- Observers ---
    home = {}
    for i, place in enumerate(big * 2 + towns):
        k = i // len(big) if place in big else 0
        station = w.at(place, k % len(w.by_settlement[place]))["code"]
        home[book.observer("civic" if i % 3 else "steppe", station)] = station
    observers = list(home)
    mobile_almaty = book.observer("civic", None, w.at("Almaty")["district"])
    mobile_astana = book.observer("steppe", None, w.at("Astana")["district"])
    late_org = [book.observer("late", w.at("Pavlodar")["code"]), book.observer("late", w.at("Ekibastuz")["code"])]

    used = defaultdict(list)  # (station, category) -> times: keep ordinary incidents apart

    def ordinary_time(station, category, lo=(7, 10), hi=(19, 50)):
        for _ in range(100):
            minutes = rng.randint(lo[0] * 60 + lo[1], hi[0] * 60 + hi[1])
            moment = book.local(station, minutes // 60, minutes % 60)
            if all(abs((moment - t).total_seconds()) > 45 * 60 for t in used[(station, category)]):
                used[(station, category)].append(moment)
                return moment
        raise RuntimeError("no free time")

    # --- A. Ordinary reports at the observer's own station ---
    for i in range(110):
        observer = observers[i % len(observers)]
        station = home[observer]
        roll = rng.random()
        category = (
            rng.choice(sorted(CRITICAL))
            if roll < 0.06
            else rng.choice(COUNTING)
            if roll < 0.14
            else rng.choice(["station_opened_late", "ballot_box_not_sealed"])
            if roll < 0.2
            else rng.choice(VOTING + ["other"])
        )
        phase = PHASE[category]
        window = {"counting": ((20, 20), (23, 30)), "opening": ((6, 20), (7, 20))}.get(phase, ((7, 5), (19, 55)))
        occurred = ordinary_time(station, category, *window)
        location = rng.random()
        gps, photos = "on_site", []
        if location < 0.08:  # indoors, the phone gave up; a photo carries GPS
            gps = None
            photos = [book.photo(book.on_site(station), occurred + dt.timedelta(minutes=rng.randint(-10, 25)))]
        elif location < 0.14:
            gps = None
        elif location < 0.35:
            photos = [
                book.photo(book.on_site(station), occurred + dt.timedelta(minutes=rng.randint(-15, 40)), with_offset=rng.random() < 0.6)
            ]
        delay = dt.timedelta(minutes=rng.randint(1, 30)) if rng.random() < 0.85 else dt.timedelta(hours=rng.uniform(1, 14))
        book.report(
            "ordinary: seen and filed at the observer's own station",
            observer,
            station,
            occurred,
            category=category,
            gps=gps,
            photos=photos,
            received_after=delay,
        )

    # --- B. Filed from somewhere else ---
    homes = ((o, book.in_town(home[o], 1500, 6000)) for o in observers[7::3])  # from home or a café, 1.5–6 km away
    for i, (observer, point) in enumerate([h for h in homes if h[1]][:10]):
        station = home[observer]
        occurred = ordinary_time(station, "voter_list_problem")
        photos = [book.photo(book.on_site(station), occurred)] if i % 3 == 0 else []  # photo from the station, filed later from home
        book.report(
            "elsewhere: filed from home after leaving the station",
            observer,
            station,
            occurred,
            category="voter_list_problem",
            gps=book.fix_at(point, rng.uniform(8, 40)),
            photos=photos,
            elsewhere=True,
            true_point=point,
            received_after=dt.timedelta(minutes=rng.randint(30, 120)),
        )
    observer = observers[3]  # across the street, poor fix: at the edge of what a fix can tell
    st = w.station[home[observer]]
    point = destination(st["latitude"], st["longitude"], 640, 80)
    book.report(
        "elsewhere: in the café across the road (640 m), fix accuracy 150 m",
        observer,
        home[observer],
        ordinary_time(home[observer], "unauthorized_persons"),
        category="unauthorized_persons",
        gps={**book.fix_at(point, 1), "accuracy_m": 150.0},
        elsewhere=True,
        true_point=point,
    )
    for claimed, actual in (
        [("Almaty", "Burunday"), ("Almaty", "Talghar"), ("Astana", "Koshi"), ("Shymkent", "Sayram"), ("Aktobe", "Algha")]
        + [("Karagandy", "Astana"), ("Oral", "Aktobe"), ("Pavlodar", "Ekibastuz"), ("Taraz", "Shymkent"), ("Semey", "Ust-Kamenogorsk")]
        + [("Kostanay", "Rudnyy"), ("Astana", "Temirtau"), ("Shymkent", "Kentau"), ("Almaty", "Esik")]
    ):
        observer = next(o for o in observers if w.station[home[o]]["settlement"] == claimed)
        station = home[observer]
        centre = w.settlements[actual]
        point = destination(centre.latitude, centre.longitude, rng.uniform(100, 1500), rng.uniform(0, 360))
        book.report(
            f"elsewhere: claims {claimed}, phone is in {actual}",
            observer,
            station,
            ordinary_time(station, "intimidation"),
            category="intimidation",
            gps=book.fix_at(point, rng.uniform(6, 30)),
            elsewhere=True,
            true_point=point,
            true_region=w.settlement_region[actual],
        )
    away = ((o, book.in_town(home[o], 2500, 8000)) for o in observers[2::5])  # no device fix; the photo's GPS is elsewhere
    for observer, point in [a for a in away if a[1]][:4]:
        station = home[observer]
        occurred = ordinary_time(station, "campaigning_at_station")
        book.report(
            "elsewhere: photo-only location, taken away from the station",
            observer,
            station,
            occurred,
            category="campaigning_at_station",
            gps=None,
            photos=[book.photo(point, occurred - dt.timedelta(minutes=rng.randint(0, 30)))],
            elsewhere=True,
            true_point=point,
        )

    # --- C. Poor fixes at the station ---
    for i in range(12):
        observer = observers[(i * 11 + 1) % len(observers)]
        station = home[observer]
        book.report(
            "poor fix: indoors, phone reports a wide accuracy",
            observer,
            station,
            ordinary_time(station, "video_camera_off"),
            category="video_camera_off",
            gps=book.fix_at(book.on_site(station), rng.uniform(300, 1500)),
        )

    # --- D. No location at all ---
    for i in range(8):
        observer = observers[(i * 13 + 4) % len(observers)]
        station = home[observer]
        book.report(
            "no location: GPS off, no photo",
            observer,
            station,
            ordinary_time(station, "secrecy_violated"),
            category="secrecy_violated",
            gps=None,
        )

    # --- E. Polling hours on the station's own clock ---
    west = [o for o in observers if w.station[home[o]]["region"] in ("aktobe", "west-kazakhstan", "atyrau", "mangystau", "kyzylorda")]
    for i, observer in enumerate(west[:4]):
        station = home[observer]
        # The phone is set to Almaty time (UTC+6): 07:20+06:00 is 06:20 at a UTC+5 station.
        moment = dt.datetime(2021, 1, 10, 7, 20 + i, tzinfo=zoneinfo.ZoneInfo("Asia/Almaty"))
        book.report(
            "polling hours: phone on Almaty time, polls not yet open in the west", observer, station, moment, category="group_voting"
        )
        moment = book.local(station, 7, 20 + i)
        book.report(
            "polling hours: same wall-clock time on the station's own clock, polls open",
            observer,
            station,
            moment,
            category="carousel_voting",
        )
    east = [o for o in observers if w.station[home[o]]["region"] in ("almaty", "nur-sultan")]
    for i, observer in enumerate(east[:4]):
        station = home[observer]
        hour, minute = [(6, 40), (6, 52), (20, 15), (20, 31)][i]
        book.report(
            "polling hours: voting incident before opening or after closing",
            observer,
            station,
            book.local(station, hour, minute),
            category="voting_without_id",
        )
        book.report(
            "polling hours: counting incident after closing is normal",
            observer,
            station,
            book.local(station, 21, 30 + i),
            category="count_not_transparent",
        )
    kostanay = next(o for o in observers if w.station[home[o]]["region"] == "kostanay")
    station = home[kostanay]
    book.report(
        "polling hours: Kostanay (UTC+6 in 2021), phone on UTC+5: 07:30+05:00 is 08:30 local",
        kostanay,
        station,
        book.local(station, 8, 30),
        category="group_voting",
        written_offset="Asia/Aqtobe",
    )
    book.report("polling hours: Kostanay, 06:50 local", kostanay, station, book.local(station, 6, 50), category="group_voting")

    # --- F. Deployment ---
    for i in range(8):  # reporting, on site, at a station one is not posted to
        observer = observers[(i * 3 + 1) % len(observers)]
        own = w.station[home[observer]]
        others = [s for s in w.stations if s["district"] != own["district"] and s["region"] == own["region"]] or [
            s for s in w.stations if s["district"] != own["district"]
        ]
        station = rng.choice(others)["code"]
        book.report(
            "not deployed: helps at a neighbouring station",
            observer,
            station,
            ordinary_time(station, "unauthorized_persons", (16, 0), (19, 40)),
            category="unauthorized_persons",
            received_after=dt.timedelta(minutes=rng.randint(2, 20)),
        )
    for team, city in ((mobile_almaty, "Almaty"), (mobile_astana, "Astana")):
        for k, (hour, minute) in enumerate([(9, 0), (10, 15), (11, 40)]):
            station = w.at(city, k + 1)["code"]
            book.report(
                "mobile team: visits stations of its district",
                team,
                station,
                book.local(station, hour, minute),
                category="campaigning_at_station",
            )

    # --- G. Travel ---
    pairs = [("Almaty", "Taraz", 45), ("Astana", "Karagandy", 30), ("Shymkent", "Turkistan", 20), ("Aktobe", "Oral", 90)]
    pairs += [("Pavlodar", "Semey", 60), ("Kostanay", "Astana", 75)]
    for first, second, minutes in pairs:  # one login, two people, two cities
        observer = next(
            o
            for o in observers
            if w.station[home[o]]["settlement"] == first and not any(r["observer"] == o and "travel" in r["story"] for r in book.reports)
        )
        a, b = home[observer], w.at(second, len(w.by_settlement[second]) - 1)["code"]
        start = book.local(a, 11, 0)
        book.report(f"travel: shared login, {first} then {second} {minutes} min later", observer, a, start, category="vote_buying")
        book.report(
            f"travel: shared login, {second} {minutes} min after {first}",
            observer,
            b,
            (start + dt.timedelta(minutes=minutes)).astimezone(zoneinfo.ZoneInfo(w.zone[w.station[b]["region"]])),
            category="mobile_ballot_box_abuse",
        )
    for first, second, minutes in [("Almaty", "Talghar", 90), ("Astana", "Koshi", 40), ("Karagandy", "Temirtau", 50)]:
        a, b = w.at(first, 2)["code"], w.at(second)["code"]
        observer = book.observer("steppe", a, None, b)  # posted to both
        book.report(f"travel: drives from {first} to {second} in {minutes} min", observer, a, book.local(a, 13, 0), category="vote_buying")
        book.report(
            f"travel: arrives in {second}", observer, b, book.local(a, 13, 0) + dt.timedelta(minutes=minutes), category="vote_buying"
        )
    observer = observers[1]
    wrong, right = w.at("Taraz")["code"], home[observer]
    moment = ordinary_time(right, "vote_buying", (14, 0), (15, 0))
    point = book.on_site(right)
    first = book.report(
        "correction: picked a station in another city by mistake",
        observer,
        wrong,
        moment,
        category="vote_buying",
        gps=book.fix_at(point, 12),
        elsewhere=True,
        true_point=point,
        true_region=w.station[right]["region"],
    )
    book.report(
        "correction: the same report at the right station",
        observer,
        right,
        moment,
        category="vote_buying",
        gps=book.fix_at(point, 12),
        amends=first,
    )

    # --- H. The same incident, several observers ---
    cities = ["Almaty", "Astana", "Shymkent", "Karagandy", "Taraz", "Pavlodar", "Aktobe", "Semey"]
    for (category, texts), city in zip(SAME_INCIDENT, cities, strict=True):
        station = w.at(city, 3 if len(w.by_settlement[city]) > 3 else 0)["code"]
        seen = book.local(station, rng.randint(9, 17), rng.randint(0, 30))
        # Two observers of one organization, and sometimes a third of another:
        # duplicates are found within an organization only, never across.
        organizations = ("civic", "civic", "steppe")[: 2 + (len(book.reports) % 2)]
        witnesses = [book.observer(org, station) for org in organizations]
        for k, observer in enumerate(witnesses):
            book.report(
                "duplicate: the same incident seen by several observers"
                if organizations.count(organizations[k]) > 1
                else "not a duplicate: the same incident seen by an observer of another organization",
                observer,
                station,
                seen + dt.timedelta(minutes=[0, 7, 19][k]),
                category=category,
                text=texts[k],
                labels=["duplicate"] if organizations.count(organizations[k]) > 1 else [],
            )
        book.report(
            "not a duplicate: same category at the same station three hours later, a new incident",
            witnesses[0],
            station,
            seen + dt.timedelta(hours=3),
            category=category,
            text=texts[0],
        )
        book.report(
            "not a duplicate: same station and time, another incident",
            witnesses[1],
            station,
            seen + dt.timedelta(minutes=5),
            category="voter_list_problem",
            text=book.text("voter_list_problem"),
        )

    # --- I. Hot spots ---
    station = w.at("Shymkent", 5)["code"]
    # Five of one organization make its hot spot; the sixth, of another, is alone in its own.
    crowd = [book.observer("steppe" if k == 5 else "civic", station) for k in range(6)]
    for k, observer in enumerate(crowd):
        category = ["carousel_voting", "intimidation", "secrecy_violated", "voting_without_id", "unauthorized_persons", "vote_buying"][k]
        book.report(
            "hot spot: trouble at one station draws six reports", observer, station, book.local(station, 15, 8 * k), category=category
        )
    for k in range(4):  # four reports within 40 min: not enough
        station = w.at("Taraz", 2)["code"]
        observer = book.observer("civic", station)
        book.report("no hot spot: four reports at a station", observer, station, book.local(station, 16, 10 * k), category=VOTING[k])
    almaty = [w.at("Almaty", k)["code"] for k in (4, 5, 6, 7)]
    for k in range(13):  # a district-wide wave, at most four per station
        station = almaty[k % 4]
        observer = book.observer("steppe" if k == 12 else "civic", station)
        book.report(
            "hot spot: a wave across the Almaty district",
            observer,
            station,
            book.local(station, 17, 4 * k),
            category=VOTING[k % len(VOTING)],
        )

    # --- J. Critical incidents ---
    for i, category in enumerate(sorted(CRITICAL) * 2):
        observer = observers[(i * 7 + 3) % len(observers)]
        station = home[observer]
        book.report(
            "critical: a serious incident at the observer's station", observer, station, ordinary_time(station, category), category=category
        )

    # --- K. Late filing ---
    for i in range(12):
        observer = observers[(i * 17 + 6) % len(observers)]
        station = home[observer]
        book.report(
            "late: filed days later from the regional office",
            observer,
            station,
            ordinary_time(station, "protocol_inconsistent", (20, 30), (23, 0)),
            category="protocol_inconsistent",
            received_after=dt.timedelta(hours=rng.uniform(26, 72)),
        )
    for i in range(4):
        observer = observers[(i * 19 + 8) % len(observers)]
        station = home[observer]
        book.report(
            "not late: offline village, sent next morning",
            observer,
            station,
            ordinary_time(station, "protocol_not_posted", (21, 0), (23, 30)),
            category="protocol_not_posted",
            received_after=dt.timedelta(hours=rng.uniform(9, 20)),
        )

    # --- L. Photos ---
    for i in range(6):  # an old photo from somewhere else
        observer = observers[(i * 23 + 9) % len(observers)]
        station = home[observer]
        other = rng.choice(
            [
                s
                for s in w.stations
                if distance((s["latitude"], s["longitude"]), (w.station[station]["latitude"], w.station[station]["longitude"])) > 5000
            ]
        )
        occurred = ordinary_time(station, "ballot_box_not_sealed", (6, 30), (7, 0))
        taken = occurred - dt.timedelta(days=rng.randint(3, 400))
        book.report(
            "photo: reused an old photo of another station",
            observer,
            station,
            occurred,
            category="ballot_box_not_sealed",
            photos=[book.photo((other["latitude"], other["longitude"]), taken)],
            labels=["photo_location_mismatch", "photo_time_mismatch"],
        )
    for i in range(4):  # a photo of this station, but from last week
        observer = observers[(i * 29 + 10) % len(observers)]
        station = home[observer]
        occurred = ordinary_time(station, "campaigning_at_station")
        book.report(
            "photo: of the same station, taken days before",
            observer,
            station,
            occurred,
            category="campaigning_at_station",
            photos=[book.photo(book.on_site(station), occurred - dt.timedelta(days=rng.randint(2, 9), minutes=rng.randint(0, 600)))],
            labels=["photo_time_mismatch"],
        )
    for i in range(4):  # taken on the way, kilometres away, at the right time
        observer = observers[(i * 31 + 12) % len(observers)]
        station = home[observer]
        st = w.station[station]
        occurred = ordinary_time(station, "vote_buying")
        point = destination(st["latitude"], st["longitude"], rng.uniform(3000, 15000), rng.uniform(0, 360))
        book.report(
            "photo: taken elsewhere, at the incident time",
            observer,
            station,
            occurred,
            category="vote_buying",
            photos=[book.photo(point, occurred - dt.timedelta(minutes=rng.randint(5, 40)))],
            labels=["photo_location_mismatch"],
        )
    for i, observer in enumerate(west[:3]):  # western cameras: clocks without offset, or on Almaty time with it
        station = home[observer]
        occurred = book.local(station, 12, 10 + i)
        book.report(
            "photo: camera clock without offset in a UTC+5 region",
            observer,
            station,
            occurred,
            category="secrecy_violated",
            photos=[book.photo(book.on_site(station), occurred + dt.timedelta(minutes=3), with_offset=False)],
        )
        book.report(
            "photo: camera on Almaty time, offset written",
            observer,
            station,
            occurred + dt.timedelta(hours=2),
            category="intimidation",
            photos=[book.photo(book.on_site(station), occurred + dt.timedelta(hours=2, minutes=-4), clock_zone="Asia/Almaty")],
        )

    # --- M. Rejections ---
    for i, observer in enumerate(late_org):  # accreditation valid only from noon
        station = book.observers[observer]["deployments"][0]["station"]
        book.report(
            "rejected: accreditation not yet valid in the morning",
            observer,
            station,
            book.local(station, 9, 15 + i),
            category="video_camera_off",
        )
        book.report(
            "accepted: same organization in the afternoon", observer, station, book.local(station, 15, 15 + i), category="video_camera_off"
        )
    for i in range(2):
        observer = observers[(i * 37 + 14) % len(observers)]
        station = home[observer]
        book.report(
            "rejected: phone clock 40 minutes ahead",
            observer,
            station,
            book.local(station, 13, 40 + i),
            category="voter_list_problem",
            received_after=-dt.timedelta(minutes=40),
        )
    for i in range(2):
        observer = observers[(i * 41 + 15) % len(observers)]
        station = home[observer]
        book.report(
            "rejected: before the observation window (and the accreditation)",
            observer,
            station,
            book.local(station, 11, 0, day=5).replace(month=12, year=2020),
            category="administrative_pressure",
        )


# --- Labels ---


def label(book: Book, organizations: dict) -> None:
    """Set each report's expected state, rejections and flags from its story."""
    by_key = {r["key"]: r for r in book.reports}
    for r in book.reports:
        r["_occurred"], r["_station"] = dt.datetime.fromisoformat(r["occurred_at"]), book.w.station[r["station"]]
        rejections = _rejections(r, organizations[book.observers[r["observer"]]["organization"]])
        r["expected_state"] = "rejected" if rejections else "accepted"
        r["expected_rejections"] = rejections

    accepted = [r for r in book.reports if r["expected_state"] == "accepted"]

    def organization_of(r: dict) -> str:
        return book.observers[r["observer"]]["organization"]

    # A report that was corrected is withdrawn: it counts toward no cross-report flag.
    corrected = {r["amends"] for r in accepted if r["amends"]}
    for r in book.reports:
        if r["expected_state"] != "accepted":
            r["expected_flags"] = []
            continue
        flags = set(r["_truth"]["labels"]) | _own_flags(book, r)
        if r["key"] not in corrected:
            if _travels(r, [o for o in accepted if o["key"] not in corrected]):
                flags.add("impossible_travel")
            own = [m for m in accepted if m["key"] not in corrected and organization_of(m) == organization_of(r)]
            if _in_hotspot(r, own):
                flags.add("hotspot")
        r["expected_flags"] = sorted(flags)
    _refuse_ambiguous_pairs(accepted, organization_of)
    for r in book.reports:
        del r["_occurred"], r["_station"]
        r["story_truth"] = {k: v for k, v in r.pop("_truth").items() if k != "labels"}
        if r["story_truth"]["true_point"] is None:
            del r["story_truth"]["true_point"]
    assert all(r["amends"] in by_key for r in book.reports if r["amends"])


def _rejections(r: dict, organization: dict) -> list[str]:
    occurred, received = r["_occurred"], dt.datetime.fromisoformat(r["received_at"])
    rejections = []
    if occurred < dt.datetime.fromisoformat(organization["valid_from"]):
        rejections.append("accreditation_revoked")
    if (occurred - received).total_seconds() > 300:
        rejections.append("occurred_in_future")
    elif occurred < dt.datetime(2020, 12, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Almaty")):
        rejections.append("outside_observation_window")
    return rejections


def _own_flags(book: Book, r: dict) -> set[str]:
    """The flags a report raises on its own facts, without looking at others."""
    st, occurred, gps = r["_station"], r["_occurred"], r["gps"]
    local = occurred.astimezone(zoneinfo.ZoneInfo(book.w.zone[st["region"]]))
    checks = {
        "critical_category": r["category"] in CRITICAL,
        "late_filing": dt.datetime.fromisoformat(r["received_at"]) - occurred > dt.timedelta(hours=24),
        "no_location": gps is None and not any(p["latitude"] is not None for p in r["photos"]),
        "low_gps_accuracy": gps is not None and gps["accuracy_m"] > 250,
        "outside_polling_hours": PHASE[r["category"]] == "voting" and not (local.date() == VOTING_DAY and OPENS <= local.time() <= CLOSES),
        "not_deployed": not book.deployed(r["observer"], r["station"]),
        "off_site": r["_truth"]["elsewhere"],
        "region_mismatch": r["_truth"]["elsewhere"] and r["_truth"]["true_region"] != st["region"],
    }
    return {code for code, raised in checks.items() if raised}


def _travels(r: dict, others: list[dict]) -> bool:
    """Travel is judged on what the reports claim: one observer at two stations
    more than 2 km apart, faster than 150 km/h between them. (Whether it was a
    shared login or a wrong station pick, both claims cannot stand.)"""
    here = (r["_station"]["latitude"], r["_station"]["longitude"])
    for other in others:
        if other is r or other["observer"] != r["observer"] or other["station"] == r["station"]:
            continue
        metres = distance(here, (other["_station"]["latitude"], other["_station"]["longitude"]))
        seconds = abs((other["_occurred"] - r["_occurred"]).total_seconds())
        if metres > 2000 and metres * 3600 > 150_000 * seconds:
            return True
    return False


def _in_hotspot(r: dict, others: list[dict]) -> bool:
    """Five reports at one station, or twelve in one district, within 60 minutes."""
    hour = dt.timedelta(minutes=60)
    for scope, minimum in (("code", 5), ("district", 12)):
        members = [m["_occurred"] for m in others if m["_station"][scope] == r["_station"][scope]]
        windows = [t for t in members if t <= r["_occurred"] <= t + hour]
        if any(sum(1 for m in members if start <= m <= start + hour) >= minimum for start in windows):
            return True
    return False


def _refuse_ambiguous_pairs(accepted: list[dict], organization_of) -> None:
    """Scenarios must not pair two different incidents at one station in one category
    within half an hour by accident: whether those are duplicates is not a story's call.
    (Reports of two organizations are never duplicates of each other.)"""
    for a in accepted:
        for b in accepted:
            if a["key"] < b["key"] and a["station"] == b["station"] and a["category"] == b["category"]:
                same_organization = organization_of(a) == organization_of(b)
                if same_organization and abs(a["_occurred"] - b["_occurred"]) <= dt.timedelta(minutes=30) and a["story"] != b["story"]:
                    raise AssertionError(f"ambiguous pair {a['key']} {b['key']}")


def build() -> dict:
    rng = random.Random(SEED)
    world = World(rng)
    book = Book(world, rng)
    stories(book)
    almaty = zoneinfo.ZoneInfo("Asia/Almaty")
    organizations = {
        "civic": {"name": "Civic Observers of Kazakhstan", "valid_from": dt.datetime(2020, 12, 10, tzinfo=almaty).isoformat()},
        "steppe": {"name": "Steppe International Observation Mission", "valid_from": dt.datetime(2020, 12, 10, tzinfo=almaty).isoformat()},
        "late": {"name": "Late Accreditation Union", "valid_from": dt.datetime(2021, 1, 10, 12, 0, tzinfo=almaty).isoformat()},
    }
    label(book, organizations)
    return {
        "about": (
            "Synthetic election-day reports in a real territory (GeoNames settlements, IANA zones of January 2021), "
            "each written from a story and labelled with the flags that story should raise. "
            "Generated by tests/data/make_labelled_set.py; checked by tests/unit/reports/pipeline/test_labelled_set.py."
        ),
        "election": {
            "code": "kz-labelled-2021",
            "voting_day": VOTING_DAY.isoformat(),
            "polls_open": "07:00",
            "polls_close": "20:00",
            "observation_starts_at": dt.datetime(2020, 12, 10, tzinfo=almaty).isoformat(),
        },
        "regions": [{"code": code, "timezone": zone, "geonames_admin1": admin1} for code, admin1, zone in REGIONS],
        "stations": world.stations,
        "organizations": organizations,
        "observers": book.observers,
        "reports": book.reports,
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(dumps(build()), encoding="utf-8")
    print(f"wrote {OUTPUT}")
