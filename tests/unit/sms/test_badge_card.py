"""The SMS card on the badge sheet (issue_credentials, roster.badges with
sms.badges): beside each badge, in its observer's language, the number to
text, the codes as HELP gives them and every category's short code with its
name; none while the SMS door is closed."""

import io
import re

import pytest
from django.core.management import call_command
from django.utils import translation

from roster.models import RosterEntry
from sms import replies
from sms.models import CategoryShortCode

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<article class="sms-card" lang="(\w+)">(.*?)</article>', flags=re.S)


@pytest.fixture
def two_languages(world, phone):
    """The world's observer reads Russian (the `phone` fixture), the second Kazakh."""
    RosterEntry.objects.create(
        observer=world.observer_2,
        organization=world.observer_2.organization,
        external_id="o-2",
        full_name="B. Observer",
        phone="+77011234568",
        language="kk",
    )
    return world


def badge_sheet(world, tmp_path) -> str:
    sheet = tmp_path / "badges.html"
    organization = world.observer.organization.name
    call_command(
        "issue_credentials", organization=organization, output=str(sheet), base_url="https://observe.example.org", stdout=io.StringIO()
    )
    return sheet.read_text(encoding="utf-8")


def test_each_badge_has_the_sms_codes_beside_it_in_its_language(two_languages, settings, tmp_path):
    settings.SMS_GATEWAY_NUMBER = "+7 700 555 7575"
    html = badge_sheet(two_languages, tmp_path)
    cards = CARD.findall(html)
    assert [language for language, _body in cards] == ["ru", "kk"]
    (_ru, russian), (_kk, kazakh) = cards
    # Each card follows its own badge.
    first, second = (f'data-public-code="{o.public_code}"' for o in (two_languages.observer, two_languages.observer_2))
    assert html.index(first) < html.index(russian) < html.index(second) < html.index(kazakh)
    assert "Нет мобильного интернета? Сообщайте по SMS" in russian and "Мобильді интернет жоқ па?" in kazakh
    for body, language, stuffing in ((russian, "ru", "Вброс бюллетеней"), (kazakh, "kk", "Бюллетеньдерді заңсыз салу")):
        assert "+7 700 555 7575" in body
        with translation.override(language):
            lines = replies.help_lines()
        assert all(line in body for line in lines) and "A 02001" in lines[0]
        assert f"<b>BS</b> {stuffing}" in body
        assert all(f"<b>{short}</b>" in body for short in CategoryShortCode.objects.values_list("short_code", flat=True))


def test_without_a_number_the_card_still_has_the_codes(two_languages, settings, tmp_path):
    settings.SMS_GATEWAY_NUMBER = ""
    cards = CARD.findall(badge_sheet(two_languages, tmp_path))
    assert len(cards) == 2 and "sms-number" not in cards[0][1] and "<b>CV</b>" in cards[0][1]


def test_no_card_while_the_sms_door_is_closed(two_languages, settings, tmp_path):
    settings.SMS_GATEWAY_SECRET = ""  # the webhook refuses every message
    html = badge_sheet(two_languages, tmp_path)
    assert "sms-card" not in html.split("</style>")[1] and html.count('<article class="badge"') == 2
