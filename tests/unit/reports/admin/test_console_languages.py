"""The coordinators' console in Kazakh and Russian, chosen per user.

Each console page (queue, report page, situation page, the roster and its
import, the coverage board and an observer's coverage) is rendered in English and in each language; a text the English page
shows that comes from the project's catalog must not appear in English on the
translated page, and no run of English words may be left on it beyond the
data itself (names, codes). A string added to the console without its
translation, or without marking it for translation at all, fails here by name.
"""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from command.models import ContactAttempt
from roster.models import RosterEntry
from tests.filing import file_report
from tests.unit.test_translations import ROOT, parse_po

LANGUAGES = ["ru", "kk"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w+\}|%[sd]")
# English left on a translated page: two or more words in a row.
ENGLISH_RUN = re.compile(r"[A-Za-z][a-z]{2,}(?:[ ,:-]+[A-Za-z][a-z]+)+")
# What stays English in every language: the test world's data (names, codes,
# addresses, CSV column names), units and formats.
DATA = re.compile(
    r"Polling station No\. \d+|Election kz-[\w-]+|District [\w-]+|Регион [\w-]+|Аймақ [\w-]+|Abai avenue \d+|Civic Observers|"
    r"Same group of voters came back a second time|[a-z_]+(?:,[a-z_]+)+|[a-z]+(?:_[a-z]+)+|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|Asia/\w+|OpenStreetMap|Leaflet"
)


class VisibleText(HTMLParser):
    """Text a reader sees or hears: text outside scripts and styles, and titles, placeholders, labels and values of buttons."""

    ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attrs = dict(attrs)
        self.parts += [attrs[a] for a in self.ATTRIBUTES if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def catalog_fragments() -> dict[str, str]:
    """Literal pieces (between placeholders) of every msgid of the project's catalog, long enough to mean something."""
    fragments = {}
    for entry in parse_po(ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"):
        for piece in PLACEHOLDER.split(entry["msgid"]):
            piece = " ".join(piece.split()).strip(" .,:;()·–—")
            if len(piece) >= 6 and " " in piece:
                fragments[piece] = entry["msgid"]
    return fragments


@pytest.fixture
def console(world, client):
    report = file_report(world, category="group_voting", gps=(43.2701, 76.9400, 20.0), photos=1)  # off_site, with a photo
    file_report(world, category="ballot_stuffing", gps=None)  # critical, no location
    RosterEntry.objects.create(
        observer=world.observer, organization=world.coordinator.organization, external_id="A-1", full_name="Айгерим Садыкова",
        phone="+77015550101", language="kk",
    )  # fmt: skip
    ContactAttempt.objects.create(
        election=world.election, observer=world.observer, recorded_by=world.coordinator.user, outcome="unreachable", text="42"
    )
    client.force_login(world.coordinator.user)
    return {
        "queue": "/admin/reports/submission/",
        "report page": f"/admin/reports/submission/{report.pk}/change/",
        "situation": f"/admin/reports/submission/situation/?election={world.election.code}",
        "roster": "/admin/roster/rosterentry/",
        "roster import": "/admin/roster/rosterentry/import/",
        "coverage board": f"/admin/command/contactattempt/board/?election={world.election.code}",
        "coverage observer": f"/admin/command/contactattempt/board/observer/{world.observer.public_code}/?election={world.election.code}",
        "contact log": "/admin/command/contactattempt/",
    }


def render(client, url: str, language: str) -> list[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Language"] == language
    return visible(response.content.decode())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_console_page_is_translated(console, client, language):
    fragments = catalog_fragments()
    problems = []
    for name, url in console.items():
        english = DATA.sub("", " | ".join(render(client, url, "en")))
        translated_parts = [DATA.sub("", part) for part in render(client, url, language)]
        translated = " | ".join(translated_parts)
        shown = [piece for piece in fragments if piece in english]
        assert name == "roster import" or len(shown) >= 5, f"{name}: the page shows too little of the catalog to test"
        problems += [f"{name}: untranslated {fragments[piece]!r}" for piece in shown if piece in translated]
        problems += [f"{name}: English left in {part!r}" for part in translated_parts if ENGLISH_RUN.search(part)]
    assert problems == [], "\n".join(problems)


def test_the_console_opens_in_the_users_roster_language_unless_the_browser_chose_one(world, client):
    RosterEntry.objects.create(
        observer=world.coordinator, organization=world.coordinator.organization, external_id="C-1", full_name="Ерлан Ахметов",
        phone="+77015550102", language="kk",
    )  # fmt: skip
    client.force_login(world.coordinator.user)
    html = client.get("/admin/reports/submission/situation/").content.decode()
    assert '<html lang="kk"' in html and "Өңірлер бойынша хабарламалар" in html

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"  # chosen with the language buttons on this browser
    html = client.get("/admin/reports/submission/situation/").content.decode()
    assert '<html lang="ru"' in html and "Сообщения по регионам" in html


def test_users_without_a_roster_entry_keep_the_browsers_language(world, client):
    client.force_login(world.coordinator.user)
    html = client.get("/admin/reports/submission/situation/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="ru"' in html
    html = client.get("/admin/reports/submission/situation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in html and "Reports by region" in html


def test_the_language_buttons_of_the_console_choose_for_this_browser(world, client):
    RosterEntry.objects.create(
        observer=world.coordinator, organization=world.coordinator.organization, external_id="C-1", full_name="Ерлан Ахметов",
        phone="+77015550102", language="kk",
    )  # fmt: skip
    client.force_login(world.coordinator.user)
    html = client.get("/admin/reports/submission/").content.decode()
    form = html.split('<form id="console-languages"')[1].split("</form>")[0]
    assert 'value="kk" lang="kk" aria-pressed="true"' in form and 'value="ru" lang="ru" aria-pressed="false"' in form
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/admin/reports/submission/"})
    assert response.status_code == 302 and response["Location"] == "/admin/reports/submission/"
    html = client.get("/admin/reports/submission/").content.decode()
    assert '<html lang="ru"' in html and 'value="ru" lang="ru" aria-pressed="true"' in html
