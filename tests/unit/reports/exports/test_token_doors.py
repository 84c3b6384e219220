"""The evidence doors take an API token (`Authorization: Token …`) with the
same scoping as a session: the export download and the photos the API links
to. A bad token is a 401, never the login page."""

import csv
import io

import pytest
from django.test import Client

from roster.tokens import token_issue
from tests.filing import file_report


@pytest.fixture
def photo_url(world):
    report = file_report(world, photos=1)
    return f"/photos/{report.attachments.get().pk}/"


def with_token(who) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=who.user)[1]}")


def test_a_token_fetches_the_photos_it_may_see_and_nothing_else(world, photo_url):
    assert with_token(world.observer).get(photo_url).status_code == 200
    assert with_token(world.coordinator).get(photo_url).status_code == 200
    assert with_token(world.other_coordinator).get(photo_url).status_code == 404
    assert with_token(world.observer_2).get(photo_url).status_code == 404
    assert Client().get(photo_url).status_code == 302  # no token, no session: the login page, as before


def test_a_token_downloads_the_export_with_the_same_scope(world, photo_url):
    file_report(world, observer=world.other_observer)
    response = with_token(world.auditor).get("/exports/reports.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = [r for r in list(csv.reader(io.StringIO(body)))[1:] if r and not r[0].startswith("#")]  # the manifest's key spans lines
    assert len(rows) == 1
    assert with_token(world.observer).get("/exports/reports.csv").status_code == 403


@pytest.mark.parametrize("header", ["Token not-a-token", "Token ", "token abc def"])
def test_a_bad_token_is_a_401_not_the_login_page(world, photo_url, header):
    for url in (photo_url, "/exports/reports.csv"):
        response = Client(HTTP_AUTHORIZATION=header).get(url)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
